"""A graft failure criterion the monitoring finds is written to the registry as a derived event, with its
provenance (SQLite and PostgreSQL): the rule, the rule set and the counts it rests on in the audit log. It is a
met criterion to confirm (the alert names what confirms it), so it never stops a later derived engraftment, and
a graft failure a person recorded is linked, not doubled."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.registry.models import AuditEntry, ClinicalEvent, MonitoringAlert
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType

DAY0 = dt.date(2024, 5, 1)
PRIMARY = "primary-graft-failure"


def _anc(service: RegistryService, seeded: dict[str, int], days: range, value: float) -> None:
    rows = [
        ObservationRow(
            seeded["patient"],
            seeded["episode"],
            dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day),
            "751-8",
            value,
            "10*9/L",
            "lab feed",
            f"anc-{day}",
        )
        for day in days
    ]
    assert add_observations(service, rows).inserted == len(rows)


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2024, 5, 1, hour, tzinfo=dt.UTC) + dt.timedelta(days=day)


def _events(engine: Engine, episode: int) -> list[tuple[EventType, dt.date, EventSource, dict[str, object]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ClinicalEvent.event_type, ClinicalEvent.event_date, ClinicalEvent.source, ClinicalEvent.details)
            .where(ClinicalEvent.episode_id == episode)
            .order_by(ClinicalEvent.id)
        ).all()
    return [(t, d, s, dict(details or {})) for t, d, s, details in rows]


def _alert(engine: Engine, rule_id: str) -> MonitoringAlert:
    with engine.connect() as connection:
        return connection.execute(select(MonitoringAlert).where(MonitoringAlert.rule_id == rule_id)).one()


def test_primary_graft_failure_is_written_as_a_derived_event_with_its_provenance(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    _anc(service, seeded, range(31), 0.05)  # peripheral blood: the limit is day +30
    result = evaluate_episode(service, seeded["episode"], as_of=_at(31))
    events = _events(engine, seeded["episode"])
    assert events == [(EventType.GRAFT_FAILURE, DAY0 + dt.timedelta(days=31), EventSource.DERIVED, {"kind": "primary"})]
    alert = _alert(engine, PRIMARY)
    assert alert.event_id is not None and alert.event_id in result.events_written
    assert "To confirm" in alert.explanation  # the event is a met criterion; the alert names what confirms it
    with engine.connect() as connection:
        entry = connection.execute(select(AuditEntry).where(AuditEntry.entity == "monitoring evaluation")).one()
    (written,) = [c for c in entry.changes["changes"] if "clinical_event" in c]
    assert written["derived_by"].startswith(f"{PRIMARY}@") and written["details"] == {"kind": "primary"}
    assert len(written["triggering_observation_ids"]) == 3 and written["source"] == "derived"

    again = evaluate_episode(service, seeded["episode"], as_of=_at(32))
    assert again.events_written == [] and len(_events(engine, seeded["episode"])) == 1


def test_a_late_recovery_after_a_derived_graft_failure_is_still_derived_as_engraftment(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    _anc(service, seeded, range(31), 0.05)
    evaluate_episode(service, seeded["episode"], as_of=_at(31))
    _anc(service, seeded, range(31, 36), 1.2)  # ANC >= 0.5 from day +31: engrafted on day +31, late
    evaluate_episode(service, seeded["episode"], as_of=_at(35))
    kinds = [(t, d, s) for t, d, s, _ in _events(engine, seeded["episode"])]
    assert kinds == [
        (EventType.GRAFT_FAILURE, DAY0 + dt.timedelta(days=31), EventSource.DERIVED),
        (EventType.NEUTROPHIL_ENGRAFTMENT, DAY0 + dt.timedelta(days=31), EventSource.DERIVED),
    ]


def test_a_graft_failure_a_person_recorded_is_linked_and_stops_derived_engraftment(
    service: RegistryService, seeded: dict[str, int], engine: Engine, client: TestClient
) -> None:
    body = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "graft failure",
        "event_date": (DAY0 + dt.timedelta(days=29)).isoformat(),
        "details": {"kind": "secondary"},  # recorded with another kind than the engine's finding
    }
    response = client.post("/api/events", json=body)
    assert response.status_code == 201, response.text
    recorded = int(response.json()["id"])
    _anc(service, seeded, range(31), 0.05)
    result = evaluate_episode(service, seeded["episode"], as_of=_at(31))
    assert result.events_written == [] and _alert(engine, PRIMARY).event_id == recorded
    _anc(service, seeded, range(31, 36), 1.2)  # recovery after a recorded failure: a rescue, not this graft
    evaluate_episode(service, seeded["episode"], as_of=_at(35))
    assert [t for t, *_ in _events(engine, seeded["episode"])] == [EventType.GRAFT_FAILURE]


def _record(client: TestClient, seeded: dict[str, int], event_type: str, day: int, details: dict[str, str]) -> int:
    body = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"] if event_type != "death" else None,
        "event_type": event_type,
        "event_date": (DAY0 + dt.timedelta(days=day)).isoformat(),
        "details": details,
    }
    response = client.post("/api/events", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _derived(engine: Engine, seeded: dict[str, int], day: int, kind: str) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                ClinicalEvent.__table__.insert()
                .values(
                    patient_id=seeded["patient"],
                    episode_id=seeded["episode"],
                    event_type=EventType.GRAFT_FAILURE,
                    event_date=DAY0 + dt.timedelta(days=day),
                    source=EventSource.DERIVED,
                    details={"kind": kind},
                    version=1,
                )
                .returning(ClinicalEvent.id)
            ).scalar_one()
        )


def test_no_graft_failure_event_is_derived_after_a_recorded_death(
    service: RegistryService, seeded: dict[str, int], engine: Engine, client: TestClient
) -> None:
    _anc(service, seeded, range(20), 0.05)
    _record(client, seeded, "death", 20, {"primary_cause": "infection"})
    result = evaluate_episode(service, seeded["episode"], as_of=_at(31))
    assert result.events_written == [] and _alert(engine, PRIMARY).event_id is None
    assert [t for t, *_ in _events(engine, seeded["episode"])] == []


def test_a_death_recorded_before_a_derived_graft_failure_is_accepted(
    service: RegistryService, seeded: dict[str, int], engine: Engine, client: TestClient
) -> None:
    _anc(service, seeded, range(20), 0.05)
    evaluate_episode(service, seeded["episode"], as_of=_at(31))  # derived graft failure dated day +31
    assert [t for t, *_ in _events(engine, seeded["episode"])] == [EventType.GRAFT_FAILURE]
    _record(client, seeded, "death", 20, {"primary_cause": "infection"})  # the monitoring's reading yields


@pytest.mark.parametrize(
    ("on_file", "reused"),
    [
        pytest.param("primary", True, id="derived-primary-reused-by-primary"),
        pytest.param("secondary", False, id="derived-secondary-not-reused-by-primary"),
    ],
)
def test_a_derived_graft_failure_is_reused_for_its_own_kind_only(
    service: RegistryService, seeded: dict[str, int], engine: Engine, on_file: str, reused: bool
) -> None:
    existing = _derived(engine, seeded, 29, on_file)
    _anc(service, seeded, range(31), 0.05)
    result = evaluate_episode(service, seeded["episode"], as_of=_at(31))
    alert = _alert(engine, PRIMARY)
    assert (alert.event_id == existing) is reused
    assert (result.events_written == []) is reused
    assert len(_events(engine, seeded["episode"])) == (1 if reused else 2)
