"""Episodes evaluated as their results are committed (the result hooks), and the platelet transfusions a feed
stored making platelet engraftment assertable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.registry.models import MonitoringAlert, Transfusion
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.monitoring_worker import start_monitoring
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol, TransfusionProduct
from tests.monitoring_waits import wait_for_evaluations

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)


def _rows(seeded: dict[str, int], loinc: str, values: list[tuple[int, float]]) -> list[dict[str, Any]]:
    return [
        {
            "patient_id": seeded["patient"],
            "episode_id": seeded["episode"],
            "observed_at": (DAY0 + dt.timedelta(days=day)).isoformat(),
            "loinc": loinc,
            "value": value,
            "unit": "10*9/L",
            "source_id": f"{loinc}-{day}",
        }
        for day, value in values
    ]


def test_committed_results_are_evaluated_by_the_worker(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    assert client.post("/api/observations/bulk", json=_rows(seeded, "751-8", [(2, 0.2)])).status_code == 200
    hooks = ResultHooks()
    worker, stop = start_monitoring(service, lambda: None, hooks=hooks)
    try:
        committed = CommittedResults(seeded["patient"], seeded["episode"], (1,), (), InboundProtocol.HL7V2)
        hooks.notify([committed, committed])
        hooks.notify([CommittedResults(seeded["patient"], None, (2,), (), InboundProtocol.HL7V2)])
        wait_for_evaluations(worker)
    finally:
        stop()
    assert worker.evaluated == 1  # queued twice before the worker reached it: evaluated once
    with engine.connect() as conn:
        assert conn.scalars(select(MonitoringAlert.rule_id)).all()


def test_recorded_platelet_transfusions_let_platelet_engraftment_be_asserted(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    platelets = [(d, 5.0 if d < 15 else 45.0) for d in range(0, 25)]
    assert client.post("/api/observations/bulk", json=_rows(seeded, "777-3", platelets)).status_code == 200
    as_of = DAY0 + dt.timedelta(days=25)
    assert not [a for a in _alerts(engine) if a == "platelet-engraftment"]
    first = evaluate_episode(service, seeded["episode"], as_of=as_of)
    assert "platelet-engraftment" not in _alerts(engine)  # no transfusion record: not asserted
    with Session(engine) as session, session.begin():
        session.add(
            Transfusion(
                patient_id=seeded["patient"],
                episode_id=seeded["episode"],
                product=TransfusionProduct.PLATELETS,
                administered_at=DAY0 + dt.timedelta(days=12, hours=3),
                source_id="plt-1",
            )
        )
    second = evaluate_episode(service, seeded["episode"], as_of=as_of)
    assert second.raised and not first.events_written
    with engine.connect() as conn:
        alert = conn.execute(select(MonitoringAlert).where(MonitoringAlert.rule_id == "platelet-engraftment")).one()
    assert alert.details["event"]["day"] == 19  # transfusion on day 12 covers days 12-18


def _alerts(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(MonitoringAlert.rule_id)).all())
