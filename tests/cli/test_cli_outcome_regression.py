"""``engraft outcomes cox|finegray`` on the committed synthetic cohort: the tables equal the estimators' own."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from engraft.outcomes.cox import cox_ph
from engraft.outcomes.fine_gray import fine_gray
from tests.cli.test_cli_outcomes import invoke
from tests.outcomes import _outcomes_data as data

SYNTHETIC = str(data.SYNTHETIC_CSV)


def test_cox_with_strata_late_entry_and_breslow_ties(tmp_path: Path) -> None:
    df = data.synthetic()
    df = df[df["time"] > df["entry"]]  # Surv(entry, time) needs entry < time: the time-0 rows are left out
    source = tmp_path / "entered.csv"
    df.to_csv(source, index=False)
    args = ["--csv", str(source), "--out", str(tmp_path), "--time", "time", "--status", "status"]
    model = ["--covariate", "age", "--covariate", "score", "--entry", "entry", "--strata", "stratum"]
    result = invoke("cox", *args, *model, "--ties", "breslow", "--event", "1,2")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "cox.json").read_text())
    fit = cox_ph(
        df["time"],
        (df["status"] > 0).astype(int),
        df[["age", "score"]].to_numpy(),
        ties="breslow",
        entry=df["entry"],
        strata=df["stratum"],
        covariate_names=("age", "score"),
    )
    assert [row["term"] for row in doc["coefficients"]] == ["age", "score"]
    np.testing.assert_allclose([row["coef"] for row in doc["coefficients"]], fit.coef, rtol=1e-12)
    np.testing.assert_allclose([row["p_value"] for row in doc["coefficients"]], fit.p_value, rtol=1e-12)
    assert doc["event_codes"] == [1, 2] and doc["n_events"] == int((df["status"] > 0).sum())
    rows = list(csv.DictReader((tmp_path / "cox.csv").open()))
    assert set(rows[0]) == {"term", "coef", "hazard_ratio", "std_error", "z", "p_value", "lower", "upper"}
    assert "hazard_ratio" in result.output and "age:" in result.output
    assert invoke("cox", *args, *model, "--ties", "breslow", "--event", "any", "--name", "any").exit_code == 0
    assert json.loads((tmp_path / "any.json").read_text())["coefficients"] == doc["coefficients"]


def test_fine_gray_with_the_other_cause_competing(tmp_path: Path) -> None:
    args = ["--csv", SYNTHETIC, "--out", str(tmp_path), "--time", "time", "--status", "status", "--cause", "2"]
    result = invoke("finegray", *args, "--covariate", "group", "--covariate", "score")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "finegray.json").read_text())
    df = data.synthetic()
    fit = fine_gray(df["time"], df["status"], df[["group", "score"]].to_numpy(), failure_code=2)
    np.testing.assert_allclose([r["coef"] for r in doc["coefficients"]], fit.coef, rtol=1e-12)
    assert doc["competing_codes"] == [1]
    assert "subdistribution_hazard_ratio" in doc["coefficients"][0]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        pytest.param("abc", "bad.csv line 4, age: got 'abc'; expected a number", id="not-a-number"),
        pytest.param("", "bad.csv line 4, age: got ''; expected a number", id="empty"),
    ],
)
def test_errors_name_the_line_and_column(tmp_path: Path, cell: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"time,status,age\n5,1,40\n7,0,50\n9,1,{cell}\n")
    result = invoke(
        "cox", "--csv", str(bad), "--out", str(tmp_path), "--time", "time", "--status", "status", "--covariate", "age"
    )
    assert result.exit_code == 1 and message in result.output


def test_entry_after_time_names_the_line(tmp_path: Path) -> None:
    args = ["--csv", SYNTHETIC, "--out", str(tmp_path), "--time", "time", "--status", "status", "--covariate", "age"]
    result = invoke("cox", *args, "--entry", "entry")
    assert result.exit_code == 1 and "synthetic.csv line 6, entry: got 0 with time 0" in result.output


def test_event_codes_are_checked(tmp_path: Path) -> None:
    args = ["--csv", SYNTHETIC, "--out", str(tmp_path), "--time", "time", "--status", "status", "--covariate", "age"]
    assert "expected non-zero codes" in invoke("cox", *args, "--event", "0,1").output
    assert "expected codes like 1" in invoke("cox", *args, "--event", "one").output


def test_a_covariate_named_twice_and_an_infinite_estimate_are_refused(tmp_path: Path) -> None:
    args = ["--csv", SYNTHETIC, "--out", str(tmp_path), "--time", "time", "--status", "status"]
    twice = invoke("cox", *args, "--covariate", "age", "--covariate", "age")
    assert twice.exit_code == 1 and "--covariate: got 'age' more than once" in twice.output
    separated = tmp_path / "separated.csv"
    separated.write_text("time,status,x\n2,1,1\n3,0,0\n5,1,1\n7,1,1\n8,1,1\n11,0,0\n")
    refused = invoke("cox", "--csv", str(separated), *args[2:], "--covariate", "x")
    assert refused.exit_code == 1 and "covariates: got no finite estimate" in refused.output
    assert not (tmp_path / "cox.json").exists()
