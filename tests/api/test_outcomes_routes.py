"""``/api/outcomes`` routes on a small registry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engraft.api.app import create_app
from engraft.registry.service import RegistryService
from tests.outcomes.test_registry_endpoints import small_registry


def app_with_outcomes(engine: Engine) -> FastAPI:
    return create_app(engine, migrate=False)


@pytest.fixture
def client(engine: Engine, service: RegistryService) -> Iterator[TestClient]:
    small_registry(service)
    with TestClient(app_with_outcomes(engine)) as test_client:
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
    centre = _get(client, "survival", centre="C2", all_transplants="true", landmark=[100, 365]).json()
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
        pytest.param("compare", {"group_by": "transplant_type", "endpoint": "grfs"}, 422, id="single-group"),
        pytest.param("benchmark", {"as_of": "2022-06-01"}, 422, id="no-eligible-cohort"),
        pytest.param("survival", {"centre": "NOWHERE"}, 404, id="empty-centre"),
    ],
)
def test_refusals(client: TestClient, path: str, params: dict[str, Any], status: int) -> None:
    response = client.get(f"/api/outcomes/{path}", params=params)
    assert response.status_code == status, response.text


def test_empty_registry_activity_is_404(engine: Engine) -> None:
    with TestClient(app_with_outcomes(engine)) as test_client:
        assert test_client.get("/api/outcomes/activity").status_code == 404
        assert test_client.get("/api/outcomes/benchmark").status_code == 422
