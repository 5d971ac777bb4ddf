"""Units of follow-up time, with one set of day factors used everywhere.

A month is 365.25 / 12 = 30.4375 days and a year 365.25 days (the mean Julian month and year, UCUM
``mo`` and ``a``); R's survival analyses of registry data conventionally use the same factors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class TimeUnit(StrEnum):
    """The unit a follow-up time is expressed in."""

    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


DAYS_PER_YEAR: Final = 365.25
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12.0

DAYS_PER_UNIT: Final[dict[TimeUnit, float]] = {
    TimeUnit.DAYS: 1.0,
    TimeUnit.MONTHS: DAYS_PER_MONTH,
    TimeUnit.YEARS: DAYS_PER_YEAR,
}

#: The UCUM code of each time unit (``d``, ``mo``, ``a``).
UCUM_CODE: Final[dict[TimeUnit, str]] = {TimeUnit.DAYS: "d", TimeUnit.MONTHS: "mo", TimeUnit.YEARS: "a"}


def days_in(days: float, unit: TimeUnit) -> float:
    """``days`` expressed in ``unit``."""
    return days / DAYS_PER_UNIT[unit]
