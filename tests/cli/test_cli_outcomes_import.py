"""``engraft outcomes import``: a registry CSV through its mapping into the CSV the analyses read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.cli.test_cli_outcomes import invoke
from tests.io.test_registry_outcomes import CIBMTR_MAPPING, bmt_cibmtr_csv


def test_import_then_analyse_a_cibmtr_dataset(tmp_path: Path) -> None:
    source = bmt_cibmtr_csv(tmp_path / "bmt.csv")
    mapping = tmp_path / "bmt.toml"
    mapping.write_text(CIBMTR_MAPPING)
    out = tmp_path / "converted" / "bmt_outcomes.csv"
    result = invoke("import", str(source), "--mapping", str(mapping), "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "read 35 transplants from bmt.csv (cibmtr layout)"
    assert lines[2] == (
        "relapse (Relapse, non-relapse mortality competing): relapse 9, non-relapse mortality 15, censored 11;"
        " columns relapse_time (months), relapse_status"
    )
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [
        *("transplant_id", "dfs_time", "dfs_status", "relapse_time", "relapse_status", "disease", "kps")
    ]
    assert rows[0]["transplant_id"] == "P001" and rows[3]["kps"] == ""
    figures = tmp_path / "figures"
    analysed = invoke(
        *("cif", "--csv", str(out), "--endpoint", "relapse", "--time", "relapse_time", "--status", "relapse_status"),
        *("--time-unit", "months", "--group-column", "disease", "--out", str(figures)),
    )
    assert analysed.exit_code == 0, analysed.output
    summary = json.loads((figures / "relapse.json").read_text())
    assert [g["group"] for g in summary["groups"]] == ["ALL", "AML"]
    assert summary["test"]["name"] == "Gray"


def test_import_refusal_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("pseudoid,disease,intxrel,rel,trm,dfs,kps\nP1,1,7,1,1,1,1\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(CIBMTR_MAPPING)
    result = invoke("import", str(source), "--mapping", str(mapping), "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "bad.csv line 2, column 'trm': got '1'; expected one first event (column 'rel' occurred at the same" in (
        " ".join(result.output.split())
    )
    assert not (tmp_path / "o.csv").exists()
