"""Declarative base, constraint naming convention, UTC timestamps and optimistic locking.

Constraint names are fixed by convention so Alembic migrations are reproducible on SQLite and
PostgreSQL. Timestamps are stored in UTC and always returned timezone-aware. Editable records
carry a ``version`` column that SQLAlchemy checks on every UPDATE, so two concurrent edits of the
same record cannot silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, Integer, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from engraft.measurements import Ucum, parse_unit

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC; naive datetimes are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; expected an aware datetime")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class UcumCode(TypeDecorator[Ucum]):
    """A UCUM code from the closed set :class:`~engraft.measurements.Ucum`, stored as its text."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Ucum | str | None, dialect: Dialect) -> str | None:
        return None if value is None else parse_unit(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Ucum | None:
        return None if value is None else parse_unit(value)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum column stored as its string values with a CHECK constraint."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


class TimestampedMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)


class VersionedMixin(TimestampedMixin):
    """Editable record with an optimistic-locking counter checked on every UPDATE."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
