"""Bulk observations: unit checks, idempotent re-upload, and all-or-nothing batches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.database_fixtures import utc


def _obs(seeded: dict[str, int], n: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "observed_at": utc(2024, 5, 1 + n % 28, 7),
        "loinc": "751-8",
        "value": 0.1 * n,
        "unit": "10*9/L",
        "source": "lab feed",
        "source_id": f"lab-{n}",
    }
    body.update(overrides)
    return body


def test_bulk_upload_then_identical_resend_is_idempotent(client: TestClient, seeded: dict[str, int]) -> None:
    batch = [_obs(seeded, n) for n in range(50)]
    first = client.post("/api/observations/bulk", json=batch).json()
    assert first == {"received": 50, "inserted": 50, "already_present": 0}
    again = client.post("/api/observations/bulk", json=batch).json()
    assert again == {"received": 50, "inserted": 0, "already_present": 50}
    mixed = client.post("/api/observations/bulk", json=[*batch[:10], _obs(seeded, 60)]).json()
    assert mixed == {"received": 11, "inserted": 1, "already_present": 10}
    assert client.get("/api/observations", params={"patient_id": seeded["patient"]}).json()["total"] == 51


def test_values_are_converted_to_canonical_units(client: TestClient, seeded: dict[str, int]) -> None:
    batch = [
        _obs(seeded, 1, loinc="14631-6", value=0.0342, unit="mmol/L", source_id="bili-mmol"),
        _obs(seeded, 2, loinc="2160-0", value=1.5, unit="mg/dL", source_id="creat-mg"),
        _obs(seeded, 3, loinc="8310-5", value=101.3, unit="[degF]", source_id="temp-f"),
        _obs(seeded, 4, loinc="751-8", value=1200, unit="/uL", source_id="anc-ul"),
    ]
    assert client.post("/api/observations/bulk", json=batch).json()["inserted"] == 4
    stored = {o["source_id"]: o for o in client.get("/api/observations").json()["items"]}
    assert stored["bili-mmol"]["unit"] == "mmol/L" and stored["bili-mmol"]["value"] == 0.0342
    assert stored["bili-mmol"]["value_canonical"] == pytest.approx(34.2, rel=1e-12)
    assert stored["creat-mg"]["value_canonical"] == 1.5
    assert stored["temp-f"]["value_canonical"] == pytest.approx(38.5, abs=1e-9)
    assert stored["anc-ul"]["value_canonical"] == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("overrides", "field", "value"),
    [
        pytest.param({"unit": "cells/uL"}, "unit", "cells/uL", id="unknown-unit"),
        pytest.param({"unit": "mg/dL"}, "unit", "mg/dL", id="unit-of-other-dimension"),
        pytest.param({"loinc": "30247-1", "unit": "[IU]/mL"}, "unit", "[IU]/mL", id="cmv-copies-vs-iu-refused"),
        pytest.param({"loinc": "14631-6", "unit": "mg/dL"}, "unit", "mg/dL", id="mass-unit-under-moles-code"),
        pytest.param({"loinc": "1975-2", "unit": "umol/L"}, "unit", "umol/L", id="moles-unit-under-mass-code"),
        pytest.param({"loinc": "2160-0", "unit": "umol/L"}, "unit", "umol/L", id="creatinine-umol-under-mass-code"),
        pytest.param({"value": -0.2}, "value", -0.2, id="negative-count"),
        pytest.param({"loinc": "99999-9"}, "loinc", "99999-9", id="loinc-not-in-catalogue"),
        pytest.param({"patient_id": 999}, "patient_id", 999, id="unknown-patient"),
        pytest.param({"episode_id": 999}, "episode_id", 999, id="unknown-episode"),
        pytest.param({"observed_at": utc(1960, 1, 1, 0)}, "observed_at", None, id="before-birth"),
        pytest.param({"source_id": "lab-0", "value": 9.9}, "source_id", "lab-0", id="resent-id-with-new-value"),
    ],
)
def test_one_bad_row_leaves_nothing_behind(
    client: TestClient, seeded: dict[str, int], overrides: dict[str, Any], field: str, value: Any
) -> None:
    batch = [_obs(seeded, n) for n in range(20)]
    bad_row = 13
    batch[bad_row - 1] = _obs(seeded, 100, **overrides)
    if field == "source_id":
        batch[bad_row - 1]["source_id"] = "lab-0"
    response = client.post("/api/observations/bulk", json=batch)
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert problems[0]["field"] == field
    assert problems[0]["row"] == bad_row
    if value is not None and field != "source_id":
        assert problems[0]["value"] == value
    assert problems[0]["expected"]
    assert client.get("/api/observations").json()["total"] == 0


def test_naive_timestamp_is_refused(client: TestClient, seeded: dict[str, int]) -> None:
    response = client.post("/api/observations/bulk", json=[_obs(seeded, 1, observed_at="2024-05-02T07:00:00")])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "0.observed_at"


def test_every_bad_row_is_reported(client: TestClient, seeded: dict[str, int]) -> None:
    batch = [_obs(seeded, n) for n in range(10)]
    batch[2]["unit"] = "furlong"
    batch[5]["value"] = -1
    batch[8]["patient_id"] = 4242
    first = client.post("/api/observations/bulk", json=batch).json()["errors"]
    assert [(p["row"], p["field"]) for p in first] == [(3, "unit"), (6, "value")]
    batch[2]["unit"], batch[5]["value"] = "10*9/L", 1.0
    second = client.post("/api/observations/bulk", json=batch).json()["errors"]
    assert [(p["row"], p["field"]) for p in second] == [(9, "patient_id")]


def test_two_sending_systems_may_use_the_same_source_id(client: TestClient, seeded: dict[str, int]) -> None:
    lab_a = _obs(seeded, 1, source_system="urn:lis:royal-free", source_id="12345", value=1.0)
    lab_b = _obs(seeded, 2, source_system="urn:lis:kings", source_id="12345", value=2.0)
    first = client.post("/api/observations/bulk", json=[lab_a, lab_b]).json()
    assert first == {"received": 2, "inserted": 2, "already_present": 0}
    again = client.post("/api/observations/bulk", json=[lab_b]).json()
    assert again == {"received": 1, "inserted": 0, "already_present": 1}
    clash = client.post("/api/observations/bulk", json=[{**lab_b, "value": 3.0}])
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["field"] == "source_id"
    stored = client.get("/api/observations").json()["items"]
    assert sorted((o["source_system"], o["source_id"], o["value"]) for o in stored) == [
        ("urn:lis:kings", "12345", 2.0),
        ("urn:lis:royal-free", "12345", 1.0),
    ]


def test_same_source_id_twice_in_one_batch_is_keyed_by_system(client: TestClient, seeded: dict[str, int]) -> None:
    batch = [
        _obs(seeded, 1, source_system="urn:lis:a", source_id="7"),
        _obs(seeded, 2, source_system="urn:lis:b", source_id="7"),
        _obs(seeded, 3, source_system="urn:lis:a", source_id="7"),
    ]
    response = client.post("/api/observations/bulk", json=batch)
    assert response.status_code == 422
    assert [(p["row"], p["field"]) for p in response.json()["errors"]] == [(3, "source_id")]


def test_empty_batch_stores_nothing(client: TestClient, seeded: dict[str, int]) -> None:
    assert client.post("/api/observations/bulk", json=[]).json() == {"received": 0, "inserted": 0, "already_present": 0}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"observed_at": "1899-12-31T23:59:59Z"}, "observed_at", id="before-1900-utc"),
        pytest.param({"observed_at": "1900-01-01T00:30:00+01:00"}, "observed_at", id="before-1900-after-offset"),
        pytest.param({"observed_at": "9999-12-31T23:00:00-05:00"}, "observed_at", id="beyond-year-9999-utc"),
        pytest.param({"source_id": "a\u0000b"}, "source_id", id="nul-in-source-id"),
        pytest.param({"source_id": "lab\ud800"}, "source_id", id="lone-surrogate-in-source-id"),
        pytest.param({"source_system": "urn:\u0000"}, "source_system", id="nul-in-source-system"),
    ],
)
def test_values_a_database_cannot_store_are_refused(
    client: TestClient, seeded: dict[str, int], overrides: dict[str, Any], field: str
) -> None:
    body = json.dumps([_obs(seeded, 1, **overrides)])  # ASCII escapes carry a lone surrogate too
    response = client.post("/api/observations/bulk", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].split(".")[-1] == field
