"""The P-group genotype of every consistent class pair, grouped: one int64 key per pair, one sort.

Imputation step 3 turns each class pair ``(a, b)`` (``a <= b``) into a genotype: per compared locus the
unordered pair of the P values the two classes give, oriented ``a -> position 1, b -> position 2`` where
the bits allow it (it matters only where a position is null: its value is ``NULL``, not the P group).
The earlier code built a (pairs, loci, 2) matrix and grouped its rows (sorting them); here each locus's
P values are first ranked among the classes' values (a handful per locus), so a locus genotype is one
small number ``low * m + high``, ranked again among the locus genotypes that occur, and a whole genotype
one int64 key (folded locus by locus). When the keys fit a table a few times the number of pairs (the
usual case) they are grouped by counting, without any sort; otherwise by ``np.unique``. Otherwise
they are grouped by hashing (first occurrence order); each genotype keeps its key, which orders genotypes
as the earlier code did (ranks keep the order of the P codes), so ties between equally likely genotypes
are broken the same way. The likelihoods are summed pair by pair in the same order as before, so the
weights are identical to the last bit. Keys that would overflow int64
(loci with many values) fall back to grouping rows (:func:`engraft.hla.prediction.imputation` ``_row_groups``
equivalent, passed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.prediction.code_groups import group_keys, group_ranked, unfold

RowGroups = Callable[[npt.NDArray[np.integer]], tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]


@dataclass(frozen=True, slots=True)
class GroupedGenotypes:
    """Per pair its genotype (``inverse``), and the distinct genotypes as (G, L, 2) P codes on demand."""

    inverse: npt.NDArray[np.intp]
    count: int
    keys: npt.NDArray[np.int64]  # per genotype a number that orders genotypes as their rows (lexicographic)
    _low: npt.NDArray[np.int64]  # (G, L) ranks, or None-like empty when decoded from keys
    _high: npt.NDArray[np.int64]
    _values: tuple[npt.NDArray[np.int32], ...]  # per locus: rank -> P code

    def p_pairs(self, genotypes: npt.NDArray[np.intp]) -> npt.NDArray[np.int32]:
        """The chosen genotypes as (n, L, 2) P codes (low, high per locus)."""
        n_loci = len(self._values)
        out = np.empty((genotypes.size, n_loci, 2), dtype=np.int32)
        for j, values in enumerate(self._values):
            out[:, j, 0] = values[self._low[genotypes, j]]
            out[:, j, 1] = values[self._high[genotypes, j]]
        return out


def group_pair_genotypes(
    c1: npt.NDArray[np.bool_],
    c2: npt.NDArray[np.bool_],
    v1: npt.NDArray[np.int32],
    v2: npt.NDArray[np.int32],
    ka: npt.NDArray[np.intp],
    kb: npt.NDArray[np.intp],
    row_groups: RowGroups,
) -> GroupedGenotypes:
    """Group the genotypes of the class pairs ``(ka, kb)`` (classes' bits ``c1, c2`` and values ``v1, v2``)."""
    n_loci = c1.shape[1]
    codes: list[npt.NDArray[np.int64]] = []
    used: list[npt.NDArray[np.int64]] = []
    values_of: list[npt.NDArray[np.int32]] = []
    for j in range(n_loci):
        a1, a2 = v1[:, j], v2[:, j]
        values = np.unique(np.concatenate([a1, a2]))
        m = int(values.size)
        d1 = np.searchsorted(values, a1).astype(np.int64)
        if np.array_equal(a1, a2):
            x, y = d1[ka], d1[kb]
        else:
            d2 = np.searchsorted(values, a2).astype(np.int64)
            direct = c1[ka, j] & c2[kb, j]
            x = np.where(direct, d1[ka], d2[ka])
            y = np.where(direct, d2[kb], d1[kb])
        grid = np.arange(m, dtype=np.int64)
        unordered = (np.minimum(grid[:, None], grid[None, :]) * m + np.maximum(grid[:, None], grid[None, :])).ravel()
        x *= m
        x += y
        present, ranked = group_keys(unordered[x], m * m)  # low * m + high, ranked among those that occur
        codes.append(ranked)
        used.append(present)
        values_of.append(values.astype(np.int32))
    radices = [int(u.size) for u in used]
    grouped = group_ranked(codes, radices, ka.size, ordered=False)
    if grouped is not None:
        uniq, inverse = grouped
        locus_codes = unfold(uniq, radices)
        low = np.empty((uniq.size, n_loci), dtype=np.int64)
        high = np.empty((uniq.size, n_loci), dtype=np.int64)
        for j in range(n_loci):
            low[:, j], high[:, j] = np.divmod(used[j][locus_codes[j]], values_of[j].size)
        return GroupedGenotypes(inverse.astype(np.intp), int(uniq.size), uniq, low, high, tuple(values_of))
    pairs = [np.divmod(used[j][codes[j]], values_of[j].size) for j in range(n_loci)]
    rows = np.stack([col for j in range(n_loci) for col in pairs[j]], axis=1)
    first, inverse = row_groups(rows)
    picked = rows[first]
    order = np.arange(first.size, dtype=np.int64)  # row groups come in lexicographic order
    return GroupedGenotypes(inverse, int(first.size), order, picked[:, 0::2], picked[:, 1::2], tuple(values_of))
