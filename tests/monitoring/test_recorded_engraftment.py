"""The rules that wait for engraftment by a deadline read the engraftment the registry records (entered by a person
or imported), not only the results: a patient whose counts were measured elsewhere, or whose last results never
reached the feed, is not alerted as "not engrafted" when the record says engrafted in time."""

from __future__ import annotations

import pytest

from engraft.grading import Lineage
from engraft.monitoring import Detection, EpisodeContext, evaluate, load_rule_set
from engraft.vocabulary import GraftSource
from tests.monitoring.series_builder import AS_OF_END, at, context, engrafting_anc

RULES = load_rule_set()
NO_ENGRAFTMENT = "no-neutrophil-engraftment-day-28"
PRIMARY = "primary-graft-failure"


def _recorded(neutrophil: int | None = None, platelet: int | None = None) -> EpisodeContext:
    return context().model_copy(
        update={"recorded_neutrophil_engraftment_day": neutrophil, "recorded_platelet_engraftment_day": platelet}
    )


def _found(ctx: EpisodeContext, rule_id: str, last_day: int = 40) -> list[Detection]:
    observations = engrafting_anc(60, last_day=last_day)  # ANC below 0.5 from day 0 to the last result
    return [d for d in evaluate(RULES, ctx, observations, AS_OF_END).detections if d.rule_id == rule_id]


@pytest.mark.parametrize(
    ("recorded_day", "alerts"),
    [
        pytest.param(None, True, id="nothing-recorded-alerts"),
        pytest.param(20, False, id="recorded-day-20-in-time"),
        pytest.param(28, False, id="recorded-day-28-at-the-deadline"),
        pytest.param(29, True, id="recorded-day-29-after-the-deadline"),
    ],
)
def test_no_engraftment_by_day_28_reads_the_recorded_day(recorded_day: int | None, alerts: bool) -> None:
    found = _found(_recorded(neutrophil=recorded_day), NO_ENGRAFTMENT)
    assert bool(found) is alerts
    if recorded_day is None and alerts:
        assert found[0].cleared_at is None  # the results never show engraftment: still open
    if recorded_day == 29:
        (detection,) = found
        assert detection.detected_at == at(29, 0)
        assert detection.cleared_at == at(29, 0)  # over on the recorded day
        assert "Engrafted later, on day +29" in detection.explanation


def test_the_earlier_of_the_results_and_the_record_ends_the_alert() -> None:
    observations = engrafting_anc(31)  # the results show engraftment on day 31 (the third value on day 33)
    shown = evaluate(RULES, _recorded(neutrophil=35), observations, AS_OF_END).detections
    (by_results,) = [d for d in shown if d.rule_id == NO_ENGRAFTMENT]
    assert by_results.cleared_at == at(33) and "on day +31" in by_results.explanation
    earlier = evaluate(RULES, _recorded(neutrophil=30), observations, AS_OF_END).detections
    (by_record,) = [d for d in earlier if d.rule_id == NO_ENGRAFTMENT]
    assert by_record.cleared_at == at(30, 0) and "on day +30" in by_record.explanation


def test_a_recorded_platelet_engraftment_does_not_answer_for_neutrophils() -> None:
    assert _found(_recorded(platelet=15), NO_ENGRAFTMENT)
    assert _recorded(platelet=15).recorded_engraftment_day(Lineage.PLATELET) == 15
    assert _recorded(platelet=15).recorded_engraftment_day(Lineage.NEUTROPHIL) is None


@pytest.mark.parametrize(
    ("recorded_day", "alerts"),
    [
        pytest.param(None, True, id="nothing-recorded-criterion-met"),
        pytest.param(30, False, id="recorded-day-30-at-the-blood-limit"),
        pytest.param(31, True, id="recorded-day-31-after-the-limit"),
    ],
)
def test_primary_graft_failure_reads_the_recorded_day(recorded_day: int | None, alerts: bool) -> None:
    ctx = _recorded(neutrophil=recorded_day).model_copy(update={"graft_source": GraftSource.PERIPHERAL_BLOOD})
    assert bool(_found(ctx, PRIMARY, last_day=50)) is alerts


@pytest.mark.parametrize(
    ("as_of_day", "hour", "suppressed"),
    [
        pytest.param(29, 23, False, id="recorded-day-30-not-begun-at-day-29-23h"),
        pytest.param(30, 0, True, id="recorded-day-30-begun"),
    ],
)
def test_a_recorded_day_not_begun_at_the_evaluation_is_not_known_yet(
    as_of_day: int, hour: int, suppressed: bool
) -> None:
    """A replay as of an earlier moment, or a date entered ahead of UTC: the record counts from its day's start."""
    observations = engrafting_anc(60, last_day=28)
    ctx = _recorded(neutrophil=30)
    found = [
        d for d in evaluate(RULES, ctx, observations, at(as_of_day, hour)).detections if d.rule_id == NO_ENGRAFTMENT
    ]
    (detection,) = found
    if suppressed:
        assert detection.cleared_at == at(30, 0)  # over on the recorded day, which has begun
    else:
        assert detection.cleared_at is None  # still open: the recorded day lies ahead
