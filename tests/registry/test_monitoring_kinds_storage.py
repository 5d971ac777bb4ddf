"""Alerts of the rule kinds added after migration 0011 are stored (0013 widens the kind CHECK), and results at
the extremes of the accepted timestamps never make an evaluation fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.monitoring import RuleKind
from engraft.registry.models import MonitoringAlert
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.service import RegistryService

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)  # the seeded episode's day 0


def _row(seeded: dict[str, int], when: str, loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "observed_at": when,
        "loinc": loinc,
        "value": value,
        "unit": unit,
        "source_id": f"edge-{loinc}-{when}",
    }


def test_alerts_of_the_new_kinds_are_stored(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    day = lambda n: (DAY0 + dt.timedelta(days=n)).isoformat()  # noqa: E731
    rows = [
        *(_row(seeded, day(n), "751-8", 0.1, "10*9/L") for n in range(0, 32)),
        _row(seeded, day(10), "72493-0", 5000.0, "[IU]/mL"),
        _row(seeded, day(-2), "1975-2", 0.8, "mg/dL"),
        _row(seeded, day(5), "1975-2", 0.8, "mg/dL"),
        _row(seeded, day(6), "1975-2", 2.4, "mg/dL"),
    ]
    answer = client.post("/api/observations/bulk", json=rows)
    assert answer.status_code == 200, answer.text
    evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=32))
    with engine.connect() as conn:
        kinds = {RuleKind(k) for k in conn.scalars(select(MonitoringAlert.kind))}
    assert {RuleKind.PRIMARY_GRAFT_FAILURE, RuleKind.DNAEMIA, RuleKind.ORGAN_TOXICITY} <= kinds


@pytest.mark.parametrize(
    "when",
    [
        pytest.param("0001-01-01T00:00:00Z", id="year-1"),
        pytest.param("1900-01-01T00:00:00Z", id="year-1900"),
        pytest.param("9999-12-31T23:59:59Z", id="year-9999-after-as-of"),
        pytest.param("0001-01-01T23:00:00+23:00", id="year-1-with-offset"),
    ],
)
def test_results_at_extreme_timestamps_are_evaluated(client: TestClient, seeded: dict[str, int], when: str) -> None:
    rows = [
        _row(seeded, when, loinc, value, unit)
        for loinc, value, unit in (("751-8", 0.1, "10*9/L"), ("8310-5", 39.0, "Cel"), ("29463-7", 80.0, "kg"))
    ]
    stored = client.post("/api/observations/bulk", json=rows)
    if stored.status_code != 200:
        assert stored.status_code == 422, stored.text  # refused at the door is fine; a 500 is not
        return
    answer = client.post(f"/api/episodes/{seeded['episode']}/monitoring/evaluate")
    assert answer.status_code == 200, answer.text
