"""Shared pieces of the registry's input and output schemas (pydantic v2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EARLIEST_DATE = dt.date(1900, 1, 1)


def _not_future(value: dt.date) -> dt.date:
    if value > dt.date.today() + dt.timedelta(days=1):
        raise ValueError(f"date {value.isoformat()} is in the future; expected a date on or before today")
    if value < EARLIEST_DATE:
        raise ValueError(f"date {value.isoformat()} is before 1900-01-01; expected a plausible clinical date")
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp has no time zone; expected ISO 8601 with an offset, e.g. 2025-03-01T08:00:00Z")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"timestamp {value.isoformat()} is outside years 1-9999 in UTC") from None


PastDate = Annotated[dt.date, AfterValidator(_not_future)]
AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]


class InputModel(BaseModel):
    """Strict input: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def centre_code(value: object) -> object:
    """Output ``centre`` as its code when given the ORM Centre row."""
    return getattr(value, "code", value)


class VersionedOutput(OutputModel):
    id: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class UpdateModel(InputModel):
    """A partial update; ``version`` is the version the client read (optimistic locking)."""

    version: int = Field(ge=1, description="version of the record as read; a stale version gets 409")


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int
