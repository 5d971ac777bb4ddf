"""Server-rendered charts (inline SVG, no JavaScript): lab values on a day axis counted from day 0."""

from engraft.web.charts.day_axis import (
    ChartLayout,
    ChartText,
    DayAxisChart,
    DayMarker,
    PlotArea,
    PlottedPoint,
    Threshold,
    Tick,
    layout_chart,
    render_svg,
)
from engraft.web.charts.scales import Scale

__all__ = [
    "ChartLayout",
    "ChartText",
    "DayAxisChart",
    "DayMarker",
    "PlotArea",
    "PlottedPoint",
    "Scale",
    "Threshold",
    "Tick",
    "layout_chart",
    "render_svg",
]
