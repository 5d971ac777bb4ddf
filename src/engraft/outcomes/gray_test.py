"""Gray's K-sample test for equality of cumulative incidence functions.

Comparing relapse incidence between, say, graft sources with a log-rank test on cause-specific
hazards answers a different question from comparing the CIFs themselves. Gray (1988, Ann Stat
16:1141) compares the subdistribution hazards of one cause across groups with a weighted score
(weight (1 - F)^rho), optionally stratified. This module reproduces the score, its variance and the
chi-square statistic of R ``cmprsk::cuminc`` (Fortran ``crstm``/``crst``), vectorised over event
times: the recursions there are running sums, which become cumulative sums over a (time, group)
grid. Memory is O(T * G^2) for T distinct times and G groups.

Lifelines, scikit-survival and statsmodels do not provide this test.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    check_causes,
)


@dataclass(frozen=True, slots=True, eq=False)
class GrayTestCause:
    """Gray's test for one cause: statistic, degrees of freedom, p-value, score and its variance.

    ``statistic`` is NaN when the variance matrix is singular (R reports -1 there).
    """

    cause: int
    statistic: float
    df: int
    p_value: float
    score: FloatArray
    variance: FloatArray


@dataclass(frozen=True, slots=True)
class GrayTestResult:
    """Gray's test for each declared cause; groups are in sorted label order."""

    groups: tuple[object, ...]
    n_strata: int
    rho: float
    tests: tuple[GrayTestCause, ...]

    def for_cause(self, cause: int) -> GrayTestCause:
        """The test of ``cause``."""
        for test in self.tests:
            if test.cause == cause:
                return test
        raise OutcomeInputError(f"cause: got {cause!r}; expected one of {[t.cause for t in self.tests]}")


def _stratum_score(
    time: FloatArray, mark: IntArray, group: IntArray, ng: int, rho: float
) -> tuple[FloatArray, FloatArray]:
    """Score (first ng-1 groups) and variance within one stratum; ``mark`` is 0/1/2."""
    uniq, inv = np.unique(time, return_inverse=True)
    m = uniq.size
    cell = inv * ng + group
    counts = [np.bincount(cell[mark == k], minlength=m * ng).reshape(m, ng).astype(np.float64) for k in range(3)]
    d1, d2 = counts[1], counts[2]
    total = counts[0] + d1 + d2
    rs = total.sum(axis=0)[None, :] - np.vstack((np.zeros((1, ng)), np.cumsum(total, axis=0)[:-1]))
    at_risk = rs > 0
    td = d1 + d2
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk, (rs - td) / rs, 1.0)
        skm = np.cumprod(step, axis=0)
        skmm = np.vstack((np.ones((1, ng)), skm[:-1]))
        f1 = np.cumsum(np.where(at_risk, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack((np.zeros((1, ng)), f1[:-1]))
        h = np.where(at_risk, rs / skmm, 0.0)
        tr = h.sum(axis=1)
        tq = np.where(at_risk, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        nd1 = d1.sum(axis=1)
        nd2 = d2.sum(axis=1)
        active = (nd1 + nd2) > 0
        f = np.cumsum(np.where(active, nd1 / tr, 0.0))
        fm = np.concatenate(([0.0], f[:-1]))
        fb = np.where(active, (1.0 - fm) ** rho, 0.0)
        # a[t] = fb (diag(h) - h h^T / tr), restricted to groups at risk (h = 0 otherwise)
        a = fb[:, None, None] * (
            h[:, :, None] * np.eye(ng)[None, :, :] - h[:, :, None] * h[:, None, :] / tr[:, None, None]
        )
        a = np.where(active[:, None, None], a, 0.0)
        c_inc = np.where(active, nd1 / (tr * (1.0 - fm)), 0.0)
        c = np.cumsum(a * c_inc[:, None, None], axis=0)
        score_terms = np.where(
            at_risk, fb[:, None] * (d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None])), 0.0
        )
        score_terms = np.where(active[:, None], score_terms, 0.0)
        score = score_terms.sum(axis=0)[: ng - 1]

        # cause-of-interest part (rows with nd1 > 0, groups at risk)
        own = (nd1 > 0)[:, None] & at_risk
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0)
        t3 = np.where(own, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        t1 = a - t4[:, None, :] * c  # indices [t, i, k]
        # competing-cause part (groups with d2 > 0 and skm > 0)
        oth = (d2 > 0) & (skm > 0)
        t4o = np.where(oth, (1.0 - f[:, None]) / np.where(skm > 0, skm, 1.0), 0.0)
        t5o = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3o = np.where(oth, t5o * skmm**2 * d2 / rs**2, 0.0)
        t1o = t4o[:, None, :] * c

    v3 = (t4**2 * t3 + t4o**2 * t3o).sum(axis=0)
    v2 = np.einsum("tik,tk->ik", t1, t4 * t3) - np.einsum("tik,tk->ik", t1o, t4o * t3o)
    v = np.einsum("tik,tjk,tk->ij", t1, t1, t3) + np.einsum("tik,tjk,tk->ij", t1o, t1o, t3o)
    cf = c[-1]
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    k = ng - 1
    return score, v[:k, :k]


def gray_test(
    time: ArrayLike,
    status: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    causes: Sequence[int] = (1, 2),
    censor_code: int = 0,
    rho: float = 0.0,
) -> GrayTestResult:
    """Gray's test of equal CIFs across ``group`` for each of ``causes`` (as ``cmprsk::cuminc``).

    ``strata`` gives a stratified test (scores and variances summed over strata); ``rho`` is the
    power of the weight (1 - F(t-))^rho, 0 by default as in cmprsk.
    """
    t = as_times(time, "time")
    codes = check_causes(causes, censor_code)
    s = as_codes(status, "status", (censor_code, *codes), t.size)
    g, levels = as_labels(group, "group", t.size)
    if not np.isfinite(rho):
        raise OutcomeInputError(f"rho: got {rho!r}; expected a finite number")
    ng = len(levels)
    if ng < 2:
        raise OutcomeInputError(f"group: got {ng} distinct label(s); expected at least 2 groups to compare")
    st, st_levels = (np.zeros(t.size, dtype=np.int64), (1,)) if strata is None else as_labels(strata, "strata", t.size)
    order = np.argsort(t, kind="stable")
    t, s, g, st = t[order], s[order], g[order], st[order]
    tests = []
    for cause in codes:
        mark = np.where(s == censor_code, 0, np.where(s == cause, 1, 2)).astype(np.int64)
        score = np.zeros(ng - 1)
        var = np.zeros((ng - 1, ng - 1))
        for k in range(len(st_levels)):
            sel = st == k
            sc, vv = _stratum_score(t[sel], mark[sel], g[sel], ng, float(rho))
            score += sc
            var += vv
        # undefined (NaN) when the variance is singular, or not finite: a group whose event-free
        # survival reaches 0 (every subject had an event) makes its variance terms 0/0
        if not np.all(np.isfinite(var)) or np.linalg.matrix_rank(var) < ng - 1:
            stat = float("nan")
        else:
            stat = float(score @ np.linalg.solve(var, score))
        p = float(chi2.sf(stat, ng - 1)) if np.isfinite(stat) else float("nan")
        tests.append(GrayTestCause(cause=cause, statistic=stat, df=ng - 1, p_value=p, score=score, variance=var))
    return GrayTestResult(groups=levels, n_strata=len(st_levels), rho=float(rho), tests=tuple(tests))
