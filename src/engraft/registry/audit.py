"""Who acts on the registry and what the audit log records of it.

Every write, and every read of identifying data, is recorded with the :class:`Actor` that did it: a
signed-in user or API token (name, id, role) with the client address and user agent of the request, or a
named system process (``demo``, ``csv import``) for work started from the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AuditAction(StrEnum):
    """What an audit entry records. Writes, reads of identifying data, exports, and account events."""

    CREATE = "create"
    UPDATE = "update"
    BULK_INSERT = "bulk insert"
    IMPORT = "import"
    READ = "read"
    """A read of identifying data (names, medical record numbers, exact birth dates)."""
    EXPORT = "export"
    """Identifying data written out of the registry (a CSV export with identities)."""
    SIGN_IN = "sign in"
    SIGN_IN_FAILED = "sign in failed"
    SIGN_OUT = "sign out"
    ACCOUNT_CHANGE = "account change"
    TOKEN_CHANGE = "token change"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a registry call acts for, as the audit log records it."""

    name: str
    """A user's login name, an API token's name, or a system process such as ``demo``."""
    user_id: int | None = None
    role: str | None = None
    client_address: str | None = None
    user_agent: str | None = None

    def audit_columns(self) -> dict[str, str | int | None]:
        """The audit entry's columns that name the actor."""
        return {
            "actor": self.name,
            "actor_id": self.user_id,
            "actor_role": self.role,
            "client_address": self.client_address,
            "user_agent": self.user_agent,
        }

    @classmethod
    def system(cls, name: str) -> Actor:
        """A process started by an operator (the CLI), not a signed-in user."""
        return cls(name=name)
