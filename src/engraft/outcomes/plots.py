"""Survival and cumulative incidence figures with confidence bands and a numbers-at-risk table.

Published HSCT outcome figures (CIBMTR, EBMT) show step curves, pointwise confidence bands and the
numbers at risk under the time axis, so that readers can judge how much data support the tail.
Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so they render
with the non-interactive Agg backend in servers and tests; :mod:`engraft.io.figures` renders and saves
them as PNG and SVG.

Where a log-log limit is undefined (S = 1 before the first event, F = 0), the band is drawn at the
estimate itself; the numbers at risk count subjects with follow-up time >= t (for delayed-entry data
they are the risk-set sizes at the next observed time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError, as_times
from engraft.vocabulary import TimeUnit
from engraft.vocabulary.phrases import Phrase

NUMBER_AT_RISK: Final = Phrase("Number at risk (time in {unit})")
TIME_AXIS: Final = Phrase("Time ({unit})")
"""The figures' own labels (English; the pages translate the drawn figure)."""


class SurvivalCurve(Protocol):
    """What a survival figure reads of a curve (a :class:`~engraft.outcomes.KaplanMeierResult`)."""

    @property
    def time(self) -> FloatArray: ...
    @property
    def n_risk(self) -> IntArray: ...
    @property
    def survival(self) -> FloatArray: ...
    @property
    def lower(self) -> FloatArray: ...
    @property
    def upper(self) -> FloatArray: ...
    @property
    def time_unit(self) -> TimeUnit: ...


class IncidenceCurves(Protocol):
    """What an incidence figure reads of a fit (a :class:`~engraft.outcomes.CumulativeIncidenceResult`)."""

    @property
    def time(self) -> FloatArray: ...
    @property
    def n_risk(self) -> IntArray: ...
    @property
    def cif(self) -> FloatArray: ...
    @property
    def lower(self) -> FloatArray: ...
    @property
    def upper(self) -> FloatArray: ...
    @property
    def time_unit(self) -> TimeUnit: ...
    @property
    def causes(self) -> tuple[int, ...]: ...
    def column(self, cause: int) -> int: ...


class _Curve(NamedTuple):
    label: str
    time: FloatArray
    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray
    n_risk: IntArray
    unit: TimeUnit


def _incidence_curve(label: str, fit: IncidenceCurves, j: int) -> _Curve:
    return _Curve(label, fit.time, fit.cif[:, j], fit.lower[:, j], fit.upper[:, j], fit.n_risk, fit.time_unit)


def numbers_at_risk(time: FloatArray, n_risk: IntArray, at: Sequence[float]) -> IntArray:
    """Subjects at risk at each time in ``at``, from a curve's distinct times and risk sets."""
    points = as_times(list(at), "at")
    idx = np.searchsorted(time, points, side="left")
    padded = np.concatenate((n_risk, [0]))
    return padded[idx].astype(np.int64)


def _default_ticks(max_time: float) -> FloatArray:
    ticks = np.asarray(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, max_time), dtype=np.float64)
    return ticks[(ticks >= 0.0) & (ticks <= max_time)]


def _draw_curve(
    ax: Axes, x: FloatArray, y: FloatArray, lower: FloatArray, upper: FloatArray, start: float, label: str, band: bool
) -> None:
    xs = np.concatenate(([0.0], x))
    ys = np.concatenate(([start], y))
    (line,) = ax.step(xs, ys, where="post", label=label)
    if band:
        lo = np.concatenate(([start], np.where(np.isnan(lower), y, lower)))
        hi = np.concatenate(([start], np.where(np.isnan(upper), y, upper)))
        ax.fill_between(xs, lo, hi, step="post", alpha=0.2, color=line.get_color(), linewidth=0)


def _risk_table(fig: Figure, ax: Axes, rows: Mapping[str, IntArray], ticks: FloatArray, unit: str) -> None:
    table = fig.add_axes((ax.get_position().x0, 0.04, ax.get_position().width, 0.05 + 0.035 * len(rows)))
    table.set_xlim(ax.get_xlim())
    table.set_ylim(-0.5, len(rows) - 0.5)
    table.set_yticks(range(len(rows)), list(rows)[::-1])
    table.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        table.spines[side].set_visible(False)
    table.tick_params(left=False, pad=18)
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    for tick in table.get_yticklabels():
        tick.set_color(colours.get(tick.get_text(), "black"))
    for k, counts in enumerate(list(rows.values())[::-1]):
        for t, c in zip(ticks, counts, strict=True):
            table.text(float(t), k, str(int(c)), ha="center", va="center", fontsize=8)
    table.set_title(NUMBER_AT_RISK(unit=unit), fontsize=8, loc="left")


def _figure(n_rows: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(7.0, 5.0 + 0.25 * n_rows))
    bottom = 0.2 + 0.035 * n_rows
    ax = fig.add_axes((0.18, bottom, 0.77, 0.92 - bottom))
    return fig, ax


def plot_survival(
    curves: Mapping[str, SurvivalCurve],
    *,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Survival probability",
) -> Figure:
    """Kaplan-Meier curves (one per label) with log-log bands and numbers at risk.

    ``risk_times`` (in the curves' time unit) are the x ticks and the columns of the numbers-at-risk
    table (default: about six round values up to the last time); ``bands=False`` leaves the
    confidence bands out. All curves must share one time unit.
    """
    if not curves:
        raise OutcomeInputError("curves: got an empty mapping; expected at least one labelled curve")
    drawn = [_Curve(label, c.time, c.survival, c.lower, c.upper, c.n_risk, c.time_unit) for label, c in curves.items()]
    return _plot(drawn, 1.0, risk_times=risk_times, bands=bands, title=title, ylabel=ylabel)


def plot_cumulative_incidence(
    curves: Mapping[str, IncidenceCurves],
    cause: int,
    *,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Cumulative incidence",
) -> Figure:
    """Aalen-Johansen CIFs of ``cause`` (one per label) with log-log bands and numbers at risk."""
    if not curves:
        raise OutcomeInputError("curves: got an empty mapping; expected at least one labelled curve")
    drawn = []
    for label, fit in curves.items():
        j = fit.column(cause)
        drawn.append(_incidence_curve(label, fit, j))
    return _plot(drawn, 0.0, risk_times=risk_times, bands=bands, title=title, ylabel=ylabel)


def plot_incidence_by_cause(
    fit: IncidenceCurves,
    *,
    causes: Sequence[int] | None = None,
    labels: Mapping[int, str] | None = None,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Cumulative incidence",
) -> Figure:
    """The CIF of each of ``causes`` (default: all of the fit's) in one figure, like R ``plot(cuminc(...))``.

    ``labels`` names each cause (default ``"cause K"``); the numbers at risk are the fit's (all causes
    share one risk set), shown once.
    """
    chosen = list(fit.causes if causes is None else causes)
    if not chosen:
        raise OutcomeInputError("causes: got an empty sequence; expected at least one cause to draw")
    names = dict(labels or {})
    drawn = []
    for cause in chosen:
        j = fit.column(cause)
        label = names.get(cause, f"cause {cause}")
        drawn.append(_incidence_curve(label, fit, j))
    return _plot(drawn, 0.0, risk_times=risk_times, bands=bands, title=title, ylabel=ylabel, one_risk_row="All")


def _plot(
    curves: Sequence[_Curve],
    start: float,
    *,
    risk_times: Sequence[float] | None,
    bands: bool,
    title: str | None,
    ylabel: str,
    one_risk_row: str | None = None,
) -> Figure:
    units = {c.unit for c in curves}
    if len(units) != 1:
        raise OutcomeInputError(f"curves: got time units {sorted(units)}; expected one unit for a shared axis")
    unit = units.pop()
    n_rows = 1 if one_risk_row else len(curves)
    fig, ax = _figure(n_rows)
    for c in curves:
        _draw_curve(ax, c.time, c.estimate, c.lower, c.upper, start, c.label, bands)
    max_time = max(float(c.time[-1]) for c in curves)
    ticks = np.asarray(risk_times, dtype=np.float64) if risk_times is not None else _default_ticks(max_time)
    _finish(ax, ticks, unit, ylabel, title)
    if one_risk_row:
        first = curves[0]
        rows = {one_risk_row: numbers_at_risk(first.time, first.n_risk, list(ticks))}
    else:
        rows = {c.label: numbers_at_risk(c.time, c.n_risk, list(ticks)) for c in curves}
    _risk_table(fig, ax, rows, ticks, unit)
    return fig


def _finish(ax: Axes, ticks: FloatArray, unit: str, ylabel: str, title: str | None) -> None:
    ax.set_xlim(0.0, float(max(ticks.max(), ax.get_xlim()[1])))
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks(ticks)
    ax.set_xlabel(TIME_AXIS(unit=unit))
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
