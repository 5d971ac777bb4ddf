"""The alert routes: filters, acknowledge and resolve with their state rules and optimistic locking."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.database_fixtures import utc


def _raise_alerts(client: TestClient, seeded: dict[str, int]) -> dict[str, dict[str, Any]]:
    """ANC 0.2 on day 3 and bilirubin 3 mg/dL on day 4, never engrafted, evaluated long after day 28."""
    rows = [
        {
            "patient_id": seeded["patient"],
            "episode_id": seeded["episode"],
            "observed_at": utc(2024, 5, 4, 6),
            "loinc": "751-8",
            "value": 0.2,
            "unit": "10*9/L",
            "source_id": "a-1",
        },
        {
            "patient_id": seeded["patient"],
            "episode_id": seeded["episode"],
            "observed_at": utc(2024, 5, 5, 6),
            "loinc": "1975-2",
            "value": 3.0,
            "unit": "mg/dL",
            "source_id": "b-1",
        },
    ]
    assert client.post("/api/observations/bulk", json=rows).status_code == 200
    answer = client.post(f"/api/episodes/{seeded['episode']}/monitoring/evaluate")
    assert answer.status_code == 200, answer.text
    items = client.get("/api/alerts", params={"episode_id": seeded["episode"]}).json()["items"]
    return {a["rule_id"]: a for a in items}


def test_alerts_are_listed_and_filtered(client: TestClient, seeded: dict[str, int]) -> None:
    alerts = _raise_alerts(client, seeded)
    assert set(alerts) == {
        "anc-below-0-5",
        "bilirubin-2-mg-dl",
        "no-neutrophil-engraftment-day-28",
        "primary-graft-failure",  # ANC 0.2 and nothing after: no recovery by day +30 (ASTCT 2021)
        "sos-vod-ebmt-2016-adult",  # bilirubin 3.0 mg/dL on day +4: possible SOS/VOD, check clinical signs
    }
    assert alerts["sos-vod-ebmt-2016-adult"]["explanation"].startswith("Possible SOS/VOD")
    late = alerts["no-neutrophil-engraftment-day-28"]
    assert (late["state"], late["severity"]) == ("open", "critical")  # escalated: unacknowledged past 24 h
    assert "centre rule" in late["explanation"] and late["details"]["verification"] == "unverified"
    assert alerts["anc-below-0-5"]["state"] == "resolved"  # past the day +100 window when evaluated
    opened = client.get("/api/alerts", params={"state": "open"}).json()
    assert {a["rule_id"] for a in opened["items"]} == {
        "no-neutrophil-engraftment-day-28",
        "primary-graft-failure",
        "sos-vod-ebmt-2016-adult",
    }
    by_rule = client.get("/api/alerts", params={"rule_id": "bilirubin-2-mg-dl"}).json()
    assert by_rule["total"] == 1 and by_rule["items"][0]["triggering_observation_ids"]
    assert client.get("/api/alerts", params={"severity": "info"}).json()["total"] == 0
    assert client.get("/api/alerts", params={"patient_id": seeded["patient"] + 1}).json()["total"] == 0
    one = client.get(f"/api/alerts/{late['id']}").json()
    assert one == late


def test_acknowledge_then_resolve(client: TestClient, seeded: dict[str, int]) -> None:
    alert = _raise_alerts(client, seeded)["no-neutrophil-engraftment-day-28"]
    path = f"/api/alerts/{alert['id']}"
    acknowledged = client.post(f"{path}/acknowledge", json={"version": alert["version"]})
    assert acknowledged.status_code == 200, acknowledged.text
    body = acknowledged.json()
    assert body["state"] == "acknowledged" and body["acknowledged_by"].startswith("team.")
    assert body["acknowledged_at"] is not None
    stale = client.post(f"{path}/resolve", json={"version": alert["version"]})
    assert stale.status_code == 409
    again = client.post(f"{path}/acknowledge", json={"version": body["version"]})
    assert again.status_code == 422 and "only an open alert" in again.text
    resolved = client.post(f"{path}/resolve", json={"version": body["version"], "note": "marrow biopsy booked"})
    assert resolved.status_code == 200, resolved.text
    done = resolved.json()
    assert (done["state"], done["resolution"]) == ("resolved", "marrow biopsy booked")
    assert done["resolved_by"] == body["acknowledged_by"]
    twice = client.post(f"{path}/resolve", json={"version": done["version"]})
    assert twice.status_code == 422


def test_re_evaluating_does_not_reopen_a_resolved_alert(client: TestClient, seeded: dict[str, int]) -> None:
    for alert in _raise_alerts(client, seeded).values():
        if alert["state"] != "resolved":
            client.post(f"/api/alerts/{alert['id']}/resolve", json={"version": alert["version"]})
    again = client.post(f"/api/episodes/{seeded['episode']}/monitoring/evaluate").json()
    assert again["raised"] == [] and client.get("/api/alerts", params={"state": "open"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/api/alerts/999999", 404, id="unknown-alert"),
        pytest.param("/api/alerts?state=snoozed", 422, id="unknown-state"),
        pytest.param("/api/alerts?rule_id=Bad%20Id", 422, id="bad-rule-id"),
    ],
)
def test_bad_alert_reads(client: TestClient, seeded: dict[str, int], path: str, status: int) -> None:
    assert client.get(path).status_code == status


def test_evaluating_an_unknown_episode_is_404(client: TestClient, seeded: dict[str, int]) -> None:
    assert client.post("/api/episodes/999999/monitoring/evaluate").status_code == 404
