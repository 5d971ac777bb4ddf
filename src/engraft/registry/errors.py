"""Errors raised by the registry service; the API maps them to 404, 409 and 422."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with submitted data: where, what was given, what was expected."""

    field: str
    value: Any
    expected: str
    row: int | None = None

    def describe(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}={self.value!r}: expected {self.expected}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "value": self.value, "expected": self.expected}
        if self.row is not None:
            out["row"] = self.row
        return out


class RegistryError(Exception):
    """Base class of every error the registry service raises on purpose."""


class InvalidRecord(RegistryError):
    """Submitted data break a rule; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(p.describe() for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")

    @classmethod
    def single(cls, field: str, value: Any, expected: str) -> InvalidRecord:
        return cls([Problem(field, value, expected)])


class RecordNotFound(RegistryError):
    def __init__(self, entity: str, record_id: Any) -> None:
        self.entity = entity
        self.record_id = record_id
        super().__init__(f"{entity} {record_id!r} does not exist")


class DuplicateRecord(RegistryError):
    """A record with the same unique key exists already."""

    def __init__(self, entity: str, field: str, value: Any) -> None:
        self.entity = entity
        self.field = field
        self.value = value
        super().__init__(f"{entity} with {field}={value!r} already exists")


class VersionConflict(RegistryError):
    """The record changed since the client read it (optimistic locking); nothing was written."""

    def __init__(self, entity: str, record_id: Any, expected: int, current: int | None) -> None:
        self.entity = entity
        self.record_id = record_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"{entity} {record_id} was changed by someone else: you edited version {expected}, "
            f"the stored version is {current}; reload it and apply your change again"
        )


class WriteConflict(RegistryError):
    """A concurrent transaction made this write fail (deadlock or serialization); nothing was written.

    Sending the same request again is safe and normally succeeds.
    """

    def __init__(self, entity: str, reason: str) -> None:
        self.entity = entity
        self.reason = reason
        super().__init__(
            f"{entity} write conflicted with a concurrent transaction ({reason}); nothing was written, retry"
        )


class AuditUnavailable(RegistryError):
    """An audit entry could not be written: the write it records was not made, the read not handed out."""

    def __init__(self, action: str, entity: str) -> None:
        self.action = action
        self.entity = entity
        outcome = "nothing was handed out" if action in ("read", "export") else "nothing was written"
        super().__init__(
            f"the audit log could not record this {action} of {entity} data, so {outcome}; "
            "try again, and tell the administrator if it persists"
        )
