"""A patient's birth date corrected through the API re-evaluates every episode of the patient in the server that runs
the monitoring worker: the rules read the age at day 0 (paediatric and adult rules and thresholds), so an alert of a
child-only rule is resolved once the patient turns out to be an adult, and an adult threshold applies."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.access import Role
from engraft.api.app import create_app
from engraft.monitoring import AlertState, Severity
from engraft.registry.models import MonitoringAlert
from engraft.vocabulary import CellTherapy
from tests.auth_clients import TEST_ACCOUNT_POLICY, signed_in_client

DAY0 = dt.datetime(2024, 5, 1, 7, tzinfo=dt.UTC)
CHILD_BIRTH_DATE = "2014-02-10"
"""10 years old at day 0."""
ADULT_BIRTH_DATE = "1984-02-10"
"""The corrected birth date: 40 years old at day 0."""
BILIRUBIN = "1975-2"
CHILD_BILIRUBIN_RULE = "bilirubin-rising-3-days-child"


def _child_episode(client: TestClient, cell_therapy: CellTherapy) -> tuple[int, int]:
    """A centre, a 10-year-old patient and an autologous episode with day 0 on :data:`DAY0`: (patient, episode)."""
    assert client.post("/api/centres", json={"code": "C1", "name": "Centre One", "country": "GB"}).status_code == 201
    patient = client.post(
        "/api/patients", json={"centre": "C1", "sex": "male", "birth_date": CHILD_BIRTH_DATE, "weight_kg": 32}
    )
    assert patient.status_code == 201, patient.text
    episode = client.post(
        "/api/episodes",
        json={
            "patient_id": patient.json()["id"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "cell_therapy": cell_therapy.value,
            "day0": DAY0.date().isoformat(),
        },
    )
    assert episode.status_code == 201, episode.text
    return patient.json()["id"], episode.json()["id"]


def _store_and_evaluate(
    client: TestClient, patient: int, episode: int, results: list[tuple[float, str, float, str]]
) -> None:
    """Store ``(hours from day 0, LOINC, value, unit)`` results for the episode and evaluate it once."""
    rows = [
        {
            "patient_id": patient,
            "episode_id": episode,
            "observed_at": (DAY0 + dt.timedelta(hours=hours)).isoformat(),
            "loinc": loinc,
            "value": value,
            "unit": unit,
            "source_id": f"{loinc}-{hours}",
        }
        for hours, loinc, value, unit in results
    ]
    stored = client.post("/api/observations/bulk", json=rows)
    assert stored.status_code == 200, stored.text
    assert client.post(f"/api/episodes/{episode}/monitoring/evaluate").status_code == 200


def _alerts(engine: Engine, episode: int) -> dict[str, MonitoringAlert]:
    """The episode's alerts by rule id."""
    with Session(engine) as session:
        found = session.scalars(select(MonitoringAlert).where(MonitoringAlert.episode_id == episode))
        return {alert.rule_id: alert for alert in found}


def _wait_for(condition: Callable[[], Any]) -> Any:
    """Poll ``condition()`` until it is truthy (the worker evaluates in its own thread), at most 30 s."""
    pause = threading.Event()
    for _ in range(600):
        if found := condition():
            return found
        pause.wait(0.05)
    return condition()


def _correct_birth_date(server: TestClient, patient: int, birth_date: str) -> None:
    version = server.get(f"/api/patients/{patient}").json()["version"]
    answer = server.patch(f"/api/patients/{patient}", json={"version": version, "birth_date": birth_date})
    assert answer.status_code == 200, answer.text
    assert answer.json()["birth_date"] == birth_date


def test_a_child_only_alert_is_resolved_when_the_birth_date_is_corrected_to_an_adult(
    client: TestClient, engine: Engine
) -> None:
    """A 10-year-old's bilirubin rising on days 10, 11 and 12 above the pre-transplant baseline raises the paediatric
    SOS/VOD signal (EBMT 2018: a child-only rule); the birth date was a data entry error, corrected to an adult's:
    the monitoring server evaluates the episode again, the child rule no longer applies and its alert is resolved,
    and no adult rule is met by these results (no bilirubin doubling, below the adult SOS/VOD bilirubin)."""
    patient, episode = _child_episode(client, CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT)
    bilirubin = [(-48.0, 0.5), (24.0 * 10, 0.6), (24.0 * 11, 0.7), (24.0 * 12, 0.8)]
    _store_and_evaluate(client, patient, episode, [(hours, BILIRUBIN, mg, "mg/dL") for hours, mg in bilirubin])
    before = _alerts(engine, episode)
    child_alert = before[CHILD_BILIRUBIN_RULE]
    assert child_alert.state is AlertState.OPEN
    server = create_app(engine, migrate=False, account_policy=TEST_ACCOUNT_POLICY, monitor_results=True)
    with signed_in_client(server, Role.PHYSICIAN, "physician.monitoring") as monitoring:
        _correct_birth_date(monitoring, patient, ADULT_BIRTH_DATE)
        resolved = _wait_for(lambda: _alerts(engine, episode)[CHILD_BILIRUBIN_RULE].state is AlertState.RESOLVED)
        assert resolved
    after = _alerts(engine, episode)
    assert after[CHILD_BILIRUBIN_RULE].id == child_alert.id
    assert {rule for rule, alert in after.items() if alert.state is not AlertState.RESOLVED} == set()
    assert set(after) == set(before)  # nothing raised by an adult rule


def test_the_adult_blood_pressure_threshold_applies_once_the_birth_date_is_corrected(
    client: TestClient, engine: Engine
) -> None:
    """A 10-year-old's fever after CAR-T is a possible CRS; a systolic pressure of 84 mm[Hg] is above the example
    child threshold (80) and below the adult one (90), so the alert stays at the fever's warning. Corrected to an
    adult, the episode is evaluated again and the same possible CRS is escalated by the adult threshold."""
    patient, episode = _child_episode(client, CellTherapy.IMMUNE_EFFECTOR_CELLS)
    vitals = [(48.0, "8310-5", 39.1, "Cel"), (51.0, "8480-6", 84.0, "mm[Hg]")]
    _store_and_evaluate(client, patient, episode, vitals)
    (crs,) = _alerts(engine, episode).values()
    assert crs.rule_id == "possible-crs-iec" and crs.severity is Severity.WARNING
    assert "84 mm[Hg]" not in crs.explanation
    server = create_app(engine, migrate=False, account_policy=TEST_ACCOUNT_POLICY, monitor_results=True)
    with signed_in_client(server, Role.PHYSICIAN, "physician.monitoring") as monitoring:
        _correct_birth_date(monitoring, patient, ADULT_BIRTH_DATE)
        escalated = _wait_for(lambda: _alerts(engine, episode)["possible-crs-iec"].severity is Severity.CRITICAL)
        assert escalated
    (after,) = _alerts(engine, episode).values()
    assert after.id == crs.id and after.state is AlertState.OPEN
    assert "systolic blood pressure 84 mm[Hg]" in after.explanation
