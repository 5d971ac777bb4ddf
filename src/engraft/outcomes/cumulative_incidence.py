"""Aalen-Johansen cumulative incidence for competing risks, with cmprsk's variance.

After HSCT, relapse and non-relapse mortality compete: one-minus-Kaplan-Meier treating the other
event as censoring overstates each incidence. The Aalen-Johansen estimator (Aalen & Johansen 1978,
Scand J Stat 5:141) of the cumulative incidence function (CIF) is F_k(t) = sum_{s<=t} S(s-) d_k(s)/n(s),
with S the all-cause Kaplan-Meier curve. The variance is the asymptotic (Aalen-type) estimator that
R ``cmprsk::cuminc`` computes (Gray; Fortran routine ``cinc``), reproduced here in vectorised form so
that estimates and variances agree with cmprsk to rounding error. Pointwise intervals use the
log(-log) transform F^{exp(+-z sd / (F log F))}, which keeps the limits inside (0, 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from engraft.outcomes._counting import tabulate
from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    as_codes,
    as_labels,
    as_times,
    check_causes,
    check_probability,
    check_time_unit,
)
from engraft.outcomes.tidy import FrameKind, to_frame
from engraft.vocabulary import TimeUnit

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class IncidenceAtTimes:
    """Cumulative incidence of one cause read off the curve at requested times.

    Equals R ``cmprsk::timepoints(cuminc(ftime, fstatus), times)`` for that cause: ``incidence`` is
    ``est`` and ``variance`` is ``var`` (cmprsk's asymptotic variance); ``std_error`` is its square
    root; ``lower``/``upper`` are the log(-log) limits at ``conf_level`` (NaN where F is 0 or 1).
    Before the first observed time F is 0 with variance 0; beyond the last follow-up every value is
    NaN (``timepoints`` gives NA there). ``time`` is in ``time_unit``.
    """

    time: FloatArray
    cause: int
    incidence: FloatArray
    variance: FloatArray
    lower: FloatArray
    upper: FloatArray
    time_unit: TimeUnit
    conf_level: float = 0.95

    @property
    def estimate(self) -> FloatArray:
        """The cumulative incidences (the name every ``at()`` result shares)."""
        return self.incidence

    @property
    def std_error(self) -> FloatArray:
        """Standard error of the cumulative incidence: ``sqrt(variance)``."""
        return root_variance(self.variance)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """One row per requested time: time, cause, incidence, std_error, variance, lower, upper."""
        return to_frame(
            {
                "time": self.time,
                "cause": np.full(self.time.shape, self.cause, dtype=np.int64),
                "incidence": self.incidence,
                "std_error": self.std_error,
                "variance": self.variance,
                "lower": self.lower,
                "upper": self.upper,
            },
            kind,
        )


@dataclass(frozen=True, slots=True, eq=False)
class CumulativeIncidenceResult:
    """CIFs at every distinct observed time; column ``j`` of the 2-d arrays is ``causes[j]``.

    Equals R ``cmprsk::cuminc(ftime, fstatus, cencode = censor_code)`` without groups: ``cif`` is
    each cause's ``est`` and ``variance`` its ``var``, taken after each step (cuminc lists both
    corners of every step; here each distinct time appears once). ``std_error`` is
    ``sqrt(variance)``; ``lower``/``upper`` are log(-log) limits at ``conf_level``. ``n_risk``,
    ``n_event`` (per cause, 2-d), ``n_censor`` are the risk-set counts at each time (in
    ``time_unit``). ``event_free_survival`` is the all-cause Kaplan-Meier curve, so at every time
    ``cif.sum(axis=1) + event_free_survival == 1``.
    """

    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    cif: FloatArray
    variance: FloatArray
    lower: FloatArray
    upper: FloatArray
    event_free_survival: FloatArray
    causes: tuple[int, ...]
    conf_level: float
    time_unit: TimeUnit
    n_obs: int

    @property
    def estimate(self) -> FloatArray:
        """The CIFs (the name every estimator's result shares); column ``j`` is ``causes[j]``."""
        return self.cif

    @property
    def std_error(self) -> FloatArray:
        """Standard errors of the CIFs: ``sqrt(variance)`` (NaN when fitted without variance)."""
        return root_variance(self.variance)

    def column(self, cause: int) -> int:
        """Column index of ``cause`` in the 2-d arrays."""
        if cause not in self.causes:
            raise OutcomeInputError(f"cause: got {cause!r}; expected one of {list(self.causes)}")
        return self.causes.index(cause)

    def at(self, times: ArrayLike, cause: int) -> IncidenceAtTimes:
        """CIF of ``cause`` at ``times`` (in ``time_unit``): R ``timepoints(fit, times)``.

        0 (variance 0, no limits) before the first observed time; NaN beyond the last follow-up.
        """
        t = as_times(times, "times")
        j = self.column(cause)
        idx = np.searchsorted(self.time, t, side="right") - 1
        before, beyond = idx < 0, t > self.time[-1]
        safe = np.clip(idx, 0, None)
        out = []
        for arr, initial in (
            (self.cif, 0.0),
            (self.variance, 0.0),
            (self.lower, np.nan),
            (self.upper, np.nan),
        ):
            vals = np.where(before, initial, arr[safe, j])
            out.append(np.where(beyond, np.nan, vals))
        return IncidenceAtTimes(
            time=t,
            cause=int(cause),
            incidence=out[0],
            variance=out[1],
            lower=out[2],
            upper=out[3],
            time_unit=self.time_unit,
            conf_level=self.conf_level,
        )

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """The curves as a tidy frame: one row per (cause, distinct time).

        Columns: cause, time, n_risk, n_event (of that cause), n_censor, incidence, std_error,
        variance, lower, upper. ``kind``: ``"pandas"`` (default), ``"polars"`` or ``"arrow"``.
        """
        return to_frame(incidence_columns(self), kind)

    def plot(self, *, cause: int | None = None, label: str | None = None, **options: Any) -> Figure:
        """The CIF of ``cause`` (default: every cause, one curve each) with log-log bands and numbers at risk.

        Returns a :class:`matplotlib.figure.Figure` (see
        :func:`engraft.outcomes.plots.plot_cumulative_incidence`); ``label`` names the curve of a
        single cause (default ``"cause K"``).
        """
        from engraft.outcomes.plots import plot_cumulative_incidence, plot_incidence_by_cause

        if cause is None:
            return plot_incidence_by_cause(self, **options)
        return plot_cumulative_incidence({label or f"cause {cause}": self}, cause, **options)


def incidence_columns(fit: CumulativeIncidenceResult) -> dict[str, NDArray[Any]]:
    """The tidy columns of every cause's CIF, causes stacked in the order of ``fit.causes``."""
    k, m = len(fit.causes), fit.time.size
    return {
        "cause": np.repeat(np.asarray(fit.causes, dtype=np.int64), m),
        "time": np.tile(fit.time, k),
        "n_risk": np.tile(fit.n_risk, k),
        "n_event": fit.n_event.T.reshape(-1),
        "n_censor": np.tile(fit.n_censor, k),
        "incidence": fit.cif.T.reshape(-1),
        "std_error": fit.std_error.T.reshape(-1),
        "variance": fit.variance.T.reshape(-1),
        "lower": fit.lower.T.reshape(-1),
        "upper": fit.upper.T.reshape(-1),
    }


def root_variance(variance: FloatArray) -> FloatArray:
    """Standard errors from variances; a variance rounded a hair below 0 (cmprsk's sums can be) gives 0."""
    return np.asarray(np.sqrt(np.maximum(variance, 0.0)), dtype=np.float64)


def loglog_cif_limits(cif: FloatArray, variance: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Limits F^{exp(+-z sd/(F log F))}; NaN where F is 0 or 1 (the transform is undefined).

    Computed as exp(log F * exp(-+k)) to save transcendental evaluations on large registries.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_f = np.log(np.where((cif <= 0.0) | (cif >= 1.0), np.nan, cif))
        shrink = np.exp(-z * np.sqrt(variance) / (np.exp(log_f) * log_f))
        lower = np.exp(log_f * shrink)
        upper = np.exp(log_f / shrink)
    return lower, upper


def _aj_core(
    time: FloatArray, status: IntArray, causes: Sequence[int], z: float | None = None
) -> tuple[FloatArray, IntArray, IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Vectorised Aalen-Johansen estimate, cmprsk ``cinc`` variance and log-log limits for each cause.

    Works on (cause, time) arrays so that the running sums are contiguous cumulative sums. Without
    ``z`` only the estimates are computed (variance and limits NaN).
    """
    uniq, n_total, counts = tabulate(time, status, causes)
    m, k = counts.shape
    d = np.ascontiguousarray(counts.T, dtype=np.float64)  # (k, m)
    n_all = d.sum(axis=0) if k != 1 else d[0].copy()
    n_risk = time.size - np.concatenate(([0], np.cumsum(n_total)[:-1])).astype(np.float64)
    surv_after = np.cumprod(1.0 - n_all / n_risk)
    w = np.concatenate(([1.0], surv_after[:-1]))
    w /= n_risk  # S(t-) / n(t)
    cif = np.multiply(d, w)
    np.cumsum(cif, axis=1, out=cif)
    n_censor = (n_total - n_all).astype(np.int64)
    if z is None:
        nan = np.full((m, k), np.nan)
        return uniq, n_risk.astype(np.int64), counts, n_censor, cif.T, nan, nan, nan.copy(), surv_after
    variance, lower, upper = np.zeros((k, m)), np.empty((k, m)), np.empty((k, m))
    _cinc_variance(d, n_all, n_risk, w, surv_after, cif, z, (variance, lower, upper))
    return uniq, n_risk.astype(np.int64), counts, n_censor, cif.T, variance.T, lower.T, upper.T, surv_after


def _cinc_variance(
    d: FloatArray,
    n_all: FloatArray,
    n_risk: FloatArray,
    w: FloatArray,
    surv_after: FloatArray,
    cif: FloatArray,
    z: float,
    out: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    """cmprsk ``cinc``'s variance of each cause's CIF and its log-log limits, written into ``out`` (k x m each).

    Three running sums updated at every event time, exactly as cinc (the same operations in the
    same order, so the same bits as a direct transcription). cinc weighs d tied events by
    d (1 - (d - 1)/(n - 1)) = d - d (d - 1)/(n - 1), which is d itself for d <= 1: the correction
    is only computed at tied times. The variance is refreshed at the event times of each cause and
    is a step function in between (0 before the first), as are the CIF and so its limits: both are
    computed at those times only and carried forward by one index.
    """
    m = n_all.size
    denom = np.maximum(n_risk - 1.0, 1.0)
    ties = bool(m) and float(n_all.max()) > 1.0
    w2 = w * w
    alive = surv_after > 0
    g = np.divide(1.0, surv_after, out=np.zeros(m), where=alive)
    gg = g * g
    w2_alive = w2 * alive  # competing events add nothing once S reaches 0
    variance, lower, upper = out
    own, oth, fg, fg1, x, y = (np.empty(m) for _ in range(6))  # work arrays shared by the causes
    for j in range(d.shape[0]):
        dj = d[j]
        if ties:
            np.multiply(_tie_weighted(dj, denom), w2, out=own)  # cinc's t6 for the cause itself
            np.multiply(_tie_weighted(n_all - dj, denom), w2_alive, out=oth)
        else:
            np.multiply(dj, w2, out=own)
            np.subtract(n_all, dj, out=oth)
            oth *= w2_alive
        np.multiply(cif[j], g, out=fg)  # cinc's t4 for competing events; 1 + fg for the cause itself
        np.add(fg, 1.0, out=fg1)
        np.multiply(fg1, own, out=x)
        np.multiply(fg, oth, out=y)
        v1 = fg1
        v1 *= x
        fg *= y
        v1 += fg
        np.cumsum(v1, out=v1)
        x += y
        x *= g
        v2 = np.cumsum(x, out=x)
        own += oth
        own *= gg
        v3 = np.cumsum(own, out=y)
        at = np.flatnonzero(dj)  # the cause's own event times: where cinc refreshes the variance
        f = cif[j, at]
        v_at = f * v3[at]
        v_at -= 2.0 * v2[at]
        v_at *= f
        v_at += v1[at]
        lo, hi = loglog_cif_limits(f, v_at, z)
        index = np.zeros(m, dtype=np.intp)
        index[at] = 1
        np.cumsum(index, out=index)  # 1 + position in ``at`` of the last refresh, 0 before the first
        np.take(np.concatenate(([0.0], v_at)), index, out=variance[j], mode="clip")
        np.take(np.concatenate(([np.nan], lo)), index, out=lower[j], mode="clip")
        np.take(np.concatenate(([np.nan], hi)), index, out=upper[j], mode="clip")


def _tie_weighted(count: FloatArray, denom: FloatArray) -> FloatArray:
    """cinc's weight of ``count`` tied events, count - count (count - 1)/(n - 1): ``count`` where count <= 1."""
    out = count.copy()
    tied = np.flatnonzero(count > 1.0)
    c = count[tied]
    out[tied] = c - c * (c - 1.0) / denom[tied]
    return out


def cumulative_incidence(
    time: ArrayLike,
    status: ArrayLike,
    *,
    causes: Sequence[int] = (1, 2),
    censor_code: int = 0,
    conf_level: float = 0.95,
    time_unit: str = "days",
    variance: bool = True,
) -> CumulativeIncidenceResult:
    """Aalen-Johansen CIF of each cause in ``causes``: R ``cmprsk::cuminc(time, status, cencode = censor_code)``.

    Parameters
    ----------
    time:
        Follow-up time for each subject (>= 0), in ``time_unit``.
    status:
        ``censor_code`` (censored) or one of ``causes`` (the event that ended follow-up) per subject.
    causes:
        The competing event codes, each given its own CIF (column order of the result).
    censor_code:
        The code of a censored subject (R ``cencode``).
    conf_level:
        Level of the pointwise log(-log) limits, strictly in (0, 1).
    time_unit:
        Unit of ``time`` (``days``, ``months``, ``years``); kept on the result.
    variance:
        With ``False`` only the estimates are computed (variance and limits are NaN), which
        roughly halves the run time on very large registries.

    Returns
    -------
    CumulativeIncidenceResult
        Estimates and cmprsk variances at every distinct observed time (see the class).

    Raises
    ------
    OutcomeInputError
        A bad time, a status code outside ``censor_code`` and ``causes``, a bad level or unit.
    """
    t = as_times(time, "time")
    codes = check_causes(causes, censor_code)
    s = as_codes(status, "status", (censor_code, *codes), t.size)
    level = check_probability(conf_level, "conf_level")
    unit = check_time_unit(time_unit)
    z = float(norm.ppf(1.0 - (1.0 - level) / 2.0)) if variance else None
    uniq, n_risk, d, n_censor, cif, var, lower, upper, surv = _aj_core(t, s, codes, z)
    return CumulativeIncidenceResult(
        time=uniq,
        n_risk=n_risk,
        n_event=d,
        n_censor=n_censor,
        cif=cif,
        variance=var,
        lower=lower,
        upper=upper,
        event_free_survival=surv,
        causes=codes,
        conf_level=level,
        time_unit=unit,
        n_obs=int(t.size),
    )


def cumulative_incidence_by_group(
    time: ArrayLike,
    status: ArrayLike,
    group: ArrayLike,
    *,
    causes: Sequence[int] = (1, 2),
    censor_code: int = 0,
    conf_level: float = 0.95,
    time_unit: str = "days",
) -> dict[object, CumulativeIncidenceResult]:
    """One :func:`cumulative_incidence` per group label (labels in sorted order, as R factors)."""
    t = as_times(time, "time")
    codes = check_causes(causes, censor_code)
    s = as_codes(status, "status", (censor_code, *codes), t.size)
    g, levels = as_labels(group, "group", t.size)
    return {
        level: cumulative_incidence(
            t[g == k],
            s[g == k],
            causes=codes,
            censor_code=censor_code,
            conf_level=conf_level,
            time_unit=time_unit,
        )
        for k, level in enumerate(levels)
    }
