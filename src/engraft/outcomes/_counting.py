"""Tabulation of follow-up data at distinct times, shared by the non-parametric estimators.

Speed matters on million-row registries, and ``np.unique(..., return_inverse=True)`` or an argsort
are the dominant cost there. Because validated times are finite and >= 0, the IEEE-754 bit pattern
of a time, read as an unsigned integer, sorts in the same order as the time itself. Shifting it one
bit left and storing an indicator (e.g. "event of cause c") in the freed bit gives a key whose plain
(SIMD-accelerated) ``np.sort`` orders rows by time and lets the indicator be read back without any
index gathering. The shift drops only the sign bit, which is 0 for times >= 0 (and maps -0.0 to 0.0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engraft.outcomes._validation import FloatArray, IntArray

_ONE = np.uint64(1)


def _sorted_with_flag(time: FloatArray, flag: np.ndarray) -> tuple[FloatArray, np.ndarray]:
    key = np.left_shift(np.ascontiguousarray(time, dtype=np.float64).view(np.uint64), _ONE)
    np.add(key, flag, out=key, casting="unsafe")  # the freed low bit holds the indicator
    key.sort()
    flags = np.bitwise_and(key, _ONE)
    np.right_shift(key, _ONE, out=key)
    return key.view(np.float64), flags


def tabulate(time: FloatArray, status: IntArray, codes: Sequence[int]) -> tuple[FloatArray, IntArray, IntArray]:
    """Distinct sorted times, number of rows at each, and counts of each status code (m x k).

    ``time`` must already be validated (finite, >= 0).
    """
    n = time.size
    counts_by_code: list[IntArray] = []
    uniq = np.empty(0)
    n_total = np.empty(0, dtype=np.int64)
    for j, code in enumerate(codes):
        st, flags = _sorted_with_flag(time, status == code)
        if j == 0:
            boundary = np.empty(n, dtype=bool)
            boundary[0] = True
            np.not_equal(st[1:], st[:-1], out=boundary[1:])
            starts = np.flatnonzero(boundary)
            uniq = st[starts]
            n_total = np.diff(starts, append=n).astype(np.int64)
        counts_by_code.append(np.add.reduceat(flags, starts).astype(np.int64))
    counts = np.stack(counts_by_code, axis=1) if counts_by_code else np.zeros((uniq.size, 0), dtype=np.int64)
    return uniq, n_total, counts
