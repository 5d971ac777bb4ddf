"""Survival and cumulative incidence figures a journal accepts: curves, bands, censoring, numbers at risk, test.

Published HSCT outcome figures (CIBMTR, EBMT) show step curves with tick marks where patients were
censored, pointwise confidence bands, each group's size, the test comparing the groups with its p-value
(log-rank for Kaplan-Meier curves, Gray's test for cumulative incidences) and the numbers at risk under
the time axis, so that readers can judge how much data support the tail. Times are shown in the unit
asked (``time_unit``: days, months or years, converted from the curves' own) with round ticks; a
cumulative-incidence axis ends just above the data (a 20% incidence is not drawn in the bottom fifth).
The layout is :mod:`engraft.outcomes.plot_layout`'s: the table's columns sit under the ticks and its
group names are never cut, whatever the figure's size.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so they render with
the non-interactive Agg backend in servers and tests; :mod:`engraft.io.figures` renders and saves them
as PNG, SVG and PDF at a chosen size and resolution.

Where a log-log limit is undefined (S = 1 before the first event, F = 0), the band is drawn at the
estimate itself; the numbers at risk count subjects with follow-up time >= t (for delayed-entry data
they are the risk-set sizes at the next observed time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import StrMethodFormatter

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError, as_times, check_time_unit
from engraft.outcomes.endpoints import convert_time
from engraft.outcomes.plot_layout import (
    GROUP_SIZE,
    NUMBER_AT_RISK,
    TIME_AXIS,
    CurveTest,
    TestResult,
    draw_risk_table,
    figure_and_axes,
    incidence_top,
    layout,
    p_text,
    probability_ticks,
    settle,
    time_ticks,
)
from engraft.vocabulary import TimeUnit

__all__ = [
    "NUMBER_AT_RISK",
    "TIME_AXIS",
    "CurveTest",
    "IncidenceCurves",
    "SurvivalCurve",
    "numbers_at_risk",
    "plot_cumulative_incidence",
    "plot_incidence_by_cause",
    "plot_survival",
]


class SurvivalCurve(Protocol):
    """What a survival figure reads of a curve (a :class:`~engraft.outcomes.KaplanMeierResult`)."""

    @property
    def time(self) -> FloatArray: ...
    @property
    def n_risk(self) -> IntArray: ...
    @property
    def n_censor(self) -> IntArray: ...
    @property
    def n_obs(self) -> int: ...
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
    def n_censor(self) -> IntArray: ...
    @property
    def n_obs(self) -> int: ...
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
    n_censor: IntArray
    n_obs: int | None
    unit: TimeUnit


def _incidence_curve(label: str, fit: IncidenceCurves, j: int, n_obs: int | None) -> _Curve:
    return _Curve(
        label,
        fit.time,
        fit.cif[:, j],
        fit.lower[:, j],
        fit.upper[:, j],
        fit.n_risk,
        fit.n_censor,
        n_obs,
        fit.time_unit,
    )


def numbers_at_risk(time: FloatArray, n_risk: IntArray, at: Sequence[float]) -> IntArray:
    """Subjects at risk at each time in ``at``, from a curve's distinct times and risk sets."""
    points = as_times(list(at), "at")
    idx = np.searchsorted(time, points, side="left")
    padded = np.concatenate((n_risk, [0]))
    return padded[idx].astype(np.int64)


def plot_survival(
    curves: Mapping[str, SurvivalCurve],
    *,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Survival probability",
    time_unit: TimeUnit | str | None = None,
    test: TestResult | None = None,
    censor_marks: bool = True,
    group_sizes: bool = True,
    size_in: tuple[float, float] | None = None,
) -> Figure:
    """Kaplan-Meier curves (one per label) with log-log bands, censoring marks and numbers at risk.

    ``time_unit`` is the unit of the time axis (default: the curves'; they must share one);
    ``risk_times`` (in that unit) are the x ticks and the columns of the numbers-at-risk table
    (default: at most seven round values up to the last time); ``test`` (e.g. the log-rank test's
    :class:`~engraft.outcomes.results.GroupTest`, or ``CurveTest("log-rank", p)``) is printed with
    its p-value; ``group_sizes`` adds ``(n = N)`` to each legend entry; ``censor_marks`` draws a
    tick where patients were censored; ``bands=False`` leaves the confidence bands out; ``size_in``
    is the figure's (width, height) in inches (also settable when saving).
    """
    if not curves:
        raise OutcomeInputError("curves: got an empty mapping; expected at least one labelled curve")
    drawn = [
        _Curve(label, c.time, c.survival, c.lower, c.upper, c.n_risk, c.n_censor, c.n_obs, c.time_unit)
        for label, c in curves.items()
    ]
    return _plot(
        drawn,
        1.0,
        _Options(risk_times, bands, title, ylabel, time_unit, test, censor_marks, group_sizes, size_in),
    )


def plot_cumulative_incidence(
    curves: Mapping[str, IncidenceCurves],
    cause: int,
    *,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Cumulative incidence",
    time_unit: TimeUnit | str | None = None,
    test: TestResult | None = None,
    censor_marks: bool = True,
    group_sizes: bool = True,
    size_in: tuple[float, float] | None = None,
) -> Figure:
    """Aalen-Johansen CIFs of ``cause`` (one per label) with log-log bands and numbers at risk.

    The options are :func:`plot_survival`'s (``test``: Gray's test of this cause); the y axis ends
    just above the highest estimate (or upper limit, with bands).
    """
    if not curves:
        raise OutcomeInputError("curves: got an empty mapping; expected at least one labelled curve")
    drawn = []
    for label, fit in curves.items():
        j = fit.column(cause)
        drawn.append(_incidence_curve(label, fit, j, fit.n_obs))
    return _plot(
        drawn,
        0.0,
        _Options(risk_times, bands, title, ylabel, time_unit, test, censor_marks, group_sizes, size_in),
    )


def plot_incidence_by_cause(
    fit: IncidenceCurves,
    *,
    causes: Sequence[int] | None = None,
    labels: Mapping[int, str] | None = None,
    risk_times: Sequence[float] | None = None,
    bands: bool = True,
    title: str | None = None,
    ylabel: str = "Cumulative incidence",
    time_unit: TimeUnit | str | None = None,
    censor_marks: bool = True,
    size_in: tuple[float, float] | None = None,
) -> Figure:
    """The CIF of each of ``causes`` (default: all of the fit's) in one figure, like R ``plot(cuminc(...))``.

    ``labels`` names each cause (default ``"cause K"``); the numbers at risk are the fit's (all causes
    share one risk set), shown once, labelled with the number of patients.
    """
    chosen = list(fit.causes if causes is None else causes)
    if not chosen:
        raise OutcomeInputError("causes: got an empty sequence; expected at least one cause to draw")
    names = dict(labels or {})
    drawn = []
    for cause in chosen:
        j = fit.column(cause)
        drawn.append(_incidence_curve(names.get(cause, f"cause {cause}"), fit, j, None))
    one_row = GROUP_SIZE(group="All", n=fit.n_obs)
    options = _Options(risk_times, bands, title, ylabel, time_unit, None, censor_marks, False, size_in)
    return _plot(drawn, 0.0, options, one_risk_row=one_row)


class _Options(NamedTuple):
    risk_times: Sequence[float] | None
    bands: bool
    title: str | None
    ylabel: str
    time_unit: TimeUnit | str | None
    test: TestResult | None
    censor_marks: bool
    group_sizes: bool
    size_in: tuple[float, float] | None


def _shown_unit(curves: Sequence[_Curve], asked: TimeUnit | str | None) -> tuple[TimeUnit, TimeUnit]:
    units = {c.unit for c in curves}
    if len(units) != 1:
        raise OutcomeInputError(f"curves: got time units {sorted(units)}; expected one unit for a shared axis")
    own = TimeUnit(units.pop())
    return own, own if asked is None else check_time_unit(str(asked))


def _ticks(options: _Options, max_time: float, unit: TimeUnit) -> FloatArray:
    if options.risk_times is None:
        return time_ticks(max_time, unit)
    ticks = np.unique(as_times(list(options.risk_times), "risk_times"))
    if ticks.size == 0:
        raise OutcomeInputError("risk_times: got an empty sequence; expected at least one time")
    return ticks


def _draw_curve(ax: Axes, c: _Curve, x: FloatArray, start: float, options: _Options) -> Line2D:
    xs = np.concatenate(([0.0], x))
    ys = np.concatenate(([start], c.estimate))
    (line,) = ax.step(xs, ys, where="post", linewidth=1.4)
    colour = to_hex(line.get_color())
    if options.bands:
        lo = np.concatenate(([start], np.where(np.isnan(c.lower), c.estimate, c.lower)))
        hi = np.concatenate(([start], np.where(np.isnan(c.upper), c.estimate, c.upper)))
        ax.fill_between(xs, lo, hi, step="post", alpha=0.15, color=colour, linewidth=0)
    if options.censor_marks:
        censored = c.n_censor > 0
        ax.plot(
            x[censored],
            c.estimate[censored],
            linestyle="none",
            marker="|",
            markersize=6,
            markeredgewidth=1.0,
            color=colour,
        )
    return line


def _legend_label(c: _Curve, options: _Options) -> str:
    return GROUP_SIZE(group=c.label, n=c.n_obs) if options.group_sizes and c.n_obs is not None else c.label


def _plot(curves: Sequence[_Curve], start: float, options: _Options, one_risk_row: str | None = None) -> Figure:
    own, unit = _shown_unit(curves, options.time_unit)
    times = [convert_time(c.time, own, unit) for c in curves]
    table_labels = [one_risk_row] if one_risk_row else [c.label for c in curves]
    plan = layout([_legend_label(c, options) for c in curves], table_labels, options.size_in)
    fig, key, ax, table = figure_and_axes(plan)
    drawn = [_draw_curve(ax, c, x, start, options) for c, x in zip(curves, times, strict=True)]
    max_time = max((float(x[-1]) for x in times if x.size), default=0.0)
    ticks = _ticks(options, max_time, unit)
    ax.set_xlim(0.0, max(float(ticks[-1]), max_time) or 1.0)
    ax.set_xticks(ticks)
    ax.set_xlabel(TIME_AXIS(unit=unit.value))
    ax.set_ylabel(options.ylabel)
    if start == 0.0:
        bounds = [np.where(np.isnan(c.upper), c.estimate, c.upper) if options.bands else c.estimate for c in curves]
        top = incidence_top(bounds)
        ax.set_ylim(0.0, top)
        ax.set_yticks(probability_ticks(top))
    else:
        ax.set_ylim(0.0, 1.0)
        ax.set_yticks(probability_ticks(1.0))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}" if ax.get_ylim()[1] < 0.3 else "{x:.1f}"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    key.legend(
        drawn,
        plan.legend,
        loc="upper left",
        ncols=plan.legend_columns,
        frameon=False,
        title=None if options.test is None else p_text(options.test),
        alignment="left",
        borderaxespad=0.0,
    )
    if options.title:
        key.set_title(options.title, loc="left")
    if one_risk_row:
        rows = [(plan.table[0], numbers_at_risk(times[0], curves[0].n_risk, list(ticks)))]
        colours = ["black"]
    else:
        rows = [
            (label, numbers_at_risk(x, c.n_risk, list(ticks)))
            for label, c, x in zip(plan.table, curves, times, strict=True)
        ]
        colours = [to_hex(line.get_color()) for line in drawn]
    draw_risk_table(table, rows, colours, ticks, unit.value)
    settle(fig)
    return fig
