"""An engraftment the registry records reaches the monitoring (SQLite and PostgreSQL): the evaluation reads it
(entered or imported; not one the monitoring derived), and recording it re-evaluates the episode in a running
engine, so a "not engrafted by day +28" alert the results raised is resolved."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.monitoring import AlertState
from engraft.registry.episode_changes import (
    EPISODE_CHANGES,
    RECORDED_ENGRAFTMENT,
    EpisodeChanged,
    evaluate_on_change,
)
from engraft.registry.models import ClinicalEvent, MonitoringAlert
from engraft.registry.monitoring_reads import lock_context
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.monitoring_worker import start_monitoring
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType
from tests.monitoring_waits import wait_for_evaluations

DAY0 = dt.date(2024, 5, 1)
NO_ENGRAFTMENT = "no-neutrophil-engraftment-day-28"


def _neutropenic(service: RegistryService, seeded: dict[str, int]) -> None:
    """ANC 0.05 x10^9/L every day from day 0 to day 30: never engrafted in the results."""
    rows = [
        ObservationRow(
            seeded["patient"],
            seeded["episode"],
            dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day),
            "751-8",
            0.05,
            "10*9/L",
            "lab feed",
            f"anc-{day}",
        )
        for day in range(31)
    ]
    assert add_observations(service, rows).inserted == 31


def _event(client: TestClient, seeded: dict[str, int], day: int, event_type: str = "neutrophil engraftment") -> int:
    body = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": event_type,
        "event_date": (DAY0 + dt.timedelta(days=day)).isoformat(),
    }
    response = client.post("/api/events", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _states(engine: Engine, episode: int) -> dict[str, AlertState]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(MonitoringAlert.rule_id, MonitoringAlert.state).where(MonitoringAlert.episode_id == episode)
        ).all()
    return dict(rows)


def test_the_evaluation_reads_the_recorded_days_but_not_derived_ones(
    service: RegistryService, seeded: dict[str, int], client: TestClient, engine: Engine
) -> None:
    episode = seeded["episode"]
    _event(client, seeded, 16, "platelet engraftment")
    with engine.begin() as connection:  # as the monitoring writes its own: derived, never read back as recorded
        connection.execute(
            ClinicalEvent.__table__.insert().values(
                patient_id=seeded["patient"],
                episode_id=episode,
                event_type=EventType.NEUTROPHIL_ENGRAFTMENT,
                event_date=DAY0 + dt.timedelta(days=12),
                source=EventSource.DERIVED,
                details={},
                version=1,
            )
        )
    with service.transaction() as session:
        context = lock_context(session, episode).context
    assert context.recorded_neutrophil_engraftment_day is None
    assert context.recorded_platelet_engraftment_day == 16
    _event(client, seeded, 21)
    _event(client, seeded, 19)
    with service.transaction() as session:
        assert lock_context(session, episode).context.recorded_neutrophil_engraftment_day == 19  # the first


def test_recording_engraftment_resolves_the_alert_through_the_running_engine(
    service: RegistryService, seeded: dict[str, int], client: TestClient, engine: Engine
) -> None:
    episode = seeded["episode"]
    _neutropenic(service, seeded)
    evaluate_episode(service, episode)
    assert _states(engine, episode)[NO_ENGRAFTMENT] is AlertState.OPEN
    heard: list[EpisodeChanged] = []
    stop_hearing = EPISODE_CHANGES.register(heard.append)
    worker, stop = start_monitoring(service, lambda: None)
    disconnect = evaluate_on_change(worker)
    try:
        _event(client, seeded, 20)
        wait_for_evaluations(worker)
    finally:
        disconnect()
        stop()
        stop_hearing()
    assert heard == [EpisodeChanged(seeded["patient"], episode, frozenset({RECORDED_ENGRAFTMENT}))]
    assert _states(engine, episode)[NO_ENGRAFTMENT] is AlertState.RESOLVED


def test_redating_it_after_the_deadline_is_announced_and_judged(
    service: RegistryService, seeded: dict[str, int], client: TestClient, engine: Engine
) -> None:
    episode = seeded["episode"]
    _neutropenic(service, seeded)
    event = _event(client, seeded, 20)
    evaluate_episode(service, episode)
    assert NO_ENGRAFTMENT not in _states(engine, episode)  # engrafted in time by the record
    heard: list[EpisodeChanged] = []
    stop_hearing = EPISODE_CHANGES.register(heard.append)
    try:
        version = client.get(f"/api/events/{event}").json()["version"]
        patch = {"event_date": (DAY0 + dt.timedelta(days=35)).isoformat(), "version": version}
        assert client.patch(f"/api/events/{event}", json=patch).status_code == 200
        assert client.patch(f"/api/events/{event}", json={"details": {}, "version": version + 1}).status_code == 200
    finally:
        stop_hearing()
    assert len(heard) == 1  # the date changed once; the details alone change nothing the rules read
    evaluate_episode(service, episode)
    assert _states(engine, episode)[NO_ENGRAFTMENT] is AlertState.RESOLVED  # raised, and over on day +35
