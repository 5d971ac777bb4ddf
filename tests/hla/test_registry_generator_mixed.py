"""Synthetic registries with mixed-resolution donors: resolution drawn per locus for a share of donors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engraft.demo.donor_registry import GeneratorConfig, RegistryGenerator
from engraft.hla import Nomenclature
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary.hla import Locus


def _resolutions(nom: Nomenclature, atlas_samples_dir: Path, mixed: float) -> np.ndarray:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    batch = next(RegistryGenerator(nom, hf, GeneratorConfig(n_donors=4000, seed=3, mixed_fraction=mixed)).batches())
    # the generator's vocabulary holds 4 tokens per G group (high, 2-field, XX, serology): code % 4 = resolution
    return np.stack([batch.hla[locus].first % 4 for locus in (Locus.A, Locus.B, Locus.DRB1)], axis=1)


@pytest.mark.parametrize(
    ("mixed", "share_mixed"),
    [pytest.param(0.0, 0.0, id="per-donor"), pytest.param(1.0, 0.5, id="per-locus")],
)
def test_mixed_fraction_draws_resolution_per_locus(
    nom: Nomenclature, atlas_samples_dir: Path, mixed: float, share_mixed: float
) -> None:
    res = _resolutions(nom, atlas_samples_dir, mixed)
    differs = (res != res[:, :1]).any(axis=1).mean()
    if share_mixed == 0.0:
        assert differs == 0.0  # one resolution per donor, as before
    else:
        assert differs > share_mixed  # with the default mix, most donors differ between A, B and DRB1


def test_mixed_fraction_is_checked(nom: Nomenclature, atlas_samples_dir: Path) -> None:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    with pytest.raises(ValueError, match=r"mixed_fraction 1\.5"):
        RegistryGenerator(nom, hf, GeneratorConfig(n_donors=10, mixed_fraction=1.5))
