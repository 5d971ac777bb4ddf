"""Which pairs of haplotype classes explain a typing: by consistency signature, not by the all-pairs square.

A haplotype class (imputation step 3) carries, per compared locus, two consistency bits: can its allele be
the typed position 1 (``c1``), position 2 (``c2``). A pair of classes ``(a, b)`` explains the typing when
at every locus ``(c1[a] & c2[b]) | (c2[a] & c1[b])``. That test depends on the bits alone, so the classes
are grouped by their bit *signature* (at most ``3^L`` of them; both bits 0 never reaches this stage): the
signature pairs are tested once (a table of a few dozen rows), and every pair of classes drawn from a
compatible signature pair explains the typing. Per signature the classes of compatible signatures form
one ascending list; class ``a`` pairs with the part of its signature's list from ``a`` on, so the pairs are
written out directly in lexicographic order (no sort), without looking at the ``k^2 / 2`` class pairs
that fail (the earlier method, :func:`consistent_class_pairs_square`, kept as the
reference the tests and the benchmark compare with).

Both functions return the unordered pairs ``a <= b`` in lexicographic order (``a`` first, then ``b``), so the
likelihoods that follow are summed in the same order and the results are identical to the last bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_BLOCK_CELLS = 4_000_000

Pairs = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]


def signature_table(
    c1: npt.NDArray[np.bool_], c2: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Each class's signature (an index, signatures numbered in increasing order of their bits) and which
    pairs of signatures explain the typing ((u, u), symmetric)."""
    k, n_loci = c1.shape
    bits = c1.astype(np.int64) | (c2.astype(np.int64) << 1)  # 1, 2 or 3 per locus
    signature = bits @ (np.int64(4) ** np.arange(n_loci, dtype=np.int64)) if n_loci else np.zeros(k, np.int64)
    sigs, sig_of = np.unique(signature, return_inverse=True)
    shifts = 2 * np.arange(n_loci, dtype=np.int64)
    s1 = ((sigs[:, None] >> shifts) & 1).astype(bool)  # (u, L)
    s2 = ((sigs[:, None] >> (shifts + 1)) & 1).astype(bool)
    compatible = np.ones((sigs.size, sigs.size), dtype=bool)
    for j in range(n_loci):
        compatible &= (s1[:, None, j] & s2[None, :, j]) | (s2[:, None, j] & s1[None, :, j])
    return sig_of.reshape(-1).astype(np.intp), compatible


def consistent_class_pairs(c1: npt.NDArray[np.bool_], c2: npt.NDArray[np.bool_]) -> Pairs:
    """Class pairs ``(a, b)``, ``a <= b``, that explain the typing (``c1``, ``c2``: (k, L) consistency bits)."""
    k = c1.shape[0]
    if k == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    sig_of, compatible = signature_table(c1, c2)
    sigs = np.arange(compatible.shape[0])
    # per signature x, every class whose signature is compatible with x (ascending: a mask over the classes)
    partners = [np.flatnonzero(compatible[x][sig_of]) for x in range(sigs.size)]
    flat = np.concatenate(partners)
    offsets = np.concatenate([[0], np.cumsum([p.size for p in partners])])
    # class a pairs with the partners of its signature from a on: a suffix of that list, found by bisection
    start = np.empty(k, dtype=np.int64)
    for x in range(sigs.size):
        mine = np.flatnonzero(sig_of == x)
        start[mine] = offsets[x] + np.searchsorted(partners[x], mine)
    lengths = offsets[sig_of + 1] - start
    total = int(lengths.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    a = np.repeat(np.arange(k, dtype=np.intp), lengths)
    b = flat[np.arange(total) + np.repeat(start - (np.cumsum(lengths) - lengths), lengths)]
    return a, b.astype(np.intp)


def consistent_class_pairs_square(c1: npt.NDArray[np.bool_], c2: npt.NDArray[np.bool_]) -> Pairs:
    """The earlier method: test every class against every other, locus by locus, in blocks of rows."""
    k, n_loci = c1.shape
    found_a: list[npt.NDArray[np.intp]] = []
    found_b: list[npt.NDArray[np.intp]] = []
    block = max(1, _BLOCK_CELLS // max(k * max(n_loci, 1), 1))
    for start in range(0, k, block):
        a = np.arange(start, min(k, start + block))
        ok = a[:, None] <= np.arange(k)[None, :]  # unordered pairs of classes
        for j in range(n_loci):
            ok &= (c1[a, j][:, None] & c2[None, :, j]) | (c2[a, j][:, None] & c1[None, :, j])
        ai, bj = np.nonzero(ok)
        found_a.append(a[ai])
        found_b.append(bj)
    if not found_a:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    return np.concatenate(found_a).astype(np.intp), np.concatenate(found_b).astype(np.intp)
