"""ICANS after immune effector cells (CAR-T) through the engine: the ASTCT (Lee 2019) reference cases and every ICE
threshold, the other domains, the lower bound where a domain is not recorded, children under 12 not graded,
transplant episodes never alerted, and the time series (one alert per ICANS episode, escalated on a worse grade,
kept on recovery, the same whatever the arrival order)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.grading import ASTCT_ICANS_RULE, grade_icans
from engraft.measurements import lookup_observation_kind
from engraft.measurements.observation_catalogue import LOCAL_CODE_PREFIX
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
from engraft.monitoring.icans_kinds import (
    CN_VI_PALSY,
    CONSCIOUSNESS,
    CUSHINGS_TRIAD,
    ICANS_CODES,
    ICE,
    MOTOR,
    OEDEMA,
    PAPILLOEDEMA,
    POSTURING,
    SEIZURE,
    findings_of,
    reading,
)
from engraft.provenance import VerificationLevel
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType
from tests.monitoring.series_builder import AS_OF_END, DAY0, at

RULES = load_rule_set()
RULE_ID = "icans-iec"


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


def _obs(n: int, when: dt.datetime, code: str, value: float) -> MonitoredObservation:
    unit = "{score}" if code == ICE else "1"
    return MonitoredObservation(id=n, observed_at=when, loinc=code, value=value, unit=unit)


def _icans(
    observations: list[MonitoredObservation],
    context: EpisodeContext | None = None,
    as_of: dt.datetime = AS_OF_END,
) -> list[Detection]:
    found = evaluate(RULES, context or _cart(), observations, as_of).detections
    return [d for d in found if d.rule_id == RULE_ID]


def _grade(detection: Detection) -> int:
    assert detection.explanation.startswith("ICANS grade ")
    return int(detection.explanation.removeprefix("ICANS grade ")[0])


def test_the_shipped_rule_cites_astct_and_applies_to_immune_effector_cells_only() -> None:
    rule = RULES.rule(RULE_ID)
    assert rule.kind is RuleKind.ICANS_GRADE
    assert rule.source.verification is ASTCT_ICANS_RULE.verification is VerificationLevel.SECONDARY
    (citation,) = rule.source.citations
    assert citation.doi == "10.1016/j.bbmt.2018.12.758"
    assert rule.applies.cell_therapies == (CellTherapy.IMMUNE_EFFECTOR_CELLS,)
    assert RULES.version == "2026.12.4"


def test_every_icans_code_is_local_and_says_so() -> None:
    for code in ICANS_CODES:
        kind = lookup_observation_kind(code)
        assert code.startswith(LOCAL_CODE_PREFIX) and "[local Engraft code, not LOINC]" in kind.name
    ice = lookup_observation_kind(ICE)
    assert (ice.canonical_unit.value, ice.minimum, ice.maximum) == ("{score}", 0, 10)


# Lee 2019 (ASTCT) ICANS table, adults and children >= 12 years (clinical-scores.md section 8.3).
@pytest.mark.parametrize(
    ("findings", "grade"),
    [
        pytest.param([(ICE, 10)], None, id="ICE-10-no-ICANS"),
        pytest.param([(ICE, 9)], 1, id="ICE-9-grade-1"),
        pytest.param([(ICE, 7)], 1, id="ICE-7-grade-1"),
        pytest.param([(ICE, 6)], 2, id="ICE-6-grade-2"),
        pytest.param([(ICE, 3)], 2, id="ICE-3-grade-2"),
        pytest.param([(ICE, 2)], 3, id="ICE-2-grade-3"),
        pytest.param([(ICE, 0)], 3, id="ICE-0-awake-grade-3"),
        pytest.param([(ICE, 0), (CONSCIOUSNESS, 4)], 4, id="ICE-0-unarousable-grade-4"),
        pytest.param([(CONSCIOUSNESS, 1)], 1, id="awakens-spontaneously-grade-1"),
        pytest.param([(CONSCIOUSNESS, 2)], 2, id="awakens-to-voice-grade-2"),
        pytest.param([(CONSCIOUSNESS, 3)], 3, id="tactile-stimulus-grade-3"),
        pytest.param([(CONSCIOUSNESS, 4)], 4, id="unarousable-grade-4"),
        pytest.param([(ICE, 3), (SEIZURE, 1)], 3, id="ICE-3-plus-seizure-grade-3"),
        pytest.param([(SEIZURE, 2)], 4, id="prolonged-seizure-grade-4"),
        pytest.param([(ICE, 8), (MOTOR, 1)], 4, id="deep-focal-motor-weakness-grade-4"),
        pytest.param([(OEDEMA, 1)], 3, id="focal-oedema-grade-3"),
        pytest.param([(OEDEMA, 2)], 4, id="diffuse-oedema-grade-4"),
        pytest.param([(POSTURING, 1)], 4, id="posturing-grade-4"),
        pytest.param([(CN_VI_PALSY, 1)], 4, id="cranial-nerve-VI-palsy-grade-4"),
        pytest.param([(PAPILLOEDEMA, 1)], 4, id="papilloedema-grade-4"),
        pytest.param([(CUSHINGS_TRIAD, 1)], 4, id="cushings-triad-grade-4"),
        pytest.param([(ICE, 10), (SEIZURE, 0), (MOTOR, 0), (OEDEMA, 0), (CONSCIOUSNESS, 0)], None, id="all-normal"),
    ],
)
def test_the_astct_reference_cases(findings: list[tuple[str, float]], grade: int | None) -> None:
    observations = [_obs(n, at(3, 8 + n), code, value) for n, (code, value) in enumerate(findings, start=1)]
    found = _icans(observations)
    if grade is None:
        assert found == []
        return
    (d,) = found
    assert _grade(d) == grade
    assert d.severity is (Severity.INFO, Severity.WARNING, Severity.CRITICAL, Severity.CRITICAL)[grade - 1]
    assert "ASTCT consensus (Lee 2019)" in d.explanation and d.citations and d.kind is RuleKind.ICANS_GRADE


@pytest.mark.parametrize(
    ("ice", "grade"),
    [pytest.param(score, grade, id=f"ICE-{score}-grade-{grade}") for score, grade in [
        (10, 0), (9, 1), (8, 1), (7, 1), (6, 2), (5, 2), (4, 2), (3, 2), (2, 3), (1, 3), (0, 3)
    ]],
)  # fmt: skip
def test_every_ice_threshold(ice: int, grade: int) -> None:
    found = _icans([_obs(1, at(2, 8), ICE, ice)])
    assert [_grade(d) for d in found] == ([grade] if grade else [])


@pytest.mark.parametrize(
    ("ice", "grade"),
    [
        pytest.param(6.5, 2, id="ICE-6.5-counts-as-6"),
        pytest.param(9.9, 1, id="ICE-9.9-counts-as-9"),
        pytest.param(2.5, 3, id="ICE-2.5-counts-as-2"),
    ],
)
def test_a_value_between_two_levels_counts_as_the_worse(ice: float, grade: int) -> None:
    (d,) = _icans([_obs(1, at(2, 8), ICE, ice)])
    assert _grade(d) == grade


def test_a_missing_domain_makes_the_grade_a_lower_bound_and_is_named() -> None:
    (d,) = _icans([_obs(1, at(2, 8), ICE, 5)])
    assert "Not recorded: level of consciousness, seizure, motor findings, raised intracranial pressure or " in (
        d.explanation
    )
    assert "the grade is a lower bound" in d.explanation and "ICE score 5/10 at 2026-03-03 08:00 UTC (grade 2)" in (
        d.explanation
    )
    every = [_obs(1, at(2, 8), ICE, 5), _obs(2, at(2, 8), CONSCIOUSNESS, 0), _obs(3, at(2, 8), SEIZURE, 0)]
    every += [_obs(4, at(2, 8), MOTOR, 0), _obs(5, at(2, 8), OEDEMA, 0)]
    (complete,) = _icans(every)
    assert "Every ICANS domain was recorded." in complete.explanation and "lower bound" not in complete.explanation
    assert _grade(complete) == 2 and complete.triggering == (1,)


def test_the_observations_used_are_the_onset_and_the_worst_of_each_finding() -> None:
    observations = [
        _obs(1, at(2, 8), ICE, 8),
        _obs(2, at(2, 12), ICE, 4),
        _obs(3, at(2, 13), SEIZURE, 1),
        _obs(4, at(2, 16), ICE, 6),
    ]
    (d,) = _icans(observations)
    assert d.triggering == (1, 2, 3) and _grade(d) == 3
    assert "seizure resolving rapidly (or EEG seizures resolving with intervention) at 2026-03-03 13:00 UTC" in (
        d.explanation
    )


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
    assert bool(_icans([_obs(1, at(day, 8), ICE, 2)])) is alerts


@pytest.mark.parametrize(
    "age", [pytest.param(45, id="adult"), pytest.param(None, id="age-unknown"), pytest.param(8, id="child")]
)
def test_a_transplant_episode_never_gets_an_icans_alert(age: int | None) -> None:
    observations = [_obs(1, at(2, 8), ICE, 0), _obs(2, at(2, 9), SEIZURE, 2), _obs(3, at(2, 10), OEDEMA, 2)]
    hct = _cart(age=age, therapy=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT)
    assert _icans(observations, hct) == []
    assert not [d for d in evaluate(RULES, hct, observations, AS_OF_END).detections if d.kind is RuleKind.ICANS_GRADE]


@pytest.mark.parametrize(
    ("age", "graded"),
    [
        pytest.param(11, False, id="11-years-not-graded-CAPD-unverified"),
        pytest.param(3, False, id="3-years-not-graded"),
        pytest.param(12, True, id="12-years-ICE-applies"),
        pytest.param(17, True, id="17-years-ICE-applies"),
    ],
)
def test_children_under_12_are_not_graded_from_the_ice(age: int, graded: bool) -> None:
    (d,) = _icans([_obs(1, at(2, 8), ICE, 1), _obs(2, at(2, 9), SEIZURE, 1)], _cart(age=age))
    if graded:
        assert _grade(d) == 3 and d.severity is Severity.CRITICAL
    else:
        assert not d.explanation.startswith("ICANS grade") and "Not graded: the ICE applies from 12 years" in (
            d.explanation
        )
        assert "the paediatric CAPD table is unverified" in d.explanation and f"a child of {age} years" in d.explanation
        assert d.severity is Severity.WARNING and d.triggering == (1, 2)


def test_an_unknown_age_is_graded_by_the_ice_and_says_so() -> None:
    (d,) = _icans([_obs(1, at(2, 8), ICE, 6)], _cart(age=None))
    assert _grade(d) == 2 and "Age at day 0 unknown: graded by the ICE, which applies from 12 years" in d.explanation


def test_a_worse_grade_escalates_the_one_open_alert() -> None:
    mild = [_obs(1, at(2, 8), ICE, 8)]
    first = evaluate(RULES, _cart(), mild, at(2, 9))
    (raised,) = [t for t in first.transitions if t.dedup_key.startswith(RULE_ID)]
    assert raised.kind is TransitionKind.RAISED and raised.severity is Severity.INFO
    info = PriorAlert(dedup_key=raised.dedup_key, state=AlertState.OPEN, severity=Severity.INFO)
    worse = [*mild, _obs(2, at(2, 14), ICE, 5)]
    (escalated,) = [t for t in evaluate(RULES, _cart(), worse, at(2, 15), [info]).transitions]
    assert escalated.kind is TransitionKind.ESCALATED and escalated.severity is Severity.WARNING
    assert escalated.detection is not None and escalated.detection.explanation.startswith("ICANS grade 2")
    warning = PriorAlert(dedup_key=raised.dedup_key, state=AlertState.ACKNOWLEDGED, severity=Severity.WARNING)
    worst = [*worse, _obs(3, at(2, 20), CONSCIOUSNESS, 3)]
    (again,) = [t for t in evaluate(RULES, _cart(), worst, at(2, 21), [warning]).transitions]
    assert again.kind is TransitionKind.ESCALATED and again.severity is Severity.CRITICAL
    assert again.detection is not None and again.detection.triggering == (1, 2, 3)


def test_recovery_keeps_the_alert_and_a_late_relapse_is_a_new_one() -> None:
    observations = [
        _obs(1, at(2, 8), ICE, 4),
        _obs(2, at(3, 8), ICE, 10),  # recovered on treatment: the ICANS episode is not over for the engine
        _obs(3, at(5, 8), ICE, 8),  # 72 h after the last finding: the same ICANS episode
        _obs(4, at(8, 9), ICE, 6),  # 73 h after it: a new one
    ]
    found = _icans(observations)
    assert [d.triggering for d in found] == [(1,), (4,)]
    assert all(d.cleared_at is None for d in found)
    assert [_grade(d) for d in found] == [2, 2]
    prior = [PriorAlert(dedup_key=found[0].dedup_key, state=AlertState.OPEN, severity=Severity.WARNING)]
    transitions = evaluate(RULES, _cart(), observations[:2], at(3, 9), prior).transitions
    assert [t.kind for t in transitions] == [TransitionKind.ONGOING]


def test_a_normal_assessment_after_the_episode_counts_as_recorded() -> None:
    observations = [_obs(1, at(2, 8), ICE, 6), _obs(2, at(2, 20), SEIZURE, 0)]
    (d,) = _icans(observations)
    assert "Not recorded: level of consciousness, motor findings" in d.explanation


def test_out_of_order_and_repeated_arrival_give_the_same_alert() -> None:
    observations = [
        _obs(1, at(2, 8), ICE, 7),
        _obs(2, at(2, 10), ICE, 2),
        _obs(3, at(2, 11), SEIZURE, 1),
        _obs(4, at(2, 12), ICE, 9),
    ]
    expected = _icans(observations)
    assert _icans(list(reversed(observations))) == expected
    assert _icans([*observations, *observations[:2]]) == expected
    assert [d.triggering for d in expected] == [(1, 2, 3)]
    late = _icans([observations[3], observations[0]])  # before the worse results arrived: grade 1
    assert [_grade(d) for d in late] == [1] and late[0].dedup_key == expected[0].dedup_key


def test_a_severity_table_that_gets_quieter_is_refused() -> None:
    centre = """
[rule_set]
name = "C1"
version = "1"

[[rule]]
id = "icans-iec"
version = "2"
title = "ICANS"
kind = "ICANS grade"
severity = "info"
applies = { day_from = 0, day_to = 30, cell_therapies = ["immune effector cell therapy"] }
source = { origin = "published", reference = "ASTCT (Lee 2019)", verification = "secondary" }

[rule.parameters]
severity_by_grade = ["warning", "critical", "warning", "critical"]
"""
    with pytest.raises(RuleFileError, match="never lower than the grade below"):
        load_rule_set(centre)


def test_the_engine_grade_is_the_grading_modules() -> None:
    readings = [reading(ICE, 4), reading(SEIZURE, 1), reading(OEDEMA, 2)]
    assert grade_icans(findings_of(readings, 30)).value == 4
    (d,) = _icans([_obs(1, at(2, 8), ICE, 4), _obs(2, at(2, 9), SEIZURE, 1), _obs(3, at(2, 10), OEDEMA, 2)])
    assert _grade(d) == 4


_LEVELS = st.tuples(
    st.integers(0, 4), st.integers(0, 2), st.integers(0, 1), st.integers(0, 2), st.integers(0, 1)
)  # consciousness, seizure, motor, oedema, posturing


@settings(max_examples=60, deadline=None)
@given(ice=st.integers(0, 9), others=_LEVELS)
def test_a_lower_ice_never_lowers_the_grade(ice: int, others: tuple[int, int, int, int, int]) -> None:
    codes = (CONSCIOUSNESS, SEIZURE, MOTOR, OEDEMA, POSTURING)
    rest = [_obs(10 + n, at(2, 9), code, value) for n, (code, value) in enumerate(zip(codes, others, strict=True))]
    higher = _icans([_obs(1, at(2, 8), ICE, ice + 1), *rest])
    lower = _icans([_obs(1, at(2, 8), ICE, ice), *rest])
    assert lower, "an ICE below 10 is always ICANS"
    assert _grade(lower[0]) >= (_grade(higher[0]) if higher else 0)
    assert lower[0].severity.rank >= (higher[0].severity.rank if higher else 0)
