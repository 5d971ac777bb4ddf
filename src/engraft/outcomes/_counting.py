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
from numpy.typing import NDArray

from engraft.outcomes._validation import FloatArray, IntArray

_ONE = np.uint64(1)
#: Whole-number times are counted in a table when their range is at most this many per row (or the minimum).
WHOLE_RANGE_PER_ROW = 4
WHOLE_RANGE_MIN = 1 << 16
#: Keys sorted by polars from this many rows (below, numpy's sort is as fast or faster).
POLARS_SORT_MIN = 1 << 16
#: Rows looked at first, to leave the whole-number path at once on continuous times.
_PROBE = 1024


def _sorted_keys(time: FloatArray, flag: np.ndarray) -> np.ndarray:
    """Sorted keys: the time's bits shifted one left, the indicator in the freed low bit."""
    key = np.left_shift(np.ascontiguousarray(time, dtype=np.float64).view(np.uint64), _ONE)
    np.bitwise_or(key, flag, out=key, casting="unsafe")  # the freed low bit holds the indicator
    return sort_keys(key)


def tabulate(time: FloatArray, status: IntArray, codes: Sequence[int]) -> tuple[FloatArray, IntArray, IntArray]:
    """Distinct sorted times, number of rows at each, and counts of each status code (m x k).

    ``time`` must already be validated (finite, >= 0). One sort per code; the distinct times and
    their boundaries come from the first, the other sorts only give their indicator counts. When
    every time is distinct (continuous times) the indicators are the counts themselves.
    """
    n = time.size
    if n and codes:
        whole = _whole_day_table(time, status, codes)
        if whole is not None:
            return whole
    counts = np.zeros((0, len(codes)), dtype=np.int64)
    uniq = np.empty(0)
    n_total = np.empty(0, dtype=np.int64)
    starts = np.empty(0, dtype=np.intp)
    for j, code in enumerate(codes):
        key = _sorted_keys(time, status == code)
        flags = np.bitwise_and(key, _ONE)
        if j == 0:
            st = np.right_shift(key, _ONE).view(np.float64)
            boundary = np.empty(n, dtype=bool)
            boundary[:1] = True
            np.not_equal(st[1:], st[:-1], out=boundary[1:])
            starts = np.flatnonzero(boundary)
            uniq = st[starts] if starts.size < n else st
            n_total = np.diff(starts, append=n).astype(np.int64) if starts.size < n else np.ones(n, dtype=np.int64)
            counts = np.empty((uniq.size, len(codes)), dtype=np.int64)
        if starts.size < n:
            counts[:, j] = np.add.reduceat(flags, starts)
        else:
            counts[:, j] = flags
    return uniq, n_total, counts


def _whole_day_table(
    time: FloatArray, status: IntArray, codes: Sequence[int]
) -> tuple[FloatArray, IntArray, IntArray] | None:
    """The same table by counting (``np.bincount``) when every time is a whole number in a short range.

    Registry times in whole days repeat a lot: one bincount of (time, code) pairs replaces the
    sorts. None when a time is not whole or the range is too long for a count table.
    """
    found = whole_numbers(time)
    if found is None:
        return None
    whole, top = found
    k = len(codes)
    whole *= k + 1
    for j, code in enumerate(codes):  # slot 0: none of the codes, j + 1: codes[j]
        hit = status == code
        whole += hit if j == 0 else hit * np.int64(j + 1)
    table = np.bincount(whole, minlength=(int(top) + 1) * (k + 1)).reshape(-1, k + 1)
    n_total = table.sum(axis=1)
    present = np.flatnonzero(n_total)
    return present.astype(np.float64), n_total[present], np.ascontiguousarray(table[present, 1:])


def sort_keys(key: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """``key`` sorted (a new array, possibly read-only); polars' sort above ``POLARS_SORT_MIN`` rows.

    numpy dispatches 64-bit sorts to x86-simd-sort's AVX-512 kernel wherever AVX-512 exists; on
    AMD Zen 4 its compress-stores to memory are microcoded and that kernel runs about 5x slower than
    numpy's own AVX2 one (numpy/x86-simd-sort#6). polars (a dependency) sorts 1 M keys several times
    faster there, and integers sort to one order whichever library sorts them.
    """
    if key.size >= POLARS_SORT_MIN:
        try:
            import polars as pl
        except ImportError:  # pragma: no cover - polars is a dependency
            pass
        else:
            return np.asarray(pl.Series(key).sort(multithreaded=False).to_numpy(), dtype=np.uint64)
    return np.sort(key)


def whole_numbers(time: FloatArray) -> tuple[IntArray, int] | None:
    """``time`` as int64 and its maximum, when every time is a whole number in a range short enough to count.

    None otherwise; a fraction among the first rows ends the check at once (continuous times).
    """
    top = float(time.max())
    if top > max(WHOLE_RANGE_PER_ROW * time.size, WHOLE_RANGE_MIN):
        return None
    head = time[:_PROBE]
    if not np.array_equal(np.trunc(head), head) or not np.array_equal(np.trunc(time), time):
        return None
    return time.astype(np.int64), int(top)


def event_table(time: FloatArray, event: NDArray[np.unsignedinteger]) -> tuple[FloatArray, IntArray | None, IntArray]:
    """Distinct sorted times, rows at each (None when every time is distinct) and events at each.

    ``time`` validated (finite, >= 0), ``event`` a validated 0/1 indicator. The Kaplan-Meier case of
    :func:`tabulate` (one code) with fewer passes: whole-number times are counted by one ``bincount``
    of (time, event) pairs; other times by one sort of keys carrying the indicator in the low bit
    (see the module notes), and when no time repeats, the sorted indicators are the event counts.
    """
    n = time.size
    whole = whole_numbers(time)
    if whole is not None:
        key, top = whole
        pairs = key.view(np.uint64)
        np.left_shift(pairs, _ONE, out=pairs)
        np.bitwise_or(pairs, event, out=pairs)
        table = np.bincount(key, minlength=2 * (top + 1)).reshape(-1, 2)
        n_total = table[:, 0] + table[:, 1]
        present = np.flatnonzero(n_total)
        return present.astype(np.float64), n_total[present], table[present, 1]
    bits = np.left_shift(np.ascontiguousarray(time).view(np.uint64), _ONE)
    np.bitwise_or(bits, event, out=bits)
    ordered = sort_keys(bits)
    n_event = np.bitwise_and(ordered, _ONE).view(np.int64)
    st = np.right_shift(ordered, _ONE).view(np.float64)
    tied = st[1:] == st[:-1]
    if not tied.any():
        return st, None, n_event
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.logical_not(tied, out=boundary[1:])
    starts = np.flatnonzero(boundary)
    return st[starts], np.diff(starts, append=n).astype(np.int64), np.add.reduceat(n_event, starts)
