"""``/api/outcomes`` routes on a small registry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engraft.api.app import create_app
from engraft.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, RULE_VIOLATION, Problem
from engraft.registry.service import RegistryService
from tests.auth_clients import team_client
from tests.outcomes.test_registry_endpoints import small_registry

RULE = PROBLEM_TYPE_BASE + RULE_VIOLATION
INVALID = PROBLEM_TYPE_BASE + "invalid-input"


def app_with_outcomes(engine: Engine) -> FastAPI:
    return create_app(engine, migrate=False)


@pytest.fixture
def client(engine: Engine, service: RegistryService) -> Iterator[TestClient]:
    small_registry(service)
    with team_client(app_with_outcomes(engine)) as test_client:
        yield test_client


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/outcomes/{path}", params=params)
    assert response.status_code == 200, response.text
    return response


def test_survival_json_and_plots(client: TestClient) -> None:
    doc = _get(client, "survival", endpoint="os", group_by="transplant_type").json()
    assert {g["group"]: g["n"] for g in doc["groups"]} == {"allogeneic": 4, "autologous": 1}
    assert doc["test"]["name"] == "log-rank" and doc["provenance"]["population"] == "first transplants"
    png = _get(client, "survival", format="png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = _get(client, "survival", endpoint="dfs", format="svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    centre = _get(client, "survival", centre="C2", population="all transplants", landmark=[100, 365]).json()
    assert centre["groups"][0]["n"] == 2
    assert [lm["time"] for lm in centre["groups"][0]["landmarks"]] == [100.0, 365.0]


@pytest.mark.parametrize(
    ("endpoint", "cause", "n"),
    [
        pytest.param("relapse", 1, 5, id="relapse"),
        pytest.param("relapse", 2, 5, id="nrm-as-competing-cause"),
        pytest.param("agvhd_3_4", 1, 4, id="agvhd-3-4"),
        pytest.param("platelet_engraftment", 1, 5, id="platelets"),
    ],
)
def test_cif(client: TestClient, endpoint: str, cause: int, n: int) -> None:
    doc = _get(client, "cif", endpoint=endpoint, cause=cause).json()
    assert doc["groups"][0]["n"] == n and doc["cause"] == cause
    assert _get(client, "cif", endpoint=endpoint, format="svg").content.startswith(b"<?xml")


def test_grfs_compare_benchmark_activity(client: TestClient) -> None:
    grfs = _get(client, "grfs").json()
    assert grfs["endpoint"] == "grfs" and grfs["groups"][0]["n"] == 4
    compared = _get(client, "compare", endpoint="relapse", group_by="centre").json()
    assert compared["test"]["name"] == "Gray"
    bench = _get(client, "benchmark", n_bootstrap=200).json()
    assert bench["n"] == 4 and "Logan" in bench["citation"]
    assert _get(client, "benchmark", n_bootstrap=200, format="png").content[:4] == b"\x89PNG"
    activity = _get(client, "activity").json()
    overall = next(r for r in activity["by_year"] if r["centre"] == "ALL")
    assert overall["total"] == 6 and overall["auto"] == 1
    csv_text = _get(client, "activity", format="csv", table="by_indication").text
    assert csv_text.startswith("centre,year,indication,")
    assert _get(client, "activity", format="svg").headers["content-type"].startswith("image/svg+xml")
    listed = _get(client, "endpoints").json()
    assert {e["name"] for e in listed} >= {"os", "grfs", "relapse", "nrm"}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        pytest.param("survival", {"endpoint": "relapse"}, 422, id="competing-endpoint-on-survival"),
        pytest.param("cif", {"endpoint": "os"}, 422, id="survival-endpoint-on-cif"),
        pytest.param("survival", {"endpoint": "nonsense"}, 422, id="unknown-endpoint"),
        pytest.param("survival", {"group_by": "shoe_size"}, 422, id="unknown-group"),
        pytest.param("survival", {"format": "gif"}, 422, id="unknown-format"),
        pytest.param("compare", {}, 422, id="compare-needs-group-by"),
        pytest.param("compare", {"group_by": "transplant_type", "endpoint": "grfs"}, 404, id="single-group"),
        pytest.param("benchmark", {"as_of": "2022-06-01"}, 404, id="no-eligible-cohort"),
        pytest.param("survival", {"centre": "NOWHERE"}, 404, id="empty-centre"),
        pytest.param("activity", {"centre": "NOWHERE"}, 404, id="activity-empty-centre"),
    ],
)
def test_refusals(client: TestClient, path: str, params: dict[str, Any], status: int) -> None:
    """422: a parameter that cannot be right; 404: a valid question the registry holds nothing to answer."""
    response = client.get(f"/api/outcomes/{path}", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    Problem.model_validate(response.json())


@pytest.mark.parametrize(
    ("path", "params", "field", "value", "kind"),
    [
        pytest.param("survival", {"endpoint": "relapse"}, "endpoint", "relapse", INVALID, id="competing-endpoint"),
        pytest.param("survival", {"landmark": [365, -1]}, "landmark.1", "-1", INVALID, id="negative-landmark"),
        pytest.param("survival", {"landmark": "nan"}, "landmark.0", "nan", INVALID, id="nan-landmark"),
        pytest.param(
            "survival", {"population": "everyone"}, "population", "everyone", INVALID, id="unknown-population"
        ),
        pytest.param("survival", {"time_unit": "weeks"}, "time_unit", "weeks", INVALID, id="unknown-time-unit"),
        pytest.param("survival", {"centre": "C 1"}, "centre", "C 1", INVALID, id="not-a-centre-code"),
        pytest.param("cif", {"cause": 3}, "cause", "3", INVALID, id="cause-out-of-range"),
        pytest.param(
            "compare", {"group_by": "centre", "cause": 2}, "cause", 2, RULE, id="cause-2-of-a-survival-endpoint"
        ),
        pytest.param("activity", {"first_year": 2024, "last_year": 2020}, "last_year", 2020, RULE, id="years-reversed"),
        pytest.param("benchmark", {"seed": -1}, "seed", "-1", INVALID, id="negative-seed"),
        pytest.param("benchmark", {"n_bootstrap": 50}, "n_bootstrap", "50", INVALID, id="too-few-replicates"),
        pytest.param("activity", {"table": "by_weather"}, "table", "by_weather", INVALID, id="unknown-table"),
    ],
)
def test_invalid_query_is_a_422_problem_naming_the_field(
    client: TestClient, path: str, params: dict[str, Any], field: str, value: Any, kind: str
) -> None:
    """A value the parameter schema refuses is invalid input; one breaking a rule across parameters, a rule."""
    response = client.get(f"/api/outcomes/{path}", params=params)
    assert response.status_code == 422, response.text
    body = Problem.model_validate(response.json())
    assert body.type == kind
    (fault,) = body.errors
    assert (fault.field, fault.value) == (field, value)
    assert fault.expected and fault.message


def test_population_without_transplants_is_a_404_problem(client: TestClient) -> None:
    body = client.get("/api/outcomes/survival", params={"centre": "NOWHERE"}).json()
    assert body["status"] == 404 and "centre NOWHERE" in body["detail"] and body["errors"] == []
    single = client.get("/api/outcomes/compare", params={"group_by": "transplant_type", "endpoint": "grfs"}).json()
    assert "single group ['allogeneic']" in single["detail"]


def test_empty_registry_is_404(engine: Engine) -> None:
    with team_client(app_with_outcomes(engine)) as test_client:
        for path in ("activity", "benchmark", "survival", "cif", "grfs"):
            response = test_client.get(f"/api/outcomes/{path}")
            assert response.status_code == 404, (path, response.text)
        assert test_client.get("/api/outcomes/compare", params={"group_by": "centre"}).status_code == 404


def test_time_unit_changes_the_landmarks_not_the_estimates(client: TestClient) -> None:
    days = _get(client, "survival", landmark=[365.25]).json()
    years = _get(client, "survival", time_unit="years", landmark=[1]).json()
    assert years["time_unit"] == "years" and days["time_unit"] == "days"
    assert years["groups"][0]["landmarks"][0]["survival"] == pytest.approx(
        days["groups"][0]["landmarks"][0]["survival"]
    )
    months = _get(client, "survival").json()
    assert [lm["time"] for lm in months["groups"][0]["landmarks"]] == [365.0, 730.0]


def test_openapi_declares_typed_answers_media_and_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in document["paths"].items():
        if not path.startswith("/api/outcomes"):
            continue
        operation = item["get"] if "get" in item else item["post"]  # POST: models on data sent (rmst, cox...)
        ok = operation["responses"]["200"]["content"]
        assert "$ref" in str(ok["application/json"]["schema"]), f"{path}: 200 has no response model"
        problems = ("422",) if "post" in item else ("404", "422") if path != "/api/outcomes/endpoints" else ()
        for status in ("500", *problems):
            schema = operation["responses"][status]["content"][PROBLEM_MEDIA_TYPE]["schema"]
            assert schema == problem_ref, (path, status)
        if path in {f"/api/outcomes/{p}" for p in ("survival", "cif", "grfs", "benchmark", "activity")}:
            assert {"image/png", "image/svg+xml"} <= set(ok), path
    assert "text/csv" in document["paths"]["/api/outcomes/activity"]["get"]["responses"]["200"]["content"]
    survival = document["components"]["schemas"]["SurvivalSummary"]
    assert {"groups", "test", "provenance", "time_unit"} <= set(survival["properties"])
