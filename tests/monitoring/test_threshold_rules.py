"""Centre threshold rules at every boundary: just below, at and just above each threshold, window and age."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.monitoring import Detection, EpisodeContext, MonitoredObservation, RuleSet, evaluate, load_rule_set
from tests.monitoring.series_builder import (
    ANC,
    AS_OF_END,
    BILIRUBIN_MG,
    BILIRUBIN_UMOL,
    CREATININE_MG,
    CREATININE_UMOL,
    PLATELETS,
    at,
    context,
    series,
)

RULES = load_rule_set()


def _found(
    rule_id: str,
    observations: list[MonitoredObservation],
    ctx: EpisodeContext | None = None,
    rules: RuleSet = RULES,
    as_of: dt.datetime = AS_OF_END,
) -> list[Detection]:
    result = evaluate(rules, ctx or context(), observations, as_of)
    return [d for d in result.detections if d.rule_id == rule_id]


@pytest.mark.parametrize(
    ("value", "alerts"),
    [
        pytest.param(0.49, True, id="anc-0.49-below"),
        pytest.param(0.5, False, id="anc-0.5-at"),
        pytest.param(0.51, False, id="anc-0.51-above"),
    ],
)
def test_anc_below_0_5(value: float, alerts: bool) -> None:
    assert bool(_found("anc-below-0-5", series(ANC, "10*9/L", [(5, value)]))) is alerts


@pytest.mark.parametrize(
    ("value", "unit", "alerts"),
    [
        pytest.param(499, "/uL", True, id="anc-499-per-uL"),
        pytest.param(500, "/uL", False, id="anc-500-per-uL"),
        pytest.param(0.499, "10*3/uL", True, id="anc-0.499-10*3/uL"),
    ],
)
def test_anc_in_other_count_units(value: float, unit: str, alerts: bool) -> None:
    assert bool(_found("anc-below-0-5", series(ANC, unit, [(5, value)]))) is alerts


@pytest.mark.parametrize(
    ("value", "alerts"),
    [
        pytest.param(9.9, True, id="platelets-9.9-below"),
        pytest.param(10.0, False, id="platelets-10-at"),
        pytest.param(10.1, False, id="platelets-10.1-above"),
    ],
)
def test_platelets_below_10(value: float, alerts: bool) -> None:
    assert bool(_found("platelets-below-10", series(PLATELETS, "10*9/L", [(5, value)]))) is alerts


@pytest.mark.parametrize(
    ("loinc", "unit", "value", "alerts"),
    [
        pytest.param(BILIRUBIN_MG, "mg/dL", 1.99, False, id="bilirubin-1.99-mg/dL-below"),
        pytest.param(BILIRUBIN_MG, "mg/dL", 2.0, True, id="bilirubin-2.0-mg/dL-at"),
        pytest.param(BILIRUBIN_MG, "mg/dL", 2.01, True, id="bilirubin-2.01-mg/dL-above"),
        pytest.param(BILIRUBIN_UMOL, "umol/L", 34.1, False, id="bilirubin-34.1-umol/L-below"),
        pytest.param(BILIRUBIN_UMOL, "umol/L", 34.2, True, id="bilirubin-34.2-umol/L-at (17.1 factor)"),
        pytest.param(BILIRUBIN_UMOL, "umol/L", 34.3, True, id="bilirubin-34.3-umol/L-above"),
    ],
)
def test_bilirubin_at_or_above_2_mg_dl(loinc: str, unit: str, value: float, alerts: bool) -> None:
    assert bool(_found("bilirubin-2-mg-dl", series(loinc, unit, [(5, value)]))) is alerts


@pytest.mark.parametrize(
    ("baseline", "value", "alerts"),
    [
        pytest.param(0.8, 1.59, False, id="creatinine-x1.99-below"),
        pytest.param(0.8, 1.6, True, id="creatinine-x2.00-at"),
        pytest.param(0.8, 1.61, True, id="creatinine-x2.01-above"),
    ],
)
def test_creatinine_doubling(baseline: float, value: float, alerts: bool) -> None:
    observations = series(CREATININE_MG, "mg/dL", [(-1, baseline), (5, value)])
    assert bool(_found("creatinine-doubling", observations)) is alerts


def test_creatinine_doubling_across_units_uses_the_molar_mass() -> None:
    baseline = series(CREATININE_MG, "mg/dL", [(-1, 1.0)])
    # 1 mg/dL = 88.40 umol/L (molar mass 113.12 g/mol): 176 umol/L is below twice, 177 above
    below = series(CREATININE_UMOL, "umol/L", [(5, 176.0)], first_id=10)
    above = series(CREATININE_UMOL, "umol/L", [(5, 177.0)], first_id=10)
    assert not _found("creatinine-doubling", baseline + below)
    (found,) = _found("creatinine-doubling", baseline + above)
    assert found.triggering == (1, 10)


def test_creatinine_without_a_baseline_raises_nothing() -> None:
    assert not _found("creatinine-doubling", series(CREATININE_MG, "mg/dL", [(0, 0.5), (5, 3.0)]))


def test_the_baseline_is_the_last_value_before_day_0() -> None:
    observations = series(CREATININE_MG, "mg/dL", [(-5, 0.5), (-1, 1.0), (5, 1.5)])
    assert not _found("creatinine-doubling", observations)


@pytest.mark.parametrize(
    ("day", "alerts"),
    [
        pytest.param(-1, False, id="day-minus-1-before-window"),
        pytest.param(0, True, id="day-0-first-day"),
        pytest.param(100, True, id="day-100-last-day"),
        pytest.param(101, False, id="day-101-after-window"),
    ],
)
def test_the_day_window_bounds(day: int, alerts: bool) -> None:
    assert bool(_found("anc-below-0-5", series(ANC, "10*9/L", [(day, 0.1)]))) is alerts


def test_a_run_is_one_alert_and_a_new_fall_is_another() -> None:
    observations = series(ANC, "10*9/L", [(1, 0.4), (2, 0.1), (3, 0.3), (4, 0.8), (5, 0.2)])
    first, second = _found("anc-below-0-5", observations, as_of=at(10))
    assert first.triggering == (1, 2, 3)
    assert first.cleared_at == at(4)
    assert "cleared: 0.8 10*9/L" in first.explanation
    assert second.triggering == (5,) and second.cleared_at is None


def test_a_condition_still_present_at_the_end_of_the_window_is_cleared_there() -> None:
    (found,) = _found("anc-below-0-5", series(ANC, "10*9/L", [(99, 0.1), (100, 0.1)]))
    assert found.cleared_at is not None and "no longer watched after day +100" in found.explanation


def test_an_explanation_shows_the_value_the_unit_and_the_conversion() -> None:
    (found,) = _found("bilirubin-2-mg-dl", series(BILIRUBIN_UMOL, "umol/L", [(7, 51.3)]))
    assert "51.3 umol/L = 3 mg/dL (at or above 2 mg/dL) on day +7" in found.explanation
    assert "Example centre threshold" in found.explanation


CHILD_RULE = """
[rule_set]
name = "c"
version = "1"

[[rule]]
id = "child-anc"
version = "1"
title = "Child ANC"
kind = "threshold"
severity = "warning"
parameters = { loinc = ["751-8"], comparator = "<", value = 1.0, unit = "10*9/L" }
applies = { age_group = "child" }
source = { origin = "centre", reference = "Paediatric SOP", verification = "unverified" }

[[rule]]
id = "adult-anc"
version = "1"
title = "Adult ANC"
kind = "threshold"
severity = "warning"
parameters = { loinc = ["751-8"], comparator = "<", value = 1.0, unit = "10*9/L" }
applies = { age_group = "adult", transplant_types = ["allogeneic"] }
source = { origin = "centre", reference = "Adult SOP", verification = "unverified" }
"""


@pytest.mark.parametrize(
    ("age", "rule_ids"),
    [
        pytest.param(17, {"child-anc"}, id="age-17-child"),
        pytest.param(18, {"adult-anc"}, id="age-18-adult"),
        pytest.param(19, {"adult-anc"}, id="age-19-adult"),
        pytest.param(None, set(), id="age-unknown-neither"),
    ],
)
def test_adult_and_child_rules(age: int | None, rule_ids: set[str]) -> None:
    rules = load_rule_set(CHILD_RULE)
    observations = series(ANC, "10*9/L", [(5, 0.7)])
    found = evaluate(rules, context(age=age), observations, AS_OF_END).detections
    assert {d.rule_id for d in found} & {"child-anc", "adult-anc"} == rule_ids


def test_a_rule_for_allografts_does_not_watch_an_autograft() -> None:
    from engraft.vocabulary import TransplantType

    rules = load_rule_set(CHILD_RULE)
    found = evaluate(rules, context(kind=TransplantType.AUTOLOGOUS), series(ANC, "10*9/L", [(5, 0.7)]), AS_OF_END)
    assert "adult-anc" not in {d.rule_id for d in found.detections}
