"""``engraft outcomes multistate|rmst`` and ``POST /api/outcomes/multistate|rmst`` give the estimators' answers.

The CLI reads the worked illness-death example and the survRM2 example as CSV; refused cells are one
line naming the file, the line and the column. The API answers the same figures, refuses data it cannot
analyse with a problem naming the field, and needs ``outcomes.read``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from engraft.api.app import create_app
from engraft.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, RULE_VIOLATION
from engraft.cli.main import app
from tests.auth_clients import team_client

runner = CliRunner()
PBC = Path(__file__).resolve().parent / "reference" / "pbc_trial.csv"

ILLNESS_DEATH_CSV = "patient,ill,ill_seen,end,dead\nA,2,1,5,1\nB,3,0,3,1\nC,4,1,6,0\nD,7,0,7,0\n"
STATES = ["--state", "Adverse event or recovery=ill,ill_seen", "--state", "Relapse or death=end,dead"]


def _pbc_csv(tmp_path: Path) -> Path:
    with PBC.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    path = tmp_path / "pbc.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time", "dead", "arm"])
        for r in rows:
            writer.writerow(
                [r["time"], 1 if r["status"] == "2" else 0, "D-penicillamine" if r["trt"] == "1" else "placebo"]
            )
    return path


def test_cli_multistate_worked_example(tmp_path: Path) -> None:
    source = tmp_path / "illness.csv"
    source.write_text(ILLNESS_DEATH_CSV, encoding="utf-8")
    out = tmp_path / "out"
    args = ["outcomes", "multistate", "--csv", str(source), "--model", "illness-death", *STATES]
    result = runner.invoke(app, [*args, "--id-column", "patient", "--at", "3", "--at", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "multistate.json").read_text(encoding="utf-8"))
    probs = {(o["time"], o["state"]): o["probability"] for o in summary["occupation"]}
    assert probs[(3.0, "Transplant")] == pytest.approx(0.5)
    assert probs[(9.0, "Relapse or death")] == pytest.approx(0.5)
    assert [t["events"] for t in summary["transitions"]] == [2, 1, 1]
    with (out / "multistate_long.csv").open(encoding="utf-8") as fh:
        long_rows = list(csv.DictReader(fh))
    assert [(r["id"], r["trans"], r["status"]) for r in long_rows][:3] == [
        ("A", "1", "1"),
        ("A", "2", "0"),
        ("A", "3", "1"),
    ]
    occupation = (out / "multistate_occupation.csv").read_text(encoding="utf-8").splitlines()
    assert occupation[0].startswith("time,p_Transplant,") and len(occupation) == 1 + 1 + 5


def test_cli_multistate_reads_its_own_long_output(tmp_path: Path) -> None:
    source = tmp_path / "illness.csv"
    source.write_text(ILLNESS_DEATH_CSV, encoding="utf-8")
    wide, again = tmp_path / "wide", tmp_path / "again"
    common = ["outcomes", "multistate", "--model", "illness-death", "--at", "3", "--at", "9"]
    first = runner.invoke(app, [*common, "--csv", str(source), *STATES, "--id-column", "patient", "--out", str(wide)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, [*common, "--csv", str(wide / "multistate_long.csv"), "--long", "--out", str(again)])
    assert second.exit_code == 0, second.output
    one = json.loads((wide / "multistate.json").read_text(encoding="utf-8"))
    two = json.loads((again / "multistate.json").read_text(encoding="utf-8"))
    assert one["occupation"] == two["occupation"] and one["hazards"] == two["hazards"]
    bad = (wide / "multistate_long.csv").read_text(encoding="utf-8").replace("A,Transplant,", "A,Limbo,", 1)
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    refused = runner.invoke(app, [*common, "--csv", str(tmp_path / "bad.csv"), "--long", "--out", str(again)])
    assert refused.exit_code == 1 and "bad.csv line 2, column from: got 'Limbo'" in refused.output


@pytest.mark.parametrize(
    ("csv_text", "extra", "message"),
    [
        pytest.param(
            ILLNESS_DEATH_CSV.replace("C,4,1", "C,4,2"),
            [],
            "illness.csv line 4, column ill_seen: got '2'",
            id="bad-status",
        ),
        pytest.param(
            ILLNESS_DEATH_CSV.replace("B,3,0,3", "B,soon,0,3"),
            [],
            "illness.csv line 3, column ill: got 'soon'",
            id="bad-time",
        ),
        pytest.param(ILLNESS_DEATH_CSV, ["--model", "nine-state"], "--model: got 'nine-state'", id="unknown-model"),
        pytest.param(ILLNESS_DEATH_CSV, ["--variance", "poisson"], "--variance: got 'poisson'", id="unknown-variance"),
        pytest.param(ILLNESS_DEATH_CSV, ["--covariate", "age"], "no column 'age'", id="missing-column"),
    ],
)
def test_cli_multistate_refusals_are_one_line(tmp_path: Path, csv_text: str, extra: list[str], message: str) -> None:
    source = tmp_path / "illness.csv"
    source.write_text(csv_text, encoding="utf-8")
    model = [] if "--model" in extra else ["--model", "illness-death"]
    result = runner.invoke(
        app, ["outcomes", "multistate", "--csv", str(source), *model, *STATES, *extra, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_cli_rmst_pbc(tmp_path: Path) -> None:
    source = _pbc_csv(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "outcomes",
            "rmst",
            "--csv",
            str(source),
            "--time",
            "time",
            "--status",
            "dead",
            "--group-column",
            "arm",
            "--reference",
            "placebo",
            "--time-unit",
            "days",
            "--out-unit",
            "years",
            "--tau",
            "10",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "rmst.json").read_text(encoding="utf-8"))
    assert summary["group"]["group"] == "D-penicillamine" and summary["tau"] == 10
    assert abs(summary["difference"]["estimate"] - (-0.137)) <= 0.0005  # survRM2 vignette
    assert "difference D-penicillamine - placebo: -0.137" in result.output
    assert (out / "rmst.csv").read_text(encoding="utf-8").startswith("measure,estimate,std_error,lower_95,upper_95")


def test_cli_rmst_refuses_tau_beyond_follow_up(tmp_path: Path) -> None:
    source = _pbc_csv(tmp_path)
    result = runner.invoke(
        app,
        [
            "outcomes",
            "rmst",
            "--csv",
            str(source),
            "--time",
            "time",
            "--status",
            "dead",
            "--group-column",
            "arm",
            "--tau",
            "99999",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1 and "tau: got 99999.0; expected at most" in result.output


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with team_client(create_app(engine, migrate=False)) as test_client:
        yield test_client


def _question() -> dict[str, Any]:
    return {
        "states": ["Tx", "Ill", "Dead"],
        "transitions": [
            {"from_state": "Tx", "to_state": "Ill"},
            {"from_state": "Tx", "to_state": "Dead"},
            {"from_state": "Ill", "to_state": "Dead"},
        ],
        "time": {"Ill": [2, 3, 4, 7], "Dead": [5, 3, 6, 7]},
        "status": {"Ill": [1, 0, 1, 0], "Dead": [1, 1, 0, 0]},
        "report_times": [4, 9],
        "hazard_variance": "greenwood",
    }


def test_api_multistate(client: TestClient) -> None:
    response = client.post("/api/outcomes/multistate", json=_question())
    assert response.status_code == 200, response.text
    doc = response.json()
    probs = {(o["time"], o["state"]): o["probability"] for o in doc["occupation"]}
    assert probs[(4.0, "Ill")] == pytest.approx(0.5) and probs[(9.0, "Dead")] == pytest.approx(0.5)
    hazard = {(h["transition"], h["time"]): h for h in doc["hazards"]}
    assert hazard[(1, 9.0)]["cumulative_hazard"] == pytest.approx(0.75)
    assert hazard[(1, 9.0)]["std_error"] == pytest.approx((3 / 64 + 1 / 8) ** 0.5)  # Greenwood, by hand


def test_api_multistate_refusal_is_a_problem(client: TestClient) -> None:
    body = _question()
    body["status"]["Dead"] = [1, 2, 0, 0]
    response = client.post("/api/outcomes/multistate", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    problem = response.json()
    assert problem["type"] == PROBLEM_TYPE_BASE + RULE_VIOLATION
    assert problem["errors"][0]["field"] == "status[1, Dead]" and problem["errors"][0]["value"] == "2.0"


def test_api_rmst(client: TestClient) -> None:
    with PBC.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    body = {
        "time": [float(r["time"]) / 365.25 for r in rows],
        "event": [1 if r["status"] == "2" else 0 for r in rows],
        "group": ["1" if r["trt"] == "1" else "0" for r in rows],
        "reference": "0",
        "tau": 10,
        "time_unit": "years",
    }
    response = client.post("/api/outcomes/rmst", json=body)
    assert response.status_code == 200, response.text
    assert abs(response.json()["difference"]["estimate"] - (-0.137)) <= 0.0005
    refused = client.post("/api/outcomes/rmst", json={**body, "tau": 100})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tau"
