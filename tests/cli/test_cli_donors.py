"""``engraft donors generate|import|search`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.donors import DonorTypeChoice
from engraft.vocabulary import DonorKind

PATIENT = (
    "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02^HLA-C*07:01+HLA-C*05:01^HLA-DRB1*03:01+HLA-DRB1*04:01"
    "^HLA-DQB1*02:01+HLA-DQB1*03:01"
)


def test_generate_then_search(tmp_path: Path, imgt_dir: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    common = ["--store", str(store), "--imgt-dir", str(imgt_dir)]
    generated = runner.invoke(app, ["donors", "generate", "--donors", "3000", "--seed", "3", *common])
    assert generated.exit_code == 0, generated.output
    assert "3,000 synthetic donors" in generated.output
    searched = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "2", "--limit", "5", "--json", *common])
    assert searched.exit_code == 0, searched.output
    result = json.loads(searched.output)
    assert result["loci"] == ["A", "B", "C", "DRB1", "DQB1"]
    assert all(d["mismatch_count"] <= 2 for d in result["donors"])
    table = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "1", "--loci", "A,B,C,DRB1", *common])
    assert table.exit_code == 0 and "rank" in table.output
    bad = runner.invoke(app, ["donors", "search", "HLA-A*99:99+HLA-A*01:01", *common])
    assert bad.exit_code == 1
    facts = ["--donor-type", "any", "--patient-cmv", "Positive", "--patient-abo", "AB", "--json"]
    anyone = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "2", "--limit", "50", *facts, *common])
    assert anyone.exit_code == 0, anyone.output
    donors = json.loads(anyone.output)["donors"]
    assert {d["donor_type"] for d in donors} <= {"adult", "cord"} and all(d["cmv"] for d in donors)
    sibling = runner.invoke(app, ["donors", "search", PATIENT, "--donor-type", "sibling", *common])
    assert sibling.exit_code == 2 and "sibling" in sibling.output


def test_donor_type_choices_are_the_vocabulary_and_any() -> None:
    assert {c.value for c in DonorTypeChoice} == {k.value for k in DonorKind} | {"any"}


def test_import_reports_values_it_does_not_accept(tmp_path: Path, imgt_dir: Path) -> None:
    source = tmp_path / "donors.csv"
    source.write_text(
        "donor_id,cmv,gl\n"
        "1,pos,A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01\n"
        "2,postive,A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01\n",
        encoding="utf-8",
    )
    command = ["donors", "import", str(source), "--format", "csv", "--store", str(tmp_path / "s")]
    result = CliRunner().invoke(app, [*command, "--imgt-dir", str(imgt_dir)])
    assert result.exit_code == 0, result.output
    assert "stored 1" in result.output and "rejected 1 donor(s)" in result.output
    assert "donor 2 cmv: 'postive': expected CMV serostatus: one of 'positive'" in result.output


def test_import_atlas_sample(tmp_path: Path, imgt_dir: Path, atlas_samples_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "donors",
            "import",
            str(atlas_samples_dir / "donors-1000.json"),
            "--store",
            str(tmp_path / "s"),
            "--imgt-dir",
            str(imgt_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 1,000" in result.output


def test_search_without_store_fails_clearly(tmp_path: Path, imgt_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["donors", "search", PATIENT, "--store", str(tmp_path / "none"), "--imgt-dir", str(imgt_dir)]
    )
    assert result.exit_code == 2
