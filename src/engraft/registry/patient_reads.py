"""Patient reads as column queries: one statement per record or page, identifying fields only when asked.

Patients are the registry's most-read records (every list screen, every chart), so their reads skip
the ORM's per-row bookkeeping: they select the columns :class:`PatientOut` shows, with the centre's
code joined, and join ``patient_identity`` only with ``include_identity``. A page first picks its ids
in a subquery (``ORDER BY id LIMIT .. OFFSET ..``, an index-only scan) and joins just those rows, so a
deep page does not build and throw away every row before it. The total comes in the same statement,
a scalar subquery that PostgreSQL and SQLite evaluate once.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, Result, Select, func, select

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


def _centre_filter(centre: str | None) -> list[Any]:
    if centre is None:
        return []
    return [PATIENT.c.centre_id == select(CENTRE.c.id).where(CENTRE.c.code == centre).scalar_subquery()]


def read_patient(connection: Connection, patient_id: int, include_identity: bool) -> PatientOut | None:
    """One patient in one statement, or None when there is no such patient."""
    records, _ = _records(
        connection.execute(_select(include_identity).where(PATIENT.c.id == patient_id)), include_identity
    )
    return PatientOut.model_validate(records[0]) if records else None


def read_patient_page(
    connection: Connection, limit: int, offset: int, centre: str | None, include_identity: bool
) -> tuple[list[PatientOut], int]:
    """A page ordered by id, and the total, in one statement (a second only for a page past the end)."""
    where = _centre_filter(centre)
    page_ids = select(PATIENT.c.id).where(*where).order_by(PATIENT.c.id).limit(limit).offset(offset)
    total = select(func.count()).select_from(PATIENT).where(*where).scalar_subquery().label("total")
    stmt = (
        _select(include_identity)
        .add_columns(total)
        .where(PATIENT.c.id.in_(page_ids.scalar_subquery()))
        .order_by(PATIENT.c.id)
    )
    records, counted = _records(connection.execute(stmt), include_identity)
    if counted is None:  # no row carried the count
        counted = known_total(0, limit, offset)
    if counted is None:
        counted = connection.scalar(select(func.count()).select_from(PATIENT).where(*where)) or 0
    return _PATIENTS.validate_python(records), counted


def known_total(rows: int, limit: int, offset: int) -> int | None:
    """The total a page shows by itself: a short, non-empty page is the last one; an empty first page means 0."""
    if 0 < rows < limit or (offset == 0 and rows == 0):
        return offset + rows
    return None
