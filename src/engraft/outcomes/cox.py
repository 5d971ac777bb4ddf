"""Cox proportional hazards regression with Efron or Breslow ties, as R ``survival::coxph``.

The Cox (1972, JRSS-B 34:187) partial likelihood estimates covariate effects on the hazard without
modelling the baseline hazard. Registry follow-up is recorded in whole days or months, so tied event
times are common; Efron's (1977, JASA 72:557) approximation is R's default and is closer to the exact
partial likelihood than Breslow's (1974). The fit is plain Newton-Raphson on centred covariates,
with step halving when the log partial likelihood decreases (as ``coxph.fit``), iterated to a much
tighter tolerance than R's default so that coefficients agree with a tightly converged coxph.
Sums over risk sets are reverse cumulative sums over sorted times, so one iteration is O(n p^2).
Delayed entry (left truncation) and strata are supported as in coxph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
    as_labels,
    as_times,
    check_entry,
    names_or_default,
)
from engraft.outcomes.tidy import FrameKind, coefficient_frame

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True, slots=True, eq=False)
class CoxResult:
    """Fitted Cox model: log hazard ratios, model-based standard errors and log partial likelihoods.

    Equals R ``coxph(Surv(time, event) ~ x, ties = ties)`` (``Surv(entry, time, event)`` and
    ``strata()`` as fitted): ``coef``, ``std_error`` (``se(coef)``, from the inverse information),
    ``variance`` (``vcov``), ``loglik_null``/``loglik`` (``loglik[1]``/``loglik[2]``);
    ``hazard_ratio``, ``z`` and ``p_value`` as ``summary(fit)$coefficients``. Coefficients are per
    unit of each covariate; ``names`` label them.
    """

    names: tuple[str, ...]
    coef: FloatArray
    std_error: FloatArray
    variance: FloatArray
    loglik_null: float
    loglik: float
    ties: Ties
    n_obs: int
    n_events: int
    iterations: int
    converged: bool

    @property
    def se(self) -> FloatArray:
        """The same as ``std_error`` (its former name)."""
        return self.std_error

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS, *, conf_level: float = 0.95) -> Any:
        """The coefficient table, one row per term: R ``summary(fit)$coefficients`` and ``$conf.int``.

        Columns: term, coef, hazard_ratio, std_error, z, p_value, lower, upper (Wald limits of the
        hazard ratio at ``conf_level``).
        """
        return coefficient_frame(self.names, self.coef, self.std_error, conf_level, "hazard_ratio", kind)

    @property
    def hazard_ratio(self) -> FloatArray:
        """exp(coef)."""
        return np.exp(self.coef)

    @property
    def z(self) -> FloatArray:
        """Wald statistics coef / se."""
        return self.coef / self.std_error

    @property
    def p_value(self) -> FloatArray:
        """Two-sided Wald p-values."""
        return np.asarray(2.0 * norm.sf(np.abs(self.z)), dtype=np.float64)


class _PartialLikelihood:
    """Log partial likelihood, score and information of one stratum, evaluated at any beta.

    With delayed entry a subject is at risk on (entry, time]: risk-set sums at t are the sums over
    time >= t minus the sums over entry >= t (a subset, since entry < time).
    """

    def __init__(
        self, time: FloatArray, event: FloatArray, x: FloatArray, ties: Ties, entry: FloatArray | None
    ) -> None:
        order = np.argsort(time, kind="stable")
        self.x = x[order]
        ev = event[order]
        uniq, inv = np.unique(time[order], return_inverse=True)
        self.inv = inv
        self.m = uniq.size
        self.ev = ev
        self.entry_order: IntArray | None = None
        self.entry_pos = np.zeros(0, dtype=np.int64)
        if entry is not None:
            ent = entry[order]
            self.entry_order = np.argsort(ent, kind="stable")
            self.entry_pos = np.searchsorted(ent[self.entry_order], uniq, side="left")
        # one row per event; Efron's fraction k/d for the k-th of d tied events (0 for Breslow)
        ev_idx = np.flatnonzero(ev > 0)
        self.ev_idx = ev_idx
        self.ev_time = inv[ev_idx]
        d = np.bincount(self.ev_time, minlength=self.m)
        first = np.concatenate(([0], np.cumsum(d)[:-1]))
        rank = np.arange(ev_idx.size) - first[self.ev_time]
        self.frac = rank / d[self.ev_time] if ties == "efron" else np.zeros(ev_idx.size)

    def evaluate(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        x, inv, m = self.x, self.inv, self.m
        p = x.shape[1]
        eta = x @ beta
        r = np.exp(eta)
        rx = r[:, None] * x
        rxx = rx[:, :, None] * x[:, None, :]

        def by_time(values: FloatArray) -> FloatArray:
            out = np.zeros((m, *values.shape[1:]))
            np.add.at(out, inv, values)
            return out

        def risk(values: FloatArray) -> FloatArray:
            # sum over subjects with time >= t_j: reverse cumulative sum over distinct times
            out: FloatArray = np.cumsum(by_time(values)[::-1], axis=0)[::-1]
            if self.entry_order is not None:
                by_entry = values[self.entry_order]
                tail = np.concatenate((np.cumsum(by_entry[::-1], axis=0)[::-1], np.zeros((1, *values.shape[1:]))))
                out = out - tail[self.entry_pos]
            return out

        s0, s1, s2 = risk(r), risk(rx), risk(rxx)
        evm = self.ev[:, None]
        d0 = by_time(r * self.ev)
        d1 = by_time(rx * evm)
        d2 = by_time(rxx * evm[:, :, None])
        j, f = self.ev_time, self.frac
        a0 = s0[j] - f * d0[j]
        a1 = s1[j] - f[:, None] * d1[j]
        a2 = s2[j] - f[:, None, None] * d2[j]
        xe = x[self.ev_idx]
        loglik = float(eta[self.ev_idx].sum() - np.log(a0).sum())
        mean = a1 / a0[:, None]
        score = xe.sum(axis=0) - mean.sum(axis=0)
        info = (a2 / a0[:, None, None]).sum(axis=0) - np.einsum("ei,ej->ij", mean, mean)
        return loglik, score.reshape(p), info


class _Stratified:
    """Sum of per-stratum partial likelihoods (separate baseline hazards, common coefficients)."""

    def __init__(self, parts: list[_PartialLikelihood]) -> None:
        self.parts = parts

    def evaluate(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        total = 0.0
        score = np.zeros(beta.size)
        info = np.zeros((beta.size, beta.size))
        for part in self.parts:
            ll, sc, im = part.evaluate(beta)
            total += ll
            score += sc
            info += im
        return total, score, info


def cox_ph(
    time: ArrayLike,
    event: ArrayLike,
    covariates: ArrayLike,
    *,
    ties: str = "efron",
    entry: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    covariate_names: Sequence[str] | None = None,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> CoxResult:
    """Fit a Cox model with fixed covariates: R ``coxph(Surv(time, event) ~ x, ties = ties)``.

    Parameters
    ----------
    time:
        Follow-up time per subject (>= 0), in any one unit (coefficients do not depend on it).
    event:
        1 if the event was observed at ``time``, 0 if censored.
    covariates:
        An (n, p) matrix (or one column); coefficients are log hazard ratios per unit of each.
    ties:
        ``"efron"`` (R's default) or ``"breslow"``.
    entry:
        Delayed-entry times (left truncation, R ``Surv(entry, time, event)``), each < ``time``.
    strata:
        Labels giving separate baseline hazards per stratum (R ``strata()``).
    covariate_names:
        Names of the p columns (default ``x0..x{p-1}``); they label ``to_frame()`` rows.
    max_iter, tol:
        Newton-Raphson limits; the default tolerance is far tighter than R's, so coefficients equal a
        tightly converged coxph (``coxph.control(eps = 1e-11)``).

    Returns
    -------
    CoxResult
        Coefficients, standard errors, variance and log partial likelihoods (see the class).
    """
    t = as_times(time, "time")
    e = as_codes(event, "event", (0, 1), t.size)
    x = as_covariates(covariates, "covariates", t.size)
    if ties not in ("efron", "breslow"):
        raise OutcomeInputError(f"ties: got {ties!r}; expected 'efron' or 'breslow'")
    method: Ties = "efron" if ties == "efron" else "breslow"
    names = names_or_default(covariate_names, x.shape[1], "covariate_names")
    if e.sum() == 0:
        raise OutcomeInputError("event: got no events (all 0); expected at least one event to fit a Cox model")
    xc = x - x.mean(axis=0)  # centring, as coxph, for numerical stability; coefficients are unchanged
    ent = None if entry is None else check_entry(entry, t)
    st, levels = (np.zeros(t.size, dtype=np.int64), (0,)) if strata is None else as_labels(strata, "strata", t.size)
    ev = e.astype(np.float64)
    objective = _Stratified(
        [
            _PartialLikelihood(t[st == k], ev[st == k], xc[st == k], method, None if ent is None else ent[st == k])
            for k in range(len(levels))
        ]
    )
    beta, ll0, ll, info, iters, ok = newton_raphson(objective, x.shape[1], max_iter, tol)
    var = np.linalg.inv(info).astype(np.float64)
    return CoxResult(
        names=names,
        coef=beta,
        std_error=np.sqrt(np.diag(var)),
        variance=var,
        loglik_null=ll0,
        loglik=ll,
        ties=method,
        n_obs=int(t.size),
        n_events=int(e.sum()),
        iterations=iters,
        converged=ok,
    )
