"""Nelson-Aalen cumulative transition hazards with variance, as R mstate's ``msfit`` without covariates.

For transition k the cumulative hazard is A_k(t) = sum over event times u <= t of d_k(u) / Y_k(u),
where d_k(u) counts the k-transitions made at u and Y_k(u) the rows of k at risk at u (Tstart < u <=
Tstop). This equals the Breslow baseline hazard of ``coxph(Surv(Tstart, Tstop, status) ~ strata(trans),
method = "breslow")`` that msfit reads. The grid is every time at which any transition is made, so all
transitions share one grid as in ``msfit(...)$Haz``, which also holds the end of follow-up. Variances
(msfit ``vartype``): ``aalen`` sums d / Y^2, ``greenwood`` sums (Y - d) d / Y^3 (for two transitions
out of one state the Greenwood covariance -d_k d_j / Y^3 is added by :mod:`engraft.outcomes.multistate_probabilities`).
All sums are vectorised over the grid (one sorted search per transition).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError
from engraft.outcomes.multistate_data import MultiStateData
from engraft.outcomes.multistate_transitions import TransitionMatrix
from engraft.outcomes.tidy import FrameKind, to_frame


class VarianceMethod(StrEnum):
    """mstate's two variance estimators (``msfit(vartype=)``, ``probtrans(method=)``); ``aalen`` is the default."""

    AALEN = "aalen"
    GREENWOOD = "greenwood"


def as_variance_method(value: str | VarianceMethod, field: str) -> VarianceMethod:
    """``value`` as a :class:`VarianceMethod`, refusing anything else with the field named."""
    for method in VarianceMethod:
        if value == method:
            return method
    raise OutcomeInputError(f"{field}: got {value!r}; expected 'aalen' or 'greenwood'")


def step_index(grid: FloatArray, times: ArrayLike) -> IntArray:
    """For each time, the index of the largest grid time <= it (-1 before the first)."""
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or not np.isfinite(t).all():
        raise OutcomeInputError("times: expected a 1-d sequence of finite times")
    return np.searchsorted(grid, t, side="right").astype(np.int64) - 1


@dataclass(frozen=True, slots=True, eq=False)
class TransitionHazards:
    """Cumulative hazards on the common event-time grid: arrays are (grid times x transitions)."""

    transitions: TransitionMatrix
    times: FloatArray
    events: IntArray
    at_risk: IntArray
    cumulative: FloatArray
    variance_aalen: FloatArray
    variance_greenwood: FloatArray

    def variance(self, method: str | VarianceMethod = VarianceMethod.AALEN) -> FloatArray:
        """Cumulative variance of each transition's hazard under ``method``."""
        m = as_variance_method(method, "variance")
        return self.variance_aalen if m is VarianceMethod.AALEN else self.variance_greenwood

    def increments(self) -> FloatArray:
        """dA_k at each grid time (d / Y)."""
        return np.diff(self.cumulative, axis=0, prepend=0.0)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS, method: str | VarianceMethod = "aalen") -> Any:
        """Every step of every transition, tidy: time, trans, from_state, to_state, n_risk, n_event,
        cumulative_hazard, std_error (as ``msfit(...)$Haz`` with ``sqrt(varHaz)`` of ``vartype = method``)."""
        tm = self.transitions
        m, k = self.times.size, tm.n_transitions
        return to_frame(
            {
                "time": np.tile(self.times, k),
                "trans": np.repeat(np.arange(1, k + 1), m),
                "from_state": np.repeat(np.asarray([t.from_name for t in tm.transitions]), m),
                "to_state": np.repeat(np.asarray([t.to_name for t in tm.transitions]), m),
                "n_risk": self.at_risk.T.ravel(),
                "n_event": self.events.T.ravel(),
                "cumulative_hazard": self.cumulative.T.ravel(),
                "std_error": np.sqrt(self.variance(method)).T.ravel(),
            },
            kind,
        )

    def at(
        self, times: ArrayLike, method: str | VarianceMethod = VarianceMethod.AALEN
    ) -> tuple[FloatArray, FloatArray]:
        """Cumulative hazards and standard errors at ``times`` (right-continuous steps; 0 before the first event).

        As ``summary(msfit, times = t, extend = TRUE)``: past the last event the last value carries forward.
        """
        idx = step_index(self.times, times)
        var = self.variance(method)
        pad_h = np.vstack((np.zeros((1, self.cumulative.shape[1])), self.cumulative))
        pad_v = np.vstack((np.zeros((1, var.shape[1])), var))
        return pad_h[idx + 1], np.sqrt(pad_v[idx + 1])


def nelson_aalen(data: MultiStateData) -> TransitionHazards:
    """Nelson-Aalen estimates of every transition's cumulative hazard from long-format data."""
    made = data.status == 1
    if not made.any():
        raise OutcomeInputError("status: got no transitions made (all 0); expected at least one event")
    # every event time, and the end of follow-up (as msfit's grid; the hazards do not change there)
    grid = np.unique(np.append(data.tstop[made], data.tstop.max()))
    n_trans = data.transitions.n_transitions
    m = grid.size
    k = data.trans - 1
    # events: one bincount over (grid position, transition) cells
    cell = np.searchsorted(grid, data.tstop[made]) * n_trans + k[made]
    events = np.bincount(cell, minlength=m * n_trans).reshape(m, n_trans).astype(np.int64)

    # at risk at grid time u_j: #(Tstart < u_j) - #(Tstop < u_j), each a cumulative count of the rows
    # whose time falls before u_j, i.e. whose first grid time strictly above it is <= j
    def before(values: FloatArray) -> IntArray:
        first_above = np.searchsorted(grid, values, side="right")
        counts = np.bincount(first_above * n_trans + k, minlength=(m + 1) * n_trans).reshape(m + 1, n_trans)
        return np.cumsum(counts, axis=0)[:m].astype(np.int64)

    at_risk = before(data.tstart) - before(data.tstop)
    d = events.astype(np.float64)
    y = at_risk.astype(np.float64)
    safe = np.where(y > 0, y, 1.0)
    dh = np.where(events > 0, d / safe, 0.0)
    aalen = np.where(events > 0, d / safe**2, 0.0)
    greenwood = np.where(events > 0, (y - d) * d / safe**3, 0.0)
    return TransitionHazards(
        transitions=data.transitions,
        times=grid,
        events=events,
        at_risk=at_risk,
        cumulative=np.cumsum(dh, axis=0),
        variance_aalen=np.cumsum(aalen, axis=0),
        variance_greenwood=np.cumsum(greenwood, axis=0),
    )
