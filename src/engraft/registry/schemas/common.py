"""Shared pieces of the registry's input and output schemas (pydantic v2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EARLIEST_DATE = dt.date(1900, 1, 1)

#: Largest record id (and record version) the registry stores: its id columns are SQL ``INTEGER``, which is
#: 32-bit on PostgreSQL. Larger ids cannot name a record, so they are refused as input on every database.
MAX_RECORD_ID: Final = 2_147_483_647

#: Text without NUL characters: PostgreSQL cannot store ``\u0000`` in text, so it is refused on every database.
NO_NUL_PATTERN: Final = r"^[^\x00]*$"


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
CODE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
#: A centre's code (the ``centre`` table holds at most 32 characters).
CentreCode = Annotated[str, Field(min_length=1, max_length=32, pattern=CODE_PATTERN)]
#: The id of a stored record (1 to :data:`MAX_RECORD_ID`).
RecordId = Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]
#: Free text: any characters but NUL. Give lengths with ``Field(min_length=..., max_length=...)`` beside it.
Text = Annotated[str, Field(pattern=NO_NUL_PATTERN)]


class InputModel(BaseModel):
    """Strict input: unknown fields are refused, strings are stripped, numbers are finite (no NaN, no infinity)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)


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

    version: int = Field(ge=1, le=MAX_RECORD_ID, description="version of the record as read; a stale version gets 409")


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int
