"""Restricted mean survival time (RMST) and two-group contrasts, as R survRM2's ``rmst2`` (unadjusted).

The RMST up to tau is the area under the Kaplan-Meier curve from 0 to tau: the mean time alive (or
event-free) during the first tau units of follow-up; the restricted mean time lost (RMTL) is tau minus
it. Clinicians read it more easily than a hazard ratio, and it stays meaningful when hazards cross.
Following survRM2 (Uno et al. 2014, J Clin Oncol 32:2380; Royston & Parmar 2013, BMC Med Res Methodol
13:152): the variance is the Greenwood plug-in sum over KM steps t_i <= tau of
(area under the curve from t_i to tau)^2 * d_i / (Y_i (Y_i - d_i)) (a step where everyone at risk
fails adds 0). Two groups are compared by the RMST difference (Wald CI and p), the RMST ratio and the
RMTL ratio (delta method on the log scale). The default tau follows rmst2: the larger of the two groups'
last follow-up times unless a group's last observation is censored and ends earlier, in which case
that group's last time; a tau beyond it is refused, as rmst2 refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from engraft.outcomes._counting import tabulate
from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    as_codes,
    as_labels,
    as_times,
    check_probability,
)
from engraft.outcomes.tidy import FrameKind, to_frame


@dataclass(frozen=True, slots=True)
class RestrictedMean:
    """RMST (and RMTL) of one group up to ``tau``, with standard error and (1 - alpha) Wald limits."""

    tau: float
    rmst: float
    std_error: float
    variance: float
    lower: float
    upper: float
    n: int
    events: int

    @property
    def rmtl(self) -> float:
        """Restricted mean time lost, tau - RMST (same standard error)."""
        return self.tau - self.rmst


@dataclass(frozen=True, slots=True)
class Contrast:
    """A between-group contrast: estimate, (1 - alpha) limits and two-sided p-value."""

    estimate: float
    lower: float
    upper: float
    p_value: float


@dataclass(frozen=True, slots=True)
class RmstComparison:
    """survRM2 ``rmst2`` unadjusted result: per-group RMST and the contrasts of ``group`` vs ``reference``."""

    tau: float
    alpha: float
    group: object
    reference: object
    arm: RestrictedMean
    control: RestrictedMean
    difference: Contrast
    ratio: Contrast
    rmtl_ratio: Contrast

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """rmst2's printed tables as one: measure, estimate, std_error, lower, upper, p_value."""
        g, r = self.group, self.reference
        rows = [
            (f"RMST ({g})", self.arm.rmst, self.arm.std_error, self.arm.lower, self.arm.upper, np.nan),
            (f"RMST ({r})", self.control.rmst, self.control.std_error, self.control.lower, self.control.upper, np.nan),
            (f"RMST ({g})-({r})", *_row(self.difference)),
            (f"RMST ({g})/({r})", *_row(self.ratio)),
            (f"RMTL ({g})/({r})", *_row(self.rmtl_ratio)),
        ]
        columns = ("measure", "estimate", "std_error", "lower", "upper", "p_value")
        data: dict[str, Any] = {name: np.asarray([row[i] for row in rows]) for i, name in enumerate(columns)}
        return to_frame(data, kind)


def _row(c: Contrast) -> tuple[float, float, float, float, float]:
    return (c.estimate, np.nan, c.lower, c.upper, c.p_value)


def _area_and_variance(time: FloatArray, event: IntArray, tau: float) -> tuple[float, float, int]:
    uniq, n_at, counts = tabulate(time, event, (1,))
    d = counts[:, 0].astype(np.float64)
    at_risk = (time.size - np.concatenate(([0], np.cumsum(n_at)[:-1]))).astype(np.float64)
    keep = uniq <= tau
    t_k, d_k, y_k = uniq[keep], d[keep], at_risk[keep]
    surv = np.cumprod(1.0 - d_k / y_k)
    edges = np.concatenate(([0.0], t_k, [tau]))
    areas = np.diff(edges) * np.concatenate(([1.0], surv))
    tail = np.cumsum(areas[::-1])[::-1]  # tail[i] = area from edges[i] to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        step_var = np.where(y_k > d_k, d_k / (y_k * (y_k - d_k)), 0.0)
    variance = float(np.sum(tail[1:] ** 2 * step_var))
    return float(areas.sum()), variance, int(d.sum())


def restricted_mean(time: ArrayLike, event: ArrayLike, tau: float, *, alpha: float = 0.05) -> RestrictedMean:
    """RMST up to ``tau`` of one group (survRM2's internal ``rmst1``); ``event`` is 1 event, 0 censored."""
    t = as_times(time, "time")
    e = as_codes(event, "event", (0, 1), t.size)
    alpha = check_probability(alpha, "alpha")
    tau_f = float(tau)
    if not np.isfinite(tau_f) or tau_f <= 0:
        raise OutcomeInputError(f"tau: got {tau!r}; expected a finite time > 0")
    rmst, variance, events = _area_and_variance(t, e, tau_f)
    se = float(np.sqrt(variance))
    q = float(norm.ppf(1 - alpha / 2))
    return RestrictedMean(tau_f, rmst, se, variance, rmst - q * se, rmst + q * se, int(t.size), events)


def default_tau(time: FloatArray, event: IntArray, groups: Sequence[IntArray]) -> float:
    """survRM2's default (and largest allowed) tau for two groups given as row masks/indices."""
    last: list[tuple[float, bool]] = []
    for rows in groups:
        t, e = time[rows], event[rows]
        x = float(t.max())
        last.append((x, bool(e[t == x].max() == 1)))
    (x1, ev1), (x0, ev0) = last
    if ev1 and ev0:
        return max(x1, x0)
    if ev1 and not ev0:
        return max(x1, x0) if x1 <= x0 else x0
    if ev0 and not ev1:
        return max(x1, x0) if x0 <= x1 else x1
    return min(x1, x0)


def compare_restricted_means(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    tau: float | None = None,
    reference: object | None = None,
    alpha: float = 0.05,
) -> RmstComparison:
    """Two-group RMST comparison (``rmst2(time, status, arm, tau, alpha = alpha)``, unadjusted).

    ``group`` has exactly two labels; ``reference`` (default: the first in sorted order, R's factor
    order) plays survRM2's arm 0, the other label arm 1; contrasts are arm 1 minus (over) arm 0.
    """
    t = as_times(time, "time")
    e = as_codes(event, "event", (0, 1), t.size)
    codes, levels = as_labels(group, "group", t.size)
    alpha = check_probability(alpha, "alpha")
    if len(levels) != 2:
        raise OutcomeInputError(f"group: got {len(levels)} group(s) {list(levels)}; expected exactly 2")
    ref_index = 0
    if reference is not None:
        matches = [i for i, lv in enumerate(levels) if str(lv) == str(reference)]
        if not matches:
            raise OutcomeInputError(f"reference: got {reference!r}; expected one of {[str(lv) for lv in levels]}")
        ref_index = matches[0]
    arm_rows = np.flatnonzero(codes != ref_index)
    ctl_rows = np.flatnonzero(codes == ref_index)
    tau_max = default_tau(t, e, (arm_rows, ctl_rows))
    if tau is None:
        tau_f = tau_max
    else:
        tau_f = float(tau)
        if not np.isfinite(tau_f) or tau_f <= 0:
            raise OutcomeInputError(f"tau: got {tau!r}; expected a finite time > 0")
        if tau_f > tau_max:
            raise OutcomeInputError(
                f"tau: got {tau_f!r}; expected at most {tau_max!r} (the curves are not estimable beyond the"
                " last follow-up of the group whose last observation is censored; survRM2 refuses it too)"
            )
    arm = restricted_mean(t[arm_rows], e[arm_rows], tau_f, alpha=alpha)
    ctl = restricted_mean(t[ctl_rows], e[ctl_rows], tau_f, alpha=alpha)
    q = float(norm.ppf(1 - alpha / 2))

    def contrast(estimate: float, se: float, log: bool) -> Contrast:
        p = float(2 * norm.sf(abs(estimate) / se)) if se > 0 else float("nan")
        lo, hi = estimate - q * se, estimate + q * se
        if log:
            return Contrast(float(np.exp(estimate)), float(np.exp(lo)), float(np.exp(hi)), p)
        return Contrast(estimate, lo, hi, p)

    diff = contrast(arm.rmst - ctl.rmst, float(np.sqrt(arm.variance + ctl.variance)), False)
    ratio = contrast(
        float(np.log(arm.rmst) - np.log(ctl.rmst)),
        float(np.sqrt(arm.variance / arm.rmst**2 + ctl.variance / ctl.rmst**2)),
        True,
    )
    if arm.rmtl > 0 and ctl.rmtl > 0:
        lost = contrast(
            float(np.log(arm.rmtl) - np.log(ctl.rmtl)),
            float(np.sqrt(arm.variance / arm.rmtl**2 + ctl.variance / ctl.rmtl**2)),
            True,
        )
    else:
        lost = Contrast(float("nan"), float("nan"), float("nan"), float("nan"))
    return RmstComparison(
        tau=tau_f,
        alpha=alpha,
        group=levels[1 - ref_index],
        reference=levels[ref_index],
        arm=arm,
        control=ctl,
        difference=diff,
        ratio=ratio,
        rmtl_ratio=lost,
    )
