"""``engraft donors generate|import|search`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from engraft.cli import app

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
