"""One question, one answer: the outcome service, the CLI and the API agree on one demo registry.

The command line writes its answer to a JSON file, the API returns it, the service function returns
the typed model; for the same query on the same database the three documents are equal. A refused
query gives the same field, value and expectation in the CLI's error line and the API's 422 problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine
from typer.testing import CliRunner

from engraft.api.app import create_app
from engraft.cli.outcomes import outcomes_app
from engraft.outcomes import NothingToAnalyse
from engraft.outcomes.queries import (
    ActivityQuery,
    BenchmarkQuery,
    CompareQuery,
    CompetingRiskQuery,
    SurvivalQuery,
    parse_query,
)
from engraft.registry.outcome_service import (
    centre_benchmark,
    competing_risk_analysis,
    group_comparison,
    survival_analysis,
    transplant_activity,
)
from tests.auth_clients import team_client
from tests.demo_cohort import DemoCohort

runner = CliRunner()


def _cli(*args: str) -> Any:
    app = typer.Typer()
    app.add_typer(outcomes_app, name="outcomes")
    return runner.invoke(app, ["outcomes", *args])


@pytest.fixture
def demo(demo_cohort_writable: DemoCohort) -> Iterator[tuple[Engine, str, TestClient]]:
    """A copy of the synthetic demo registry, its URL and a signed-in API client on it (signing in writes)."""
    engine = demo_cohort_writable.engine
    with team_client(create_app(engine, migrate=False)) as client:
        yield engine, demo_cohort_writable.url, client


def _service_json(engine: Engine, route: str, query: dict[str, Any]) -> Any:
    answer: BaseModel
    if route == "survival":
        answer = survival_analysis(engine, parse_query(SurvivalQuery, query)).summary
    elif route == "cif":
        answer = competing_risk_analysis(engine, parse_query(CompetingRiskQuery, query)).summary
    elif route == "compare":
        answer = group_comparison(engine, parse_query(CompareQuery, query))
    elif route == "benchmark":
        answer = centre_benchmark(engine, parse_query(BenchmarkQuery, query)).report
    else:
        answer = transplant_activity(engine, parse_query(ActivityQuery, query))
    return json.loads(answer.model_dump_json())


# (route, API parameters, the same query for the service, CLI arguments, file the CLI writes)
QUESTIONS = [
    pytest.param(
        "survival",
        {"endpoint": "os", "group_by": "centre"},
        {"endpoint": "os", "group_by": "centre"},
        ["survival", "--endpoint", "os", "--group-by", "centre"],
        "os.json",
        id="os-by-centre",
    ),
    pytest.param(
        "survival",
        {"endpoint": "dfs", "centre": "DEMO-NBH", "population": "all transplants", "time_unit": "months"},
        {"endpoint": "dfs", "centre": "DEMO-NBH", "population": "all transplants", "time_unit": "months"},
        ["survival", "--endpoint", "dfs", "--centre", "DEMO-NBH", "--all-transplants", "--time-unit", "months"],
        "dfs.json",
        id="dfs-one-centre-in-months",
    ),
    pytest.param(
        "cif",
        {"endpoint": "relapse", "cause": 2, "group_by": "transplant_type", "landmark": [100]},
        {"endpoint": "relapse", "cause": 2, "group_by": "transplant_type", "landmarks": [100]},
        ["cif", "--endpoint", "relapse", "--cause", "2", "--group-by", "transplant_type", "--landmark", "100"],
        "relapse.json",
        id="nrm-as-cause-2-by-type",
    ),
    pytest.param(
        "grfs",
        {"landmark": [1], "time_unit": "years"},
        {"endpoint": "grfs", "landmarks": [1], "time_unit": "years"},
        ["grfs", "--landmark", "1", "--time-unit", "years"],
        "grfs.json",
        id="grfs-in-years",
    ),
    pytest.param(
        "compare",
        {"endpoint": "agvhd_2_4", "group_by": "centre"},
        {"endpoint": "agvhd_2_4", "group_by": "centre"},
        ["compare", "--endpoint", "agvhd_2_4", "--group-by", "centre"],
        "compare_agvhd_2_4.json",
        id="gray-test-by-centre",
    ),
    pytest.param(
        "benchmark",
        {"n_bootstrap": 200, "seed": 7},
        {"n_bootstrap": 200, "seed": 7},
        ["benchmark", "--n-bootstrap", "200", "--seed", "7"],
        "benchmark.json",
        id="benchmark",
    ),
    pytest.param(
        "activity",
        {"first_year": 2019},
        {"first_year": 2019},
        ["activity", "--first-year", "2019"],
        "activity.json",
        id="activity",
    ),
]


@pytest.mark.parametrize(("route", "params", "query", "args", "written"), QUESTIONS)
def test_cli_api_and_service_give_the_same_answer(
    demo: tuple[Engine, str, TestClient],
    tmp_path: Path,
    route: str,
    params: dict[str, Any],
    query: dict[str, Any],
    args: list[str],
    written: str,
) -> None:
    engine, url, client = demo
    response = client.get(f"/api/outcomes/{route}", params=params)
    assert response.status_code == 200, response.text
    result = _cli(*args, "--database", url, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    from_cli = json.loads((tmp_path / written).read_text())
    assert from_cli == response.json()
    assert from_cli == _service_json(engine, "survival" if route == "grfs" else route, query)


@pytest.mark.parametrize(
    ("route", "params", "args"),
    [
        pytest.param(
            "compare",
            {"endpoint": "os", "group_by": "centre", "cause": 2},
            ["compare", "--endpoint", "os", "--group-by", "centre", "--cause", "2"],
            id="cause-2-of-a-survival-endpoint",
        ),
        pytest.param(
            "activity",
            {"first_year": 2024, "last_year": 2020},
            ["activity", "--first-year", "2024", "--last-year", "2020"],
            id="years-reversed",
        ),
        pytest.param(
            "benchmark",
            {"n_bootstrap": 20001},
            ["benchmark", "--n-bootstrap", "20001"],
            id="too-many-replicates",
        ),
    ],
)
def test_a_refused_query_names_the_same_field_in_cli_and_api(
    demo: tuple[Engine, str, TestClient], tmp_path: Path, route: str, params: dict[str, Any], args: list[str]
) -> None:
    _, url, client = demo
    response = client.get(f"/api/outcomes/{route}", params=params)
    assert response.status_code == 422, response.text
    (fault,) = response.json()["errors"]
    result = _cli(*args, "--database", url, "--out", str(tmp_path))
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {fault['field']}: got ") and line.endswith(f"; expected {fault['expected']}")
    assert not any(tmp_path.iterdir()), "nothing is written for a refused query"


def test_nothing_to_analyse_is_404_in_the_api_and_one_line_in_the_cli(
    demo: tuple[Engine, str, TestClient], tmp_path: Path
) -> None:
    engine, url, client = demo
    with pytest.raises(NothingToAnalyse) as caught:
        survival_analysis(engine, SurvivalQuery(centre="NOWHERE"))
    response = client.get("/api/outcomes/survival", params={"centre": "NOWHERE"})
    assert response.status_code == 404 and response.json()["detail"] == str(caught.value)
    result = _cli("survival", "--centre", "NOWHERE", "--database", url, "--out", str(tmp_path))
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("error:")] == [f"error: {caught.value}"]
