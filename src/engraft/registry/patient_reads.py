"""Patient reads as column queries: one statement per record or page, identifying fields only when asked.

Patients are the registry's most-read records (every list screen, every chart), so their reads skip
the ORM's per-row bookkeeping: they select the columns :class:`PatientOut` shows, with the centre's
code joined, and join ``patient_identity`` only with ``include_identity``. A page first picks its ids
in a subquery (``ORDER BY id LIMIT .. OFFSET ..``, an index-only scan) and joins just those rows, so a
deep page does not build and throw away every row before it. The total comes in the same statement,
a scalar subquery that PostgreSQL and SQLite evaluate once. The statements are built once, with bound
parameters, so a read does not pay for building and keying them again.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, Integer, Result, Select, bindparam, func, select

from engraft.registry.models import Centre, Patient, PatientIdentity
from engraft.registry.schemas.patient import PatientOut

PATIENT = Patient.__table__
CENTRE = Centre.__table__
IDENTITY = PatientIdentity.__table__
_IDENTITY_FIELDS = ("given_name", "family_name", "mrn")
_COLUMNS = (
    *(PATIENT.c[name] for name in PatientOut.model_fields if name not in {"centre", "identity"}),
    CENTRE.c.code.label("centre"),
)
_PATIENTS = TypeAdapter(list[PatientOut])


def _select(include_identity: bool) -> Select[Any]:
    stmt = select(*_COLUMNS).select_from(PATIENT.join(CENTRE, CENTRE.c.id == PATIENT.c.centre_id))
    if include_identity:
        stmt = stmt.add_columns(*(IDENTITY.c[name].label(f"identity_{name}") for name in _IDENTITY_FIELDS))
        stmt = stmt.outerjoin(IDENTITY, IDENTITY.c.patient_id == PATIENT.c.id)
    return stmt


def _records(result: Result[Any], include_identity: bool) -> tuple[list[dict[str, Any]], int | None]:
    """Rows as dicts shaped like :class:`PatientOut` (identity nested), and the ``total`` column if selected."""
    keys = list(result.keys())
    records = [dict(zip(keys, row, strict=True)) for row in result]
    total: int | None = None
    for record in records:
        total = record.pop("total", None)
        if include_identity:
            identity = {name: record.pop(f"identity_{name}") for name in _IDENTITY_FIELDS}
            record["identity"] = identity if identity["mrn"] is not None else None
    return records, total


@cache
def _record_statement(include_identity: bool) -> Select[Any]:
    return _select(include_identity).where(PATIENT.c.id == bindparam("patient_id"))


@cache
def _page_statements(include_identity: bool, by_centre: bool) -> tuple[Select[Any], Select[Any]]:
    """The page statement (rows and total) and the count alone, for a page past the end."""
    where = [PATIENT.c.centre_id == select(CENTRE.c.id).where(CENTRE.c.code == bindparam("centre")).scalar_subquery()]
    where = where if by_centre else []
    page_ids = (
        select(PATIENT.c.id)
        .where(*where)
        .order_by(PATIENT.c.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    count = select(func.count()).select_from(PATIENT).where(*where)
    page = (
        _select(include_identity)
        .add_columns(count.scalar_subquery().label("total"))
        .where(PATIENT.c.id.in_(page_ids.scalar_subquery()))
        .order_by(PATIENT.c.id)
    )
    return page, count


def read_patient(connection: Connection, patient_id: int, include_identity: bool) -> PatientOut | None:
    """One patient in one statement, or None when there is no such patient."""
    result = connection.execute(_record_statement(include_identity), {"patient_id": patient_id})
    records, _ = _records(result, include_identity)
    return PatientOut.model_validate(records[0]) if records else None


def read_patient_page(
    connection: Connection, limit: int, offset: int, centre: str | None, include_identity: bool
) -> tuple[list[PatientOut], int]:
    """A page ordered by id, and the total, in one statement (a second only for a page past the end)."""
    page, count = _page_statements(include_identity, centre is not None)
    parameters: dict[str, Any] = {"limit": limit, "offset": offset, "centre": centre}
    records, total = _records(connection.execute(page, parameters), include_identity)
    if total is None:  # no row carried the count
        total = known_total(0, limit, offset)
    if total is None:
        total = connection.scalar(count, parameters) or 0
    return _PATIENTS.validate_python(records), total


def known_total(rows: int, limit: int, offset: int) -> int | None:
    """The total a page shows by itself: a short, non-empty page is the last one; an empty first page means 0."""
    if 0 < rows < limit or (offset == 0 and rows == 0):
        return offset + rows
    return None
