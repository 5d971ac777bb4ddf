"""Alert transitions: new, ongoing (no duplicate), cleared, escalated, late results; and the invariants."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from engraft.monitoring import (
    AlertState,
    MonitoredObservation,
    PriorAlert,
    RuleSetInForce,
    Severity,
    TransitionKind,
    evaluate,
    load_rule_set,
)
from engraft.monitoring.evaluator import NO_LONGER_SUPPORTED
from tests.monitoring.series_builder import ANC, BILIRUBIN_MG, CREATININE_MG, at, context, engrafting_anc, series

RULES = load_rule_set()
KEY = "anc-below-0-5/from-2026-03-04T06:00:00.000000Z"


def _prior(transitions: object) -> list[PriorAlert]:
    """Alerts on file after applying ``transitions`` (what the registry would store)."""
    out = []
    for t in transitions:  # type: ignore[attr-defined]
        if t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED):
            state = AlertState.OPEN if t.kind is TransitionKind.RAISED else AlertState.RESOLVED
            out.append(PriorAlert(dedup_key=t.dedup_key, state=state, severity=t.severity))
    return out


def test_a_new_condition_raises_once_and_then_is_ongoing() -> None:
    observations = series(ANC, "10*9/L", [(3, 0.4)])
    first = evaluate(RULES, context(), observations, at(3, 7))
    (raised,) = [t for t in first.transitions if t.kind is TransitionKind.RAISED]
    assert raised.dedup_key == KEY and raised.at == at(3)
    more = observations + series(ANC, "10*9/L", [(4, 0.2)], first_id=2)
    second = evaluate(RULES, context(), more, at(4, 7), _prior(first.transitions))
    assert [(t.kind, t.dedup_key) for t in second.transitions] == [(TransitionKind.ONGOING, KEY)]


def test_a_recovered_value_clears_the_alert() -> None:
    observations = series(ANC, "10*9/L", [(3, 0.4), (4, 0.6)])
    prior = [PriorAlert(dedup_key=KEY, state=AlertState.ACKNOWLEDGED, severity=Severity.WARNING)]
    (cleared,) = evaluate(RULES, context(), observations, at(4, 7), prior).transitions
    assert (cleared.kind, cleared.at, cleared.reason) == (TransitionKind.CLEARED, at(4), "the condition ended")


def test_a_resolved_alert_is_not_raised_again_for_the_same_condition() -> None:
    observations = series(ANC, "10*9/L", [(3, 0.4), (4, 0.3)])
    prior = [PriorAlert(dedup_key=KEY, state=AlertState.RESOLVED, severity=Severity.WARNING)]
    assert evaluate(RULES, context(), observations, at(4, 7), prior).transitions == ()


def test_replaying_history_stores_past_conditions_as_cleared() -> None:
    observations = series(ANC, "10*9/L", [(3, 0.4), (4, 0.6)])
    (t,) = evaluate(RULES, context(), observations, at(4, 7)).transitions
    assert t.kind is TransitionKind.RAISED_CLEARED and t.at == at(4)


def test_a_late_result_that_removes_the_condition_clears_the_alert() -> None:
    prior = [PriorAlert(dedup_key=KEY, state=AlertState.OPEN, severity=Severity.WARNING)]
    corrected = series(ANC, "10*9/L", [(3, 0.7)])
    (t,) = evaluate(RULES, context(), corrected, at(4), prior).transitions
    assert (t.kind, t.detection, t.reason) == (TransitionKind.CLEARED, None, NO_LONGER_SUPPORTED)


def test_a_late_earlier_result_is_placed_by_its_time() -> None:
    on_time = series(ANC, "10*9/L", [(5, 0.3), (6, 0.2)])
    late = series(ANC, "10*9/L", [(4, 0.9)], first_id=3)  # arrives last, observed first
    result = evaluate(RULES, context(), on_time + late, at(6, 7))
    (d,) = [d for d in result.detections if d.rule_id == "anc-below-0-5"]
    assert d.triggering == (1, 2)


def test_an_open_alert_escalates_after_its_time_and_an_acknowledged_one_does_not() -> None:
    baseline_and_rise = series(CREATININE_MG, "mg/dL", [(-1, 0.8), (5, 2.0)])
    key = "creatinine-doubling/from-2026-03-06T06:00:00.000000Z"
    for state, expected in (
        (AlertState.OPEN, TransitionKind.ESCALATED),
        (AlertState.ACKNOWLEDGED, TransitionKind.ONGOING),
    ):
        prior = [PriorAlert(dedup_key=key, state=state, severity=Severity.WARNING)]
        just_before = evaluate(RULES, context(), baseline_and_rise, at(5) + dt.timedelta(minutes=719), prior)
        assert [t.kind for t in just_before.transitions] == [TransitionKind.ONGOING]
        due = evaluate(RULES, context(), baseline_and_rise, at(5) + dt.timedelta(minutes=720), prior)
        assert [(t.kind) for t in due.transitions] == [expected]
        if expected is TransitionKind.ESCALATED:
            assert due.transitions[0].severity is Severity.CRITICAL


def test_each_result_is_judged_by_the_rule_set_in_force_when_it_arrived() -> None:
    stricter = load_rule_set(
        '[rule_set]\nname = "c"\nversion = "2"\n[[rule]]\nid = "bilirubin-2-mg-dl"\nversion = "c-2"\n'
        'title = "Bilirubin >= 1.5"\nkind = "threshold"\nseverity = "critical"\n'
        'parameters = { loinc = ["1975-2"], comparator = ">=", value = 1.5, unit = "mg/dL" }\n'
        'source = { origin = "centre", reference = "SOP 2", verification = "unverified" }\n'
    )
    switch = at(10)
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=switch, rule_set=stricter),
    ]
    early = MonitoredObservation(
        id=1, observed_at=at(5), recorded_at=at(5, 7), loinc=BILIRUBIN_MG, value=1.7, unit="mg/dL"
    )
    late = MonitoredObservation(
        id=2, observed_at=at(12), recorded_at=at(12, 7), loinc=BILIRUBIN_MG, value=1.0, unit="mg/dL"
    )
    again = MonitoredObservation(
        id=3, observed_at=at(14), recorded_at=at(14, 7), loinc=BILIRUBIN_MG, value=1.6, unit="mg/dL"
    )
    found = evaluate(history, context(), [early, late, again], at(15)).detections
    bilirubin = [d for d in found if d.rule_id == "bilirubin-2-mg-dl"]
    assert [(d.triggering, d.rule_version, d.severity) for d in bilirubin] == [((3,), "c-2", Severity.CRITICAL)]
    assert bilirubin[0].rule_set_hash == stricter.content_hash


def _ward_series(seed: int) -> list[MonitoredObservation]:
    rng = random.Random(seed)
    anc = engrafting_anc(rng.randint(10, 35), first_id=1, last_day=40)
    values = [(d, round(rng.uniform(0.3, 4.0), 2)) for d in range(-3, 40, rng.randint(1, 4))]
    bili = series(BILIRUBIN_MG, "mg/dL", values, first_id=1000)
    fever = [(d, round(rng.uniform(36.5, 39.5), 1)) for d in range(0, 40, rng.randint(1, 3))]
    temperatures = series("8310-5", "Cel", fever, first_id=2000)
    return anc + bili + temperatures


@given(seed=st.integers(0, 10_000), shuffle=st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(seed: int, shuffle: random.Random) -> None:
    observations = _ward_series(seed)
    shuffled = list(observations)
    shuffle.shuffle(shuffled)
    assert evaluate(RULES, context(), shuffled, at(60)) == evaluate(RULES, context(), observations, at(60))


@given(seed=st.integers(0, 10_000), cut=st.integers(0, 60))
def test_replaying_twice_never_raises_an_alert_twice(seed: int, cut: int) -> None:
    observations = _ward_series(seed)
    first = evaluate(RULES, context(), observations, at(cut))
    stored = _prior(first.transitions)
    assert len({p.dedup_key for p in stored}) == len(stored)
    second = evaluate(RULES, context(), observations, at(cut), stored)
    assert not [t for t in second.transitions if t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED)]
    later = evaluate(RULES, context(), observations, at(70), stored)
    raised_again = {t.dedup_key for t in later.transitions if t.kind is TransitionKind.RAISED} & {
        p.dedup_key for p in stored
    }
    assert not raised_again


def test_a_condition_begun_before_a_stricter_rule_set_is_its_own_from_the_first_result_arriving_under_it() -> None:
    stricter = load_rule_set(
        '[rule_set]\nname = "c"\nversion = "2"\n[[rule]]\nid = "bilirubin-2-mg-dl"\nversion = "c-2"\n'
        'title = "Bilirubin >= 1.5"\nkind = "threshold"\nseverity = "critical"\n'
        'parameters = { loinc = ["1975-2"], comparator = ">=", value = 1.5, unit = "mg/dL" }\n'
        'source = { origin = "centre", reference = "SOP 2", verification = "unverified" }\n'
    )
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=stricter),
    ]
    before = MonitoredObservation(
        id=1, observed_at=at(5), recorded_at=at(5, 7), loinc=BILIRUBIN_MG, value=1.7, unit="mg/dL"
    )
    after = MonitoredObservation(
        id=2, observed_at=at(12), recorded_at=at(12, 7), loinc=BILIRUBIN_MG, value=1.6, unit="mg/dL"
    )

    def bilirubin(observations: list[MonitoredObservation], as_of: dt.datetime) -> list[tuple[str, Severity]]:
        found = evaluate(history, context(), observations, as_of).detections
        return [(d.rule_version, d.severity) for d in found if d.rule_id == "bilirubin-2-mg-dl"]

    assert bilirubin([before], at(11)) == []  # the new set alone never judges a result that came before it
    assert bilirubin([before, after], at(13)) == [("c-2", Severity.CRITICAL)]
