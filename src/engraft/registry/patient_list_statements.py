"""The patient list's SQL: the page statement and the count statement of a :class:`PatientListQuery`.

The page is one statement: an inner query picks the page's ids and sort keys (``ORDER BY .. LIMIT .. OFFSET``);
the outer one joins the columns shown for just those rows. The count of every match is a second statement. The
newest day 0 per patient is an aggregate over ``transplant_episode`` grouped by patient, joined once (only when
the phase filter or the sort needs it). The SQL text depends only on the query's shape (:class:`_Shape`): the
values are bound parameters and the statements are built once a shape (:func:`statements_for`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
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

from engraft.outcomes.activity import INDICATION_RULES
from engraft.registry.models import Centre, ClinicalEvent, Diagnosis, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.patient_list_query import (
    EARLY_PHASE_DAYS,
    IDENTITY_SORTS,
    CarePhase,
    PatientListQuery,
    PatientSort,
)
from engraft.vocabulary import EventType

PATIENT = Patient.__table__
CENTRE = Centre.__table__
IDENTITY = PatientIdentity.__table__
EPISODE = TransplantEpisode.__table__
DIAGNOSIS = Diagnosis.__table__
EVENT = ClinicalEvent.__table__


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


def statements_for(query: PatientListQuery) -> tuple[Select[Any], Select[Any], dict[str, Any]]:
    """The page statement, the count statement and their parameters (sent by
    :func:`engraft.registry.patient_list.read_patient_list`; EXPLAINed by the list's benchmark)."""
    statements = _statements(_Shape.of(query))
    return statements.page, statements.count, _parameters(query)


__all__ = ["disease_group_condition", "statements_for"]
