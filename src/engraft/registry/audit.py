"""Who acts on the registry and what the audit log records of it.

Every write, and every read of identifying data, is recorded with the :class:`Actor` that did it: a
signed-in user or API token (name, id, role) with the client address and user agent of the request, or a
named system process (``demo``, ``csv import``) for work started from the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    BULK_INSERT = "bulk insert"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a registry call acts for, as the audit log records it."""

    name: str
    """A user's login name, an API token's name, or a system process such as ``demo``."""
    user_id: int | None = None
    role: str | None = None
    client_address: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        """A process started by an operator (the CLI), not a signed-in user."""
        return cls(name=name)
