"""Possible CRS alerts in the registry (migration 0015: the episode's cell therapy and the alert kind), on SQLite
and PostgreSQL: an immune effector cell episode is stored and read back as one, its fever raises one alert, a
later hypotension escalates that alert with the new evidence, and a transplant episode with the same vital signs
gets none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.monitoring import AlertState, RuleKind, Severity
from engraft.registry.alerts import acknowledge_alert
from engraft.registry.models import AuditEntry, MonitoringAlert
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.schemas.alerts import AlertAcknowledge, EpisodeEvaluationOut
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy

CAR_T_DAY0 = dt.datetime(2024, 9, 2, tzinfo=dt.UTC)


def _car_t_episode(client: TestClient, seeded: dict[str, int]) -> dict[str, Any]:
    answer = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "diagnosis_id": seeded["diagnosis"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "cell_therapy": "immune effector cell therapy",
            "day0": CAR_T_DAY0.date().isoformat(),
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _row(patient: int, episode: int, hours: float, loinc: str, value: float, unit: str) -> dict[str, Any]:
    when = (CAR_T_DAY0 + dt.timedelta(hours=hours)).isoformat()
    return {
        "patient_id": patient,
        "episode_id": episode,
        "observed_at": when,
        "loinc": loinc,
        "value": value,
        "unit": unit,
        "source_id": f"crs-{episode}-{loinc}-{hours}",
    }


def _crs_alerts(engine: Engine, episode: int) -> list[MonitoringAlert]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(MonitoringAlert).where(
                    MonitoringAlert.episode_id == episode, MonitoringAlert.kind == RuleKind.POSSIBLE_CRS
                )
            )
        )


def _record(
    client: TestClient, service: RegistryService, episode: int, rows: list[dict[str, Any]], hours: float
) -> EpisodeEvaluationOut:
    """Post ``rows`` as results, then evaluate the episode ``hours`` after the CAR-T day 0."""
    assert client.post("/api/observations/bulk", json=rows).status_code == 200
    return evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(hours=hours))


def test_an_immune_effector_cell_episode_is_stored_as_one(client: TestClient, seeded: dict[str, int]) -> None:
    episode = _car_t_episode(client, seeded)
    assert episode["cell_therapy"] == CellTherapy.IMMUNE_EFFECTOR_CELLS.value
    again = client.get(f"/api/episodes/{episode['id']}").json()
    assert again["cell_therapy"] == "immune effector cell therapy"
    transplant = client.get(f"/api/episodes/{seeded['episode']}").json()
    assert transplant["cell_therapy"] == "haematopoietic cell transplant"  # the default


def test_an_unknown_cell_therapy_is_refused_naming_the_field(client: TestClient, seeded: dict[str, int]) -> None:
    answer = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "cell_therapy": "CAR-T",
            "day0": "2024-09-02",
        },
    )
    assert answer.status_code == 422 and "cell_therapy" in answer.text


def test_fever_then_hypotension_is_one_alert_escalated_with_its_evidence(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    episode = _car_t_episode(client, seeded)["id"]
    patient = seeded["patient"]
    fever = [_row(patient, episode, 2 * 24 + 8, "8310-5", 100.9, "[degF]")]
    assert client.post("/api/observations/bulk", json=fever).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=9))
    (alert,) = _crs_alerts(engine, episode)
    assert alert.severity is Severity.WARNING and alert.state is AlertState.OPEN
    assert alert.explanation.startswith("Possible CRS grade 1 (fever): 100.9 [degF]")
    assert "10.1016/j.bbmt.2018.12.758" in " ".join(alert.details["citations"])

    low = [_row(patient, episode, 2 * 24 + 20, "8480-6", 82.0, "mm[Hg]")]
    assert client.post("/api/observations/bulk", json=low).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=21))
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=22))  # ongoing: nothing new
    (escalated,) = _crs_alerts(engine, episode)
    assert escalated.id == alert.id and escalated.severity is Severity.CRITICAL
    assert "systolic blood pressure 82 mm[Hg]" in escalated.explanation
    assert "check vasopressor and oxygen need" in escalated.explanation
    assert len(escalated.triggering_observation_ids) == 2


def test_an_acknowledged_fever_alert_opens_again_when_hypotension_follows(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    """The nurse acknowledged the grade-1 fever alert; a later low blood pressure is a worse condition nobody has
    seen: the same alert escalates and is open again (the acknowledgement kept in the audit trail)."""
    episode = _car_t_episode(client, seeded)["id"]
    patient = seeded["patient"]
    fever = [_row(patient, episode, 2 * 24 + 8, "8310-5", 38.6, "Cel")]
    assert client.post("/api/observations/bulk", json=fever).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=9))
    (alert,) = _crs_alerts(engine, episode)
    acknowledge_alert(service, alert.id, AlertAcknowledge(version=alert.version))
    (seen,) = _crs_alerts(engine, episode)
    assert seen.state is AlertState.ACKNOWLEDGED
    low = [_row(patient, episode, 2 * 24 + 20, "8480-6", 82.0, "mm[Hg]")]
    assert client.post("/api/observations/bulk", json=low).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=21))
    (reopened,) = _crs_alerts(engine, episode)
    assert reopened.id == alert.id and reopened.severity is Severity.CRITICAL
    assert reopened.state is AlertState.OPEN and reopened.acknowledged_at is None
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == episode).order_by(AuditEntry.id)
        ).all()
    reopenings = [
        change
        for e in entries
        if isinstance(e.changes, dict)
        for change in e.changes.get("changes", [])
        if change.get("alert") == alert.id and "reopened" in change
    ]
    assert len(reopenings) == 1 and reopenings[0]["state"] == "open" and reopenings[0]["acknowledged_at"]
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=22))  # ongoing: nothing new
    (still,) = _crs_alerts(engine, episode)
    assert still.state is AlertState.OPEN and still.severity is Severity.CRITICAL


def test_a_transplant_episode_with_the_same_vital_signs_gets_no_crs_alert(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    episode, patient = seeded["episode"], seeded["patient"]
    day0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    rows = [
        {**_row(patient, episode, 0, "8310-5", 39.2, "Cel"), "observed_at": (day0 + dt.timedelta(days=3)).isoformat()},
        {
            **_row(patient, episode, 1, "8480-6", 80.0, "mm[Hg]"),
            "observed_at": (day0 + dt.timedelta(days=3, hours=1)).isoformat(),
        },
    ]
    assert client.post("/api/observations/bulk", json=rows).status_code == 200
    evaluate_episode(service, episode, as_of=day0 + dt.timedelta(days=4))
    assert _crs_alerts(engine, episode) == []


def test_a_higher_crs_grade_at_the_same_severity_rewrites_the_alert_once(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    """Hypotension makes it at least grade 2 (critical); oxygen at 8 L/min later makes it grade 3, still critical:
    no escalation, but the alert is rewritten to grade 3 with the oxygen as evidence; a further temperature at
    the same grade writes nothing (the explanation is not rewritten at every result)."""
    episode = _car_t_episode(client, seeded)["id"]
    patient = seeded["patient"]
    rows = [
        _row(patient, episode, 2 * 24 + 8, "8310-5", 38.9, "Cel"),
        _row(patient, episode, 2 * 24 + 9, "8480-6", 84.0, "mm[Hg]"),
    ]
    _record(client, service, episode, rows, 2 * 24 + 10)
    (alert,) = _crs_alerts(engine, episode)
    assert alert.severity is Severity.CRITICAL and alert.details["grade"] == 2
    assert "At least grade 2" in alert.explanation

    result = _record(client, service, episode, [_row(patient, episode, 2 * 24 + 11, "3151-8", 8.0, "L/min")], 60)
    assert result.updated == [alert.id] and result.escalated == []
    (regraded,) = _crs_alerts(engine, episode)
    assert regraded.details["grade"] == 3 and "At least grade 3" in regraded.explanation
    assert "inhaled oxygen 8 L/min" in regraded.explanation and regraded.severity is Severity.CRITICAL
    assert len(regraded.triggering_observation_ids) == 3

    same = _record(client, service, episode, [_row(patient, episode, 2 * 24 + 13, "8310-5", 39.4, "Cel")], 62)
    assert same.updated == [] and same.ongoing == 1
    (kept,) = _crs_alerts(engine, episode)
    assert kept.version == regraded.version and kept.explanation == regraded.explanation


def test_an_alert_stored_before_grades_were_is_rewritten_once_and_not_reopened(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    episode = _car_t_episode(client, seeded)["id"]
    _record(client, service, episode, [_row(seeded["patient"], episode, 2 * 24 + 8, "8310-5", 38.6, "Cel")], 57)
    (alert,) = _crs_alerts(engine, episode)
    acknowledge_alert(service, alert.id, AlertAcknowledge(version=alert.version))
    with Session(engine) as session, session.begin():  # as an alert written before details.grade existed
        stored = session.get_one(MonitoringAlert, alert.id)
        stored.details = {k: v for k, v in stored.details.items() if k != "grade"}
    result = evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=10))
    assert result.updated == [alert.id]
    (rewritten,) = _crs_alerts(engine, episode)
    assert rewritten.details["grade"] == 1 and rewritten.state is AlertState.ACKNOWLEDGED
    again = evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=2, hours=11))
    assert again.updated == []
