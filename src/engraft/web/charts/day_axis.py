"""A lab value over the days of a transplant, as an accessible inline SVG line chart.

:class:`DayAxisChart` says what to draw: points (day from day 0, value), horizontal threshold lines (e.g.
ANC 0.5 x10^9/L), vertical day markers (day 0, the engraftment day), a linear or log10 value axis. The
drawing is in two steps, each testable: :func:`layout_chart` computes the geometry (scales, ticks, the
line's segments, broken where measurements are more than ``gap_days`` apart), and :func:`render_svg`
writes it as SVG markup with a ``<title>`` and ``<desc>`` (``role="img"``, ``aria-labelledby``).

All text comes in translated (:class:`ChartText`), numbers through the caller's formatter: this module
knows no language. Colours are CSS classes (``day-chart__line`` ...) with SVG presentation attributes as
the fallback, so a chart is legible without the stylesheet; no inline styles or scripts (CSP).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Final, NamedTuple

from engraft.web.charts.scales import Scale, day_domain, day_step, linear_domain, log_domain

WIDTH: Final = 640
HEIGHT: Final = 230
MARGIN_LEFT: Final = 56
MARGIN_RIGHT: Final = 16
MARGIN_TOP: Final = 18
MARGIN_BOTTOM: Final = 38
DEFAULT_GAP_DAYS: Final = 14


@dataclass(frozen=True, slots=True)
class Threshold:
    """A horizontal line at ``value`` (e.g. the engraftment threshold), labelled with ``label``."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class DayMarker:
    """A vertical line on ``day`` (e.g. neutrophil engraftment), labelled with ``label``."""

    day: int
    label: str
    kind: str = "event"
    """A CSS modifier: ``day0``, ``engraftment`` or ``event``."""


@dataclass(frozen=True, slots=True)
class ChartText:
    """The chart's translated text: its title, its description, the x-axis name and the empty message."""

    title: str
    description: str
    day_axis: str
    no_data: str
    day_label: Callable[[int], str] = lambda day: f"{day:+d}" if day else "0"
    value_label: Callable[[float], str] = lambda value: f"{value:g}"


@dataclass(frozen=True, slots=True)
class DayAxisChart:
    """What one chart shows. ``points`` are (day, value) in ``unit``; ``days`` the range always shown."""

    chart_id: str
    text: ChartText
    unit: str
    points: Sequence[tuple[int, float]]
    thresholds: Sequence[Threshold] = ()
    markers: Sequence[DayMarker] = ()
    log_scale: bool = False
    days: tuple[int, int] = (-7, 30)
    gap_days: int = DEFAULT_GAP_DAYS

    def __post_init__(self) -> None:
        if not self.chart_id.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"chart_id: expected letters, digits, '-' or '_' (an HTML id), got {self.chart_id!r}")
        for day, value in self.points:
            if not math.isfinite(value):
                raise ValueError(f"points: value {value!r} on day {day} is not a finite number")
        if self.gap_days < 1:
            raise ValueError(f"gap_days: expected at least 1, got {self.gap_days}")


@dataclass(frozen=True, slots=True)
class PlotArea:
    left: float
    top: float
    right: float
    bottom: float

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


class PlottedPoint(NamedTuple):
    """A point where it is drawn (a named tuple: a chart has hundreds, and a tuple is built fastest)."""

    day: int
    value: float
    x: float
    y: float
    below_axis: bool = False
    """On a log axis, a value of 0 (e.g. CMV not detected) drawn on the axis's low end."""


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class PlottedLine:
    position: float
    label: str
    kind: str = ""
    day: int = 0


@dataclass(frozen=True, slots=True)
class ChartLayout:
    chart: DayAxisChart
    area: PlotArea
    x: Scale
    y: Scale
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    points: list[PlottedPoint]
    segments: list[list[PlottedPoint]]
    thresholds: list[PlottedLine]
    markers: list[PlottedLine] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.points


def _segments(points: list[PlottedPoint], gap_days: int) -> list[list[PlottedPoint]]:
    """The line's pieces: a new piece wherever consecutive measurements are more than ``gap_days`` apart."""
    segments: list[list[PlottedPoint]] = []
    for point in points:
        if segments and point.day - segments[-1][-1].day <= gap_days:
            segments[-1].append(point)
        else:
            segments.append([point])
    return segments


def layout_chart(chart: DayAxisChart) -> ChartLayout:
    """The geometry of ``chart``: every point, tick, threshold and marker lies inside the plot area."""
    area = PlotArea(MARGIN_LEFT, MARGIN_TOP, WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM)
    ordered = sorted(chart.points, key=lambda p: p[0])
    first_day, last_day = day_domain(
        [d for d, _ in ordered] + [m.day for m in chart.markers], chart.days[0], chart.days[1]
    )
    x = Scale(first_day, last_day, area.left, area.right)
    values = [v for _, v in ordered] + [t.value for t in chart.thresholds]
    if chart.log_scale:
        low, high = log_domain(values)
        y = Scale(low, high, area.bottom, area.top, log=True)
    else:
        low, high = linear_domain(values)
        y = Scale(low, high, area.bottom, area.top)
    points = [PlottedPoint(d, v, x(d), y(v), below_axis=chart.log_scale and v <= 0) for d, v in ordered]
    step = day_step(last_day - first_day, 10)
    x_ticks = [
        Tick(x(day), chart.text.day_label(day)) for day in range(math.ceil(first_day / step) * step, last_day + 1, step)
    ]
    y_ticks = [Tick(y(value), chart.text.value_label(value)) for value in y.ticks()]
    thresholds = [PlottedLine(y(t.value), t.label, "threshold") for t in chart.thresholds if y.contains(t.value)]
    markers = [PlottedLine(x(m.day), m.label, m.kind, m.day) for m in chart.markers if x.contains(m.day)]
    return ChartLayout(
        chart, area, x, y, x_ticks, y_ticks, points, _segments(points, chart.gap_days), thresholds, markers
    )


def _n(value: float) -> str:
    """A coordinate, to 0.01 px, without trailing zeros (``12.5``, ``12``)."""
    text = f"{value:.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    elif text[-1] == "0":
        text = text[:-1]
    return "0" if text == "-0" else text


def render_svg(layout: ChartLayout) -> str:
    """The chart as an ``<svg>`` element (escaped text; safe to insert into a page as markup)."""
    chart, area = layout.chart, layout.area
    cid = chart.chart_id
    title_id, desc_id = f"{cid}-title", f"{cid}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="day-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" id="{cid}" focusable="false">',
        f'<title id="{title_id}">{escape(chart.text.title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.text.description)}</desc>',
        f'<rect class="day-chart__frame" x="{_n(area.left)}" y="{_n(area.top)}" '
        f'width="{_n(area.right - area.left)}" height="{_n(area.bottom - area.top)}" fill="none" stroke="#c8ccd2"/>',
    ]
    parts.append('<g class="day-chart__grid" aria-hidden="true" stroke="#e3e6ea">')
    for tick in layout.y_ticks:
        parts.append(
            f'<line x1="{_n(area.left)}" x2="{_n(area.right)}" y1="{_n(tick.position)}" y2="{_n(tick.position)}"/>'
        )
    parts.append("</g>")
    parts.append('<g class="day-chart__axis day-chart__axis--y" aria-hidden="true" font-size="13" fill="#333">')
    for tick in layout.y_ticks:
        parts.append(
            f'<text x="{_n(area.left - 6)}" y="{_n(tick.position + 4)}" text-anchor="end">{escape(tick.label)}</text>'
        )
    parts.append(
        f'<text class="day-chart__unit" x="{_n(area.left + 4)}" y="{_n(area.top - 5)}" text-anchor="start">'
        f"{escape(chart.unit)}</text>"
    )
    parts.append("</g>")
    parts.append('<g class="day-chart__axis day-chart__axis--x" aria-hidden="true" font-size="13" fill="#333">')
    for tick in layout.x_ticks:
        parts.append(
            f'<line x1="{_n(tick.position)}" x2="{_n(tick.position)}" y1="{_n(area.bottom)}" '
            f'y2="{_n(area.bottom + 4)}" stroke="#555"/>'
            f'<text x="{_n(tick.position)}" y="{_n(area.bottom + 18)}" text-anchor="middle">{escape(tick.label)}</text>'
        )
    parts.append(
        f'<text class="day-chart__axis-name" x="{_n(area.right)}" y="{_n(HEIGHT - 3)}" '
        f'text-anchor="end">{escape(chart.text.day_axis)}</text>'
    )
    parts.append("</g>")
    for line in layout.markers:
        parts.append(
            f'<g class="day-chart__marker day-chart__marker--{escape(line.kind)}">'
            f'<line x1="{_n(line.position)}" x2="{_n(line.position)}" y1="{_n(area.top)}" y2="{_n(area.bottom)}" '
            f'stroke="#6b4fa0" stroke-dasharray="2 3"/>'
            + (
                f'<text x="{_n(line.position + 3)}" y="{_n(area.top + 12)}" font-size="11" fill="#176b3a">'
                f"{escape(chart.text.day_label(line.day))}</text>"
                if line.kind == "engraftment"
                else ""
            )
            + f"<title>{escape(line.label)}</title></g>"
        )
    for line in layout.thresholds:
        anchor_y = line.position - 3 if line.position - 3 > area.top + 8 else line.position + 11
        parts.append(
            f'<g class="day-chart__threshold">'
            f'<line x1="{_n(area.left)}" x2="{_n(area.right)}" y1="{_n(line.position)}" y2="{_n(line.position)}" '
            f'stroke="#b3261e" stroke-dasharray="6 4"/>'
            f'<text x="{_n(area.right - 4)}" y="{_n(anchor_y)}" text-anchor="end" font-size="13" '
            f'fill="#b3261e">{escape(line.label)}</text></g>'
        )
    if layout.empty:
        parts.append(
            f'<text class="day-chart__empty" x="{_n((area.left + area.right) / 2)}" '
            f'y="{_n((area.top + area.bottom) / 2)}" text-anchor="middle" font-size="13" fill="#555">'
            f"{escape(chart.text.no_data)}</text>"
        )
    # Each point's coordinates are written once, for the line and for its dot (hundreds of points a chart);
    # the segments are consecutive runs of the points, in order.
    written = [f"{_n(p.x)},{_n(p.y)}" for p in layout.points]
    start = 0
    for segment in layout.segments:
        if len(segment) > 1:
            coordinates = " ".join(written[start : start + len(segment)])
            parts.append(
                f'<polyline class="day-chart__line" points="{coordinates}" fill="none" stroke="#1f5fa8" '
                f'stroke-width="2" stroke-linejoin="round"/>'
            )
        start += len(segment)
    parts.append('<g class="day-chart__points" fill="#1f5fa8">')
    day_label, value_label, unit = chart.text.day_label, chart.text.value_label, chart.unit
    for point, xy in zip(layout.points, written, strict=True):
        x, y = xy.split(",")
        label = escape(f"{day_label(point.day)}: {value_label(point.value)} {unit}")
        modifier = " day-chart__point--below" if point.below_axis else ""
        parts.append(
            f'<circle class="day-chart__point{modifier}" cx="{x}" cy="{y}" r="2.5"><title>{label}</title></circle>'
        )
    parts.append("</g></svg>")
    return "".join(parts)
