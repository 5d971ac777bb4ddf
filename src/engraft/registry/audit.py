"""What an audit-log entry records as its action (the registry's own vocabulary, not a clinical one)."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    BULK_INSERT = "bulk insert"
    IMPORT = "import"
