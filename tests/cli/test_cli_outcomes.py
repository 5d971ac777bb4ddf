"""``engraft outcomes`` commands on a small registry (SQLite and PostgreSQL) and on CSV files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from engraft.cli.outcomes import outcomes_app
from engraft.registry.service import RegistryService
from tests.outcomes.test_registry_endpoints import small_registry

runner = CliRunner()


def _app() -> typer.Typer:
    """The sub-app mounted as in the main CLI (``engraft outcomes ...``)."""
    app = typer.Typer()
    app.add_typer(outcomes_app, name="outcomes")
    return app


def invoke(*args: str) -> Any:
    return runner.invoke(_app(), ["outcomes", *args])


@pytest.fixture
def registry_url(service: RegistryService, database_url: str) -> str:
    small_registry(service)
    return database_url


def test_survival_from_registry_writes_json_csv_and_plots(registry_url: str, tmp_path: Path) -> None:
    result = invoke("survival", "--database", registry_url, "--out", str(tmp_path), "--group-by", "transplant_type")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "os.json").read_text())
    assert doc["endpoint"] == "os" and doc["provenance"]["population"] == "first transplants"
    assert {g["group"]: g["n"] for g in doc["groups"]} == {"allogeneic": 4, "autologous": 1}
    assert doc["test"]["name"] == "log-rank"
    assert (tmp_path / "os.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "os.svg").read_text()
    rows = list(csv.DictReader((tmp_path / "os_curve.csv").open()))
    assert {"group", "time", "n_risk", "estimate", "lower", "upper"} <= set(rows[0])
    every = invoke("survival", "--database", registry_url, "--out", str(tmp_path / "all"), "--all-transplants")
    assert every.exit_code == 0, every.output
    assert json.loads((tmp_path / "all" / "os.json").read_text())["groups"][0]["n"] == 6


@pytest.mark.parametrize(
    ("endpoint", "n"),
    [
        pytest.param("relapse", 5, id="relapse"),
        pytest.param("nrm", 5, id="nrm"),
        pytest.param("agvhd_2_4", 4, id="agvhd-allo-only"),
        pytest.param("neutrophil_engraftment", 5, id="engraftment"),
    ],
)
def test_cif_from_registry(registry_url: str, tmp_path: Path, endpoint: str, n: int) -> None:
    result = invoke("cif", "--database", registry_url, "--out", str(tmp_path), "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / f"{endpoint}.json").read_text())
    assert doc["groups"][0]["n"] == n and doc["cause"] == 1
    assert [lm["time"] for lm in doc["groups"][0]["landmarks"]] == [100.0, 365.0, 730.0]
    assert (tmp_path / f"{endpoint}.svg").exists()


def test_grfs_and_compare(registry_url: str, tmp_path: Path) -> None:
    result = invoke("grfs", "--database", registry_url, "--out", str(tmp_path), "--landmark", "365")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "grfs.json").read_text())
    assert doc["groups"][0]["n"] == 4 and doc["provenance"]["allogeneic_only"] is True
    compared = invoke("compare", "--database", registry_url, "--out", str(tmp_path), "--group-by", "centre")
    assert compared.exit_code == 0, compared.output
    cmp_doc = json.loads((tmp_path / "compare_os.json").read_text())
    assert cmp_doc["test"]["name"] == "log-rank" and cmp_doc["kind"] == "survival"
    gray = invoke(
        "compare", "--database", registry_url, "--out", str(tmp_path), "--endpoint", "relapse", "--group-by", "centre"
    )
    assert gray.exit_code == 0, gray.output
    assert json.loads((tmp_path / "compare_relapse.json").read_text())["test"]["name"] == "Gray"


def test_benchmark_and_activity_from_registry(registry_url: str, tmp_path: Path) -> None:
    result = invoke("benchmark", "--database", registry_url, "--out", str(tmp_path), "--n-bootstrap", "200")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "benchmark.json").read_text())
    assert doc["n"] == 4 and {c["centre"] for c in doc["centres"]} == {"C1", "C2"}
    assert all(c["flag"] in {"below", "as expected", "above", "not rated"} for c in doc["centres"])
    assert (tmp_path / "benchmark.png").exists() and (tmp_path / "benchmark.csv").exists()
    activity = invoke("activity", "--database", registry_url, "--out", str(tmp_path))
    assert activity.exit_code == 0, activity.output
    rows = list(csv.DictReader((tmp_path / "activity_by_year.csv").open()))
    overall = next(r for r in rows if r["centre"] == "ALL" and r["year"] == "2022")
    assert overall["total"] == "6" and overall["subsequent_transplant"] == "1"
    assert json.loads((tmp_path / "activity.json").read_text())["centres"] == ["C1", "C2"]
    assert (tmp_path / "activity.png").exists() and (tmp_path / "activity.svg").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["survival", "--endpoint", "relapse"], "competing endpoint", id="cif-endpoint-in-survival"),
        pytest.param(["cif", "--endpoint", "os"], "survival endpoint", id="survival-endpoint-in-cif"),
        pytest.param(["survival", "--endpoint", "vibes"], "expected one of", id="unknown-endpoint"),
        pytest.param(["survival", "--group-by", "shoe_size"], "group_by", id="unknown-group"),
        pytest.param(["compare"], "--group-by", id="compare-needs-groups"),
        pytest.param(["benchmark", "--as-of", "2022-13-45"], "--as-of", id="bad-date"),
        pytest.param(["benchmark", "--as-of", "2022-06-01"], "expected at least 2", id="no-eligible-cohort"),
    ],
)
def test_refusals_name_the_problem(registry_url: str, tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke(*args, "--database", registry_url, "--out", str(tmp_path))
    assert result.exit_code != 0
    assert message in result.output


def _write_csv(path: Path) -> Path:
    lines = ["transplant_id,os_months,os_status,rel_months,rel_status,arm"]
    for k in range(40):
        arm = "A" if k % 2 else "B"
        months = 1 + (k * 7) % 36
        status = 1 if k % 3 == 0 else 0
        rel_status = (k % 3) if k % 5 else 0
        lines.append(f"T{k},{months},{status},{months},{rel_status},{arm}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_survival_and_cif_from_csv(tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "cohort.csv")
    out = tmp_path / "out"
    common = ["--csv", str(data), "--time-unit", "months", "--out", str(out), "--group-column", "arm"]
    result = invoke("survival", "--time", "os_months", "--status", "os_status", *common)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "os.json").read_text())
    assert doc["time_unit"] == "months" and doc["provenance"]["source"] == "csv"
    assert [lm["time"] for lm in doc["groups"][0]["landmarks"]] == pytest.approx([12.0, 24.0])
    assert sorted(g["group"] for g in doc["groups"]) == ["A", "B"]
    cif = invoke("cif", "--endpoint", "relapse", "--time", "rel_months", "--status", "rel_status", *common)
    assert cif.exit_code == 0, cif.output
    assert json.loads((out / "relapse.json").read_text())["test"]["name"] == "Gray"
    compared = invoke(
        "compare", "--competing", "--endpoint", "relapse", "--time", "rel_months", "--status", "rel_status", *common
    )
    assert compared.exit_code == 0, compared.output
    assert json.loads((out / "compare_relapse.json").read_text())["test"]["name"] == "Gray"
    unnamed = invoke(
        "compare", "--competing", "--cause", "2", "--time", "rel_months", "--status", "rel_status", *common
    )
    assert unnamed.exit_code == 0, unnamed.output
    assert json.loads((out / "compare_cause-2.json").read_text())["test"]["name"] == "Gray"
    assert not (out / "compare_os.json").exists()  # named after the cause compared, not overall survival
    bad = invoke("survival", "--time", "os_months", "--status", "rel_status", *common)
    assert bad.exit_code == 1 and "rel_status" in bad.output
    missing = invoke("survival", "--csv", str(data), "--out", str(out))
    assert missing.exit_code == 1 and "--time" in missing.output


def test_benchmark_from_csv(tmp_path: Path) -> None:
    from tests.outcomes.test_benchmarking import synthetic_registry

    time, event, centre, cov = synthetic_registry(1, n_centres=6, n_per=150, worse="C03")
    lines = ["transplant_id,os_days,dead,centre,age,disease"]
    for k in range(time.size):
        age = "" if np.isnan(cov["age"][k]) else f"{cov['age'][k]:.1f}"
        lines.append(f"P{k},{time[k]:.0f},{event[k]},{centre[k]},{age},{cov['disease'][k]}")
    data = tmp_path / "patients.csv"
    data.write_text("\n".join(lines) + "\n")
    result = invoke(
        "benchmark",
        "--csv",
        str(data),
        "--time",
        "os_days",
        "--status",
        "dead",
        "--covariate",
        "age",
        "--covariate",
        "disease",
        "--n-bootstrap",
        "500",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out" / "benchmark.json").read_text())
    flags = {c["centre"]: c["flag"] for c in doc["centres"]}
    assert flags["C03"] == "below"
    terms = [t["term"] for t in doc["model"]["terms"]]
    assert "age" in terms and "age: missing" in terms and any(t.startswith("disease=") for t in terms)
    bad = invoke(
        "benchmark",
        "--csv",
        str(data),
        "--time",
        "os_days",
        "--status",
        "dead",
        "--covariate",
        "bmi",
        "--out",
        str(tmp_path / "out"),
    )
    assert bad.exit_code == 1 and "bmi" in bad.output


def test_activity_from_csv(tmp_path: Path) -> None:
    data = tmp_path / "transplants.csv"
    data.write_text(
        "centre,year,transplant_type,donor_relation,graft_source,icd10,sequence_number\n"
        "A,2023,allogeneic,matched sibling,peripheral blood,C92.0,1\n"
        "A,2024,autologous,autologous,peripheral blood,C90.0,1\n"
        "B,2024,allogeneic,haploidentical,bone marrow,D61.3,2\n"
    )
    result = invoke("activity", "--csv", str(data), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "out" / "activity_by_year.csv").open()))
    overall = {r["year"]: r for r in rows if r["centre"] == "ALL"}
    assert overall["2024"]["total"] == "2" and overall["2024"]["subsequent_transplant"] == "1"
    only_b = invoke("activity", "--csv", str(data), "--centre", "B", "--out", str(tmp_path / "b"))
    assert only_b.exit_code == 0, only_b.output
    broken = tmp_path / "broken.csv"
    broken.write_text("centre,year\nA,2024\n")
    refused = invoke("activity", "--csv", str(broken), "--out", str(tmp_path / "x"))
    assert refused.exit_code == 1 and "transplant_type" in refused.output
