"""The transplant team's patient list: the page of rows a :class:`PatientListQuery` asks for, and its count.

What the list shows (search, filters, sort, paging, the phases of care) is a
:class:`~engraft.registry.patient_list_query.PatientListQuery`; its two statements are built in
:mod:`engraft.registry.patient_list_statements`. :func:`read_patient_list` sends them: the page, and the count
of every match (skipped when the page shows the total by itself), and reads the rows. :func:`list_patients_for`
adds the audit entry an identifying read needs, once per list shown, through the registry service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from engraft.registry.audit import AuditAction
from engraft.registry.models import Centre
from engraft.registry.patient_list_query import CarePhase, PatientListQuery, care_phase
from engraft.registry.patient_list_statements import statements_for
from engraft.registry.patient_reads import known_total
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, Sex, TransplantType

CENTRE = Centre.__table__


@dataclass(frozen=True, slots=True)
class PatientListIdentity:
    given_name: str
    family_name: str
    mrn: str
    birth_date: dt.date


@dataclass(frozen=True, slots=True)
class PatientListRow:
    """One patient as the list shows it. ``identity`` is None unless the query included identity."""

    id: int
    registry_id: str
    centre: str
    sex: Sex
    birth_year: int
    latest_day0: dt.date | None
    latest_transplant_type: TransplantType | None
    latest_cell_therapy: CellTherapy | None
    """The kind of the newest episode: a transplant or an immune effector cell (CAR-T) infusion; None: none yet."""
    transplants: int
    """The number of episodes of either kind."""
    latest_kind_number: int
    """The newest episode's number among the patient's episodes of its kind, in sequence-number order (a transplant
    and then a CAR-T infusion: 1, the first infusion); 0 without an episode."""
    diagnosis: str | None
    """The WHO name of the newest diagnosis."""
    icd10: str | None
    deceased: bool
    """A death is recorded."""
    phase: CarePhase
    day: int | None
    """Days since the newest day 0 on ``as_of`` (negative before it), None without a transplant."""
    identity: PatientListIdentity | None = None


@dataclass(frozen=True, slots=True)
class PatientListPage:
    query: PatientListQuery
    rows: list[PatientListRow]
    total: int

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when the page is empty)."""
        return self.query.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.query.offset + len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.query.offset > 0

    @property
    def has_next(self) -> bool:
        return self.query.offset + len(self.rows) < self.total

    @property
    def page_number(self) -> int:
        return self.query.offset // self.query.limit + 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.query.limit))


def _row(record: Any, query: PatientListQuery) -> PatientListRow:
    latest_day0: dt.date | None = record.latest_day0
    identity = None
    if query.include_identity and record.mrn is not None:
        identity = PatientListIdentity(record.given_name, record.family_name, record.mrn, record.birth_date)
    return PatientListRow(
        id=record.id,
        registry_id=record.registry_id,
        centre=record.centre,
        sex=Sex(record.sex),
        birth_year=record.birth_date.year,
        latest_day0=latest_day0,
        latest_transplant_type=None
        if record.latest_transplant_type is None
        else TransplantType(record.latest_transplant_type),
        latest_cell_therapy=None if record.latest_cell_therapy is None else CellTherapy(record.latest_cell_therapy),
        transplants=record.transplants,
        latest_kind_number=record.latest_kind_number,
        diagnosis=record.diagnosis,
        icd10=record.icd10,
        deceased=bool(record.deceased),
        phase=care_phase(latest_day0, query.as_of),
        day=None if latest_day0 is None else (query.as_of - latest_day0).days,
        identity=identity,
    )


def read_patient_list(connection: Connection, query: PatientListQuery) -> PatientListPage:
    """The page ``query`` asks for and the number of patients matching it (no audit: see :func:`list_patients_for`)."""
    page, count, parameters = statements_for(query)
    records = connection.execute(page, parameters).all()
    rows = [_row(r, query) for r in records]
    total = known_total(len(rows), query.limit, query.offset)
    if total is None:
        total = connection.scalar(count, parameters) or 0
    return PatientListPage(query, rows, total)


def list_patients_for(service: RegistryService, query: PatientListQuery) -> PatientListPage:
    """The patient list read for ``service``'s actor; a page with identity is audited once (ids and fields)."""
    with service.read_snapshot() as session:
        page = read_patient_list(session.connection(), query)
    if query.include_identity and page.rows:
        details = {"ids": [r.id for r in page.rows], "fields": ["birth_date", "given_name", "family_name", "mrn"]}
        service.record_access(AuditAction.READ, "patient", None, details)
    return page


def centre_codes(service: RegistryService) -> list[str]:
    """The centres the list's filter offers."""
    with service.read_snapshot() as session:
        return list(session.scalars(select(CENTRE.c.code).order_by(CENTRE.c.code)))


__all__ = [
    "PatientListIdentity",
    "PatientListPage",
    "PatientListRow",
    "centre_codes",
    "list_patients_for",
    "read_patient_list",
]
