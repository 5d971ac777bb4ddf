"""Risk as risk-communication research recommends: natural frequencies and a 100-person icon array.

A figure is shown as a whole number of people out of 100 (the natural frequency) beside its percentage,
with the range (confidence limits) when the source gives one: never more precision than the figure has.
Figures are absolute (what happened to people like the patient), never relative to another group.
The icon array is an SVG of 100 people in ten rows of ten, the first ``count`` of them filled.
"""

from __future__ import annotations

import math
from typing import Final

from pydantic import Field, model_validator

from engraft.provenance import FrozenModel

ARRAY_SIZE: Final = 100
_COLUMNS: Final = 10
_CELL: Final = 12
_FILLED: Final = "#1f5f99"
_EMPTY: Final = "#d5dde6"


def per_hundred(percent: float) -> int:
    """``percent`` as a whole number of people out of 100, halves rounded up (so 2.5 -> 3)."""
    if not math.isfinite(percent) or not 0.0 <= percent <= 100.0:
        raise ValueError(f"percent={percent!r}: expected a finite number from 0 to 100")
    return math.floor(percent + 0.5)


class Frequency(FrozenModel):
    """A proportion of people, as a percentage with an optional range, shown out of 100."""

    percent: float = Field(ge=0.0, le=100.0, allow_inf_nan=False)
    low: float | None = Field(default=None, ge=0.0, le=100.0, allow_inf_nan=False)
    high: float | None = Field(default=None, ge=0.0, le=100.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Frequency:
        if (self.low is None) != (self.high is None):
            raise ValueError(f"low={self.low!r}, high={self.high!r}: expected both limits or neither")
        if self.low is not None and self.high is not None and not self.low <= self.percent <= self.high:
            raise ValueError(
                f"percent={self.percent!r} outside its range {self.low!r}-{self.high!r}: "
                "expected low <= percent <= high"
            )
        return self

    @property
    def count(self) -> int:
        """People out of 100 (the natural frequency)."""
        return per_hundred(self.percent)

    @property
    def range_counts(self) -> tuple[int, int] | None:
        """The range as whole people out of 100, when the source gives one."""
        if self.low is None or self.high is None:
            return None
        return per_hundred(self.low), per_hundred(self.high)


def icon_array_svg(count: int, *, label: str) -> str:
    """A 100-person icon array with the first ``count`` people filled, as an SVG document.

    ``label`` is the accessible name (``<title>``); it is escaped here.
    """
    if not 0 <= count <= ARRAY_SIZE:
        raise ValueError(f"count={count!r}: expected 0 to {ARRAY_SIZE}")
    side = _COLUMNS * _CELL
    people = []
    for index in range(ARRAY_SIZE):
        row, column = divmod(index, _COLUMNS)
        x, y = column * _CELL + _CELL / 2, row * _CELL
        colour = _FILLED if index < count else _EMPTY
        people.append(
            f'<g fill="{colour}"><circle cx="{x:g}" cy="{y + 3:g}" r="2.2"/>'
            f'<path d="M{x - 3.2:g},{y + 11:g} v-3.2 a3.2,3 0 0 1 6.4,0 v3.2 z"/></g>'
        )
    title = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="icon-array" viewBox="0 0 {side} {side}" '
        f'width="{side}" height="{side}" role="img"><title>{title}</title>' + "".join(people) + "</svg>"
    )
