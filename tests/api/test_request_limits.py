"""Regression tests for the known 500s of issue 9, on SQLite and PostgreSQL (the ``client`` fixture runs both).

Each input that used to reach the database or the JSON encoder and fail there is now a 4xx problem that says
what to send: ids and offsets past the INTEGER columns, NaN and Infinity, NUL characters, oversized bodies,
malformed or non-JSON bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engraft.api.body_limit import BULK_BODY_LIMIT, RECORD_BODY_LIMIT
from engraft.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, RULE_VIOLATION, Problem
from engraft.registry.schemas.common import MAX_RECORD_ID

JSON = {"content-type": "application/json"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = dict(response.json())
    Problem.model_validate(body)
    return body


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/patients/{}", id="patient"),
        pytest.param("/api/diagnoses/{}", id="diagnosis"),
        pytest.param("/api/donors/{}", id="donor"),
        pytest.param("/api/episodes/{}", id="episode"),
        pytest.param("/api/events/{}", id="event"),
        pytest.param("/api/follow-ups/{}", id="follow-up"),
    ],
)
def test_ids_past_the_integer_columns_are_422(client: TestClient, path: str) -> None:
    assert _problem(client.get(path.format(MAX_RECORD_ID)), 404)["instance"] == path.format(MAX_RECORD_ID)
    for too_big in (MAX_RECORD_ID + 1, 2**63, 10**30):
        fault = _problem(client.get(path.format(too_big)), 422)["errors"][0]
        assert fault["expected"] == f"a number <= {MAX_RECORD_ID}"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"offset": MAX_RECORD_ID + 1}, id="offset-int4"),
        pytest.param({"offset": 2**63}, id="offset-int64"),
        pytest.param({"patient_id": MAX_RECORD_ID + 1}, id="patient-filter"),
        pytest.param({"episode_id": 2**63}, id="episode-filter"),
    ],
)
def test_offsets_and_filters_past_the_integer_columns_are_422(client: TestClient, query: dict[str, int]) -> None:
    (fault,) = _problem(client.get("/api/observations", params=query), 422)["errors"]
    assert fault["field"] == next(iter(query))
    assert client.get("/api/observations", params={"offset": MAX_RECORD_ID}).json()["items"] == []


def test_ids_in_bodies_past_the_integer_columns_are_422(client: TestClient, seeded: dict[str, int]) -> None:
    body = {"patient_id": MAX_RECORD_ID + 1, "visit_date": "2024-08-01", "vital_status": "alive"}
    assert _problem(client.post("/api/follow-ups", json=body), 422)["errors"][0]["field"] == "patient_id"
    patch = {"version": 2**40, "weight_kg": 60}
    assert _problem(client.patch(f"/api/patients/{seeded['patient']}", json=patch), 422)["errors"][0]["field"] == (
        "version"
    )


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422_naming_the_field(client: TestClient, seeded: dict[str, int], token: str) -> None:
    row = f'"patient_id": {seeded["patient"]}, "observed_at": "2024-05-02T08:00:00Z", "loinc": "718-7", "unit": "g/dL"'
    text = f'[{{{row}, "source_id": "r1", "value": {token}}}]'
    body = _problem(client.post("/api/observations/bulk", content=text, headers=JSON), 422)
    (fault,) = body["errors"]
    assert fault["field"] == "0.value" and fault["value"] == token
    assert "finite" in fault["expected"]
    free_form = f'{{"age_years": 40, "score": {token}}}'
    assert (
        _problem(client.post("/api/scores/karnofsky", content=free_form, headers=JSON), 422)["errors"][0]["field"]
        == "score"
    )
    assert client.get("/api/observations").json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        pytest.param("/api/centres", {"code": "C9", "name": "Nul\u0000Centre", "country": "GB"}, "name", id="centre"),
        pytest.param(
            "/api/patients",
            {
                "centre": "C1",
                "sex": "male",
                "birth_date": "1980-01-01",
                "identity": {"given_name": "A", "family_name": "B\u0000", "mrn": "M-2"},
            },
            "identity.family_name",
            id="identity",
        ),
        pytest.param(
            "/api/diagnoses",
            {"patient_id": 1, "who_name": "AML\u0000", "icd10": "C92.0", "diagnosis_date": "2024-01-10"},
            "who_name",
            id="diagnosis",
        ),
    ],
)
def test_nul_characters_in_text_are_422_on_every_database(
    client: TestClient, seeded: dict[str, int], path: str, body: dict[str, Any], field: str
) -> None:
    if "patient_id" in body:
        body = {**body, "patient_id": seeded["patient"]}
    fault = next(f for f in _problem(client.post(path, json=body), 422)["errors"] if f["field"] == field)
    assert "NUL" in fault["expected"]
    assert "\u0000" in fault["value"]


def test_nul_characters_in_event_details_and_queries_are_422(client: TestClient, seeded: dict[str, int]) -> None:
    event = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "infection",
        "event_date": "2024-06-01",
        "details": {"organism": "E. coli\u0000", "organism_class": "bacterial", "site": "blood"},
    }
    assert _problem(client.post("/api/events", json=event), 422)["errors"][0]["field"] == "details.organism"
    assert _problem(client.get("/api/patients", params={"centre": "C1\u0000"}), 422)["errors"][0]["field"] == "centre"
    assert _problem(client.get("/api/observations", params={"loinc": "718-7\u0000"}), 422)["errors"]
    assert client.get("/api/events").json()["total"] == 0


def test_a_20_mb_field_is_413_and_never_echoed(client: TestClient) -> None:
    huge = {"code": "C9", "name": "x" * 20_000_000, "country": "GB"}
    response = client.post("/api/centres", json=huge)
    body = _problem(response, 413)
    assert "1 MiB" in body["detail"]
    assert len(response.content) < 1000
    assert client.get("/api/centres").json() == []


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"code": "C9", "country": "GB", "name": "'
        for _ in range(64):
            sent.append(1)
            yield b"x" * 65536
        yield b'"}'

    body = _problem(client.post("/api/centres", content=chunks(), headers=JSON), 413)
    assert "1 MiB" in body["detail"]
    assert client.get("/api/centres").json() == []


def test_the_bulk_upload_takes_more_than_a_record(client: TestClient, seeded: dict[str, int]) -> None:
    assert BULK_BODY_LIMIT > RECORD_BODY_LIMIT
    row = {
        "patient_id": seeded["patient"],
        "observed_at": "2024-05-02T08:00:00Z",
        "loinc": "718-7",
        "value": 11.2,
        "unit": "g/dL",
    }
    rows = [{**row, "source_id": f"lab-{i:06d}", "source_system": "urn:lab:" + "s" * 64} for i in range(12_000)]
    response = client.post("/api/observations/bulk", json=rows)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["inserted"] == 12_000
    oversized = "[" + ",".join(['{"x": "' + "y" * 1000 + '"}'] * (BULK_BODY_LIMIT // 1000)) + "]"
    assert _problem(client.post("/api/observations/bulk", content=oversized, headers=JSON), 413)


@pytest.mark.parametrize(
    ("content", "headers", "status", "says"),
    [
        pytest.param(b'{"code": "C9",', JSON, 400, "not valid JSON", id="malformed-json"),
        pytest.param(b"\xff\xfe{}", JSON, 400, "not UTF-8", id="not-utf8"),
        pytest.param(b"", JSON, 422, "no body", id="empty-body"),
        pytest.param(b'{"code": "C9"}', {"content-type": "text/plain"}, 415, "'text/plain', not JSON", id="text"),
        pytest.param(b"code=C9", {"content-type": "application/x-www-form-urlencoded"}, 415, "not JSON", id="form"),
        pytest.param(b'{"code": "C9"}', {}, 415, "no Content-Type", id="no-content-type"),
    ],
)
def test_unreadable_bodies_say_what_to_send(
    client: TestClient, content: bytes, headers: dict[str, str], status: int, says: str
) -> None:
    body = _problem(client.post("/api/centres", content=content, headers=headers), status)
    assert says in body["detail"]
    assert "send a JSON object with Content-Type: application/json" in body["detail"]


def test_json_types_are_not_coerced(client: TestClient) -> None:
    assert client.post("/api/scores/karnofsky", json={"age_years": 40, "score": 80.0}).status_code == 200
    for bad in ({"age_years": "40", "score": 80}, {"age_years": True, "score": 80}, {"age_years": 40, "score": "80"}):
        assert _problem(client.post("/api/scores/karnofsky", json=bad), 422)["type"] == PROBLEM_TYPE_BASE + (
            "invalid-input"
        )


def test_rule_violations_are_told_apart_from_schema_faults(client: TestClient) -> None:
    unknown_centre = {"centre": "ZZ", "sex": "male", "birth_date": "1980-01-01"}
    assert _problem(client.post("/api/patients", json=unknown_centre), 422)["type"] == PROBLEM_TYPE_BASE + (
        RULE_VIOLATION
    )
    bad_sex = {**unknown_centre, "sex": "m"}
    assert _problem(client.post("/api/patients", json=bad_sex), 422)["type"] == PROBLEM_TYPE_BASE + "invalid-input"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        pytest.param("/api/patients/1", "GET, HEAD, PATCH", id="record"),
        pytest.param("/api/patients", "GET, HEAD, POST", id="collection"),
        pytest.param("/api/observations/bulk", "POST", id="bulk"),
        pytest.param("/api/scores/hct-ci", "GET, HEAD, POST", id="instrument"),
    ],
)
def test_405_lists_every_method_of_the_path(client: TestClient, path: str, allowed: str) -> None:
    response = client.request("OPTIONS", path)
    _problem(response, 405)
    assert response.headers["allow"] == allowed
