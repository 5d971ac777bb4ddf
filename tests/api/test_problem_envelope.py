"""Every error answer is one RFC 9457 problem document (application/problem+json)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from engraft.api.errors import MAX_ECHOED_CHARACTERS, echo
from engraft.api.problems import PROBLEM_MEDIA_TYPE, Problem


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = dict(response.json())
    Problem.model_validate(body)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("https://")
    return body


def test_422_lists_field_value_expected_and_message(client: TestClient) -> None:
    body = _problem(client.post("/api/centres", json={"code": "C1", "name": "x", "country": "gbr"}), 422)
    (fault,) = body["errors"]
    assert fault["field"] == "country"
    assert fault["value"] == "gbr"
    assert "[A-Z]{2}" in fault["expected"]
    assert fault["message"]
    assert body["instance"] == "/api/centres"


def test_404_for_a_missing_record_is_a_problem_with_a_string_detail(client: TestClient) -> None:
    body = _problem(client.get("/api/patients/999"), 404)
    assert "999" in body["detail"]
    assert body["errors"] == []


def test_404_for_an_unknown_path_is_a_problem(client: TestClient) -> None:
    _problem(client.get("/api/no-such-thing"), 404)


def test_405_for_a_wrong_method_is_a_problem(client: TestClient) -> None:
    _problem(client.delete("/api/centres"), 405)


def test_409_duplicate_names_the_field(client: TestClient) -> None:
    centre = {"code": "C1", "name": "Centre One", "country": "GB"}
    assert client.post("/api/centres", json=centre).status_code == 201
    body = _problem(client.post("/api/centres", json=centre), 409)
    assert body["errors"][0]["field"] == "code"
    assert body["errors"][0]["value"] == "C1"


def test_409_stale_version_carries_both_versions(client: TestClient, seeded: dict[str, int]) -> None:
    url = f"/api/patients/{seeded['patient']}"
    assert client.patch(url, json={"version": 1, "weight_kg": 63}).status_code == 200
    body = _problem(client.patch(url, json={"version": 1, "weight_kg": 64}), 409)
    assert (body["your_version"], body["current_version"]) == (1, 2)


def test_long_values_are_cut_when_echoed() -> None:
    echoed = echo("x" * 5000)
    assert isinstance(echoed, str)
    assert echoed.startswith("x" * MAX_ECHOED_CHARACTERS)
    assert "5000 characters" in echoed
    assert len(echoed) < 300


def test_non_finite_numbers_are_echoed_as_text() -> None:
    assert echo(float("nan")) == "nan"
    assert echo(float("inf")) == "inf"
    assert echo([1.5, float("-inf")]) == [1.5, "-inf"]


def test_openapi_declares_the_problem_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"Problem", "FieldProblem"} <= set(schemas)
