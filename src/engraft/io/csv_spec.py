"""Declarations of CSV files and columns (what to read, what it means, where registries ask for it)."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Kind = Literal["text", "code", "integer", "decimal", "date", "timestamp", "boolean", "JSON array"]


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: how to read it, what it means and where registries ask for it."""

    name: str
    kind: Kind
    meaning: str
    required: bool = False
    unit: str = ""
    allowed: str = ""
    item: str = ""


@dataclass(frozen=True, slots=True)
class CsvFile:
    name: str
    meaning: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def values(enum: type[StrEnum]) -> str:
    return ", ".join(f"`{m.value}`" for m in enum)


def literal_values(literal: Any) -> str:
    return ", ".join(f"`{v}`" for v in typing.get_args(literal))
