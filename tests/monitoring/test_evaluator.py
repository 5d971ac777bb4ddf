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
    RuleSet,
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


def _bilirubin_set(version: str, mg_dl: float) -> RuleSet:
    return load_rule_set(
        f'[rule_set]\nname = "c"\nversion = "{version}"\n[[rule]]\nid = "bilirubin-2-mg-dl"\nversion = "{version}"\n'
        f'title = "Bilirubin >= {mg_dl}"\nkind = "threshold"\nseverity = "critical"\n'
        f'parameters = {{ loinc = ["1975-2"], comparator = ">=", value = {mg_dl}, unit = "mg/dL" }}\n'
        'source = { origin = "centre", reference = "SOP", verification = "unverified" }\n'
    )


def _bilirubin(id_: int, day: int, mg_dl: float) -> MonitoredObservation:
    return MonitoredObservation(
        id=id_, observed_at=at(day), recorded_at=at(day, 7), loinc=BILIRUBIN_MG, value=mg_dl, unit="mg/dL"
    )


def _bilirubin_alerts(
    history: list[RuleSetInForce], observations: list[MonitoredObservation], as_of: dt.datetime
) -> list[tuple[str, str, tuple[int, ...], bool]]:
    found = evaluate(history, context(), observations, as_of).detections
    return [
        (d.dedup_key.split("/")[1][:15], d.rule_version, d.triggering, d.cleared_at is None)
        for d in found
        if d.rule_id == "bilirubin-2-mg-dl"
    ]


def test_a_condition_begun_before_a_stricter_rule_set_is_its_own_from_the_first_result_arriving_under_it() -> None:
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=_bilirubin_set("c-2", 1.5)),
    ]
    before, after = _bilirubin(1, 5, 1.7), _bilirubin(2, 12, 1.6)
    assert _bilirubin_alerts(history, [before], at(11)) == []  # never judges a result that came before it alone
    assert _bilirubin_alerts(history, [before, after], at(13)) == [("from-2026-03-06", "c-2", (1, 2), True)]


def test_a_tightened_threshold_keeps_open_under_the_same_alert_what_the_old_one_would_clear() -> None:
    """2.1 alerts under 2 mg/dL; the centre tightens to 1.5; 1.8 arrives: the old rule would clear the alert, the
    rule in force when 1.8 arrived keeps it open, under the same alert (no second one)."""
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=_bilirubin_set("c-2", 1.5)),
    ]
    observations = [_bilirubin(1, 5, 2.1), _bilirubin(2, 12, 1.8)]
    assert _bilirubin_alerts(history, observations[:1], at(11)) == [("from-2026-03-06", "1", (1,), True)]
    assert _bilirubin_alerts(history, observations, at(13)) == [("from-2026-03-06", "c-2", (1, 2), True)]


def test_a_run_the_old_threshold_found_later_in_it_is_taken_over_under_its_alert() -> None:
    """1.7 (below 2), 2.1 (alert under 2), then the centre tightens to 1.5 and 1.8 arrives: one alert, the one on
    file (from the 2.1), now the tightened rule's, resting on the whole run."""
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=_bilirubin_set("c-2", 1.5)),
    ]
    observations = [_bilirubin(1, 4, 1.7), _bilirubin(2, 5, 2.1), _bilirubin(3, 12, 1.8)]
    assert _bilirubin_alerts(history, observations[:2], at(11)) == [("from-2026-03-06", "1", (2,), True)]
    assert _bilirubin_alerts(history, observations, at(13)) == [("from-2026-03-06", "c-2", (1, 2, 3), True)]


def test_of_three_rule_sets_a_result_is_judged_by_the_one_in_force_when_it_arrived() -> None:
    """Shipped 2 mg/dL, tightened to 1.5 on day +10, relaxed to 3 on day +11: 1.7 on day +5 then 1.8 arriving on day
    +12 (under the relaxed set) alerts under none: the tightened set never saw a result of this run arrive."""
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=_bilirubin_set("c-2", 1.5)),
        RuleSetInForce(in_force_from=at(11), rule_set=_bilirubin_set("c-3", 3.0)),
    ]
    assert _bilirubin_alerts(history, [_bilirubin(1, 5, 1.7), _bilirubin(2, 12, 1.8)], at(13)) == []


def test_a_relaxed_threshold_s_own_finding_takes_over_the_alert_resting_on_its_result() -> None:
    """2.1 alerts under 2 mg/dL; the centre relaxes to 3; 3.5 arrives: the relaxed rule finds its own run from 3.5,
    which the older run also held: one alert (the one on file), now the relaxed rule's, on the 3.5 alone."""
    history = [
        RuleSetInForce(in_force_from=at(-30), rule_set=RULES),
        RuleSetInForce(in_force_from=at(10), rule_set=_bilirubin_set("c-3", 3.0)),
    ]
    observations = [_bilirubin(1, 5, 2.1), _bilirubin(2, 12, 3.5)]
    assert _bilirubin_alerts(history, observations, at(13)) == [("from-2026-03-06", "c-3", (2,), True)]
