"""ICANS alerts in the registry (migration 0016: the alert kind), on SQLite and PostgreSQL: ICE scores and
neurological findings posted as observations (local ENGRAFT- codes, ``{score}``) raise one ICANS alert for an
immune effector cell episode, a worse grade escalates it with the new evidence, and a transplant episode with the
same findings gets none."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.monitoring import AlertState, RuleKind, Severity
from engraft.registry.models import AuditEntry, MonitoringAlert
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.service import RegistryService
from tests.registry.test_monitoring_crs import CAR_T_DAY0, _car_t_episode, _record, _row


def _icans_alerts(engine: Engine, episode: int) -> list[MonitoringAlert]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(MonitoringAlert).where(
                    MonitoringAlert.episode_id == episode, MonitoringAlert.kind == RuleKind.ICANS_GRADE
                )
            )
        )


def test_an_ice_score_raises_one_icans_alert_escalated_by_a_seizure(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    episode = _car_t_episode(client, seeded)["id"]
    patient = seeded["patient"]
    ice = [_row(patient, episode, 4 * 24 + 8, "ENGRAFT-ICE", 5, "{score}")]
    assert client.post("/api/observations/bulk", json=ice).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=4, hours=9))
    (alert,) = _icans_alerts(engine, episode)
    assert alert.severity is Severity.WARNING and alert.state is AlertState.OPEN
    assert alert.explanation.startswith("ICANS grade 2 from 2024-09-06 08:00 UTC, day +4")
    assert "ICE score 5/10" in alert.explanation and "the grade is a lower bound" in alert.explanation
    assert "10.1016/j.bbmt.2018.12.758" in " ".join(alert.details["citations"])

    seizure = [_row(patient, episode, 4 * 24 + 12, "ENGRAFT-SEIZURE", 1, "1")]
    assert client.post("/api/observations/bulk", json=seizure).status_code == 200
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=4, hours=13))
    evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=4, hours=14))  # ongoing: nothing new
    (escalated,) = _icans_alerts(engine, episode)
    assert escalated.id == alert.id and escalated.severity is Severity.CRITICAL
    assert escalated.explanation.startswith("ICANS grade 3") and "seizure resolving rapidly" in escalated.explanation
    assert len(escalated.triggering_observation_ids) == 2


def test_an_ice_score_in_a_unit_other_than_score_is_refused(client: TestClient, seeded: dict[str, int]) -> None:
    episode = _car_t_episode(client, seeded)["id"]
    wrong = [_row(seeded["patient"], episode, 30, "ENGRAFT-ICE", 5, "%")]
    answer = client.post("/api/observations/bulk", json=wrong)
    assert answer.status_code == 422 and "{score}" in answer.text


def test_a_transplant_episode_with_the_same_findings_gets_no_icans_alert(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    episode, patient = seeded["episode"], seeded["patient"]
    day0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    rows = [
        {
            **_row(patient, episode, 0, "ENGRAFT-ICE", 1, "{score}"),
            "observed_at": (day0 + dt.timedelta(days=3)).isoformat(),
        },
        {
            **_row(patient, episode, 1, "ENGRAFT-SEIZURE", 2, "1"),
            "observed_at": (day0 + dt.timedelta(days=3, hours=1)).isoformat(),
        },
    ]
    assert client.post("/api/observations/bulk", json=rows).status_code == 200
    evaluate_episode(service, episode, as_of=day0 + dt.timedelta(days=4))
    assert _icans_alerts(engine, episode) == []


def test_a_worse_grade_at_the_same_severity_rewrites_the_explanation_and_reopens_the_alert(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    """Grades 3 and 4 are both critical: no escalation, but the alert must not keep saying grade 3, and the nurse
    who acknowledged grade 3 has not seen grade 4."""
    episode = _car_t_episode(client, seeded)["id"]
    patient = seeded["patient"]
    _record(client, service, episode, [_row(patient, episode, 4 * 24 + 8, "ENGRAFT-SEIZURE", 1, "1")], 4 * 24 + 9)
    (alert,) = _icans_alerts(engine, episode)
    assert alert.severity is Severity.CRITICAL and alert.explanation.startswith("ICANS grade 3")
    assert alert.details["grade"] == 3
    acknowledged = client.post(f"/api/alerts/{alert.id}/acknowledge", json={"version": alert.version})
    assert acknowledged.status_code == 200

    weakness = [_row(patient, episode, 4 * 24 + 10, "ENGRAFT-MOTORWK", 1, "1")]
    result = _record(client, service, episode, weakness, 4 * 24 + 11)
    assert result.updated == [alert.id] and result.escalated == [] and result.raised == []
    (updated,) = _icans_alerts(engine, episode)
    assert updated.explanation.startswith("ICANS grade 4") and "motor weakness" in updated.explanation
    assert updated.severity is Severity.CRITICAL and updated.state is AlertState.OPEN
    assert updated.details["grade"] == 4 and updated.acknowledged_by is None
    assert updated.version == acknowledged.json()["version"] + 1
    assert len(updated.triggering_observation_ids) == 2
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "monitoring evaluation").order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None
    (change,) = entry.changes["changes"]
    assert change["change"] == "updated" and change["alert"] == alert.id and change["grade"] == 4
    assert change["explanation"] == updated.explanation and change["state"] == "open"
    assert change["reopened"] == "a higher grade was found after the acknowledgement"

    again = evaluate_episode(service, episode, as_of=CAR_T_DAY0 + dt.timedelta(days=4, hours=12))
    assert again.updated == [] and again.ongoing == 1  # the same finding: nothing written
