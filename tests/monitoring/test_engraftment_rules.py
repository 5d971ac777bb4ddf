"""Engraftment through the engine: the CIBMTR days as events, and the centre's "not engrafted by day X"."""

from __future__ import annotations

import pytest

from engraft.monitoring import TransitionKind, evaluate, load_rule_set
from engraft.vocabulary import CellTherapy, EventType, GraftSource
from tests.monitoring.series_builder import ANC, AS_OF_END, DAY0, PLATELETS, at, context, engrafting_anc, series

RULES = load_rule_set()


def test_neutrophil_engraftment_is_an_event_with_its_three_values() -> None:
    observations = engrafting_anc(15)
    (found,) = [d for d in evaluate(RULES, context(), observations, AS_OF_END).detections if d.event is not None]
    assert found.rule_id == "neutrophil-engraftment"
    assert found.event is not None and found.event.event_type is EventType.NEUTROPHIL_ENGRAFTMENT
    assert (found.event.day, found.event.date.isoformat()) == (15, "2026-03-16")
    by_id = {o.id: o for o in observations}
    assert [by_id[i].observed_at for i in found.triggering] == [at(15), at(16), at(17)]
    assert found.detected_at == at(17)
    assert "engraftment on day +15" in found.explanation and found.citations


def test_engraftment_is_not_reported_before_the_third_value() -> None:
    observations = engrafting_anc(15, last_day=16)
    assert not [d for d in evaluate(RULES, context(), observations, at(16, 23)).detections if d.event]


def test_platelet_engraftment_needs_the_transfusion_record() -> None:
    values = [(d, 5.0 if d < 20 else 40.0) for d in range(0, 30)]
    observations = series(PLATELETS, "10*9/L", values)
    unknown = evaluate(RULES, context(transfusions=None), observations, AS_OF_END).detections
    assert "platelet-engraftment" not in {d.rule_id for d in unknown}
    known = evaluate(RULES, context(transfusions=(16,)), observations, AS_OF_END).detections
    (found,) = [d for d in known if d.rule_id == "platelet-engraftment"]
    assert found.event is not None and found.event.day == 23  # transfusion day 16 covers days 16-22


@pytest.mark.parametrize(
    ("engraftment_day", "alerts"),
    [
        pytest.param(27, False, id="engrafted-day-27"),
        pytest.param(28, False, id="engrafted-day-28-at-limit"),
        pytest.param(29, True, id="engrafted-day-29-after-limit"),
    ],
)
def test_no_engraftment_by_day_28(engraftment_day: int, alerts: bool) -> None:
    observations = engrafting_anc(engraftment_day)
    found = [
        d
        for d in evaluate(RULES, context(), observations, AS_OF_END).detections
        if d.rule_id == "no-neutrophil-engraftment-day-28"
    ]
    assert bool(found) is alerts
    if alerts:
        assert found[0].detected_at == at(29, 0) and found[0].cleared_at == at(engraftment_day + 2)


@pytest.mark.parametrize(
    ("as_of", "alerts"),
    [
        pytest.param(at(28, 23), False, id="end-of-day-28-not-yet"),
        pytest.param(at(29, 0), True, id="start-of-day-29"),
    ],
)
def test_no_engraftment_by_day_28_is_raised_when_day_28_is_over(as_of: object, alerts: bool) -> None:
    observations = engrafting_anc(40, last_day=28)
    result = evaluate(RULES, context(), observations, as_of)  # type: ignore[arg-type]
    raised = [t for t in result.transitions if t.dedup_key == "no-neutrophil-engraftment-day-28/day-28"]
    assert bool(raised) is alerts
    if alerts:
        assert raised[0].kind is TransitionKind.RAISED


@pytest.mark.parametrize(
    ("graft", "rule_id"),
    [
        pytest.param(GraftSource.CORD_BLOOD, "no-neutrophil-engraftment-cord-day-42", id="cord-day-42"),
        pytest.param(GraftSource.BONE_MARROW, "no-neutrophil-engraftment-day-28", id="marrow-day-28"),
    ],
)
def test_the_limit_depends_on_the_graft_source(graft: GraftSource, rule_id: str) -> None:
    observations = engrafting_anc(60, last_day=50)
    found = evaluate(RULES, context(graft=graft), observations, at(50)).detections
    assert {d.rule_id for d in found if d.rule_id.startswith("no-")} == {rule_id}


def test_day0_is_the_episode_day0() -> None:
    assert context().day0 == DAY0


def test_no_alert_when_the_count_never_fell_or_was_never_measured() -> None:
    never_fell = series(ANC, "10*9/L", [(d, 2.0) for d in range(0, 35)])
    for observations in (never_fell, []):
        found = evaluate(RULES, context(), observations, AS_OF_END).detections
        assert not [d for d in found if d.rule_id.startswith("no-neutrophil-engraftment")]


@pytest.mark.parametrize(
    ("therapy", "engraftment_rules"),
    [
        pytest.param(
            CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, {"neutrophil-engraftment", "platelet-engraftment"}, id="hct"
        ),
        pytest.param(CellTherapy.IMMUNE_EFFECTOR_CELLS, set(), id="car-t"),
    ],
)
def test_count_recovery_after_immune_effector_cells_is_not_engraftment(
    therapy: CellTherapy, engraftment_rules: set[str]
) -> None:
    """Engraftment (CIBMTR) is a transplant's recovery; counts recovering after CAR-T lymphodepletion are not
    recorded as engraftment events (shipped rules, version 2)."""
    platelets = series(PLATELETS, "10*9/L", [(d, 5.0 if d < 20 else 40.0) for d in range(0, 30)], first_id=1000)
    observations = engrafting_anc(15) + platelets
    episode = context(transfusions=(16,)).model_copy(update={"cell_therapy": therapy})
    detections = evaluate(RULES, episode, observations, AS_OF_END).detections
    assert {d.rule_id for d in detections if d.event is not None} == engraftment_rules
