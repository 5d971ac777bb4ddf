"""The day-axis chart: scales, ticks, thresholds, log scale, gaps, no data, and the SVG it writes."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.web.charts import ChartText, DayAxisChart, DayMarker, Threshold, layout_chart, render_svg
from engraft.web.charts.day_axis import HEIGHT, WIDTH
from engraft.web.charts.scales import Scale, day_step, linear_domain, log_domain, nice_step

SVG = "{http://www.w3.org/2000/svg}"
TEXT = ChartText(title="ANC", description="Absolute neutrophil count by day", day_axis="Day", no_data="No results")


def chart(points: list[tuple[int, float]], **kwargs: object) -> DayAxisChart:
    return DayAxisChart(chart_id="anc", text=TEXT, unit="10*9/L", points=points, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("span", "ticks", "step"),
    [
        pytest.param(1.0, 5, 0.2, id="one"),
        pytest.param(20.0, 5, 5.0, id="twenty"),
        pytest.param(3.0, 6, 0.5, id="three"),
        pytest.param(0.0, 5, 1.0, id="empty-span"),
        pytest.param(1e10, 5, 2e9, id="huge"),
        pytest.param(5e-324, 6, 5e-324, id="underflowing-span"),
    ],
)
def test_nice_step(span: float, ticks: int, step: float) -> None:
    assert nice_step(span, ticks) == pytest.approx(step)


@pytest.mark.parametrize(
    ("span", "step"),
    [
        pytest.param(10, 1, id="ten-days"),
        pytest.param(37, 5, id="five-weeks"),
        pytest.param(107, 14, id="day-100"),
        pytest.param(400, 50, id="a-year"),
        pytest.param(10**6, 100_000, id="beyond-the-table"),
    ],
)
def test_day_step(span: int, step: int) -> None:
    assert day_step(span, 10) == step
    assert span / day_step(span, 10) <= 10


def test_linear_domain_starts_at_zero_and_holds_the_threshold() -> None:
    low, high = linear_domain([0.1, 0.3, 0.5])
    assert low == 0.0
    assert high >= 0.5


def test_linear_domain_without_values() -> None:
    assert linear_domain([]) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        pytest.param([150.0, 2_000_000.0], (2.0, 7.0), id="cmv-range"),
        pytest.param([1000.0], (3.0, 4.0), id="exact-power-one-decade"),
        pytest.param([0.0], (0.0, 1.0), id="only-undetected"),
        pytest.param([], (0.0, 1.0), id="nothing"),
    ],
)
def test_log_domain(values: list[float], domain: tuple[float, float]) -> None:
    assert log_domain(values) == domain


def test_log_scale_ticks_are_powers_of_ten() -> None:
    scale = Scale(2.0, 7.0, 100.0, 0.0, log=True)
    assert scale.ticks() == [100.0, 1000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0]
    assert scale(100.0) == pytest.approx(100.0)
    assert scale(1e7) == pytest.approx(0.0)
    assert scale(0.0) == 100.0  # not detected: on the axis's low end


def test_threshold_line_is_drawn_at_its_value() -> None:
    layout = layout_chart(chart([(0, 0.1), (10, 0.3), (14, 1.2)], thresholds=[Threshold(0.5, "0.5")]))
    (line,) = layout.thresholds
    assert line.position == pytest.approx(layout.y(0.5))
    assert layout.area.top < line.position < layout.area.bottom


def test_threshold_above_every_value_is_still_inside_the_plot() -> None:
    layout = layout_chart(chart([(0, 2.0), (5, 8.0)], thresholds=[Threshold(20.0, "20")]))
    assert layout.thresholds and layout.area.top <= layout.thresholds[0].position


def test_marker_on_engraftment_day() -> None:
    layout = layout_chart(chart([(0, 0.1), (15, 0.6)], markers=[DayMarker(15, "engrafted day 15", "engraftment")]))
    (marker,) = layout.markers
    assert marker.position == pytest.approx(layout.x(15))
    assert marker.kind == "engraftment"


def test_gap_breaks_the_line() -> None:
    layout = layout_chart(chart([(0, 1.0), (1, 1.0), (2, 1.0), (40, 1.0), (41, 1.0)], gap_days=14))
    assert [[p.day for p in s] for s in layout.segments] == [[0, 1, 2], [40, 41]]
    svg = render_svg(layout)
    assert svg.count("<polyline") == 2


def test_single_isolated_point_draws_a_dot_and_no_line() -> None:
    svg = render_svg(layout_chart(chart([(3, 1.0)])))
    assert "<polyline" not in svg
    assert svg.count("<circle") == 1


def test_no_data_says_so() -> None:
    svg = render_svg(layout_chart(chart([])))
    assert "No results" in svg
    assert "<circle" not in svg


def test_day_range_is_widened_to_the_data() -> None:
    layout = layout_chart(chart([(-20, 1.0), (200, 1.0)], days=(-7, 30)))
    assert (layout.x.low, layout.x.high) == (-20, 200)
    assert layout.x_ticks[0].position >= layout.area.left


def test_svg_is_well_formed_and_accessible() -> None:
    text = ChartText(title="ANC <&>", description='desc "quoted"', day_axis="Day", no_data="none")
    svg = render_svg(layout_chart(DayAxisChart("anc-1", text, "10*9/L", [(0, 0.1), (1, 0.2)])))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "anc-1-title anc-1-desc"
    assert root.find(f"{SVG}title").text == "ANC <&>"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == "anc-1-desc"  # type: ignore[union-attr]
    assert "style=" not in svg and "<script" not in svg


def test_unit_is_shown() -> None:
    assert ">10*9/L</text>" in render_svg(layout_chart(chart([(0, 1.0)])))


@pytest.mark.parametrize(
    ("chart_id", "points", "gap"),
    [
        pytest.param("bad id", [], 14, id="id-with-space"),
        pytest.param("anc", [(0, math.nan)], 14, id="nan-value"),
        pytest.param("anc", [(0, math.inf)], 14, id="infinite-value"),
        pytest.param("anc", [], 0, id="zero-gap"),
    ],
)
def test_bad_chart_is_refused(chart_id: str, points: list[tuple[int, float]], gap: int) -> None:
    with pytest.raises(ValueError, match=r"chart_id|points|gap_days"):
        DayAxisChart(chart_id, TEXT, "10*9/L", points, gap_days=gap)


days = st.integers(min_value=-60, max_value=3000)
values = st.floats(min_value=0, max_value=1e10, allow_nan=False, allow_infinity=False)


@given(
    points=st.lists(st.tuples(days, values), max_size=60),
    thresholds=st.lists(values, max_size=3),
    marker_days=st.lists(days, max_size=3),
    log_scale=st.booleans(),
    window=st.tuples(st.integers(-30, 0), st.integers(1, 400)),
)
def test_everything_drawn_is_inside_the_plot_area(
    points: list[tuple[int, float]],
    thresholds: list[float],
    marker_days: list[int],
    log_scale: bool,
    window: tuple[int, int],
) -> None:
    layout = layout_chart(
        chart(
            points,
            thresholds=[Threshold(t, "t") for t in thresholds],
            markers=[DayMarker(d, "m") for d in marker_days],
            log_scale=log_scale,
            days=window,
        )
    )
    area = layout.area
    assert len(layout.points) == len(points)
    for point in layout.points:
        assert area.contains(point.x, point.y), point
    for tick in layout.x_ticks:
        assert area.left <= tick.position <= area.right
    for tick in layout.y_ticks:
        assert area.top <= tick.position <= area.bottom
    for line in layout.thresholds:
        assert area.top <= line.position <= area.bottom
    for line in layout.markers:
        assert area.left <= line.position <= area.right
    assert len(layout.markers) == len(marker_days)
    if not log_scale:
        assert len(layout.thresholds) == len(thresholds)
    else:
        assert len(layout.thresholds) == sum(1 for t in thresholds if t > 0)
    assert sum(len(s) for s in layout.segments) == len(points)


@given(points=st.lists(st.tuples(days, values), min_size=1, max_size=30), log_scale=st.booleans())
def test_svg_coordinates_stay_in_the_viewbox(points: list[tuple[int, float]], log_scale: bool) -> None:
    svg = render_svg(layout_chart(chart(points, log_scale=log_scale)))
    ET.fromstring(svg)
    for cx, cy in re.findall(r'cx="([-0-9.]+)" cy="([-0-9.]+)"', svg):
        assert 0 <= float(cx) <= WIDTH and 0 <= float(cy) <= HEIGHT
