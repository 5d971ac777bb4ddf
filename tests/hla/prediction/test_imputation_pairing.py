"""The fast imputation path against the earlier one (differential, Hypothesis), and its building blocks.

``impute(..., pairing=Pairing.SIGNATURE)`` (the default: class pairs from consistency signatures, genotypes
grouped by folded keys) must give exactly what ``Pairing.SQUARE`` (the earlier all-pairs method with
row grouping) gives: the same genotypes in the same order with the same weights to the last bit, the same
counts; the mass a cap leaves out is summed in another order (equal up to rounding). Typings are drawn
from the Atlas 301-haplotype sample set at mixed resolutions (G group, 2-field, XX, serology, untyped,
per locus), with caps small enough to cut through ties.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engraft.hla import Nomenclature, locus_typing
from engraft.hla.prediction.class_pairs import consistent_class_pairs, consistent_class_pairs_square
from engraft.hla.prediction.code_groups import group_ranked, ranks
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.imputation import Consistency, GenotypeSet, Pairing, impute
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary.hla import MATCH_LOCI
from tests.hla.prediction.haplotype_typings import typing_at

RESOLUTIONS = ("G", "2field", "XX", "serology", "untyped")


@pytest.fixture(scope="module")
def atlas(nom: Nomenclature, atlas_samples_dir: Path) -> HaplotypeFrequencySet:
    return load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")


def _assert_same(fast: GenotypeSet, square: GenotypeSet) -> None:
    assert fast.source is square.source
    assert (fast.unexplained, fast.unexplained_tokens) == (square.unexplained, square.unexplained_tokens)
    assert (fast.haplotype_pairs, fast.genotypes_total) == (square.haplotype_pairs, square.genotypes_total)
    assert np.array_equal(fast.p_pairs, square.p_pairs)
    assert np.array_equal(fast.weights, square.weights)  # to the last bit
    assert fast.mass_left_out == pytest.approx(square.mass_left_out, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("h1", "h2", "res", "cap"),
    [
        pytest.param(0, 1, ("serology", "serology", "untyped", "serology", "untyped"), 2000, id="serology-abdr"),
        pytest.param(0, 1, ("serology", "serology", "untyped", "serology", "untyped"), 30, id="serology-cap-30"),
        pytest.param(3, 7, ("XX",) * 5, 50, id="xx-cap-50"),
        pytest.param(2, 2, ("XX", "untyped", "untyped", "untyped", "untyped"), 1, id="homozygous-xx-cap-1"),
        pytest.param(5, 9, ("2field", "2field", "untyped", "XX", "untyped"), None, id="mixed-no-cap"),
    ],
)
def test_named_typings_impute_alike(
    nom: Nomenclature, atlas: HaplotypeFrequencySet, h1: int, h2: int, res: tuple[str, ...], cap: int | None
) -> None:
    typing = typing_at(nom, atlas, h1, h2, res)
    fast = impute(atlas, typing, max_genotypes=cap)
    _assert_same(fast, impute(atlas, typing, max_genotypes=cap, pairing=Pairing.SQUARE))
    assert fast.genotypes_total > 1  # the typing's own haplotypes explain it, and others too


def test_a_null_position_stays_null_on_both_paths(nom: Nomenclature, atlas: HaplotypeFrequencySet) -> None:
    typing = {
        "A": locus_typing(nom, "A*03:129N", "A*01:XX"),
        "B": locus_typing(nom, "B*07:XX", "B*08:XX"),
        "DRB1": locus_typing(nom, "DRB1*15:XX", "DRB1*03:XX"),
    }
    fast = impute(atlas, typing)
    _assert_same(fast, impute(atlas, typing, pairing=Pairing.SQUARE))
    assert fast.genotypes_total > 0
    assert (fast.p_pairs[:, 0, :] == -1).any(axis=1).all()  # every genotype keeps the null at A


@settings(max_examples=60, deadline=None, database=None)
@given(
    h=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    res=st.lists(st.sampled_from(RESOLUTIONS), min_size=5, max_size=5),
    cap=st.sampled_from([None, 1, 3, 40, 2000]),
    consistency=st.sampled_from(list(Consistency)),
    loci=st.sampled_from([None, tuple(MATCH_LOCI[:4]), (MATCH_LOCI[0], MATCH_LOCI[1], MATCH_LOCI[3])]),
)
def test_fast_path_equals_the_all_pairs_path(
    nom: Nomenclature,
    atlas: HaplotypeFrequencySet,
    h: tuple[int, int],
    res: list[str],
    cap: int | None,
    consistency: Consistency,
    loci: tuple[str, ...] | None,
) -> None:
    typing = typing_at(nom, atlas, h[0] % atlas.size, h[1] % atlas.size, res)
    kwargs = {"max_genotypes": cap, "consistency": consistency, "loci": loci}
    _assert_same(
        impute(atlas, typing, **kwargs),  # type: ignore[arg-type]
        impute(atlas, typing, pairing=Pairing.SQUARE, **kwargs),  # type: ignore[arg-type]
    )


@settings(max_examples=200, deadline=None, database=None)
@given(
    bits=st.integers(0, 60).flatmap(
        lambda k: st.integers(0, 5).flatmap(lambda n: hnp.arrays(np.int8, (k, n), elements=st.integers(1, 3)))
    )
)
def test_signature_pairs_equal_the_square(bits: np.ndarray) -> None:
    c1, c2 = (bits & 1) == 1, (bits & 2) == 2
    a, b = consistent_class_pairs(c1, c2)
    x, y = consistent_class_pairs_square(c1, c2)
    assert np.array_equal(a, x) and np.array_equal(b, y)  # the same pairs, in the same (lexicographic) order


@settings(max_examples=200, deadline=None, database=None)
@given(
    rows=st.integers(1, 60).flatmap(
        lambda n: st.integers(1, 6).flatmap(
            lambda m: hnp.arrays(np.int64, (n, m), elements=st.one_of(st.integers(-1, 4), st.integers(0, 10**6)))
        )
    ),
    ordered=st.booleans(),
)
def test_ranked_groups_partition_rows_like_numpy_unique(rows: np.ndarray, ordered: bool) -> None:
    ranked = [ranks(col) for col in rows.T]
    grouped = group_ranked([r for r, _ in ranked], [v.size for _, v in ranked], rows.shape[0], ordered=ordered)
    assert grouped is not None
    keys, inverse = grouped
    uniq, expected = np.unique(rows, axis=0, return_inverse=True)
    assert keys.size == uniq.shape[0]
    assert np.array_equal(inverse[:, None] == inverse[None, :], expected[:, None] == expected[None, :])
    # keys compare as the rows do (lexicographic), whatever order the groups come in
    order = np.argsort(keys)
    first = np.array([np.flatnonzero(inverse == g)[0] for g in order])
    assert np.array_equal(rows[first], uniq)
    if ordered:
        assert np.array_equal(order, np.arange(keys.size))
