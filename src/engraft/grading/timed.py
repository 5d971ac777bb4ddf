"""A value with its UCUM unit and the moment it was measured, as the time-series rules read it.

Moments must carry a time zone: a monitoring engine receives results from several systems, and a naive
time would be read in whichever zone the server runs in. Rules sort readings into one canonical order
(time, then value in a fixed unit), so the order in which readings arrive never changes a result.
"""

from __future__ import annotations

import datetime as dt

from pydantic import field_validator

from engraft.measurements import Quantity
from engraft.provenance import FrozenModel


class Reading(FrozenModel):
    """One measured value (``quantity``, with its UCUM unit) at one moment (``at``, time-zone aware)."""

    at: dt.datetime
    quantity: Quantity

    @field_validator("at")
    @classmethod
    def _aware(cls, at: dt.datetime) -> dt.datetime:
        return require_aware(at, "at")


def require_aware(at: dt.datetime, field: str) -> dt.datetime:
    """``at`` unchanged, or a :class:`ValueError` naming ``field`` when it has no time zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{field}={at.isoformat()} has no time zone; expected a time-zone-aware moment")
    return at
