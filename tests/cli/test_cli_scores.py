"""``engraft score``: results show their verification levels; bad input and missing files give short, exact errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engraft.cli import app as cli_app
from tests.scores._builders import facts_input

EBMT: dict[str, Any] = {
    "age_years": 30,
    "disease": "aml",
    "status": "CR2",
    "months_diagnosis_to_transplant": 5,
    "donor_relation": "matched unrelated",
    "donor_sex": "female",
    "recipient_sex": "male",
}


def _run(tmp_path: Path, name: str, payload: object) -> Any:
    path = tmp_path / "input.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return CliRunner().invoke(cli_app, ["score", name, "--input", str(path)])


def test_result_json_shows_each_level_and_the_handbook_citation(tmp_path: Path) -> None:
    ran = _run(tmp_path, "ebmt-risk", EBMT)
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["value"] == 4 and result["verification"] == "secondary"
    assert {c["verification"] for c in result["components"]} == {"secondary"}
    handbook = [o for o in result["outcomes"] if o["verification"] == "secondary"]
    assert {(o["endpoint"], o["value"]) for o in handbook} == {
        ("overall survival", 30),
        ("transplant-related mortality", 36),
    }
    assert all(o["reproduced_in"][0]["doi"] == "10.1007/978-3-031-44080-9_11" for o in handbook)


@pytest.mark.parametrize(
    ("name", "payload", "line"),
    [
        pytest.param(
            "ebmt-risk",
            {k: v for k, v in EBMT.items() if k != "age_years"},
            "age_years: missing; expected a whole number (a JSON number)",
            id="missing-integer",
        ),
        pytest.param(
            "ebmt-risk",
            {k: v for k, v in EBMT.items() if k != "disease"},
            "disease: missing; expected one of 'aml', 'all', 'cml'",
            id="missing-enum",
        ),
        pytest.param(
            "hct-ci",
            facts_input({"arrhythmia": None}),
            "facts.arrhythmia: missing; expected true or false (a JSON boolean)",
            id="missing-nested-boolean",
        ),
        pytest.param(
            "ebmt-risk", {**EBMT, "age_years": "60"}, "age_years='60': Input should be a valid integer", id="text-60"
        ),
        pytest.param(
            "hct-ci",
            facts_input({"arrhythmia": "yes"}),
            "facts.arrhythmia='yes': Input should be a valid boolean (expected true or false",
            id="text-yes",
        ),
    ],
)
def test_invalid_input_names_the_field_and_the_expected_type(
    tmp_path: Path, name: str, payload: dict[str, Any], line: str
) -> None:
    ran = _run(tmp_path, name, payload)
    assert ran.exit_code == 1
    assert line in ran.output
    # the rest of the input is not echoed back
    assert "recipient_sex" not in ran.output and "pulmonary" not in ran.output
    assert len(ran.output.strip().splitlines()) == 1


def test_missing_input_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    ran = CliRunner().invoke(cli_app, ["score", "ebmt-risk", "--input", str(missing)])
    assert ran.exit_code == 2
    assert ran.exception is None or isinstance(ran.exception, SystemExit)
    lines = ran.output.strip().splitlines()
    assert len(lines) == 1 and "cannot read --input" in lines[0] and "No such file or directory" in lines[0]


def test_invalid_json_is_one_line(tmp_path: Path) -> None:
    ran = _run(tmp_path, "ebmt-risk", "{not json")
    assert ran.exit_code == 1
    lines = ran.output.strip().splitlines()
    assert len(lines) == 1 and "not valid JSON" in lines[0]


def test_risk_profile_input_errors_name_the_field_without_the_input(tmp_path: Path) -> None:
    path = tmp_path / "extras.json"
    path.write_text(json.dumps({"performance_score": 80, "hct_ci": {"items": {"arrhythmia": "yes"}}}))
    ran = CliRunner().invoke(cli_app, ["risk-profile", "1", "--input", str(path)])
    assert ran.exit_code == 1
    lines = ran.output.strip().splitlines()
    assert lines[0] == (
        "invalid hct_ci.items.arrhythmia='yes': Input should be a valid boolean "
        "(expected true or false (a JSON boolean))"
    )
    assert "invalid hct_ci.items.psychiatric: missing; expected true or false (a JSON boolean)" in lines
    assert all(len(line) < 200 for line in lines)


def test_risk_profile_missing_input_file_is_one_line(tmp_path: Path) -> None:
    ran = CliRunner().invoke(cli_app, ["risk-profile", "1", "--input", str(tmp_path / "nowhere.json")])
    assert ran.exit_code == 1
    lines = ran.output.strip().splitlines()
    assert len(lines) == 1 and "cannot read" in lines[0] and "No such file or directory" in lines[0]
