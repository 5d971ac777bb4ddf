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


def test_search_predicts_with_hf_sets_for_the_atlas_sample(
    tmp_path: Path, imgt_dir: Path, atlas_samples_dir: Path
) -> None:
    """Every predicted donor of the Atlas sample gets probabilities; a second global set is refused in one line."""
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s"), "--imgt-dir", str(imgt_dir)]
    donors_file = atlas_samples_dir / "donors-1000.json"
    assert runner.invoke(app, ["donors", "import", str(donors_file), *common]).exit_code == 0
    first = json.loads(donors_file.read_text(encoding="utf-8"))["donors"][0]["Hla"]
    patient = "^".join(
        f"{locus}{first[locus]['Dna']['Field1']}+{locus}{first[locus]['Dna']['Field2']}"
        for locus in ("A", "B", "C", "DRB1", "DQB1")
    )
    hf = str(atlas_samples_dir / "hf-set-301.json")
    search = ["donors", "search", patient, "--mismatches", "4", "--limit", "10", "--predict-top", "10", "--json"]
    result = runner.invoke(app, [*search, "--hf-set", hf, "--consistency", "g_group", *common])
    assert result.exit_code == 0, result.output
    predictions = [d["prediction"] for d in json.loads(result.output)["donors"]]
    assert predictions and all(p is not None and p["p_mismatches"] is not None for p in predictions)
    assert {p["donor_genotype"] for p in predictions} == {"typed"}
    twice = runner.invoke(app, [*search, "--hf-set", hf, "--hf-set", hf, *common])
    assert twice.exit_code == 2 and "both cover registry any, ethnicity any" in " ".join(twice.output.split())
    assert "Traceback" not in twice.output
