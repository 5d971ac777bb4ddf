"""The demo's CAR-T patients in the registry: loaded beside the transplants (which they leave unchanged), stored
as immune effector cell episodes with their CRS event, evaluated into one possible-CRS alert each, and left out of
the transplant outcome table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from engraft.monitoring import RuleKind, Severity
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import ClinicalEvent, MonitoringAlert, Observation, TransplantEpisode
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.outcome_data import load_outcome_table
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, EventType
from tests.demo_cohort import CAR_T_COURSES, DEMO_SEED, load_demo_cohort

TRANSPLANTS = 3


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo-car-t.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _service(engine: Engine) -> RegistryService:
    return RegistryService(make_session_factory(engine), actor="test")


def test_car_t_patients_are_loaded_evaluated_and_kept_out_of_transplant_outcomes(engine: Engine) -> None:
    service = _service(engine)
    summary = load_demo_cohort(service, transplants=TRANSPLANTS, seed=DEMO_SEED, hla_typings=False, car_t=True)
    courses = len(CAR_T_COURSES)
    assert summary.car_t_episodes == courses and summary.transplants == TRANSPLANTS
    assert summary.patients == TRANSPLANTS + courses
    assert summary.events[EventType.CRS.value] == courses
    with engine.connect() as conn:
        car_t = conn.execute(
            select(TransplantEpisode.id, TransplantEpisode.patient_id).where(
                TransplantEpisode.cell_therapy == CellTherapy.IMMUNE_EFFECTOR_CELLS
            )
        ).all()
        crs_grades = dict(
            conn.execute(
                select(ClinicalEvent.episode_id, ClinicalEvent.details).where(ClinicalEvent.event_type == EventType.CRS)
            ).all()
        )
        assert conn.scalar(select(func.count()).select_from(Observation)) == summary.observations
        oxygen = conn.scalar(select(func.count()).where(Observation.loinc == "3151-8"))
    assert len(car_t) == courses and set(crs_grades) == {e.id for e in car_t}
    assert oxygen == sum(c.oxygen[1] - c.oxygen[0] + 1 for c in CAR_T_COURSES if c.oxygen is not None)
    assert sorted(d["grade"] for d in crs_grades.values()) == sorted(c.grade for c in CAR_T_COURSES)

    as_of = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # after the demo's data cut-off
    for episode_id, _patient in car_t:
        evaluate_episode(service, episode_id, as_of=as_of)
    with engine.connect() as conn:
        alerts = conn.execute(
            select(MonitoringAlert.episode_id, MonitoringAlert.kind, MonitoringAlert.severity, MonitoringAlert.event_id)
        ).all()
    assert sorted(a.episode_id for a in alerts) == sorted(e.id for e in car_t)  # one alert each, nothing else
    assert all(a.kind is RuleKind.POSSIBLE_CRS and a.event_id is None for a in alerts)
    by_grade = {crs_grades[a.episode_id]["grade"]: a.severity for a in alerts}
    assert by_grade[1] is Severity.WARNING and by_grade[3] is Severity.CRITICAL

    table = load_outcome_table(engine)
    assert len(table) == TRANSPLANTS  # CAR-T infusions are no transplants


def test_the_transplants_are_the_same_with_or_without_the_car_t_patients(tmp_path: Path, engine: Engine) -> None:
    without = make_engine(f"sqlite:///{tmp_path / 'without.db'}")
    upgrade(without)
    try:
        plain = load_demo_cohort(_service(without), transplants=TRANSPLANTS, seed=DEMO_SEED, hla_typings=False)
    finally:
        without.dispose()
    with_car_t = load_demo_cohort(
        _service(engine), transplants=TRANSPLANTS, seed=DEMO_SEED, hla_typings=False, car_t=True
    )
    assert with_car_t.episodes == plain.episodes and with_car_t.first_day0 == plain.first_day0
    assert with_car_t.events == plain.events | {EventType.CRS.value: len(CAR_T_COURSES)}
    assert plain.car_t_episodes == 0
