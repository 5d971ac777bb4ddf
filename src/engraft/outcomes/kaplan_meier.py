"""Kaplan-Meier survival with Greenwood variance, log-log intervals, quantiles and landmarks.

The product-limit estimator (Kaplan & Meier 1958, JASA 53:457) is the reference summary of overall
and event-free survival after transplant. Its variance follows Greenwood (1926, Reports on Public
Health and Medical Subjects 33); intervals use the complementary log-log transform, which keeps the
limits inside (0, 1) and behaves better than the plain interval in small tails. All outputs are
defined to coincide with R ``survival::survfit(..., conf.type = "log-log")`` (Therneau), including
the ``std.err`` convention (standard error of the cumulative hazard) and the quantile rule of
``quantile.survfit`` (averaging where the curve is flat exactly at the requested probability).

Delayed entry (left truncation, ``entry`` < ``time``) is supported as in
``survfit(Surv(entry, time, status) ~ 1)``: a subject is at risk on ``(entry, time]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from engraft.outcomes._counting import event_table
from engraft.outcomes._memory import no_hugepage_advice
from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    as_indicator,
    as_times,
    check_entry,
    check_probability,
    check_time_unit,
)
from engraft.outcomes.tidy import FrameKind, to_frame
from engraft.vocabulary import TimeUnit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Tolerance used by R ``quantile.survfit`` (``sqrt(.Machine$double.eps)``).
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


@dataclass(frozen=True, slots=True)
class QuantileEstimate:
    """A survival-time quantile (e.g. the median) with its confidence limits (NaN if not reached)."""

    probability: float
    estimate: float
    lower: float
    upper: float
    time_unit: TimeUnit


@dataclass(frozen=True, slots=True, eq=False)
class SurvivalAtTimes:
    """Kaplan-Meier survival read off the curve at requested times (NaN beyond the last follow-up).

    Equals R ``summary(survfit(Surv(time, event) ~ 1, conf.type = "log-log"), times = times)``:
    ``survival`` is ``surv``, ``std_error`` is ``std.err`` (the Greenwood standard error of S itself,
    a probability), ``lower``/``upper`` are the log-log limits at ``conf_level``. ``time`` is in
    ``time_unit``. Before the first observed time S is 1 with standard error 0 and no limits (NaN).
    """

    time: FloatArray
    survival: FloatArray
    std_error: FloatArray
    lower: FloatArray
    upper: FloatArray
    time_unit: TimeUnit
    conf_level: float = 0.95

    @property
    def estimate(self) -> FloatArray:
        """The survival probabilities (the name every ``at()`` result shares)."""
        return self.survival

    @property
    def variance(self) -> FloatArray:
        """Greenwood variance of S: ``std_error ** 2``."""
        return np.asarray(self.std_error**2, dtype=np.float64)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """One row per requested time: time, survival, std_error, lower, upper (a pandas/polars/Arrow frame)."""
        return to_frame(
            {
                "time": self.time,
                "survival": self.survival,
                "std_error": self.std_error,
                "lower": self.lower,
                "upper": self.upper,
            },
            kind,
        )


LandmarkEstimate = SurvivalAtTimes
"""The former name of :class:`SurvivalAtTimes`, kept for existing callers."""


@dataclass(frozen=True, slots=True, eq=False)
class KaplanMeierResult:
    """Kaplan-Meier curve evaluated at every distinct observed time (as ``survfit`` reports it).

    Equals R ``survfit(Surv(time, event) ~ 1, conf.type = "log-log")`` (or ``Surv(entry, time,
    event)`` with delayed entry), field by field: ``time``, ``n_risk`` (``n.risk``), ``n_event``,
    ``n_censor``, ``survival`` (``surv``), ``cumhaz_std_error`` (``std.err``: the Greenwood standard
    error of the cumulative hazard -log S, on the log scale, infinite once S reaches 0), ``lower``
    and ``upper`` (log-log limits at ``conf_level``; NaN where S is 0 or 1). ``std_error`` is the
    standard error of S itself (``summary.survfit``'s ``std.err``). Times are in ``time_unit``;
    ``n_obs`` counts the subjects.
    """

    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    survival: FloatArray
    cumhaz_std_error: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_level: float
    time_unit: TimeUnit
    n_obs: int

    @property
    def estimate(self) -> FloatArray:
        """The survival curve (the name every estimator's result shares)."""
        return self.survival

    @property
    def std_error(self) -> FloatArray:
        """Greenwood standard error of S (``survival * cumhaz_std_error``; NaN where S is 0)."""
        with np.errstate(invalid="ignore"):
            return np.asarray(self.survival * self.cumhaz_std_error, dtype=np.float64)

    def at(self, times: ArrayLike) -> SurvivalAtTimes:
        """Survival at ``times`` (in ``time_unit``): R ``summary(fit, times = times)``.

        Right-continuous step function: 1 before the first observed time, NaN beyond the last
        follow-up time (R stops there too).
        """
        t = as_times(times, "times")
        idx = np.searchsorted(self.time, t, side="right") - 1
        before = idx < 0
        beyond = t > self.time[-1]
        safe = np.clip(idx, 0, None)
        surv = np.where(before, 1.0, self.survival[safe])
        se_log = np.where(before, 0.0, self.cumhaz_std_error[safe])
        lower = np.where(before, np.nan, self.lower[safe])
        upper = np.where(before, np.nan, self.upper[safe])
        nan = np.full(t.shape, np.nan)
        with np.errstate(invalid="ignore"):  # S = 0 has an infinite log-scale error: NaN, as R
            se_surv = se_log * surv
        return SurvivalAtTimes(
            time=t,
            survival=np.where(beyond, nan, surv),
            std_error=np.where(beyond, nan, se_surv),
            lower=np.where(beyond, nan, lower),
            upper=np.where(beyond, nan, upper),
            time_unit=self.time_unit,
            conf_level=self.conf_level,
        )

    def survival_at(self, times: ArrayLike) -> SurvivalAtTimes:
        """The same as :meth:`at` (its former name)."""
        return self.at(times)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """The curve as a tidy frame, one row per distinct time (R ``summary(fit)`` with censored times).

        Columns: time, n_risk, n_event, n_censor, survival, std_error (of S), cumhaz_std_error
        (R ``std.err``), lower, upper. ``kind``: ``"pandas"`` (default), ``"polars"`` or ``"arrow"``.
        """
        return to_frame(curve_columns(self), kind)

    def plot(self, *, label: str = "All", **options: Any) -> Figure:
        """This curve with its log-log band and numbers at risk (see :func:`engraft.outcomes.plots.plot_survival`).

        Returns a :class:`matplotlib.figure.Figure` (no pyplot state); save it with ``fig.savefig``
        or :func:`engraft.io.figures.save_figure`.
        """
        from engraft.outcomes.plots import plot_survival

        return plot_survival({label: self}, **options)

    def quantile(self, probability: float = 0.5) -> QuantileEstimate:
        """Time at which 1 - S first reaches ``probability``, with limits from the CI curves."""
        p = check_probability(probability, "probability")
        x = np.concatenate(([0.0], self.time))
        est = _findq(x, np.concatenate(([0.0], 1.0 - self.survival)), p)
        # the lower survival curve reaches the probability first, giving the lower time limit
        low = _findq(x, np.concatenate(([0.0], 1.0 - self.lower)), p)
        high = _findq(x, np.concatenate(([0.0], 1.0 - self.upper)), p)
        return QuantileEstimate(probability=p, estimate=est, lower=low, upper=high, time_unit=self.time_unit)

    def median(self) -> QuantileEstimate:
        """Median survival time with confidence limits (R ``print.survfit`` / ``quantile``)."""
        return self.quantile(0.5)


def curve_columns(fit: KaplanMeierResult) -> dict[str, FloatArray | IntArray]:
    """The tidy columns of a Kaplan-Meier curve (see :meth:`KaplanMeierResult.to_frame`)."""
    return {
        "time": fit.time,
        "n_risk": fit.n_risk,
        "n_event": fit.n_event,
        "n_censor": fit.n_censor,
        "survival": fit.survival,
        "std_error": fit.std_error,
        "cumhaz_std_error": fit.cumhaz_std_error,
        "lower": fit.lower,
        "upper": fit.upper,
    }


def _findq(x: FloatArray, y: FloatArray, p: float, tol: float = QUANTILE_TOLERANCE) -> float:
    """Port of the rule in R ``survival:::findq``: first x where y reaches p, averaged on ties."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return float("nan")
    xmax = float(x[-1])
    # drop duplicated y values (first occurrence kept; repeated NaN also counts as a duplicate)
    keep = np.ones(y.shape, dtype=bool)
    nan_y = np.isnan(y)
    keep[1:] = (y[1:] != y[:-1]) & ~(nan_y[1:] & nan_y[:-1])
    first_nan = np.flatnonzero(nan_y)
    if first_nan.size:
        keep[first_nan[1:]] = False
    x, y = x[keep], y[keep]

    def first_reaching(yy: FloatArray) -> int | None:
        ok = ~np.isnan(yy)
        knots, pos = yy[ok], np.flatnonzero(ok)
        if knots.size == 0 or p < knots[0] or p > knots[-1]:
            return None
        return int(pos[np.searchsorted(knots, p, side="left")])

    i1 = first_reaching(y + tol)
    i2 = first_reaching(y - tol)
    if i1 is None:
        return float("nan")
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        return (float(x[i1]) + xmax) / 2.0
    if i2 is None:
        return float("nan")
    return (float(x[i1]) + float(x[i2])) / 2.0


def risk_table(
    time: FloatArray, event: NDArray[np.unsignedinteger], entry: FloatArray | None = None
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Distinct times with numbers at risk, events and censorings (vectorised, O(n log n)).

    ``time`` validated, ``event`` a validated 0/1 indicator (:func:`~._validation.as_indicator`).
    """
    uniq, n_total, n_event = event_table(time, event)
    n = time.size
    if n_total is None:  # every time distinct: one row each, i rows before the i-th
        n_censor = np.subtract(1, n_event)
        if entry is None:  # at risk at t: all subjects with time >= t
            return uniq, np.arange(n, 0, -1, dtype=np.int64), n_event, n_censor
        left = np.arange(n, dtype=np.int64)
    else:
        n_censor = n_total - n_event
        left = np.concatenate(([0], np.cumsum(n_total)[:-1]))  # time < t
    if entry is None:
        n_risk = np.subtract(n, left, dtype=np.int64)
    else:
        entered = np.searchsorted(np.sort(entry), uniq, side="left")  # entry < t
        n_risk = np.subtract(entered, left, dtype=np.int64)
    return uniq, n_risk, n_event, n_censor


def loglog_limits(surv: FloatArray, se_cumhaz: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Complementary log-log limits as R ``survfit_confint``; NaN where S is 0 or 1.

    R writes exp(-exp(log(-log S) -+ k)) with k = z se / log S; this equals exp(log S * exp(-+k)),
    which needs fewer transcendental evaluations (it matters on million-row registries). The
    operations are done in place, in the same order as written, so no value changes.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(surv)
        np.copyto(log_s, np.nan, where=(surv == 0.0) | (surv == 1.0))
        shrink = np.multiply(-z, se_cumhaz)
        np.divide(shrink, log_s, out=shrink)
        np.exp(shrink, out=shrink)
        lower = np.multiply(log_s, shrink)
        np.exp(lower, out=lower)
        upper = np.divide(log_s, shrink, out=log_s)
        np.exp(upper, out=upper)
    return lower, upper


def product_limit(n_risk: IntArray, n_event: IntArray) -> tuple[FloatArray, FloatArray]:
    """Survival S = prod (1 - d/n) and the Greenwood standard error of -log S, sqrt(sum d / (n (n - d))).

    Every listed time has n >= 1 (the subject observed there is at risk), so no guards are needed;
    d = n gives an infinite Greenwood term, as in R, and S = 0 thereafter. One work array holds
    1 - d/n, then the Greenwood terms (the same operations as written, in place).
    """
    nr = n_risk.astype(np.float64)
    nd = n_event.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        work = np.divide(nd, nr)
        np.subtract(1.0, work, out=work)
        surv = np.multiply.accumulate(work)
        np.subtract(nr, nd, out=work)
        np.multiply(nr, work, out=work)
        np.divide(nd, work, out=work)
    std_err = np.add.accumulate(work)
    np.sqrt(std_err, out=std_err)
    return surv, std_err


@lru_cache(maxsize=16)
def _normal_quantile(level: float) -> float:
    """The two-sided normal quantile of a confidence level (scipy's call costs more than a small fit)."""
    return float(norm.ppf(1.0 - (1.0 - level) / 2.0))


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    entry: ArrayLike | None = None,
    conf_level: float = 0.95,
    time_unit: str = "days",
) -> KaplanMeierResult:
    """Fit the Kaplan-Meier estimator: R ``survfit(Surv(time, event) ~ 1, conf.type = "log-log")``.

    Parameters
    ----------
    time:
        Follow-up time for each subject (>= 0), in ``time_unit``.
    event:
        1 if the event was observed at ``time``, 0 if censored.
    entry:
        Optional delayed-entry times (left truncation), in ``time_unit``; each must be < ``time``
        (R ``Surv(entry, time, event)``).
    conf_level:
        Confidence level of the pointwise log-log intervals (R ``conf.int``), strictly in (0, 1).
    time_unit:
        The unit of ``time`` and ``entry`` (``days``, ``months`` or ``years``); kept
        on the result for its axis and tables, nothing is converted.

    Returns
    -------
    KaplanMeierResult
        The curve at every distinct observed time; see the class for the R field each one equals.

    Raises
    ------
    OutcomeInputError
        A time that is negative, NaN or infinite, an event code other than 0/1, columns of
        different lengths, an entry not before its time; the message names the field and position.
    """
    t = as_times(time, "time")
    e = as_indicator(event, "event", t.size)
    level = check_probability(conf_level, "conf_level")
    unit = check_time_unit(time_unit)
    ent = None if entry is None else check_entry(entry, t)
    with no_hugepage_advice(t.size):  # the result arrays are fresh memory (see engraft.outcomes._memory)
        uniq, n_risk, n_event, n_censor = risk_table(t, e, ent)
        surv, std_err = product_limit(n_risk, n_event)
        lower, upper = loglog_limits(surv, std_err, _normal_quantile(level))
    return KaplanMeierResult(
        time=uniq,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        survival=surv,
        cumhaz_std_error=std_err,
        lower=lower,
        upper=upper,
        conf_level=level,
        time_unit=unit,
        n_obs=int(t.size),
    )
