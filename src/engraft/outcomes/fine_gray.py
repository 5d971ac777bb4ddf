"""Fine-Gray proportional subdistribution hazards regression, as R ``cmprsk::crr``.

To report how a covariate changes the *incidence* of relapse (not its cause-specific hazard) in the
presence of non-relapse mortality, Fine & Gray (1999, JASA 94:496) model the subdistribution hazard
of one cause. Subjects who failed from a competing cause stay in the risk set with inverse
probability of censoring weights G(t-)/G(T_i-), G being the Kaplan-Meier estimate of the censoring
distribution. Standard errors are the robust sandwich Omega^-1 Sigma Omega^-1 of Fine & Gray, whose
Sigma adds to the score residuals (eta) the term (psi) for estimating G; this is the variance that
``crr`` reports (Fortran ``crrvv``).

Every risk-set sum splits into subjects still under observation (a reverse cumulative sum) and
weighted earlier competing failures (G(t-) times a forward cumulative sum), so the pseudo-likelihood,
score, information and the eta/psi residuals are all O(n p^2) without an n x n weight matrix.

Scope: fixed covariates (crr ``cov1``), one censoring group (no ``cengroup``), Breslow-type ties (as
crr). Lifelines, scikit-survival and statsmodels do not provide this model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from engraft.outcomes._newton import newton_raphson
from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    as_codes,
    as_covariates,
    as_times,
    check_causes,
    names_or_default,
)
from engraft.outcomes.tidy import FrameKind, coefficient_frame

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, slots=True, eq=False)
class FineGrayResult:
    """Fitted subdistribution hazards model for ``failure_code``.

    Equals R ``cmprsk::crr(ftime, fstatus, cov1 = x, failcode = failure_code)``: ``coef``,
    ``std_error`` (the robust sandwich standard errors, ``sqrt(diag(fit$var))``), ``variance``
    (``var``), ``loglik_null``/``loglik`` (``loglik.null``/``loglik``);
    ``subdistribution_hazard_ratio`` and ``p_value`` as ``summary(fit)``.
    """

    names: tuple[str, ...]
    coef: FloatArray
    std_error: FloatArray
    variance: FloatArray
    information: FloatArray
    loglik_null: float
    loglik: float
    failure_code: int
    n_obs: int
    n_events: int
    iterations: int
    converged: bool

    @property
    def se(self) -> FloatArray:
        """The same as ``std_error`` (its former name)."""
        return self.std_error

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS, *, conf_level: float = 0.95) -> Any:
        """The coefficient table, one row per term: R ``summary(crr(...))$coef`` and ``$conf.int``.

        Columns: term, coef, subdistribution_hazard_ratio, std_error, z, p_value, lower, upper (Wald
        limits of the subdistribution hazard ratio at ``conf_level``, robust standard errors).
        """
        return coefficient_frame(
            self.names, self.coef, self.std_error, conf_level, "subdistribution_hazard_ratio", kind
        )

    @property
    def subdistribution_hazard_ratio(self) -> FloatArray:
        """exp(coef)."""
        return np.exp(self.coef)

    @property
    def p_value(self) -> FloatArray:
        """Two-sided Wald p-values with the robust standard errors."""
        return np.asarray(2.0 * norm.sf(np.abs(self.coef / self.std_error)), dtype=np.float64)


def censoring_km_before(time: FloatArray, censored: FloatArray) -> FloatArray:
    """G(T_i-) for sorted ``time``: censoring KM evaluated at T_i (1 - machine eps), as crr."""
    uniq, inv = np.unique(time, return_inverse=True)
    total = np.bincount(inv, minlength=uniq.size)
    cens = np.bincount(inv, weights=censored, minlength=uniq.size)
    at_risk = time.size - np.concatenate(([0], np.cumsum(total)[:-1]))
    g = np.cumprod(1.0 - cens / at_risk)
    idx = np.searchsorted(uniq, time * (1.0 - _EPS), side="right") - 1
    return np.where(idx >= 0, g[np.clip(idx, 0, None)], 1.0)


class _FineGrayData:
    """Sorted data and the pieces of the weighted risk sets that do not depend on beta."""

    def __init__(self, time: FloatArray, mark: IntArray, x: FloatArray) -> None:
        order = np.argsort(time, kind="stable")
        self.time = time[order]
        self.mark = mark[order]  # 0 censored, 1 cause of interest, 2 competing cause
        self.x = x[order]
        n = self.time.size
        self.g = censoring_km_before(self.time, (self.mark == 0).astype(np.float64))
        # first index of each subject's tie group; "subjects with T >= t" start there
        self.first = np.searchsorted(self.time, self.time, side="left")
        fail = np.flatnonzero(self.mark == 1)
        fail_times, self.m = np.unique(self.time[fail], return_counts=True)
        self.fail_first = np.searchsorted(self.time, fail_times, side="left")
        self.fail_g = self.g[self.fail_first]
        self.fail_idx = fail
        self.comp = (self.mark == 2).astype(np.float64)
        self.n = n

    def risk_sums(self, beta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """r, S0, S1, S2 at each distinct failure time, and the competing-failure weights r/G."""
        x = self.x
        r = np.exp(x @ beta)
        rx = r[:, None] * x
        rxx = rx[:, :, None] * x[:, None, :]
        # a competing failure at T stays in later risk sets t with weight G(t-)/G(T-)
        comp_over_g = self.comp / self.g
        ff = self.fail_first

        def split(values: FloatArray) -> FloatArray:
            shape = (-1,) + (1,) * (values.ndim - 1)
            tail = np.cumsum(values[::-1], axis=0)[::-1]  # subjects with T >= t
            head = np.concatenate(
                (np.zeros((1, *values.shape[1:])), np.cumsum(comp_over_g.reshape(shape) * values, axis=0))
            )  # competing failures with T < t, divided by G(T-)
            out: FloatArray = tail[ff] + self.fail_g.reshape(shape) * head[ff]
            return out

        return r, split(r), split(rx), split(rxx), comp_over_g * r

    def evaluate(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        _, s0, s1, s2, _ = self.risk_sums(beta)
        xf = self.x[self.fail_idx]
        mean = s1 / s0[:, None]
        loglik = float((xf @ beta).sum() - (self.m * np.log(s0)).sum())
        score = xf.sum(axis=0) - (self.m[:, None] * mean).sum(axis=0)
        info = np.einsum("d,dij->ij", self.m / s0, s2) - np.einsum("d,di,dj->ij", self.m, mean, mean)
        return loglik, score, info

    def sigma(self, beta: FloatArray) -> FloatArray:
        """Sum over subjects of (eta_i + psi_i)(eta_i + psi_i)^T (Fine & Gray 1999, section 3)."""
        x, n = self.x, self.n
        r, s0, s1, _, cw = self.risk_sums(beta)
        mean = s1 / s0[:, None]
        m, gd = self.m, self.fail_g
        p = x.shape[1]
        # position of each subject among the distinct failure times: failures at t_d <= T_i
        n_le = np.searchsorted(self.time[self.fail_first], self.time, side="right")

        def cum_le(values: FloatArray) -> FloatArray:
            c = np.concatenate((np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)))
            return c[n_le]

        def cum_gt(values: FloatArray) -> FloatArray:
            total = values.sum(axis=0)
            out: FloatArray = total - cum_le(values)
            return out

        a0 = m / s0
        a1 = (m / s0)[:, None] * mean
        # eta: dN part minus the dLambda part over times where the subject is (weighted) at risk
        eta = -r[:, None] * (x * cum_le(a0)[:, None] - cum_le(a1))
        comp_w = (self.comp * r / self.g)[:, None]
        eta -= comp_w * (x * cum_gt(gd * a0)[:, None] - cum_gt(gd[:, None] * a1))
        is_fail = self.mark == 1
        subj_mean = np.zeros((n, p))
        # failure i uses the mean at its own failure time
        fail_pos = n_le - 1
        subj_mean[is_fail] = mean[fail_pos[is_fail]]
        eta[is_fail] += x[is_fail] - subj_mean[is_fail]

        # psi: censoring martingale term; q(u) = C1(u) B0(u) - C0(u) B1(u) at censoring times u
        cwx = cw[:, None] * x
        c0_before = np.concatenate(([0.0], np.cumsum(cw)))[self.first]  # competing, T < u
        c1_before = np.concatenate((np.zeros((1, p)), np.cumsum(cwx, axis=0)))[self.first]
        n_lt = np.searchsorted(self.time[self.fail_first], self.time, side="left")  # t_d < u
        b0 = gd * a0
        b1 = gd[:, None] * a1
        b0_ge = np.concatenate((np.cumsum(b0[::-1])[::-1], [0.0]))[n_lt]
        b1_ge = np.concatenate((np.cumsum(b1[::-1], axis=0)[::-1], np.zeros((1, p))))[n_lt]
        q = c1_before * b0_ge[:, None] - c0_before[:, None] * b1_ge
        at_risk = (n - self.first).astype(np.float64)
        censored = self.mark == 0
        # -sum over censorings at u <= T_i of q(u) / Y(u)^2 (each censored subject contributes once)
        contrib = np.where(censored[:, None], q / at_risk[:, None] ** 2, 0.0)
        cum = np.cumsum(contrib, axis=0)
        last_of_tie = np.searchsorted(self.time, self.time, side="right") - 1
        psi = -cum[last_of_tie]
        psi[censored] += q[censored] / at_risk[censored][:, None]
        resid = eta + psi
        out: FloatArray = resid.T @ resid
        return out


def fine_gray(
    time: ArrayLike,
    status: ArrayLike,
    covariates: ArrayLike,
    *,
    failure_code: int = 1,
    causes: Sequence[int] = (1, 2),
    censor_code: int = 0,
    covariate_names: Sequence[str] | None = None,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> FineGrayResult:
    """Fit the Fine-Gray model for ``failure_code``: R ``crr(time, status, cov1 = x, failcode = failure_code)``.

    Parameters
    ----------
    time:
        Follow-up time per subject (>= 0), in any one unit.
    status:
        ``censor_code`` or one of ``causes`` per subject; the codes other than ``failure_code`` compete.
    covariates:
        An (n, p) matrix (or one column) of fixed covariates (R ``cov1``).
    covariate_names:
        Names of the p columns (default ``x0..x{p-1}``).
    max_iter, tol:
        Newton-Raphson limits (tighter than crr's default, as ``gtol = 1e-10``).

    Returns
    -------
    FineGrayResult
        Log subdistribution hazard ratios with crr's robust standard errors (see the class).
    """
    t = as_times(time, "time")
    codes = check_causes(causes, censor_code)
    s = as_codes(status, "status", (censor_code, *codes), t.size)
    if failure_code not in codes:
        raise OutcomeInputError(f"failure_code: got {failure_code!r}; expected one of causes {list(codes)}")
    x = as_covariates(covariates, "covariates", t.size)
    names = names_or_default(covariate_names, x.shape[1], "covariate_names")
    mark = np.where(s == censor_code, 0, np.where(s == failure_code, 1, 2)).astype(np.int64)
    n_events = int((mark == 1).sum())
    if n_events == 0:
        raise OutcomeInputError(
            f"status: got no subject with failure_code {failure_code}; expected at least one such event"
        )
    xc = x - x.mean(axis=0)  # centring leaves coefficients and the sandwich unchanged
    data = _FineGrayData(t, mark, xc)
    beta, ll0, ll, info, iters, ok = newton_raphson(data, x.shape[1], max_iter, tol)
    inv = np.linalg.inv(info)
    var = inv @ data.sigma(beta) @ inv
    return FineGrayResult(
        names=names,
        coef=beta,
        std_error=np.sqrt(np.diag(var)),
        variance=var,
        information=info,
        loglik_null=ll0,
        loglik=ll,
        failure_code=failure_code,
        n_obs=int(t.size),
        n_events=n_events,
        iterations=iters,
        converged=ok,
    )
