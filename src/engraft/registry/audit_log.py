"""Reading the audit log: filtered pages for the admin's view, and every matching entry for an export.

The log itself is append-only (migration 0007); this module only reads it. Exporting it is itself audited
(an ``export`` entry naming the filters), like any export of identifying data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import Select, func, select

from engraft.registry.audit import AuditAction
from engraft.registry.models import AuditEntry
from engraft.registry.schemas.common import AwareDatetime, InputModel, OutputModel, Page, RecordId, Text
from engraft.registry.service import MAX_PAGE, RegistryService

EXPORT_BATCH = 5_000
"""Entries read per statement when exporting (an export streams; it never holds the whole log)."""


class AuditQuery(InputModel):
    """Which audit entries to show: every given condition must hold."""

    actor: Text | None = Field(default=None, max_length=120, description="exact actor name")
    actor_id: RecordId | None = None
    action: AuditAction | None = None
    entity: Text | None = Field(default=None, max_length=64, description="e.g. patient, transplant episode")
    entity_id: RecordId | None = None
    client_address: Text | None = Field(default=None, max_length=64)
    since: AwareDatetime | None = Field(default=None, description="from this time on (inclusive)")
    until: AwareDatetime | None = Field(default=None, description="before this time (exclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> AuditQuery:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValueError("until must be later than since")
        return self

    def described(self) -> dict[str, Any]:
        """The conditions that were given, as JSON (for the export's own audit entry)."""
        return self.model_dump(mode="json", exclude_none=True)


class AuditEntryOut(OutputModel):
    id: int
    at: dt.datetime
    actor: str
    actor_id: int | None
    actor_role: str | None
    client_address: str | None
    user_agent: str | None
    action: AuditAction
    entity: str
    entity_id: int | None
    changes: dict[str, Any]


def _filtered(query: AuditQuery) -> Select[tuple[AuditEntry]]:
    stmt = select(AuditEntry)
    conditions = {
        AuditEntry.actor: query.actor,
        AuditEntry.actor_id: query.actor_id,
        AuditEntry.action: query.action,
        AuditEntry.entity: query.entity,
        AuditEntry.entity_id: query.entity_id,
        AuditEntry.client_address: query.client_address,
    }
    for column, value in conditions.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if query.since is not None:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AuditEntry.at < query.until)
    return stmt


def list_audit(service: RegistryService, query: AuditQuery, limit: int = 50, offset: int = 0) -> Page[AuditEntryOut]:
    """A page of matching entries, newest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit={limit}: expected 1 to {MAX_PAGE}")
    stmt = _filtered(query)
    with service.read_snapshot() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
        items = [AuditEntryOut.model_validate(r) for r in rows]
    return Page[AuditEntryOut](items=items, total=total, limit=limit, offset=offset)


def export_audit(service: RegistryService, query: AuditQuery) -> Iterator[AuditEntryOut]:
    """Every matching entry, oldest first, read in batches; the export is audited before the first entry."""
    service.record_access(AuditAction.EXPORT, "audit entry", None, {"filters": query.described()})
    last_id = 0
    while True:
        with service.read_snapshot() as session:
            stmt = _filtered(query).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(EXPORT_BATCH)
            batch = [AuditEntryOut.model_validate(r) for r in session.scalars(stmt)]
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last_id = batch[-1].id
