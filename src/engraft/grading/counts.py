"""Blood counts over time, as the engraftment rules read them: values in days from day 0.

A count travels with its UCUM unit and is converted to 10^9/L by :func:`engraft.measurements.convert`.
Only the units a neutrophil or platelet count is reported in are accepted (10*9/L, 10*3/uL and /uL);
anything else is refused rather than guessed.

A series is what a monitoring engine holds: values may arrive out of order, twice (a re-sent result) or
several on one day (a repeat count). The series drops exact duplicates (same day, value and unit: a
re-sent result is one result) and keeps the rest in one canonical order (day, then value in 10^9/L, then
unit), so neither the order of arrival nor a re-sent value changes anything. The rules read one value a
day through :meth:`CountSeries.daily_lowest`: the lowest count of the day. The CIBMTR manual counts
"laboratory values obtained on different days" and does not say which of two same-day values counts;
taking the lowest is Engraft's reading (a day counts as at or above a threshold only when every value of
the day is), and it does not depend on the order the values arrived in.
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


def _order(m: CountMeasurement) -> tuple[int, float, str, float]:
    return (m.day, m.count, m.unit, m.value)


class CountSeries(FrozenModel):
    """Counts of one patient and transplant in canonical order (day, count, unit), exact duplicates dropped.

    ``day0`` (the infusion date) is optional; when given, results also name calendar dates.
    """

    measurements: tuple[CountMeasurement, ...]
    day0: dt.date | None = None

    @field_validator("measurements")
    @classmethod
    def _canonical_order(cls, measurements: tuple[CountMeasurement, ...]) -> tuple[CountMeasurement, ...]:
        return tuple(sorted(set(measurements), key=_order))

    def daily_lowest(self) -> tuple[CountMeasurement, ...]:
        """One value a day, the lowest of the day (see the module docstring), ordered by day."""
        lowest: list[CountMeasurement] = []
        for m in self.measurements:
            if not lowest or lowest[-1].day != m.day:
                lowest.append(m)
        return tuple(lowest)

    def repeated_days(self) -> tuple[int, ...]:
        """Days with more than one value (duplicates or repeats), in order."""
        return tuple(sorted({b.day for a, b in pairwise(self.measurements) if a.day == b.day}))

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
