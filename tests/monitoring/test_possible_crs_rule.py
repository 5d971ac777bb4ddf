"""Possible CRS after immune effector cells (CAR-T) through the engine: the ASTCT fever boundary in Cel and [degF],
the post-infusion window, immune effector cell episodes only, the centre hypotension and SpO2 thresholds for
adults and children, the oxygen flow lower bound, and one alert per possible CRS (escalated, never duplicated)."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.grading import ASTCT_CRS_RULE
from engraft.monitoring import (
    AlertState,
    Detection,
    EpisodeContext,
    MonitoredObservation,
    PriorAlert,
    RuleFileError,
    RuleKind,
    Severity,
    TransitionKind,
    evaluate,
    load_rule_set,
)
from engraft.provenance import VerificationLevel
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType
from tests.monitoring.series_builder import AS_OF_END, DAY0, at

RULES = load_rule_set()
RULE_ID = "possible-crs-iec"
TEMPERATURE, SYSTOLIC, SPO2, OXYGEN_FLOW = "8310-5", "8480-6", "59408-5", "3151-8"


def _cart(age: int | None = 45, therapy: CellTherapy = CellTherapy.IMMUNE_EFFECTOR_CELLS) -> EpisodeContext:
    return EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=age,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        transplant_type=TransplantType.AUTOLOGOUS,
        cell_therapy=therapy,
    )


def _obs(n: int, when: dt.datetime, loinc: str, value: float, unit: str) -> MonitoredObservation:
    return MonitoredObservation(id=n, observed_at=when, loinc=loinc, value=value, unit=unit)


def _crs(
    observations: list[MonitoredObservation],
    context: EpisodeContext | None = None,
    as_of: dt.datetime = AS_OF_END,
) -> list[Detection]:
    found = evaluate(RULES, context or _cart(), observations, as_of).detections
    return [d for d in found if d.rule_id == RULE_ID]


def test_the_shipped_rule_cites_astct_and_labels_its_thresholds_as_centre_policy() -> None:
    rule = RULES.rule(RULE_ID)
    assert rule.kind is RuleKind.POSSIBLE_CRS
    assert rule.source.verification is ASTCT_CRS_RULE.verification is VerificationLevel.SECONDARY
    (citation,) = rule.source.citations
    assert citation.doi == "10.1016/j.bbmt.2018.12.758" and "625" in citation.volume_pages
    assert rule.applies.cell_therapies == (CellTherapy.IMMUNE_EFFECTOR_CELLS,)
    for threshold in (rule.parameters.systolic_below, rule.parameters.spo2_below):  # type: ignore[attr-defined]
        assert threshold.verification is VerificationLevel.UNVERIFIED and "centre" in threshold.reference


@pytest.mark.parametrize(
    ("value", "unit", "alerts"),
    [
        pytest.param(37.9, "Cel", False, id="37.9-C-no-fever"),
        pytest.param(37.999999, "Cel", False, id="37.999999-C-no-fever"),
        pytest.param(38.0, "Cel", True, id="38.0-C-fever"),
        pytest.param(100.3, "[degF]", False, id="100.3-F-no-fever (37.94 C)"),
        pytest.param(100.4, "[degF]", True, id="100.4-F-fever (38.0 C)"),
    ],
)
def test_the_astct_fever_boundary(value: float, unit: str, alerts: bool) -> None:
    found = _crs([_obs(1, at(2, 8), TEMPERATURE, value, unit)])
    assert bool(found) is alerts
    if alerts:
        (d,) = found
        assert d.severity is Severity.WARNING and d.triggering == (1,)
        assert d.explanation.startswith("Possible CRS grade 1 (fever)") and "day +2" in d.explanation


@pytest.mark.parametrize(
    ("day", "alerts"),
    [
        pytest.param(-1, False, id="day-minus-1-before-infusion"),
        pytest.param(0, True, id="day-0-infusion-day"),
        pytest.param(30, True, id="day-30-window-end"),
        pytest.param(31, False, id="day-31-after-window"),
    ],
)
def test_the_post_infusion_window(day: int, alerts: bool) -> None:
    assert bool(_crs([_obs(1, at(day, 8), TEMPERATURE, 39.0, "Cel")])) is alerts


@pytest.mark.parametrize(
    "therapy",
    [pytest.param(CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, id="hct-episode-not-alerted")],
)
def test_a_transplant_episode_is_not_alerted(therapy: CellTherapy) -> None:
    observations = [_obs(1, at(2, 8), TEMPERATURE, 39.5, "Cel"), _obs(2, at(2, 9), SYSTOLIC, 70.0, "mm[Hg]")]
    assert _crs(observations, _cart(therapy=therapy)) == []


def test_a_car_t_episode_gets_no_graft_failure_alert() -> None:
    anc = [_obs(n, at(n, 6), "751-8", 0.1, "10*9/L") for n in range(1, 35)]
    cart = {d.rule_id for d in evaluate(RULES, _cart(), anc, AS_OF_END).detections}
    hct = {
        d.rule_id
        for d in evaluate(RULES, _cart(therapy=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT), anc, AS_OF_END).detections
    }
    assert "primary-graft-failure" in hct and "no-neutrophil-engraftment-day-28" in hct
    assert not {"primary-graft-failure", "no-neutrophil-engraftment-day-28"} & cart


@pytest.mark.parametrize(
    ("age", "systolic", "low"),
    [
        pytest.param(45, 89.0, True, id="adult-89-below-90"),
        pytest.param(45, 90.0, False, id="adult-90-not-below-90"),
        pytest.param(18, 89.0, True, id="adult-at-18-89-below-90"),
        pytest.param(17, 89.0, False, id="child-17-89-not-below-80"),
        pytest.param(8, 79.0, True, id="child-79-below-80"),
        pytest.param(8, 80.0, False, id="child-80-not-below-80"),
        pytest.param(None, 89.0, True, id="age-unknown-adult-threshold"),
    ],
)
def test_hypotension_against_the_centre_threshold(age: int | None, systolic: float, low: bool) -> None:
    observations = [_obs(1, at(2, 8), TEMPERATURE, 38.6, "Cel"), _obs(2, at(2, 9), SYSTOLIC, systolic, "mm[Hg]")]
    (d,) = _crs(observations, _cart(age=age))
    if low:
        assert d.severity is Severity.CRITICAL and d.triggering == (1, 2)
        assert d.explanation.startswith("Possible CRS: fever >= 38.0 C (38.6 Cel)")
        assert "check vasopressor and oxygen need" in d.explanation and "At least grade 2" in d.explanation
        assert "centre threshold, unverified, not ASTCT's" in d.explanation
        assert "cannot be set from vital signs alone" in d.explanation
    else:
        assert d.severity is Severity.WARNING and d.explanation.startswith("Possible CRS grade 1 (fever)")


def test_systolic_pressure_in_kpa_is_converted() -> None:
    observations = [_obs(1, at(2, 8), TEMPERATURE, 38.6, "Cel"), _obs(2, at(2, 9), SYSTOLIC, 11.5, "kPa")]  # 86 mmHg
    (d,) = _crs(observations)
    assert d.severity is Severity.CRITICAL and "11.5 kPa" in d.explanation


@pytest.mark.parametrize(
    ("spo2", "low"),
    [pytest.param(91.0, True, id="spo2-91-below-92"), pytest.param(92.0, False, id="spo2-92-not-below-92")],
)
def test_low_spo2_alerts_without_raising_the_grade(spo2: float, low: bool) -> None:
    observations = [_obs(1, at(3, 8), TEMPERATURE, 38.2, "Cel"), _obs(2, at(3, 10), SPO2, spo2, "%")]
    (d,) = _crs(observations)
    assert (d.severity is Severity.CRITICAL) is low
    if low:
        assert "SpO2 91 %" in d.explanation and "At least grade 1" in d.explanation
        assert "hypoxia is graded by the oxygen given" in d.explanation


@pytest.mark.parametrize(
    ("flow", "unit", "grade"),
    [
        pytest.param(6.0, "L/min", 2, id="6-L-min-low-flow-grade-2"),
        pytest.param(6.5, "L/min", 3, id="6.5-L-min-high-flow-grade-3"),
        pytest.param(2000.0, "mL/min", 2, id="2000-mL-min-grade-2"),
    ],
)
def test_an_oxygen_flow_gives_a_lower_bound_grade(flow: float, unit: str, grade: int) -> None:
    observations = [_obs(1, at(3, 8), TEMPERATURE, 38.4, "Cel"), _obs(2, at(3, 9), OXYGEN_FLOW, flow, unit)]
    (d,) = _crs(observations)
    assert d.severity is Severity.CRITICAL and f"At least grade {grade}" in d.explanation


def test_a_zero_oxygen_flow_is_no_oxygen() -> None:
    observations = [_obs(1, at(3, 8), TEMPERATURE, 38.4, "Cel"), _obs(2, at(3, 9), OXYGEN_FLOW, 0.0, "L/min")]
    (d,) = _crs(observations)
    assert d.severity is Severity.WARNING


def test_fever_then_hypotension_escalates_the_one_open_alert() -> None:
    fever = [_obs(1, at(2, 8), TEMPERATURE, 38.5, "Cel"), _obs(2, at(2, 14), TEMPERATURE, 38.9, "Cel")]
    first = evaluate(RULES, _cart(), fever, at(2, 15))
    (raised,) = [t for t in first.transitions if t.dedup_key.startswith(RULE_ID)]
    assert raised.kind is TransitionKind.RAISED and raised.severity is Severity.WARNING
    later = [*fever, _obs(3, at(3, 2), SYSTOLIC, 84.0, "mm[Hg]")]
    open_alert = PriorAlert(dedup_key=raised.dedup_key, state=AlertState.OPEN, severity=Severity.WARNING)
    second = evaluate(RULES, _cart(), later, at(3, 3), [open_alert])
    (escalated,) = [t for t in second.transitions if t.dedup_key.startswith(RULE_ID)]
    assert escalated.kind is TransitionKind.ESCALATED and escalated.severity is Severity.CRITICAL
    assert escalated.detection is not None and escalated.detection.triggering == (1, 2, 3)
    critical = PriorAlert(dedup_key=raised.dedup_key, state=AlertState.OPEN, severity=Severity.CRITICAL)
    third = evaluate(RULES, _cart(), later, at(3, 4), [critical])
    assert [t.kind for t in third.transitions if t.dedup_key.startswith(RULE_ID)] == [TransitionKind.ONGOING]


def test_an_acknowledged_fever_alert_stays_one_alert_and_escalates_on_hypotension() -> None:
    """Acknowledging the grade-1 fever alert does not hide a later hypotension: the same alert escalates (and the
    registry opens it again); a fever alone after the acknowledgement stays ongoing."""
    fever = [_obs(1, at(2, 8), TEMPERATURE, 38.5, "Cel"), _obs(3, at(2, 14), TEMPERATURE, 38.7, "Cel")]
    (d,) = _crs(fever)
    acknowledged = PriorAlert(dedup_key=d.dedup_key, state=AlertState.ACKNOWLEDGED, severity=Severity.WARNING)
    quiet = evaluate(RULES, _cart(), fever, at(3), [acknowledged]).transitions
    assert [t.kind for t in quiet if t.dedup_key.startswith(RULE_ID)] == [TransitionKind.ONGOING]
    worse = [*fever, _obs(2, at(2, 20), SYSTOLIC, 84.0, "mm[Hg]")]
    transitions = evaluate(RULES, _cart(), worse, at(3), [acknowledged]).transitions
    (escalated,) = [t for t in transitions if t.dedup_key.startswith(RULE_ID)]
    assert escalated.kind is TransitionKind.ESCALATED and escalated.severity is Severity.CRITICAL
    seen_critical = PriorAlert(dedup_key=d.dedup_key, state=AlertState.ACKNOWLEDGED, severity=Severity.CRITICAL)
    again = evaluate(RULES, _cart(), worse, at(3, 1), [seen_critical]).transitions
    assert [t.kind for t in again if t.dedup_key.startswith(RULE_ID)] == [TransitionKind.ONGOING]


def test_the_fever_ending_does_not_clear_it_and_a_late_fever_is_a_new_one() -> None:
    observations = [
        _obs(1, at(2, 8), TEMPERATURE, 38.5, "Cel"),
        _obs(2, at(3, 8), TEMPERATURE, 36.8, "Cel"),
        _obs(3, at(5, 8), TEMPERATURE, 38.1, "Cel"),  # 72 h after the last febrile reading: the same possible CRS
        _obs(4, at(8, 9), TEMPERATURE, 38.3, "Cel"),  # 73 h after it: a new one
    ]
    found = _crs(observations)
    assert [d.triggering for d in found] == [(1, 3), (4,)]
    assert all(d.cleared_at is None for d in found)


def test_hypotension_before_the_fever_or_after_its_span_does_not_count() -> None:
    observations = [
        _obs(1, at(2, 7), SYSTOLIC, 80.0, "mm[Hg]"),
        _obs(2, at(2, 8), TEMPERATURE, 38.5, "Cel"),
        _obs(3, at(5, 9), SYSTOLIC, 80.0, "mm[Hg]"),  # 73 h after the only febrile reading
    ]
    (d,) = _crs(observations)
    assert d.severity is Severity.WARNING and d.triggering == (2,)


def test_out_of_order_and_repeated_arrival_give_the_same_alert() -> None:
    observations = [
        _obs(1, at(2, 8), TEMPERATURE, 100.8, "[degF]"),
        _obs(2, at(2, 9), SYSTOLIC, 85.0, "mm[Hg]"),
        _obs(3, at(2, 10), SPO2, 90.0, "%"),
    ]
    expected = _crs(observations)
    assert _crs(list(reversed(observations))) == expected
    assert expected[0].triggering == (1, 2, 3)


def test_a_centre_threshold_claiming_to_be_verified_is_refused() -> None:
    centre = """
[rule_set]
name = "C1"
version = "1"

[[rule]]
id = "possible-crs-iec"
version = "2"
title = "Possible CRS"
kind = "possible CRS"
severity = "warning"
applies = { day_from = 0, day_to = 14, cell_therapies = ["immune effector cell therapy"] }
source = { origin = "published", reference = "ASTCT (Lee 2019)", verification = "secondary" }

[rule.parameters]
systolic_below = { adult = 90.0, child = 80.0, unit = "mm[Hg]", reference = "ASTCT", verification = "primary" }
spo2_below = { adult = 92.0, child = 92.0, unit = "%", reference = "centre", verification = "unverified" }
"""
    with pytest.raises(RuleFileError, match="expected 'unverified'"):
        load_rule_set(centre)


def test_a_threshold_in_a_unit_of_another_dimension_is_refused() -> None:
    centre = _centre_text(spo2='{ adult = 92.0, child = 92.0, unit = "mm[Hg]", reference = "centre" }')
    with pytest.raises(RuleFileError, match="mm\\[Hg\\]"):
        load_rule_set(centre)


def _centre_text(spo2: str) -> str:
    return f"""
[rule_set]
name = "C1"
version = "1"

[[rule]]
id = "possible-crs-iec"
version = "2"
title = "Possible CRS"
kind = "possible CRS"
severity = "warning"
applies = {{ day_from = 0, day_to = 14, cell_therapies = ["immune effector cell therapy"] }}
source = {{ origin = "published", reference = "ASTCT (Lee 2019)", verification = "secondary" }}

[rule.parameters]
systolic_below = {{ adult = 90.0, child = 80.0, unit = "mm[Hg]", reference = "centre" }}
spo2_below = {spo2}
"""


def test_an_escalated_severity_below_the_rules_never_lowers_the_alert() -> None:
    text = _centre_text(spo2='{ adult = 92.0, child = 92.0, unit = "%", reference = "centre" }')
    text = text.replace('severity = "warning"', 'severity = "critical"').replace(
        "[rule.parameters]", '[rule.parameters]\nescalated_severity = "warning"'
    )
    rules = load_rule_set(text)
    observations = [_obs(1, at(2, 8), TEMPERATURE, 38.6, "Cel"), _obs(2, at(2, 9), SYSTOLIC, 80.0, "mm[Hg]")]
    (d,) = [d for d in evaluate(rules, _cart(), observations, AS_OF_END).detections if d.rule_id == RULE_ID]
    assert d.severity is Severity.CRITICAL and "At least grade 2" in d.explanation
