"""Axis scales for the day-axis charts: linear and base-10 logarithmic, with round tick values.

A scale maps a value of its domain onto a pixel range. The domain is widened to round numbers that
include every value given (data, thresholds, markers), so nothing drawn falls outside the plot area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

_STEP_MULTIPLES: Final = (1.0, 2.0, 2.5, 5.0, 10.0)
DAY_STEPS: Final = (1, 2, 5, 7, 10, 14, 20, 28, 50, 100, 200, 365, 500, 1000, 2000, 5000, 10000)
"""Day-axis tick steps: days, weeks, then round numbers of days."""


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten) giving at most ``max_ticks`` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(max_ticks, 1)
    if raw <= 0:  # a span so small that dividing it underflows to zero: one interval, the span itself
        return span
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in _STEP_MULTIPLES:
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10.0 * magnitude  # pragma: no cover - the last multiple always fits


def day_step(span: int, max_ticks: int) -> int:
    """A day-axis step from :data:`DAY_STEPS` giving at most ``max_ticks`` intervals over ``span`` days."""
    for step in DAY_STEPS:
        if span / step <= max_ticks:
            return step
    return DAY_STEPS[-1] * math.ceil(span / (DAY_STEPS[-1] * max_ticks))


@dataclass(frozen=True, slots=True)
class Scale:
    """``low``..``high`` of the domain onto ``start``..``end`` pixels (``end`` < ``start`` for a y axis)."""

    low: float
    high: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        """The pixel position of ``value`` (log scale: values at or below 0 sit on the axis's low end)."""
        if self.log:
            if value <= 0:
                return self.start
            fraction = (math.log10(value) - self.low) / (self.high - self.low)
        else:
            fraction = (value - self.low) / (self.high - self.low)
        return self.start + fraction * (self.end - self.start)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the domain (log scale: a positive value between the two powers of ten)."""
        if self.log:
            return value > 0 and 10.0**self.low <= value <= 10.0**self.high
        return self.low <= value <= self.high

    def ticks(self, max_ticks: int = 6) -> list[float]:
        """Round values to label the axis with, inside the domain."""
        if self.log:
            every = max(1, math.ceil((self.high - self.low) / max_ticks))
            return [10.0**k for k in range(int(self.low), int(self.high) + 1, every)]
        step = nice_step(self.high - self.low, max_ticks)
        first = math.ceil(self.low / step - 1e-9)
        values = []
        k = first
        while k * step <= self.high + 1e-9 * step:
            value = k * step
            if self.low <= value <= self.high:
                values.append(value)
            k += 1
        return values


def linear_domain(values: Iterable[float], zero_based: bool = True) -> tuple[float, float]:
    """A round domain holding every value (from 0 when ``zero_based`` and no value is negative)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    if zero_based and low >= 0:
        low = 0.0
    if high <= low:
        high = low + 1.0
    step = nice_step(high - low, 5)
    nice_low = math.floor(low / step) * step
    nice_high = math.ceil(high / step) * step
    # Rounding cannot move the ends inwards past a value: fall back to the values themselves.
    return min(nice_low, low), max(nice_high, high)


def log_domain(values: Iterable[float]) -> tuple[float, float]:
    """Exponents (powers of ten) of a domain holding every positive value; at least one decade."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if not positive:
        return 0.0, 1.0
    low = math.floor(math.log10(min(positive)))
    high = math.ceil(math.log10(max(positive)))
    while 10.0**low > min(positive):  # guard against log10 rounding up at an exact power of ten
        low -= 1
    while 10.0**high < max(positive):
        high += 1
    if high <= low:
        high = low + 1
    return float(low), float(high)


def day_domain(days: Iterable[int], start: int, end: int) -> tuple[int, int]:
    """The day range shown: ``start``..``end``, widened to every day given."""
    all_days = [start, end, *days]
    low, high = min(all_days), max(all_days)
    return (low, high) if high > low else (low, low + 1)
