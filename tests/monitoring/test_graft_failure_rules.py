"""Primary and secondary graft failure through the engine (ASTCT 2021 day limits per graft source)."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.monitoring import AlertState, EpisodeContext, PriorAlert, TransitionKind, evaluate, load_rule_set
from engraft.vocabulary import EventType, GraftSource, TransplantType
from tests.monitoring.series_builder import AS_OF_END, DAY0, PLATELETS, at, context, engrafting_anc, series

RULES = load_rule_set()


def _primary(graft: GraftSource | None, observations: list, as_of: dt.datetime = AS_OF_END) -> list:  # type: ignore[type-arg]
    found = evaluate(RULES, context(graft=graft), observations, as_of).detections
    return [d for d in found if d.rule_id == "primary-graft-failure"]


@pytest.mark.parametrize(
    ("graft", "engraftment_day", "alerts"),
    [
        pytest.param(GraftSource.PERIPHERAL_BLOOD, 29, False, id="pb-recovery-day-29-below-limit"),
        pytest.param(GraftSource.PERIPHERAL_BLOOD, 30, False, id="pb-recovery-day-30-at-limit"),
        pytest.param(GraftSource.PERIPHERAL_BLOOD, 31, True, id="pb-recovery-day-31-above-limit"),
        pytest.param(GraftSource.BONE_MARROW, 30, False, id="bm-recovery-day-30-at-limit"),
        pytest.param(GraftSource.BONE_MARROW, 31, True, id="bm-recovery-day-31-above-limit"),
        pytest.param(GraftSource.CORD_BLOOD, 41, False, id="cord-recovery-day-41-below-limit"),
        pytest.param(GraftSource.CORD_BLOOD, 42, False, id="cord-recovery-day-42-at-limit"),
        pytest.param(GraftSource.CORD_BLOOD, 43, True, id="cord-recovery-day-43-above-limit"),
    ],
)
def test_primary_graft_failure_day_limit_per_graft_source(
    graft: GraftSource, engraftment_day: int, alerts: bool
) -> None:
    found = _primary(graft, engrafting_anc(engraftment_day))
    assert bool(found) is alerts
    if alerts:
        limit = 42 if graft is GraftSource.CORD_BLOOD else 30
        (detection,) = found
        assert detection.dedup_key == f"primary-graft-failure/day-{limit}"
        assert detection.detected_at == at(limit + 1, 0)
        assert detection.cleared_at is None  # a late recovery does not clear the criterion
        assert "pancytopenia" in detection.explanation and "recovery came later" in detection.explanation
        assert detection.citations and detection.event is not None  # a met criterion, written as a derived event
        assert detection.event.event_type is EventType.GRAFT_FAILURE and detection.event.day == limit + 1
        assert dict(detection.event.details) == {"kind": "primary"}


@pytest.mark.parametrize(
    ("as_of", "alerts"),
    [
        pytest.param(at(30, 23), False, id="end-of-day-30-pending"),
        pytest.param(at(31, 0), True, id="start-of-day-31-met"),
    ],
)
def test_primary_graft_failure_is_raised_when_the_limit_day_is_over(as_of: dt.datetime, alerts: bool) -> None:
    observations = engrafting_anc(60, last_day=30)
    result = evaluate(RULES, context(), observations, as_of)
    raised = [t for t in result.transitions if t.dedup_key == "primary-graft-failure/day-30"]
    assert bool(raised) is alerts
    if alerts:
        assert raised[0].kind is TransitionKind.RAISED


def test_a_run_started_by_the_limit_leaves_primary_graft_failure_pending() -> None:
    observations = engrafting_anc(30, last_day=31)  # day 30 and 31 >= 0.5: day 32 may complete the run
    assert not _primary(GraftSource.PERIPHERAL_BLOOD, observations, at(31, 23))


def test_unknown_graft_source_or_no_count_is_not_judged() -> None:
    assert not _primary(None, engrafting_anc(60, last_day=50))
    assert not _primary(GraftSource.PERIPHERAL_BLOOD, [])


def test_evaluating_twice_raises_primary_graft_failure_once() -> None:
    observations = engrafting_anc(60, last_day=50)
    first = evaluate(RULES, context(), observations, at(50))
    prior = [PriorAlert(dedup_key=t.dedup_key, state=AlertState.OPEN, severity=t.severity) for t in first.transitions]
    again = evaluate(RULES, context(), observations, at(50), prior)
    assert not [t for t in again.transitions if t.kind is TransitionKind.RAISED]


def _secondary_context(red_cells: tuple[int, ...], platelets: tuple[int, ...] = (5,)) -> EpisodeContext:
    return EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=45,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        transplant_type=TransplantType.ALLOGENEIC,
        platelet_transfusion_days=platelets,
        red_cell_transfusion_days=red_cells,
    )


def _recovered_then_falling() -> list:  # type: ignore[type-arg]
    anc = engrafting_anc(15, last_day=40)
    platelets = series(
        PLATELETS, "10*9/L", [(d, 5.0 if d < 15 else (40.0 if d < 35 else 10.0)) for d in range(41)], 100
    )
    return [*anc, *platelets]


@pytest.mark.parametrize(
    ("red_cells", "alerts"),
    [
        pytest.param((), False, id="no-support-after-recovery"),
        pytest.param((10,), False, id="red-cells-before-recovery"),
        pytest.param((36,), True, id="red-cells-after-recovery"),
    ],
)
def test_secondary_graft_failure_is_support_after_both_recoveries(red_cells: tuple[int, ...], alerts: bool) -> None:
    found = evaluate(RULES, _secondary_context(red_cells), _recovered_then_falling(), AS_OF_END).detections
    secondary = [d for d in found if d.rule_id == "secondary-graft-failure"]
    assert bool(secondary) is alerts
    if alerts:
        (detection,) = secondary
        assert detection.dedup_key == "secondary-graft-failure/support-day-36"
        assert "red cell transfusion on day +36" in detection.explanation
        assert "Growth-factor support is not fed" in detection.explanation
        assert detection.triggering  # the fall of the platelets after recovery is its evidence
        assert detection.event is not None and (detection.event.event_type, detection.event.day) == (
            EventType.GRAFT_FAILURE,
            36,
        )
        assert dict(detection.event.details) == {"kind": "secondary"}


def test_secondary_graft_failure_needs_the_platelet_transfusion_record() -> None:
    ctx = _secondary_context((36,)).model_copy(update={"platelet_transfusion_days": None})
    found = evaluate(RULES, ctx, _recovered_then_falling(), AS_OF_END).detections
    assert not [d for d in found if d.rule_id == "secondary-graft-failure"]
