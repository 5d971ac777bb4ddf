"""The layout of the outcome figures: time ticks, the incidence axis, the numbers-at-risk table, the test, the font.

A journal figure (CIBMTR, EBMT, Blood, BMT) has a time axis in round steps of its unit (months by 3, 6 or
12; years by 1, 2 or 5), a numbers-at-risk table whose columns sit under those ticks and whose row labels
(the groups) are never cut, the test and its p-value on the plot, and one typeface throughout.

The figure uses matplotlib's constrained layout: the curve axes and the table axes share one column of a
grid and the time axis (``sharex``), so the layout engine gives both the same left edge, wide enough for
the longest group name, and the table's columns stay under the ticks at any figure size.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from engraft.outcomes._validation import FloatArray, IntArray
from engraft.vocabulary import TimeUnit
from engraft.vocabulary.phrases import Phrase

NUMBER_AT_RISK: Final = Phrase("Number at risk (time in {unit})")
NUMBER_AT_RISK_SHORT: Final = Phrase("Number at risk")
"""The table's title on a figure narrower than :data:`NARROW_IN` (the time axis above names the unit)."""
NARROW_IN: Final = 5.0
TIME_AXIS: Final = Phrase("Time ({unit})")
GROUP_SIZE: Final = Phrase("{group} (n = {n})")
TEST_P: Final = Phrase("{test} test, p = {p}")
TEST_P_BELOW: Final = Phrase("{test} test, p < {p}")
"""The figures' own labels (English; the pages translate the drawn figure)."""

FONT_FAMILY: Final = "DejaVu Sans"
"""The one typeface of a figure (shipped with matplotlib, so every machine draws the same glyphs)."""
FONT_SIZE: Final = 9.0
"""Points; every text of a figure (title, labels, ticks, legend, table) has this size."""
TICK_STEPS: Final[Mapping[TimeUnit, tuple[float, ...]]] = {
    TimeUnit.DAYS: (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000),
    TimeUnit.MONTHS: (1, 2, 3, 6, 12, 24, 36, 60, 120, 240),
    TimeUnit.YEARS: (0.25, 0.5, 1, 2, 5, 10, 20, 50),
}
"""Step between time ticks per unit, smallest first: months by quarters, half-years and years."""
MAX_TICKS: Final = 7
"""At most this many time ticks (columns of the numbers-at-risk table), 0 included."""
INCIDENCE_TOPS: Final = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Upper limits of a cumulative-incidence axis; the smallest above the data (with headroom) is used."""
HEADROOM: Final = 1.08
LEGEND_GID: Final = "engraft-curve-legend"
"""Marks the axes holding a survival or incidence figure's legend (:func:`fit_legend` re-flows only that one)."""


class TestResult(Protocol):
    """A k-sample test to print on a figure: its name (``log-rank``, ``Gray``) and p-value (None: not computable)."""

    @property
    def name(self) -> str: ...
    @property
    def p_value(self) -> float | None: ...


class CurveTest(NamedTuple):
    """A test named for the figure: ``CurveTest("log-rank", 0.03)`` prints ``log-rank test, p = 0.03``."""

    name: str
    p_value: float | None


def time_ticks(max_time: float, unit: TimeUnit) -> FloatArray:
    """Round ticks from 0 to the first tick at or after ``max_time`` in ``unit`` (the axis ends on a tick).

    At most :data:`MAX_TICKS`, in the smallest step of :data:`TICK_STEPS` that allows it.
    """
    top = max(float(max_time), 0.0)
    step = next((s for s in TICK_STEPS[unit] if np.ceil(top / s - 1e-9) + 1 <= MAX_TICKS), TICK_STEPS[unit][-1])
    while np.ceil(top / step - 1e-9) + 1 > MAX_TICKS:  # beyond the table: double the largest step
        step *= 2
    count = int(np.ceil(top / step - 1e-9)) + 1
    return np.arange(count, dtype=np.float64) * step


def probability_ticks(top: float) -> FloatArray:
    """Ticks of a probability axis from 0 to ``top``: steps of 0.01, 0.02, 0.05, 0.1 or 0.2, at most 6."""
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2) if top / s <= 6 + 1e-9)
    return np.round(np.arange(0.0, top + step / 2, step), 10)


def incidence_top(values: Sequence[FloatArray]) -> float:
    """The upper limit of a cumulative-incidence axis: the least of :data:`INCIDENCE_TOPS` above the data."""
    finite = [float(np.nanmax(v)) for v in values if v.size and np.isfinite(v).any()]
    highest = max(finite, default=0.0) * HEADROOM
    return next((top for top in INCIDENCE_TOPS if top >= highest - 1e-12), 1.0)


def p_text(test: TestResult) -> str | None:
    """``log-rank test, p = 0.031`` (two significant places, three below 0.01, ``p < 0.001`` below that)."""
    p = test.p_value
    if p is None or not np.isfinite(p):
        return None
    if p < 0.001:
        return TEST_P_BELOW(test=test.name, p="0.001")
    return TEST_P(test=test.name, p=f"{p:.3f}" if p < 0.01 else f"{p:.2f}")


CHAR_WIDTH_IN: Final = 0.075
"""About the width of a character at :data:`FONT_SIZE` (inches), to wrap names before they are drawn."""
LINE_IN: Final = 0.19
"""The height of a line of text at :data:`FONT_SIZE` with its spacing (inches)."""
ROW_LINE_IN: Final = 0.16
"""The height of a line of a numbers-at-risk row's label (inches; rows are 0.6 line apart)."""


def wrap(text: str, width_in: float) -> str:
    """``text`` broken at spaces into lines of about ``width_in`` inches (a long word stays whole)."""
    chars = max(int(width_in / CHAR_WIDTH_IN), 8)
    return textwrap.fill(text, chars, break_long_words=False, break_on_hyphens=False) or text


def lines(text: str) -> int:
    return text.count("\n") + 1


class Layout(NamedTuple):
    """The wrapped legend entries and their columns, the wrapped table labels, the figure's size."""

    legend: tuple[str, ...]
    legend_columns: int
    table: tuple[str, ...]
    size_in: tuple[float, float]


def layout(legend: Sequence[str], table: Sequence[str], size_in: tuple[float, float] | None) -> Layout:
    """Legend entries in up to three columns above the curves, table labels in at most 30% of the width.

    The default size is 7 inches wide (a journal's two columns) and tall enough for the legend, the
    curves (at least 3.2 inches) and the table.
    """
    width = size_in[0] if size_in else 7.0
    longest = max(len(label) for label in legend)
    fits = [c for c in (3, 2) if c <= len(legend) and (width / c - 0.6) / CHAR_WIDTH_IN >= longest]
    columns = fits[0] if fits else 1  # as many columns as hold the longest entry on one line
    wrapped_legend = tuple(wrap(label, width / columns - 0.6) for label in legend)
    wrapped_table = tuple(wrap(label, max(0.3 * width, 1.5)) for label in table)
    if size_in is None:
        size_in = (width, 3.2 + 0.6 + _legend_in(wrapped_legend, columns) + _table_in(wrapped_table))
    return Layout(wrapped_legend, columns, wrapped_table, size_in)


def _legend_in(labels: Sequence[str], columns: int) -> float:
    per_column = [sum(lines(label) for label in labels[k::columns]) for k in range(columns)]
    return LINE_IN * (max(per_column) + 1)  # + the test's line


def _table_in(labels: Sequence[str]) -> float:
    return 0.35 + ROW_LINE_IN * sum(lines(label) + 0.6 for label in labels)


def row_centres(labels: Sequence[str]) -> FloatArray:
    """The height of each table row's centre, first row on top, in lines: each row as tall as its label."""
    heights = np.asarray([lines(label) + 0.6 for label in labels], dtype=np.float64)[::-1]
    return (np.cumsum(heights) - heights / 2)[::-1]


def figure_and_axes(plan: Layout) -> tuple[Figure, Axes, Axes, Axes]:
    """A figure with the legend's axes over the curve axes over the numbers-at-risk axes.

    The three share one column of a constrained layout, so they get the same left edge (wide enough
    for the longest table label); the curves and the table share the time axis.
    """
    fig = Figure(figsize=plan.size_in, layout="constrained")
    legend_in = _legend_in(plan.legend, plan.legend_columns)
    table_in = _table_in(plan.table)
    curves_in = max(plan.size_in[1] - legend_in - table_in - 0.6, 1.0)
    grid = fig.add_gridspec(3, 1, height_ratios=(legend_in, curves_in, table_in))
    key = fig.add_subplot(grid[0])
    key.set_axis_off()
    key.set_gid(LEGEND_GID)
    ax = fig.add_subplot(grid[1])
    table = fig.add_subplot(grid[2], sharex=ax)
    return fig, key, ax, table


def draw_risk_table(
    table: Axes, rows: Sequence[tuple[str, IntArray]], colours: Sequence[str], ticks: FloatArray, unit: str
) -> None:
    """Numbers at risk: one row per group (label in its curve's colour, as tall as its lines), one column per tick."""
    labels = [label for label, _ in rows]
    centres = row_centres(labels)
    table.set_ylim(0.0, float(centres[0] + (lines(labels[0]) + 0.6) / 2))
    table.set_yticks(centres.tolist(), labels)
    table.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    widest = max((len(str(int(c))) for _, counts in rows for c in counts), default=1)
    table.tick_params(axis="y", left=False, pad=4.0 + 0.32 * FONT_SIZE * widest)  # clear of the 0 column
    for side in ("top", "right", "bottom", "left"):
        table.spines[side].set_visible(False)
    for tick, colour in zip(table.get_yticklabels(), colours, strict=True):
        tick.set_color(colour)
    for y, (_, counts) in zip(centres, rows, strict=True):
        for t, c in zip(ticks, counts, strict=True):
            table.text(float(t), float(y), str(int(c)), ha="center", va="center_baseline", clip_on=False)
    narrow = table.get_figure(root=True).get_figwidth() < NARROW_IN  # type: ignore[union-attr]
    table.set_title(NUMBER_AT_RISK_SHORT() if narrow else NUMBER_AT_RISK(unit=unit), loc="left")


def fit_legend(fig: Figure) -> None:
    """Fewer legend columns (then narrower lines) until the legend of ``fig``'s first axes fits its width.

    Called when a figure is built and again after its texts were changed (translated: Chinese names
    are wider than the English ones the columns were planned for).
    """
    key = fig.axes[0] if fig.axes else None
    legend = None if key is None or key.get_gid() != LEGEND_GID else key.get_legend()
    if key is None or legend is None:
        return
    handles = [h for h in legend.legend_handles if h is not None]
    texts = [t.get_text() for t in legend.get_texts()]
    title, columns = legend.get_title().get_text(), int(getattr(legend, "_ncols", 1))
    for _ in range(8):
        fig.draw_without_rendering()
        room = fig.bbox.width - (key.get_window_extent().x0 - fig.bbox.x0) - 4.0
        width = legend.get_window_extent().width
        if width <= room:
            return
        if columns > 1:
            columns -= 1
        else:
            chars = max(len(line) for text in texts for line in text.split("\n"))
            narrower = max(int(chars * room / width) - 1, 4)
            texts = [
                textwrap.fill(t.replace("\n", " "), narrower, break_long_words=" " not in t, break_on_hyphens=False)
                for t in texts
            ]
        font = legend.get_texts()[0].get_fontproperties() if texts else None
        legend = key.legend(
            handles,
            texts,
            loc="upper left",
            ncols=columns,
            frameon=False,
            title=title or None,
            alignment="left",
            borderaxespad=0.0,
            prop=font,
            title_fontproperties=legend.get_title().get_fontproperties(),
        )


def one_font(fig: Figure, family: str | Sequence[str] = FONT_FAMILY) -> None:
    """Every text of ``fig`` in ``family`` (default :data:`FONT_FAMILY`) at :data:`FONT_SIZE` points."""
    for text in fig.findobj(Text):
        text.set_fontfamily(family)
        text.set_fontsize(FONT_SIZE)


def settle(fig: Figure, family: str | Sequence[str] = FONT_FAMILY) -> None:
    """A survival or incidence figure's one font set again and its legend fitted to its width.

    For a figure whose texts were changed (translated, drawn in a CJK ``family``); other figures are
    left as they are.
    """
    if fig.axes and fig.axes[0].get_gid() == LEGEND_GID:
        one_font(fig, family)
        fit_legend(fig)
