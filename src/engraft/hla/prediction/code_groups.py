"""Grouping equal rows of small integer codes without sorting: ranks, folded keys and counting.

Imputation groups rows twice per typing (haplotypes into classes, class pairs into genotypes), tens of
thousands of rows each time. Sorting them dominated the cost. The columns hold few distinct values, so
each column is *ranked* (its values numbered 0..m-1 in increasing order, by a table over the value range
when that range is small), the ranks of a row folded into one int64 key (lexicographic: the first column
most significant), and the keys grouped by counting over the key space when it is small, else by
``np.unique`` (or, where the order of the groups does not matter, by hashing: ``pandas.factorize``).
Ranks keep the order of the values, so ordered groups come out in the lexicographic order of the rows,
as ``np.unique(rows, axis=0)`` orders them, and a folded key compares as its row does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]


def ranks(col: npt.NDArray[np.integer]) -> tuple[IntArray, IntArray]:
    """Per element the rank of its value among the column's distinct values, and those values (ascending)."""
    col = col.astype(np.int64, copy=False)
    if col.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    low, high = int(col.min()), int(col.max())
    span = high - low + 1
    if span <= 4 * col.size + 64:
        present = np.zeros(span, dtype=bool)
        present[col - low] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return rank[col - low], np.flatnonzero(present).astype(np.int64) + low
    values, inverse = np.unique(col, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), values.astype(np.int64)


def _counting_pays(space: int, n: int) -> bool:
    return space <= 16 * n + 4096


def group_keys(key: IntArray, space: int, *, ordered: bool = True) -> tuple[IntArray, IntArray]:
    """Distinct keys and each key's group, for keys in ``0..space-1``: the keys ascending, or, when
    ``ordered`` is False and counting does not pay, in the order they first occur (hashing, no sort)."""
    if _counting_pays(space, key.size):
        seen = np.zeros(space, dtype=bool)
        seen[key] = True
        return np.flatnonzero(seen).astype(np.int64), (np.cumsum(seen, dtype=np.int64) - 1)[key]
    if not ordered:
        codes, uniques = pd.factorize(key)
        return np.asarray(uniques, dtype=np.int64), np.asarray(codes, dtype=np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    return uniq.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def group_ranked(
    columns: Sequence[IntArray], radices: Sequence[int], n: int, *, ordered: bool = True
) -> tuple[IntArray, IntArray] | None:
    """Group rows given as ranked columns (column ``j`` below ``radices[j]``): the distinct folded keys
    (ascending, i.e. lexicographic rows, unless ``ordered`` is False: see :func:`group_keys`) and each
    row's group; None when the key would overflow int64."""
    space = 1
    for radix in radices:
        space *= max(int(radix), 1)
    if space >= 2**62:
        return None
    key = np.zeros(n, dtype=np.int64)
    for col, radix in zip(columns, radices, strict=True):
        key *= max(int(radix), 1)
        key += col
    return group_keys(key, space, ordered=ordered)


def unfold(keys: IntArray, radices: Sequence[int]) -> list[IntArray]:
    """The ranked columns of folded keys (inverse of the fold in :func:`group_ranked`)."""
    out: list[IntArray] = [np.empty(0, np.int64)] * len(radices)
    rest = keys.copy()
    for j in reversed(range(len(radices))):
        rest, out[j] = np.divmod(rest, max(int(radices[j]), 1))
    return out


def _dense(col: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.int64], int]:
    """A column as order-preserving ranks ``0..m-1`` and ``m`` (a look-up table when its range is small)."""
    col = col.astype(np.int64)
    low, high = int(col.min()), int(col.max())
    span = high - low + 1
    if span <= 4 * col.size + 64:
        present = np.zeros(span, dtype=np.int64)
        present[col - low] = 1
        rank = np.cumsum(present) - 1
        return rank[col - low], int(rank[-1]) + 1
    values, inverse = np.unique(col, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), int(values.size)


def row_groups(rows: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Equal rows of an int matrix: the first row of each group and every row's group (``np.unique(axis=0)``
    without sorting whole rows: each column ranked (order kept), the ranks folded into one int64 key,
    renumbered before it overflows; groups come in the lexicographic order of the rows)."""
    ids = np.zeros(rows.shape[0], dtype=np.int64)
    card = 1
    if rows.shape[0]:
        for column in rows.T:
            col, radix = _dense(column)
            if card * radix >= 2**62:
                _, renumbered = np.unique(ids, return_inverse=True)
                ids, card = renumbered.reshape(-1).astype(np.int64), int(renumbered.max()) + 1
            ids = ids * radix + col
            card *= radix
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)
