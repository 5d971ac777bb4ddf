"""The audit log, for administrators: ``/admin/audit`` (permission ``audit.read``).

Filter by user, action, kind of record, record id and a range of days; a table of 50 entries a page, newest
first; "Download CSV" is the API's export (``/api/audit.csv``) with the same filters, itself audited.

As in :mod:`engraft.registry.audit_log`, viewing the log is not itself recorded (only exporting it is). The
page shows who did what to which record id; for changes to clinical records it shows which fields
changed, not their values (a name or MRN may be among them); account and token changes, which hold no
patient data, are shown in full. The CSV export carries everything.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal, Role
from engraft.api.auth import acting_registry
from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditEntryOut, AuditQuery, list_audit
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.web.i18n import N_
from engraft.web.pages.account_forms import FieldErrors
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)
AUDIT_PATH: Final = "/admin/audit"
CSV_PATH: Final = "/api/audit.csv"
PAGE_SIZE: Final = 50
SECTION = register(
    Section(
        "admin-audit",
        N_("Audit log"),
        AUDIT_PATH,
        Permission.AUDIT_READ,
        order=820,
        summary=N_("Who did what, when and from where: every change, identifying read and export."),
    )
)
audit_page_guard = require_page(Permission.AUDIT_READ)

NO_PATIENT_DATA: Final = frozenset({"user account", "api token", "sign-in session", "audit entry", "research project"})
"""Kinds of record whose audited changes hold no patient data, so the page shows their values."""
ACTION_LABELS: Final[dict[AuditAction, str]] = {
    AuditAction.CREATE: N_("Create"),
    AuditAction.UPDATE: N_("Update"),
    AuditAction.BULK_INSERT: N_("Bulk insert"),
    AuditAction.IMPORT: N_("Import"),
    AuditAction.READ: N_("Identifying read"),
    AuditAction.EXPORT: N_("Export"),
    AuditAction.SIGN_IN: N_("Sign in"),
    AuditAction.SIGN_IN_FAILED: N_("Failed sign-in"),
    AuditAction.SIGN_OUT: N_("Sign out"),
    AuditAction.ACCOUNT_CHANGE: N_("Account change"),
    AuditAction.TOKEN_CHANGE: N_("Token change"),
}

ENTITY_LABELS: Final[dict[str, str]] = {
    "user account": N_("user account"),
    "api token": N_("API token"),
    "sign-in session": N_("sign-in session"),
    "audit entry": N_("audit log"),
    "patient": N_("patient"),
    "transplant episode": N_("transplant episode"),
    "diagnosis": N_("diagnosis"),
    "donor": N_("donor"),
    "observation": N_("observation"),
    "centre": N_("centre"),
}
"""Kinds of record as the page names them (others are shown as the registry names them)."""


def role_label(value: str | None) -> str:
    """An audit entry's role as a msgid (the role's label), or the value itself when it names no role."""
    if not value:
        return ""
    try:
        return Role(value).label
    except ValueError:
        return value


def changes_shown(entry: AuditEntryOut) -> str:
    """What the page shows of an entry's changes: values for account events, field names otherwise."""
    if not entry.changes:
        return ""
    if entry.entity in NO_PATIENT_DATA or entry.action in {AuditAction.SIGN_IN, AuditAction.SIGN_IN_FAILED}:
        return json.dumps(entry.changes, ensure_ascii=False, sort_keys=True, default=str)
    return ", ".join(sorted(str(key) for key in entry.changes))


_FORM_FIELD: Final = {"actor": "user", "entity": "entity", "entity_id": "record", "since": "from", "until": "to"}


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def read_filters(params: dict[str, str], errors: FieldErrors) -> tuple[AuditQuery, dict[str, str]]:
    """The audit query a filter form asks for, and the form's fields as given (to show them again).

    ``from``/``to`` are UTC days, both inclusive. A field that cannot be read (not a date, a control character
    in a name, ...) gets an error and is left out of the query.
    """
    given = {name: params.get(name, "").strip() for name in ("user", "action", "entity", "record", "from", "to")}
    conditions: dict[str, Any] = {}
    if given["user"]:
        conditions["actor"] = given["user"][:120]
    if given["action"]:
        try:
            conditions["action"] = AuditAction(given["action"])
        except ValueError:
            errors.add("action", N_("Choose an action from the list."))
    if given["entity"]:
        conditions["entity"] = given["entity"][:64]
    if given["record"]:
        if given["record"].isdigit() and 1 <= int(given["record"]) <= MAX_RECORD_ID:
            conditions["entity_id"] = int(given["record"])
        else:
            errors.add("record", N_("A record id is a whole number from 1."))
    for name, key, shift in (("from", "since", 0), ("to", "until", 1)):
        if given[name]:
            day = _day(given[name])
            if day is None:
                errors.add(name, N_("Choose a date."))
            else:
                conditions[key] = _midnight(day + dt.timedelta(days=shift))
    for _ in range(len(conditions) + 1):  # each refusal drops at least one condition
        try:
            return AuditQuery.model_validate(conditions), given
        except ValidationError as invalid:
            for problem in invalid.errors():
                key = str(problem["loc"][0]) if problem["loc"] else "until"
                if key == "until" and not problem["loc"]:
                    errors.add("to", N_("The last day must not be before the first."))
                else:
                    errors.add(_FORM_FIELD.get(key, key), N_("This value is not valid."))
                conditions.pop(key, None)
    return AuditQuery(), given


@router.get(AUDIT_PATH, response_class=HTMLResponse, name="admin_audit")
def audit_page(request: Request, page: int = 1, principal: Principal = Depends(audit_page_guard)) -> Response:
    """The filter form, a page of matching entries, and the CSV download of all of them."""
    errors = FieldErrors(request)
    params = {key: value for key, value in request.query_params.items() if isinstance(value, str)}
    query, given = read_filters(params, errors)
    page = max(1, min(page, MAX_RECORD_ID // PAGE_SIZE))
    entries = list_audit(acting_registry(request), query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-entries.total // PAGE_SIZE))
    filters = {key: value for key, value in given.items() if value}
    api = _api_params(query)

    def page_url(number: int) -> str:
        return f"{AUDIT_PATH}?{urlencode({**filters, 'page': str(number)})}"

    context: dict[str, Any] = {
        "entries": entries,
        "page": page,
        "pages": pages,
        "previous_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "given": given,
        "errors": errors,
        "actions": list(AuditAction),
        "action_labels": ACTION_LABELS,
        "csv_url": f"{CSV_PATH}?{urlencode(api)}" if api else CSV_PATH,
        "changes_shown": changes_shown,
        "role_label": role_label,
        "entity_labels": ENTITY_LABELS,
        "filtered": bool(filters),
    }
    return render(request, "admin/audit.html", context, status_code=400 if errors else 200)


def _api_params(query: AuditQuery) -> dict[str, str]:
    """The API's query parameters for ``query`` (``/api/audit`` and ``/api/audit.csv`` read the same)."""
    api: dict[str, str] = {}
    for key, value in query.model_dump(exclude_none=True).items():
        if isinstance(value, dt.datetime):
            api[key] = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            api[key] = str(value.value if isinstance(value, AuditAction) else value)
    return api
