"""Natural frequencies and the 100-person icon array."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.reports.frequencies import ARRAY_SIZE, Frequency, icon_array_svg, per_hundred


@pytest.mark.parametrize(
    ("percent", "count"),
    [
        pytest.param(2.49, 2, id="just-below-half"),
        pytest.param(2.5, 3, id="half-rounds-up"),
        pytest.param(2.51, 3, id="just-above-half"),
        pytest.param(0.0, 0, id="none"),
        pytest.param(0.49, 0, id="below-one-half"),
        pytest.param(99.5, 100, id="almost-all"),
        pytest.param(100.0, 100, id="all"),
        pytest.param(14.7, 15, id="hct-ci-raimondi-nrm"),
    ],
)
def test_per_hundred_is_the_whole_number_of_people(percent: float, count: int) -> None:
    assert per_hundred(percent) == count


@pytest.mark.parametrize("percent", [-0.01, 100.01, float("nan"), float("inf")])
def test_per_hundred_refuses_what_is_not_a_percentage(percent: float) -> None:
    with pytest.raises(ValueError, match="expected a finite number from 0 to 100"):
        per_hundred(percent)


def test_a_range_needs_both_limits_around_the_figure() -> None:
    assert Frequency(percent=71, low=69, high=73).range_counts == (69, 73)
    assert Frequency(percent=71).range_counts is None
    with pytest.raises(ValidationError, match="expected both limits or neither"):
        Frequency(percent=71, low=69)
    with pytest.raises(ValidationError, match="expected low <= percent <= high"):
        Frequency(percent=75, low=69, high=73)


def _filled(svg: str) -> tuple[int, int]:
    colours = re.findall(r'<g fill="(#[0-9a-f]{6})">', svg)
    return colours.count("#1f5f99"), len(colours)


@given(st.integers(min_value=0, max_value=ARRAY_SIZE))
def test_the_icon_array_fills_exactly_count_of_100_people(count: int) -> None:
    filled, people = _filled(icon_array_svg(count, label="x"))
    assert (filled, people) == (count, ARRAY_SIZE)


def test_the_icon_array_is_labelled_and_escapes_its_label() -> None:
    svg = icon_array_svg(3, label="3 <of> 100 & more")
    assert "<title>3 &lt;of&gt; 100 &amp; more</title>" in svg and 'role="img"' in svg


@pytest.mark.parametrize("count", [-1, 101])
def test_the_icon_array_refuses_a_count_outside_100(count: int) -> None:
    with pytest.raises(ValueError, match="expected 0 to 100"):
        icon_array_svg(count, label="x")
