"""Aalen-Johansen transition probabilities and state occupation, as R mstate's ``probtrans`` (forward).

P(s, t) is the product over event times u in (s, t] of (I + dA(u)), where dA(u) holds the Nelson-Aalen
increments of every transition (off the diagonal) and minus their row sums (on it). Row g of P(s, t)
gives the probabilities of being in each state at t for a patient in state g at s ("state occupation
probabilities from state g", ``probtrans(msfit, predt = s)[[g]]``). Each row's covariance matrix follows
the recursion of ``probtrans`` (Andersen et al. 1993; de Wreede, Fiocco & Putter 2010):
V(t) = (I + dA)' V(t-) (I + dA) + sum over states h of p_h^2 Cov(row h of dA), with p the row of
P(s, t) after the update (``method = "aalen"``, mstate's default) or before it (``"greenwood"``); the
covariance of dA comes from the hazard variance (``msfit(vartype=)``): Poisson (``aalen``, no covariance
between transitions) or multinomial (``greenwood``: -d_k d_j / Y^3 between two transitions out of the
same state, which share their risk set). One step per event time,
vectorised over all starting states at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from engraft.outcomes._validation import FloatArray, OutcomeInputError
from engraft.outcomes.multistate_hazards import TransitionHazards, VarianceMethod, as_variance_method, step_index
from engraft.outcomes.multistate_transitions import TransitionMatrix
from engraft.outcomes.tidy import FrameKind, to_frame


@dataclass(frozen=True, slots=True, eq=False)
class StateOccupation:
    """Probabilities of being in each state over time, for patients in ``start_state`` at ``start_time``."""

    transitions: TransitionMatrix
    start_state: int
    start_time: float
    hazard_variance: VarianceMethod
    method: VarianceMethod
    times: FloatArray  # start_time, then every later event time
    probabilities: FloatArray  # (times, states)
    std_errors: FloatArray  # (times, states)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """Every step, tidy: time, state, probability, std_error (``probtrans(...)[[start_state]]`` in long form)."""
        m, s = self.times.size, self.transitions.n_states
        return to_frame(
            {
                "time": np.repeat(self.times, s),
                "state": np.tile(np.asarray(self.transitions.states), m),
                "probability": self.probabilities.ravel(),
                "std_error": self.std_errors.ravel(),
            },
            kind,
        )

    def at(self, times: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Probabilities and standard errors at ``times`` (>= start_time), as ``summary(pt, times, extend=TRUE)``."""
        idx = step_index(self.times, times)
        if (idx < 0).any():
            bad = float(np.asarray(times, dtype=np.float64)[np.flatnonzero(idx < 0)[0]])
            raise OutcomeInputError(f"times: got {bad!r}; expected times >= the start time {self.start_time!r}")
        return self.probabilities[idx], self.std_errors[idx]


@dataclass(frozen=True, slots=True, eq=False)
class TransitionProbabilities:
    """P(s, t) for every starting state: arrays are (times, from state, to state)."""

    transitions: TransitionMatrix
    start_time: float
    hazard_variance: VarianceMethod
    method: VarianceMethod
    times: FloatArray
    probabilities: FloatArray
    std_errors: FloatArray

    def from_state(self, state: int | str) -> StateOccupation:
        """State occupation probabilities from ``state`` (name or 1-based number)."""
        g = self.transitions.state_number(state)
        return StateOccupation(
            transitions=self.transitions,
            start_state=g,
            start_time=self.start_time,
            hazard_variance=self.hazard_variance,
            method=self.method,
            times=self.times,
            probabilities=self.probabilities[:, g - 1, :],
            std_errors=self.std_errors[:, g - 1, :],
        )


def _increments(
    hazards: TransitionHazards, after: float, variance: VarianceMethod
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Grid times > ``after``, the matrices dA (m, S, S) and the per-row covariances of dA (m, S, S, S)."""
    keep = hazards.times > after
    times = hazards.times[keep]
    dh = hazards.increments()[keep]
    dv = np.diff(hazards.variance(variance), axis=0, prepend=0.0)[keep]
    tm = hazards.transitions
    s, m = tm.n_states, times.size
    g, h = tm.from_states - 1, tm.to_states - 1
    d_a = np.zeros((m, s, s))
    cov = np.zeros((m, s, s, s))  # cov[u, g] = covariance of row g of dA(u)
    events = hazards.events[keep].astype(np.float64)
    y = hazards.at_risk[keep].astype(np.float64)
    for k in range(tm.n_transitions):
        d_a[:, g[k], h[k]] += dh[:, k]
        d_a[:, g[k], g[k]] -= dh[:, k]
        for j in range(tm.n_transitions):
            if g[j] != g[k]:
                continue
            if j == k:
                c = dv[:, k]
            elif variance is VarianceMethod.GREENWOOD:
                # multinomial covariance of two transitions out of the same state (same risk set)
                c = -events[:, k] * events[:, j] / np.where(y[:, k] > 0, y[:, k], 1.0) ** 3
            else:
                continue
            cov[:, g[k], h[k], h[j]] += c
            cov[:, g[k], g[k], h[j]] -= c
            cov[:, g[k], h[k], g[k]] -= c
            cov[:, g[k], g[k], g[k]] += c
    return times, d_a, cov


def aalen_johansen(
    hazards: TransitionHazards,
    *,
    start_time: float = 0.0,
    hazard_variance: str | VarianceMethod = VarianceMethod.AALEN,
    method: str | VarianceMethod = VarianceMethod.AALEN,
) -> TransitionProbabilities:
    """P(start_time, t) with standard errors for every starting state (``probtrans(msfit, predt)``)."""
    if not np.isfinite(start_time) or start_time < 0:
        raise OutcomeInputError(f"start_time: got {start_time!r}; expected a finite time >= 0")
    hv = as_variance_method(hazard_variance, "hazard_variance")
    pm = as_variance_method(method, "method")
    times, d_a, cov = _increments(hazards, float(start_time), hv)
    s = hazards.transitions.n_states
    eye = np.eye(s)
    probs = np.empty((times.size + 1, s, s))
    var = np.empty((times.size + 1, s, s))
    p = eye.copy()
    v = np.zeros((s, s, s))  # v[r] = covariance of row r of P
    probs[0], var[0] = p, 0.0
    after = pm is VarianceMethod.AALEN
    for i in range(times.size):
        a = eye + d_a[i]
        p_new = p @ a
        w = (p_new if after else p) ** 2
        v = np.matmul(np.matmul(a.T, v), a) + np.tensordot(w, cov[i], axes=(1, 0))
        p = p_new
        probs[i + 1] = p
        var[i + 1] = np.diagonal(v, axis1=1, axis2=2)
    return TransitionProbabilities(
        transitions=hazards.transitions,
        start_time=float(start_time),
        hazard_variance=hv,
        method=pm,
        times=np.concatenate(([float(start_time)], times)),
        probabilities=probs,
        std_errors=np.sqrt(np.clip(var, 0.0, None)),
    )
