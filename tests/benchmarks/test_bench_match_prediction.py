"""Smoke test of benchmarks/bench_match_prediction.py on a small long-tailed set (no timing assertions): the
imputation and the peer that pairs every consistent haplotype find the same genotypes for every typing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engraft.hla import Nomenclature
from engraft.io.haplotype_frequencies import load_atlas_hf_set

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_match_prediction  # noqa: E402


def test_the_long_tail_keeps_the_sample_and_adds_recombined_haplotypes(imgt_dir: Path, atlas_samples_dir: Path) -> None:
    nom = Nomenclature.load(imgt_dir)
    sample = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    hf = bench_match_prediction.long_tail_set(nom, sample, 3000, seed=1)
    assert sample.size < hf.size <= 3000
    assert hf.tokens[: sample.size] == sample.tokens  # the sample first, in its order
    assert float(hf.frequencies[: sample.size].sum()) == pytest.approx(0.9, abs=0.01)


def test_the_command_checks_the_peer_and_prints_json(
    imgt_dir: Path, atlas_samples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--haplotypes", "2000", "--patients", "4", "--peer-patients", "4", "--imgt-dir", str(imgt_dir)]
    bench_match_prediction.main([*args, "--hf", str(atlas_samples_dir / "hf-set-301.json")])
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"haplotypes", "xx/common", "xx-a-b-drb1/rare", "2field-one-untyped/common"}
