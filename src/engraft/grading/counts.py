"""Blood counts over time, as the engraftment rules read them: one value a day, in days from day 0.

A count travels with its UCUM unit and is converted to 10^9/L by :func:`engraft.measurements.convert`.
Only the units a neutrophil or platelet count is reported in are accepted (10*9/L, 10*3/uL and /uL);
anything else is refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from itertools import pairwise
from typing import Final

from pydantic import Field, field_validator

from engraft.measurements import convert
from engraft.provenance import FrozenModel

COUNT_UNIT: Final = "10*9/L"
ACCEPTED_COUNT_UNITS: Final = ("10*9/L", "10*3/uL", "/uL")


class CountMeasurement(FrozenModel):
    """One laboratory count (ANC or platelets) on a day counted from day 0 (the infusion)."""

    day: int = Field(strict=True, description="Days from day 0; negative before the infusion.")
    value: float = Field(ge=0, description="As reported, in ``unit``.")
    unit: str = Field(description="UCUM code: 10*9/L, 10*3/uL or /uL.")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"value={value} is not a finite number; expected a count >= 0")
        return value

    @field_validator("unit")
    @classmethod
    def _count_unit(cls, unit: str) -> str:
        if unit not in ACCEPTED_COUNT_UNITS:
            raise ValueError(
                f"unit={unit!r} is not a blood-count unit the engraftment rules accept; "
                f"expected one of {', '.join(ACCEPTED_COUNT_UNITS)}"
            )
        return unit

    @property
    def count(self) -> float:
        """The value in 10^9/L."""
        return convert(self.value, self.unit, COUNT_UNIT)


class CountSeries(FrozenModel):
    """Counts of one patient and transplant, ordered by day, at most one a day.

    ``day0`` (the infusion date) is optional; when given, results also name calendar dates.
    """

    measurements: tuple[CountMeasurement, ...]
    day0: dt.date | None = None

    @field_validator("measurements")
    @classmethod
    def _one_a_day(cls, measurements: tuple[CountMeasurement, ...]) -> tuple[CountMeasurement, ...]:
        ordered = tuple(sorted(measurements, key=lambda m: m.day))
        for earlier, later in pairwise(ordered):
            if earlier.day == later.day:
                raise ValueError(
                    f"two counts on day {later.day}: the rules count values obtained on different days; "
                    "expected at most one value a day"
                )
        return ordered

    @classmethod
    def from_dates(cls, day0: dt.date, counts: Iterable[tuple[dt.date, float, str]]) -> CountSeries:
        """A series from (date, value, unit) triples, with days counted from ``day0``."""
        measurements = tuple(
            CountMeasurement(day=(date - day0).days, value=value, unit=unit) for date, value, unit in counts
        )
        return cls(measurements=measurements, day0=day0)

    def date_of(self, day: int) -> dt.date | None:
        """The calendar date of ``day`` (None without ``day0``)."""
        return None if self.day0 is None else self.day0 + dt.timedelta(days=day)

    def day_of(self, date: dt.date) -> int:
        """Days from day 0 to ``date`` (e.g. for transfusion dates); needs ``day0``."""
        if self.day0 is None:
            raise ValueError(f"date={date.isoformat()} cannot be placed: the series has no day0; expected day0")
        return (date - self.day0).days
