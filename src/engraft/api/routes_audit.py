"""The audit log for administrators: filtered pages as JSON, and every matching entry as CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.problems import RULE_VIOLATION, FieldProblem, problem_responses
from engraft.api.request_body import RequestProblem
from engraft.io.audit_csv import audit_csv
from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditEntryOut, AuditQuery, export_audit, list_audit
from engraft.registry.schemas.common import MAX_RECORD_ID, Page
from engraft.registry.service import MAX_PAGE, RegistryService

router = APIRouter(prefix="/api/audit", tags=["audit"], dependencies=[require(Permission.AUDIT_READ)])
#: An ISO 8601 timestamp with its time zone (a bare number is not read as a Unix time).
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"


def _service(request: Request) -> RegistryService:
    return acting_registry(request)


def audit_query(
    actor: Annotated[str | None, Query(max_length=120, description="exact actor name")] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    action: AuditAction | None = None,
    entity: Annotated[str | None, Query(max_length=64, description="e.g. patient")] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    client_address: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(pattern=TIMESTAMP, description="ISO 8601 with a time zone; inclusive")] = None,
    until: Annotated[str | None, Query(pattern=TIMESTAMP, description="ISO 8601 with a time zone; exclusive")] = None,
) -> AuditQuery:
    try:
        return AuditQuery.model_validate(
            {
                "actor": actor,
                "actor_id": actor_id,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "client_address": client_address,
                "since": _timestamp("since", since),
                "until": _timestamp("until", until),
            }
        )
    except ValidationError as exc:  # the fields are well formed, so what is left is a rule (until after since)
        faults = [
            FieldProblem(
                field=".".join(map(str, e["loc"])) or "until",
                value=None,
                expected=str(e["msg"]),
                message=str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise RequestProblem(422, "the audit filters contradict each other", faults, kind=RULE_VIOLATION) from exc


def _timestamp(field: str, value: str | None) -> dt.datetime | None:
    """A timestamp of the pattern that must also be a real date and time (no month 13, no offset 55:13)."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
        moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        fault = FieldProblem(field=field, value=value, expected="a real date and time", message=str(exc))
        raise RequestProblem(
            422, f"{field}: {value!r} is not a real date and time", [fault], kind=RULE_VIOLATION
        ) from exc
    return moment


Filters = Annotated[AuditQuery, Depends(audit_query)]


@router.get("", responses=problem_responses(422))
def audit_entries(
    request: Request,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> Page[AuditEntryOut]:
    """Matching audit entries, newest first."""
    return list_audit(_service(request), filters, limit, offset)


@router.get(
    ".csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **problem_responses(422, 503)},
)
def audit_export(request: Request, filters: Filters) -> StreamingResponse:
    """Every matching audit entry as CSV, oldest first (the export is itself audited)."""
    entries = export_audit(_service(request), filters)
    first = next(entries, None)  # the export's own audit entry is written before anything is sent
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    def rows() -> Iterator[AuditEntryOut]:
        if first is not None:
            yield first
        yield from entries

    return StreamingResponse(
        audit_csv(rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="engraft-audit-{stamp}.csv"'},
    )
