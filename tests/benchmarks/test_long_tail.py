"""The benchmarks' long-tailed HF set: the Atlas sample first, then exactly the requested number of distinct
recombined haplotypes; a prefix keeps the relative frequencies (so a registry set is part of the prediction set)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from engraft.hla import Nomenclature
from engraft.io.haplotype_frequencies import load_atlas_hf_set

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import long_tail


@pytest.mark.parametrize("n", [pytest.param(301, id="sample-only"), pytest.param(2500, id="tail")])
def test_long_tail_holds_exactly_n_distinct_haplotypes(imgt_dir: Path, atlas_samples_dir: Path, n: int) -> None:
    nom = Nomenclature.load(imgt_dir)
    sample = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    tail = long_tail.long_tail(sample, n, seed=1)
    assert tail.size == max(n, sample.size)
    assert np.unique(tail.codes, axis=0).shape[0] == tail.size  # distinct
    assert np.array_equal(tail.codes[: sample.size], sample.codes)  # the sample first, in its order
    hf = tail.prefix(nom, tail.size, name="t")
    assert hf.size == tail.size  # nothing merged when encoded
    assert float(hf.frequencies[: sample.size].sum()) == pytest.approx(1 - long_tail.TAIL_MASS if n > 301 else 1.0)


def test_a_prefix_keeps_relative_frequencies(imgt_dir: Path, atlas_samples_dir: Path) -> None:
    nom = Nomenclature.load(imgt_dir)
    sample = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    tail = long_tail.long_tail(sample, 1200, seed=1)
    small, large = tail.prefix(nom, 800, name="s"), tail.prefix(nom, 1200, name="l")
    assert small.tokens == large.tokens[:800]
    ratio = large.frequencies[:800] / small.frequencies
    assert np.allclose(ratio, ratio[0])
    with pytest.raises(ValueError, match="holds 1200 haplotypes, 1201 asked for"):
        tail.prefix(nom, 1201, name="x")
