"""An episode's course on a day axis: clinical events, follow-up visits and assessments in lanes.

:class:`Timeline` holds lanes of items (a day and a label each). :func:`render_timeline` writes one SVG:
a day axis (day 0 marked), one row per lane, a symbol per item with its label as a ``<title>``. Like the
lab charts it has a ``<title>``/``<desc>`` and takes its text translated; the page lists the same items
as text beside it, so nothing is only in the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from engraft.web.charts.day_axis import ChartText, PlotArea, _n
from engraft.web.charts.scales import Scale, day_domain, day_step

WIDTH: Final = 1000
LANE_HEIGHT: Final = 28
MARGIN_LEFT: Final = 130
MARGIN_RIGHT: Final = 16
MARGIN_TOP: Final = 8
AXIS_HEIGHT: Final = 30
SYMBOLS: Final = ("circle", "diamond", "square")


@dataclass(frozen=True, slots=True)
class TimelineItem:
    day: int
    label: str
    kind: str = ""
    """A CSS modifier (e.g. the event type's key) so a stylesheet can colour kinds apart."""


@dataclass(frozen=True, slots=True)
class TimelineLane:
    name: str
    items: Sequence[TimelineItem]


@dataclass(frozen=True, slots=True)
class Timeline:
    chart_id: str
    text: ChartText
    lanes: Sequence[TimelineLane]
    days: tuple[int, int] = (-7, 100)


@dataclass(frozen=True, slots=True)
class PlacedItem:
    item: TimelineItem
    lane: int
    x: float
    y: float


def layout_timeline(timeline: Timeline) -> tuple[PlotArea, Scale, list[PlacedItem], list[tuple[float, str]]]:
    """The plot area, the day scale, every item's position and the x ticks (position, label)."""
    height = MARGIN_TOP + LANE_HEIGHT * max(1, len(timeline.lanes)) + AXIS_HEIGHT
    area = PlotArea(MARGIN_LEFT, MARGIN_TOP, WIDTH - MARGIN_RIGHT, height - AXIS_HEIGHT)
    all_days = [item.day for lane in timeline.lanes for item in lane.items]
    first, last = day_domain(all_days, timeline.days[0], timeline.days[1])
    # a little room at both ends so a symbol on the first or last day is drawn whole
    pad = max(1.0, (last - first) * 0.01)
    x = Scale(first - pad, last + pad, area.left, area.right)
    placed = [
        PlacedItem(item, index, x(item.day), area.top + LANE_HEIGHT * index + LANE_HEIGHT / 2)
        for index, lane in enumerate(timeline.lanes)
        for item in lane.items
    ]
    step = day_step(last - first, 10)
    ticks = [(x(day), timeline.text.day_label(day)) for day in range(math.ceil(first / step) * step, last + 1, step)]
    return area, x, placed, ticks


def _symbol(shape: str, x: float, y: float) -> str:
    if shape == "diamond":
        return f'<path d="M{_n(x)} {_n(y - 6)} L{_n(x + 6)} {_n(y)} L{_n(x)} {_n(y + 6)} L{_n(x - 6)} {_n(y)} Z"'
    if shape == "square":
        return f'<rect x="{_n(x - 5)}" y="{_n(y - 5)}" width="10" height="10"'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5"'


def render_timeline(timeline: Timeline, day_of: Callable[[int], str] | None = None) -> str:
    """The timeline as an ``<svg>`` element (escaped text)."""
    area, x, placed, ticks = layout_timeline(timeline)
    height = area.bottom + AXIS_HEIGHT
    cid = timeline.chart_id
    day_label = day_of or timeline.text.day_label
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" id="{cid}" focusable="false">',
        f'<title id="{cid}-title">{escape(timeline.text.title)}</title>',
        f'<desc id="{cid}-desc">{escape(timeline.text.description)}</desc>',
        '<g class="timeline__lanes" font-size="13" fill="#333">',
    ]
    for index, lane in enumerate(timeline.lanes):
        y = area.top + LANE_HEIGHT * index
        parts.append(
            f'<rect class="timeline__lane" x="{_n(area.left)}" y="{_n(y)}" width="{_n(area.right - area.left)}" '
            f'height="{LANE_HEIGHT}" fill="{"#f4f6f8" if index % 2 == 0 else "#ffffff"}"/>'
            f'<text x="{_n(area.left - 6)}" y="{_n(y + LANE_HEIGHT / 2 + 4)}" text-anchor="end">'
            f"{escape(lane.name)}</text>"
        )
    parts.append("</g>")
    if x.contains(0):
        parts.append(
            f'<line class="timeline__day0" x1="{_n(x(0))}" x2="{_n(x(0))}" y1="{_n(area.top)}" '
            f'y2="{_n(area.bottom)}" stroke="#0b4f6c" stroke-width="1.5"/>'
        )
    parts.append('<g class="timeline__axis" aria-hidden="true" font-size="12" fill="#333">')
    parts.append(
        f'<line x1="{_n(area.left)}" x2="{_n(area.right)}" y1="{_n(area.bottom)}" y2="{_n(area.bottom)}" '
        f'stroke="#8b98a5"/>'
    )
    for position, label in ticks:
        parts.append(
            f'<line x1="{_n(position)}" x2="{_n(position)}" y1="{_n(area.bottom)}" y2="{_n(area.bottom + 4)}" '
            f'stroke="#555"/><text x="{_n(position)}" y="{_n(area.bottom + 16)}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text x="{_n(area.right)}" y="{_n(height - 2)}" text-anchor="end">{escape(timeline.text.day_axis)}</text>'
    )
    parts.append("</g>")
    if not placed:
        parts.append(
            f'<text class="timeline__empty" x="{_n((area.left + area.right) / 2)}" y="{_n(area.top + 16)}" '
            f'text-anchor="middle" font-size="12" fill="#555">{escape(timeline.text.no_data)}</text>'
        )
    parts.append('<g class="timeline__items">')
    for p in placed:
        shape = SYMBOLS[p.lane % len(SYMBOLS)]
        kind = f" timeline__item--{escape(p.item.kind)}" if p.item.kind else ""
        label = f"{day_label(p.item.day)}: {p.item.label}"
        element = {"diamond": "path", "square": "rect"}.get(shape, "circle")
        parts.append(
            f'{_symbol(shape, p.x, p.y)} class="timeline__item{kind}" fill="#1f5fa8" stroke="#ffffff">'
            f"<title>{escape(label)}</title></{element}>"
        )
    parts.append("</g></svg>")
    return "".join(parts)
