"""Optimistic locking: a stale edit gets 409, and two truly concurrent edits never both win."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from engraft.registry.errors import VersionConflict
from engraft.registry.schemas.patient import PatientUpdate
from engraft.registry.service import RegistryService


def test_stale_version_gets_409_and_keeps_first_edit(client: TestClient, seeded: dict[str, int]) -> None:
    pid = seeded["patient"]
    alice = client.patch(f"/api/patients/{pid}", json={"version": 1, "weight_kg": 61.0})
    bob = client.patch(f"/api/patients/{pid}", json={"version": 1, "weight_kg": 70.0})
    assert alice.status_code == 200
    assert bob.status_code == 409
    assert bob.json()["current_version"] == 2 and bob.json()["your_version"] == 1
    assert client.get(f"/api/patients/{pid}").json()["weight_kg"] == 61.0


def test_concurrent_updates_one_wins(client: TestClient, seeded: dict[str, int]) -> None:
    service: RegistryService = client.app.state.registry  # type: ignore[attr-defined]
    pid = seeded["patient"]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(weight: float) -> None:
        barrier.wait()
        try:
            service.update_patient(pid, PatientUpdate(version=1, weight_kg=weight))
            result = f"ok {weight}"
        except VersionConflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=edit, args=(70.0 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split()[0] for o in outcomes) == ["conflict", "conflict", "conflict", "ok"], outcomes
    stored = service.get_patient(pid)
    assert stored.version == 2
    assert stored.weight_kg in {70.0, 71.0, 72.0, 73.0}


def test_update_is_audited(client: TestClient, seeded: dict[str, int]) -> None:
    from sqlalchemy import select

    from engraft.registry.models import AuditEntry

    service: RegistryService = client.app.state.registry  # type: ignore[attr-defined]
    service.update_patient(seeded["patient"], PatientUpdate(version=1, weight_kg=58.0))
    with service._sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "patient")).all()
    assert [e.action.value for e in entries] == ["create", "update"]
    assert entries[-1].changes == {"weight_kg": 58.0}
    assert entries[-1].actor == "api"
