"""The audit log as CSV, written as it is read (an export never holds the whole log in memory).

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are prefixed with an apostrophe: a user agent or an actor name comes from outside and must
not become a formula on the administrator's machine (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Final

from engraft.registry.audit_log import AuditEntryOut

COLUMNS: Final = (
    "id",
    "at",
    "actor",
    "actor_id",
    "actor_role",
    "client_address",
    "user_agent",
    "action",
    "entity",
    "entity_id",
    "changes",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(entry: AuditEntryOut) -> list[str]:
    return [
        str(entry.id),
        entry.at.isoformat(),
        _cell(entry.actor),
        _cell(entry.actor_id),
        _cell(entry.actor_role),
        _cell(entry.client_address),
        _cell(entry.user_agent),
        entry.action.value,
        _cell(entry.entity),
        _cell(entry.entity_id),
        _cell(json.dumps(entry.changes, ensure_ascii=False, sort_keys=True, separators=(",", ":"))),
    ]


def audit_csv(entries: Iterable[AuditEntryOut], *, chunk_rows: int = 500) -> Iterator[str]:
    """The header, then the entries, as CSV text in chunks of ``chunk_rows`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for count, entry in enumerate(entries, start=1):
        writer.writerow(_row(entry))
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
