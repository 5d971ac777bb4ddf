"""The transplant team's patient list: search, filters, sort and paging in one statement (plus a count).

A :class:`PatientListQuery` says what the list shows: a name or MRN search (only for a reader who may see
identity: the query refuses it otherwise), a centre, a disease group (the EBMT activity survey's
indication groups, :data:`engraft.outcomes.activity.INDICATION_RULES`, matched on any of the patient's
diagnoses) and a phase of care relative to ``as_of``:

``pre-transplant``
    no transplant episode yet, or the newest episode's day 0 is after ``as_of``;
``day 0-100``
    the newest episode's day 0 is ``as_of`` or up to 100 days before it (day 0 and day 100 included);
``follow-up``
    the newest episode's day 0 is more than 100 days before ``as_of`` (day 101 on).

:func:`read_patient_list` sends two statements: the page (an inner query picks the page's ids and sort
keys, ``ORDER BY .. LIMIT .. OFFSET``; the outer one joins the columns shown for just those rows) and the
count of every match (skipped when the page shows the total by itself). The newest day 0 per patient is
an aggregate over ``transplant_episode`` grouped by patient, joined once. :func:`list_patients_for`
adds the audit entry an identifying read needs, once per list shown, through the registry service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)

from engraft.outcomes.activity import INDICATION_ORDER, INDICATION_RULES
from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord
from engraft.registry.models import Centre, ClinicalEvent, Diagnosis, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.patient_reads import known_total
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, EventType, Sex, TransplantType

EARLY_PHASE_DAYS: Final = 100
"""The last day of the early post-transplant phase (day 0 to day 100, both included)."""
MAX_PAGE_SIZE: Final = 200
MAX_SEARCH_LENGTH: Final = 100

PATIENT = Patient.__table__
CENTRE = Centre.__table__
IDENTITY = PatientIdentity.__table__
EPISODE = TransplantEpisode.__table__
DIAGNOSIS = Diagnosis.__table__
EVENT = ClinicalEvent.__table__


class CarePhase(StrEnum):
    """Where a patient is in the transplant course, from the newest episode's day 0."""

    PRE_TRANSPLANT = "pre-transplant"
    EARLY = "day 0-100"
    FOLLOW_UP = "follow-up"


class PatientSort(StrEnum):
    """What the list is ordered by (ties broken by the patient's id)."""

    LATEST_TRANSPLANT = "latest-transplant"
    """Newest day 0 first (descending) or last; patients without a transplant always come last."""
    NAME = "name"
    """Family name, then given name (needs identity)."""
    MRN = "mrn"
    """Medical record number (needs identity)."""
    REGISTRY_ID = "registry-id"
    """The pseudonymous registry id."""


IDENTITY_SORTS: Final = frozenset({PatientSort.NAME, PatientSort.MRN})
DISEASE_GROUPS: Final[tuple[str, ...]] = INDICATION_ORDER
"""The disease groups the list filters on, in the activity survey's order ("Other" and "missing" last)."""


def care_phase(latest_day0: dt.date | None, as_of: dt.date) -> CarePhase:
    """The phase of a patient whose newest transplant was on ``latest_day0`` (None: none yet), on ``as_of``."""
    if latest_day0 is None or latest_day0 > as_of:
        return CarePhase.PRE_TRANSPLANT
    if (as_of - latest_day0).days <= EARLY_PHASE_DAYS:
        return CarePhase.EARLY
    return CarePhase.FOLLOW_UP


@dataclass(frozen=True, slots=True)
class PatientListQuery:
    """One view of the patient list. Build it from request parameters; it checks itself."""

    as_of: dt.date
    include_identity: bool
    search: str | None = None
    centre: str | None = None
    disease_group: str | None = None
    phase: CarePhase | None = None
    sort: PatientSort = PatientSort.LATEST_TRANSPLANT
    descending: bool = True
    limit: int = 25
    offset: int = 0

    def __post_init__(self) -> None:
        if self.search is not None:
            object.__setattr__(self, "search", self.search.strip() or None)
        if self.search is not None and not self.include_identity:
            raise InvalidRecord.single("search", self.search, "no search: searching by name or MRN needs identity")
        if self.search is not None and len(self.search) > MAX_SEARCH_LENGTH:
            raise InvalidRecord.single("search", self.search, f"at most {MAX_SEARCH_LENGTH} characters")
        if self.sort in IDENTITY_SORTS and not self.include_identity:
            raise InvalidRecord.single("sort", self.sort.value, "a sort that needs no identity")
        if self.disease_group is not None and self.disease_group not in DISEASE_GROUPS:
            raise InvalidRecord.single("disease_group", self.disease_group, f"one of {', '.join(DISEASE_GROUPS)}")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidRecord.single("limit", self.limit, f"an integer from 1 to {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise InvalidRecord.single("offset", self.offset, "an integer >= 0")


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


@dataclass(frozen=True, slots=True)
class _Statements:
    page: Select[Any]
    count: Select[Any]


@dataclass(frozen=True, slots=True)
class _Shape:
    """What decides a statement's SQL text (the values are bound parameters): statements are built once a shape."""

    include_identity: bool
    search_words: int
    by_centre: bool
    disease_group: str | None
    phase: CarePhase | None
    sort: PatientSort
    descending: bool

    @classmethod
    def of(cls, query: PatientListQuery) -> _Shape:
        words = len(query.search.split()) if query.search is not None else 0
        return cls(
            query.include_identity,
            words,
            query.centre is not None,
            query.disease_group,
            query.phase,
            query.sort,
            query.descending,
        )


def _parameters(query: PatientListQuery) -> dict[str, Any]:
    """The bound values of ``query``'s statements."""
    parameters: dict[str, Any] = {
        "limit": query.limit,
        "offset": query.offset,
        "centre": query.centre,
        "as_of": query.as_of,
        "early_start": query.as_of - dt.timedelta(days=EARLY_PHASE_DAYS),
    }
    for i, word in enumerate(query.search.split() if query.search is not None else ()):
        parameters[f"word{i}"] = f"%{_escape_like(word.lower())}%"
    return parameters


def _latest_episodes() -> Any:
    """Per patient: the newest day 0 and the number of transplants."""
    return (
        select(
            EPISODE.c.patient_id,
            func.max(EPISODE.c.day0).label("latest_day0"),
            func.count().label("transplants"),
        )
        .group_by(EPISODE.c.patient_id)
        .subquery("latest")
    )


def _prefix_match(column: ColumnElement[str], prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(*(column.startswith(prefix, autoescape=True) for prefix in prefixes))


def disease_group_condition(group: str, icd10: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL for ``disease_group(icd10) == group``: a prefix of the group, and none of an earlier group's.

    The registry stores ICD-10 codes as validated (:data:`~engraft.registry.schemas.patient.ICD10_PATTERN`:
    capitals, no spaces), so the code is compared as stored, without the ``upper(trim())`` the activity
    report applies to free input (which would be computed again for every prefix on every row).
    """
    code = icd10
    earlier: list[ColumnElement[bool]] = []
    for name, prefixes in INDICATION_RULES:
        if name == group:
            return and_(_prefix_match(code, prefixes), *(not_(e) for e in earlier))
        earlier.append(_prefix_match(code, prefixes))
    if group == "Other":
        return and_(code != "", *(not_(e) for e in earlier))
    return code == ""  # "missing": a blank code


def _search_condition(words: int) -> ColumnElement[bool]:
    """Every word (bound as ``word0``.. patterns) in the given name, family name or MRN (case-insensitive)."""
    conditions = []
    for i in range(words):
        pattern = bindparam(f"word{i}", type_=String)
        conditions.append(
            or_(
                *(
                    func.lower(IDENTITY.c[name]).like(pattern, escape="\\")
                    for name in ("given_name", "family_name", "mrn")
                )
            )
        )
    return and_(*conditions)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@cache
def _statements(query: _Shape) -> _Statements:
    """The page and the count. The newest day 0 is aggregated over every episode only when the filter or the
    sort needs it; the page's own rows get theirs (and their diagnosis) from index lookups, row by row."""
    needs_latest = query.phase is not None or query.sort is PatientSort.LATEST_TRANSPLANT
    latest = _latest_episodes()
    base: Any = PATIENT
    if needs_latest:
        base = base.outerjoin(latest, latest.c.patient_id == PATIENT.c.id)
    if query.include_identity and (query.search_words or query.sort in IDENTITY_SORTS):
        base = base.outerjoin(IDENTITY, IDENTITY.c.patient_id == PATIENT.c.id)
    where: list[ColumnElement[bool]] = []
    if query.by_centre:
        centre_id = select(CENTRE.c.id).where(CENTRE.c.code == bindparam("centre", type_=String))
        where.append(PATIENT.c.centre_id == centre_id.scalar_subquery())
    if query.search_words:
        where.append(_search_condition(query.search_words))
    if query.disease_group is not None:
        if query.disease_group == "missing":
            where.append(~exists().where(DIAGNOSIS.c.patient_id == PATIENT.c.id))
        else:
            in_group = disease_group_condition(query.disease_group, DIAGNOSIS.c.icd10)
            where.append(exists().where(DIAGNOSIS.c.patient_id == PATIENT.c.id, in_group))
    if query.phase is not None:
        where.append(_phase_condition(query.phase, latest.c.latest_day0))
    order = _order(query.sort, query.descending, latest.c.latest_day0)
    page_keys = (
        select(PATIENT.c.id.label("patient_id"), *(c.label(f"k{i}") for i, c in enumerate(order.keys)))
        .select_from(base)
        .where(*where)
        .order_by(*order.clauses)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    of_patient = EPISODE.c.patient_id == PATIENT.c.id
    newest_diagnosis = (
        select(DIAGNOSIS.c.who_name, DIAGNOSIS.c.icd10)
        .where(DIAGNOSIS.c.patient_id == PATIENT.c.id)
        .order_by(DIAGNOSIS.c.diagnosis_date.desc(), DIAGNOSIS.c.id.desc())
        .limit(1)
    )
    newest_episode = (
        select(EPISODE.c.transplant_type, EPISODE.c.cell_therapy)
        .where(of_patient)
        .order_by(EPISODE.c.day0.desc(), EPISODE.c.sequence_number.desc())
        .limit(1)
    )
    same_kind = EPISODE.alias("same_kind")  # the newest episode's number among the episodes of its kind
    newest_of_patient = newest_episode.correlate(PATIENT)  # two levels down: correlated to the outer patient
    latest_kind_number = (
        select(func.count())
        .select_from(same_kind)
        .where(
            same_kind.c.patient_id == PATIENT.c.id,
            same_kind.c.cell_therapy == newest_of_patient.with_only_columns(EPISODE.c.cell_therapy).scalar_subquery(),
            same_kind.c.sequence_number
            <= newest_of_patient.with_only_columns(EPISODE.c.sequence_number).scalar_subquery(),
        )
        .scalar_subquery()
    )
    columns: list[Any] = [
        PATIENT.c.id,
        PATIENT.c.registry_id,
        CENTRE.c.code.label("centre"),
        PATIENT.c.sex,
        PATIENT.c.birth_date,
        select(func.max(EPISODE.c.day0)).where(of_patient).scalar_subquery().label("latest_day0"),
        select(func.count()).where(of_patient).scalar_subquery().label("transplants"),
        newest_episode.with_only_columns(EPISODE.c.transplant_type).scalar_subquery().label("latest_transplant_type"),
        newest_episode.with_only_columns(EPISODE.c.cell_therapy).scalar_subquery().label("latest_cell_therapy"),
        latest_kind_number.label("latest_kind_number"),
        newest_diagnosis.with_only_columns(DIAGNOSIS.c.who_name).scalar_subquery().label("diagnosis"),
        newest_diagnosis.with_only_columns(DIAGNOSIS.c.icd10).scalar_subquery().label("icd10"),
        exists()
        .where(EVENT.c.patient_id == PATIENT.c.id, EVENT.c.event_type == EventType.DEATH.value)
        .label("deceased"),
    ]
    joined = page_keys.join(PATIENT, PATIENT.c.id == page_keys.c.patient_id).join(
        CENTRE, CENTRE.c.id == PATIENT.c.centre_id
    )
    if query.include_identity:
        columns += [IDENTITY.c.given_name, IDENTITY.c.family_name, IDENTITY.c.mrn]
        joined = joined.outerjoin(IDENTITY, IDENTITY.c.patient_id == PATIENT.c.id)
    outer_order = [_direction(page_keys.c[f"k{i}"], d, n) for i, (d, n) in enumerate(order.directions)]
    page = select(*columns).select_from(joined).order_by(*outer_order, page_keys.c.patient_id)
    count = select(func.count()).select_from(base).where(*where)
    return _Statements(page, count)


def _phase_condition(phase: CarePhase, latest_day0: ColumnElement[dt.date]) -> ColumnElement[bool]:
    as_of, early_start = bindparam("as_of", type_=Date), bindparam("early_start", type_=Date)
    if phase is CarePhase.PRE_TRANSPLANT:
        return or_(latest_day0.is_(None), latest_day0 > as_of)
    if phase is CarePhase.EARLY:
        return and_(latest_day0 >= early_start, latest_day0 <= as_of)
    return latest_day0 < early_start


@dataclass(frozen=True, slots=True)
class _Order:
    keys: list[ColumnElement[Any]]
    directions: list[tuple[bool, bool]]
    """Per key: (descending, nulls last)."""

    @property
    def clauses(self) -> list[Any]:
        return [*(_direction(k, d, n) for k, (d, n) in zip(self.keys, self.directions, strict=True)), PATIENT.c.id]


def _direction(column: Any, descending: bool, nulls_last: bool) -> Any:
    ordered = column.desc() if descending else column.asc()
    return ordered.nulls_last() if nulls_last else ordered


def _order(sort: PatientSort, desc: bool, latest_day0: ColumnElement[dt.date]) -> _Order:
    if sort is PatientSort.LATEST_TRANSPLANT:
        # Patients without a transplant come last either way: a flag first, then the date.
        no_transplant = case((latest_day0.is_(None), literal(1)), else_=literal(0))
        return _Order([no_transplant, latest_day0], [(False, False), (desc, False)])
    if sort is PatientSort.NAME:
        return _Order(
            [func.lower(IDENTITY.c.family_name), func.lower(IDENTITY.c.given_name)], [(desc, True), (desc, True)]
        )
    if sort is PatientSort.MRN:
        return _Order([IDENTITY.c.mrn], [(desc, True)])
    return _Order([PATIENT.c.registry_id], [(desc, False)])


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


def statements_for(query: PatientListQuery) -> tuple[Select[Any], Select[Any], dict[str, Any]]:
    """The page statement, the count statement and their parameters (e.g. to EXPLAIN them)."""
    statements = _statements(_Shape.of(query))
    return statements.page, statements.count, _parameters(query)


def read_patient_list(connection: Connection, query: PatientListQuery) -> PatientListPage:
    """The page ``query`` asks for and the number of patients matching it (no audit: see :func:`list_patients_for`)."""
    statements, parameters = _statements(_Shape.of(query)), _parameters(query)
    records = connection.execute(statements.page, parameters).all()
    rows = [_row(r, query) for r in records]
    total = known_total(len(rows), query.limit, query.offset)
    if total is None:
        total = connection.scalar(statements.count, parameters) or 0
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
    "DISEASE_GROUPS",
    "EARLY_PHASE_DAYS",
    "CarePhase",
    "PatientListIdentity",
    "PatientListPage",
    "PatientListQuery",
    "PatientListRow",
    "PatientSort",
    "care_phase",
    "centre_codes",
    "disease_group_condition",
    "list_patients_for",
    "read_patient_list",
    "statements_for",
]
