"""K-sample (optionally stratified) log-rank test, as R ``survival::survdiff``.

The log-rank test (Mantel 1966; Peto & Peto 1972) compares survival curves by summing, over event
times, observed minus expected events under the hypergeometric null. Stratification (e.g. by disease
or centre) sums the per-stratum observed-minus-expected vectors and variance matrices before forming
the chi-square statistic, so that groups are only compared within strata. The statistic drops the
first group (as survdiff does) and uses groups whose expected count is positive. Where the variance
matrix is singular (degenerate risk sets, where survdiff stops with an error) a generalised inverse
is used and the degrees of freedom are its rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import chi2

from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    as_codes,
    as_labels,
    as_times,
)


@dataclass(frozen=True, slots=True, eq=False)
class LogRankResult:
    """Log-rank test; ``observed``/``expected`` are summed over strata, groups in sorted order."""

    groups: tuple[object, ...]
    n: IntArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    statistic: float
    df: int
    p_value: float
    n_strata: int


def _stratum(time: FloatArray, event: IntArray, group: IntArray, ng: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    uniq, inv = np.unique(time, return_inverse=True)
    m = uniq.size
    cell = inv * ng + group
    total = np.bincount(cell, minlength=m * ng).reshape(m, ng).astype(np.float64)
    dead = np.bincount(cell, weights=event.astype(np.float64), minlength=m * ng).reshape(m, ng)
    at_risk = total.sum(axis=0)[None, :] - np.vstack((np.zeros((1, ng)), np.cumsum(total, axis=0)[:-1]))
    n = at_risk.sum(axis=1)
    d = dead.sum(axis=1)
    keep = d > 0
    at_risk, dead, n, d = at_risk[keep], dead[keep], n[keep], d[keep]
    share = at_risk / n[:, None]
    expected = (share * d[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 1, d * (n - d) / (n - 1.0), 0.0)
    var = np.einsum("t,ti,ij->ij", scale, share, np.eye(ng)) - np.einsum("t,ti,tj->ij", scale, share, share)
    return dead.sum(axis=0), expected, var


def logrank_test(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
) -> LogRankResult:
    """Compare survival across ``group`` (event 1 = observed, 0 = censored)."""
    t = as_times(time, "time")
    e = as_codes(event, "event", (0, 1), t.size)
    g, levels = as_labels(group, "group", t.size)
    ng = len(levels)
    if ng < 2:
        raise OutcomeInputError(f"group: got {ng} distinct label(s); expected at least 2 groups to compare")
    st, nst = (np.zeros(t.size, dtype=np.int64), 1) if strata is None else _strata(strata, t.size)
    obs = np.zeros(ng)
    exp = np.zeros(ng)
    var = np.zeros((ng, ng))
    for k in range(nst):
        sel = st == k
        o, x, v = _stratum(t[sel], e[sel], g[sel], ng)
        obs += o
        exp += x
        var += v
    use = np.flatnonzero(exp > 0)
    df = max(use.size - 1, 0)
    if df < 1:
        stat = 0.0
    else:
        sub = use[1:]
        diff = (obs - exp)[sub]
        vv = var[np.ix_(sub, sub)]
        rank = int(np.linalg.matrix_rank(vv))
        if rank == sub.size:
            stat = float(diff @ np.linalg.solve(vv, diff))
        else:
            # degenerate risk sets (R's survdiff stops with an error): generalised inverse, df = rank
            stat = float(diff @ np.linalg.pinv(vv) @ diff)
            df = rank
    p = float(chi2.sf(stat, df)) if df >= 1 else float("nan")
    return LogRankResult(
        groups=levels,
        n=np.bincount(g, minlength=ng).astype(np.int64),
        observed=obs,
        expected=exp,
        variance=var,
        statistic=stat,
        df=df,
        p_value=p,
        n_strata=nst,
    )


def _strata(strata: ArrayLike, n: int) -> tuple[IntArray, int]:
    codes, levels = as_labels(strata, "strata", n)
    return codes, len(levels)
