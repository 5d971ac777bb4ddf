"""An episode's cell therapy through the API: created and changed (audited like every write, needing the same
permission as the other episode fields), an unknown or cleared value refused naming the field, the value and what
was expected, and a change re-evaluating the episode's monitoring in the server that runs the worker."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.access import Role
from engraft.api.app import create_app
from engraft.monitoring import AlertState, RuleKind, Severity
from engraft.registry.episode_changes import EpisodeChanged
from engraft.registry.models import AuditEntry, MonitoringAlert
from engraft.vocabulary import CellTherapy
from tests.auth_clients import TEST_ACCOUNT_POLICY, signed_in_client

IEC = CellTherapy.IMMUNE_EFFECTOR_CELLS.value
HCT = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT.value
DAY0 = dt.datetime(2024, 5, 1, 7, tzinfo=dt.UTC)
"""The seeded episode's day 0."""


def _patch(client: TestClient, episode: int, **fields: Any) -> Any:
    version = client.get(f"/api/episodes/{episode}").json()["version"]
    return client.patch(f"/api/episodes/{episode}", json={"version": version, **fields})


def test_an_episode_is_created_with_and_changed_to_a_cell_therapy(
    client: TestClient, seeded: dict[str, int], engine: Engine, changes: list[EpisodeChanged]
) -> None:
    created = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "cell_therapy": IEC,
            "day0": "2025-01-02",
        },
    )
    assert created.status_code == 201 and created.json()["cell_therapy"] == IEC
    episode = seeded["episode"]
    changed = _patch(client, episode, cell_therapy=IEC)
    assert changed.status_code == 200, changed.text
    assert changed.json()["cell_therapy"] == IEC and changed.json()["version"] == 2
    assert client.get(f"/api/episodes/{episode}").json()["cell_therapy"] == IEC
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "transplant episode", AuditEntry.entity_id == episode)
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None and entry.action.value == "update"
    assert entry.changes == {"cell_therapy": IEC}
    assert changes == [EpisodeChanged(seeded["patient"], episode, frozenset({"cell_therapy"}))]


def test_only_a_change_of_what_the_rules_read_is_announced(
    client: TestClient, seeded: dict[str, int], changes: list[EpisodeChanged]
) -> None:
    episode = seeded["episode"]
    assert _patch(client, episode, viability_pct=97.0).status_code == 200
    assert _patch(client, episode, cell_therapy=HCT).status_code == 200  # the value it had: nothing changed
    assert changes == []
    assert _patch(client, episode, day0="2024-05-02", cell_therapy=IEC).status_code == 200
    assert [c.fields for c in changes] == [frozenset({"day0", "cell_therapy"})]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("CAR-T", "immune effector cell therapy", id="unknown-value"),
        pytest.param(None, "cannot be cleared", id="cleared"),
    ],
)
def test_a_bad_cell_therapy_is_refused_naming_field_value_and_expectation(
    client: TestClient, seeded: dict[str, int], value: str | None, expected: str
) -> None:
    answer = _patch(client, seeded["episode"], cell_therapy=value)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    (error,) = answer.json()["errors"]
    assert error["field"].endswith("cell_therapy") and error.get("value") == value  # a null value is not echoed
    assert expected in error["expected"]
    assert client.get(f"/api/episodes/{seeded['episode']}").json()["cell_therapy"] == HCT


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(Role.PHYSICIAN, 200, id="physician-writes"),
        pytest.param(Role.DATA_MANAGER, 200, id="data-manager-writes"),
        pytest.param(Role.NURSE, 403, id="nurse-reads-only"),
        pytest.param(Role.RESEARCHER, 403, id="researcher-refused"),
    ],
)
def test_changing_the_cell_therapy_needs_the_episode_write_permission(
    client: TestClient, seeded: dict[str, int], role: Role, status: int
) -> None:
    episode = seeded["episode"]
    version = client.get(f"/api/episodes/{episode}").json()["version"]
    with signed_in_client(client.app, role) as member:  # type: ignore[arg-type]
        for body in ({"cell_therapy": IEC}, {"viability_pct": 96.0}):  # as for the other episode fields
            answer = member.patch(f"/api/episodes/{episode}", json={"version": version, **body})
            assert answer.status_code == status, answer.text
            version += status == 200


def _crs_alerts(engine: Engine, episode: int) -> list[MonitoringAlert]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(MonitoringAlert).where(
                    MonitoringAlert.episode_id == episode, MonitoringAlert.kind == RuleKind.POSSIBLE_CRS
                )
            )
        )


def _wait_for(condition: Any) -> Any:
    """Poll ``condition()`` until it is truthy (the worker evaluates in its own thread), at most 30 s."""
    pause = threading.Event()
    for _ in range(600):
        if found := condition():
            return found
        pause.wait(0.05)
    return condition()


def test_changing_the_cell_therapy_re_evaluates_the_episode_in_a_monitoring_server(
    client: TestClient, seeded: dict[str, int], engine: Engine
) -> None:
    """A transplant episode's fever and low blood pressure raise no CRS alert; recorded as a CAR-T infusion (a data
    entry error corrected), the server's monitoring worker evaluates it again and raises the possible CRS; changed
    back, it is evaluated again and the alert resolved."""
    episode, patient = seeded["episode"], seeded["patient"]
    rows = [
        {
            "patient_id": patient,
            "episode_id": episode,
            "observed_at": (DAY0 + dt.timedelta(days=2, hours=hours)).isoformat(),
            "loinc": loinc,
            "value": value,
            "unit": unit,
            "source_id": f"crs-{loinc}-{hours}",
        }
        for hours, loinc, value, unit in ((0, "8310-5", 39.1, "Cel"), (3, "8480-6", 84.0, "mm[Hg]"))
    ]
    assert client.post("/api/observations/bulk", json=rows).status_code == 200
    assert client.post(f"/api/episodes/{episode}/monitoring/evaluate").status_code == 200
    assert _crs_alerts(engine, episode) == []
    server = create_app(engine, migrate=False, account_policy=TEST_ACCOUNT_POLICY, monitor_results=True)
    with signed_in_client(server, Role.PHYSICIAN, "physician.monitoring") as monitoring:
        assert _patch(monitoring, episode, cell_therapy=IEC).status_code == 200
        (alert,) = _wait_for(lambda: _crs_alerts(engine, episode))
        assert alert.severity is Severity.CRITICAL and "systolic blood pressure 84 mm[Hg]" in alert.explanation
        assert alert.state is AlertState.OPEN
        # and back: a transplant after all, the possible-CRS rule no longer applies and its alert is resolved
        assert _patch(monitoring, episode, cell_therapy=HCT).status_code == 200
        (resolved,) = _wait_for(lambda: [a for a in _crs_alerts(engine, episode) if a.state is AlertState.RESOLVED])
    assert resolved.id == alert.id
