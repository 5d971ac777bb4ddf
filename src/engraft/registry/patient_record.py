"""Reads for one patient's record page: the whole record on one connection, audited once.

:func:`read_patient_record` reads what the patient page shows (the patient, with identity only when
asked; diagnoses, transplant episodes with their conditioning and donors, clinical events, follow-up
visits, assessments, the donors' records and the chart observations) in one session: one pooled
connection, one checkout ping, one statement per table, instead of one session, ping and page query per
list. The patient's identifying read is audited once, in a transaction of its own, after everything is
read and before anything leaves (:meth:`RegistryService.audit_patient_read`, the entry
:meth:`RegistryService.get_patient` writes). A patient that does not exist raises
:class:`RecordNotFound` and is not audited, as there. On PostgreSQL the entry is one autocommitted INSERT on
the reads' connection (no second checkout, ping, BEGIN and COMMIT).

:func:`read_chart_observations` gives every observation of a patient under a set of LOINC codes (the lab
charts: ANC, platelets, bilirubin, creatinine, CMV) in one statement, ordered by time. Observations are not
identifying data, so this read writes no audit entry; nor does :func:`read_chart_series` (the episodes and one
chart's observations: the value table the page fetches on request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, NamedTuple, TypeVar, cast

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session, joinedload

from engraft.registry.errors import RecordNotFound
from engraft.registry.models import (
    Assessment,
    Base,
    Centre,
    ClinicalEvent,
    ConditioningAgent,
    Diagnosis,
    Donor,
    EpisodeDonor,
    FollowUpVisit,
    Observation,
    TransplantEpisode,
)
from engraft.registry.patient_reads import read_patient
from engraft.registry.schemas.clinical import AssessmentOut, EventOut, FollowUpOut
from engraft.registry.schemas.donor import DonorOut
from engraft.registry.schemas.episode import ConditioningAgentOut, EpisodeOut
from engraft.registry.schemas.patient import DiagnosisOut, PatientOut
from engraft.registry.service import MAX_PAGE, RegistryService

OBSERVATION = Observation.__table__
MAX_CHART_OBSERVATIONS = 20_000
"""A safety bound: more observations than this for one patient under the chart codes are not drawn."""
OutT = TypeVar("OutT", bound=BaseModel)
MAX_RECORD_ROWS = MAX_PAGE
"""At most this many diagnoses, episodes, events, visits or assessments are read for one page (as the
paged service reads it replaces)."""


class ChartObservation(NamedTuple):
    """One lab value for a chart: when, under which code, as sent and in the code's canonical unit.

    A named tuple (not a dataclass): a patient has about a thousand of them, and building a tuple costs a
    fraction of a frozen dataclass's ``__init__``."""

    episode_id: int | None
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    value_canonical: float


@dataclass(frozen=True)
class PatientRecord:
    """What the patient page shows of one patient, read together (episodes by sequence number)."""

    patient: PatientOut
    diagnoses: list[DiagnosisOut]
    episodes: list[EpisodeOut]
    events: list[EventOut]
    visits: list[FollowUpOut]
    assessments: list[AssessmentOut]
    donors: dict[int, DonorOut]
    observations: list[ChartObservation]


class _PatientRows(Generic[OutT]):
    """One table's rows of a patient as ``out`` records: the columns ``out`` shows, selected without the ORM
    (no identity map, no per-row bookkeeping), validated in one call. The statement is built once."""

    def __init__(self, model: type[Base], out: type[OutT]) -> None:
        table = cast(Table, model.__table__)
        self._statement = (
            select(*(table.c[name] for name in out.model_fields))
            .where(table.c.patient_id == bindparam("patient_id"))
            .order_by(table.c.id)
            .limit(MAX_RECORD_ROWS)
        )
        self._adapter = TypeAdapter(list[out])  # type: ignore[valid-type]

    def read(self, session: Session, patient_id: int) -> list[OutT]:
        result = session.execute(self._statement, {"patient_id": patient_id})
        keys = list(result.keys())
        return self._adapter.validate_python([dict(zip(keys, row, strict=True)) for row in result])


_DIAGNOSES = _PatientRows(Diagnosis, DiagnosisOut)
_EVENTS = _PatientRows(ClinicalEvent, EventOut)
_VISITS = _PatientRows(FollowUpVisit, FollowUpOut)
_ASSESSMENTS = _PatientRows(Assessment, AssessmentOut)


@cache
def _observation_statement(codes: tuple[str, ...]) -> Select[Any]:
    """Built once per set of codes, with the patient as a bound parameter."""
    return (
        select(
            OBSERVATION.c.episode_id,
            OBSERVATION.c.observed_at,
            OBSERVATION.c.loinc,
            OBSERVATION.c.value,
            OBSERVATION.c.unit,
            OBSERVATION.c.value_canonical,
        )
        .where(OBSERVATION.c.patient_id == bindparam("patient_id"), OBSERVATION.c.loinc.in_(codes))
        .order_by(OBSERVATION.c.observed_at, OBSERVATION.c.id)
        .limit(MAX_CHART_OBSERVATIONS)
    )


def _chart_observations(session: Session, patient_id: int, loincs: Iterable[str]) -> list[ChartObservation]:
    codes = tuple(sorted(set(loincs)))
    rows = session.execute(_observation_statement(codes), {"patient_id": patient_id}).all()
    utc = dt.UTC
    return [
        ChartObservation(
            episode_id,
            observed_at.replace(tzinfo=utc) if observed_at.tzinfo is None else observed_at.astimezone(utc),
            loinc,
            value,
            unit,
            value_canonical,
        )
        for episode_id, observed_at, loinc, value, unit, value_canonical in rows
    ]


def read_chart_observations(service: RegistryService, patient_id: int, loincs: Iterable[str]) -> list[ChartObservation]:
    """Every observation of ``patient_id`` under ``loincs``, oldest first (at most :data:`MAX_CHART_OBSERVATIONS`)."""
    with service.reading() as session:
        return _chart_observations(session, patient_id, loincs)


_EPISODE = cast(Table, TransplantEpisode.__table__)
_AGENT = cast(Table, ConditioningAgent.__table__)
_DONOR_LINK = cast(Table, EpisodeDonor.__table__)
_CENTRE = cast(Table, Centre.__table__)
_EPISODE_FIELDS = [name for name in EpisodeOut.model_fields if name not in {"centre", "donor_ids", "conditioning"}]
_AGENT_FIELDS = list(ConditioningAgentOut.model_fields)
_EPISODES = TypeAdapter(list[EpisodeOut])


@cache
def _episode_statement() -> Select[Any]:
    """A patient's episodes with their centre's code, conditioning agents and donor links, in one statement
    (one row per agent and donor of an episode: a few rows), built once."""
    ids = (
        select(_EPISODE.c.id)
        .where(_EPISODE.c.patient_id == bindparam("patient_id"))
        .order_by(_EPISODE.c.sequence_number, _EPISODE.c.id)
        .limit(MAX_RECORD_ROWS)
    )
    return (
        select(
            *(_EPISODE.c[name] for name in _EPISODE_FIELDS),
            _CENTRE.c.code.label("centre"),
            _AGENT.c.id.label("agent_id"),
            *(_AGENT.c[name].label(f"agent_{name}") for name in _AGENT_FIELDS),
            _DONOR_LINK.c.donor_id.label("donor_id"),
        )
        .select_from(
            _EPISODE.join(_CENTRE, _CENTRE.c.id == _EPISODE.c.centre_id)
            .outerjoin(_AGENT, _AGENT.c.episode_id == _EPISODE.c.id)
            .outerjoin(_DONOR_LINK, _DONOR_LINK.c.episode_id == _EPISODE.c.id)
        )
        .where(_EPISODE.c.id.in_(ids.scalar_subquery()))
        .order_by(
            _EPISODE.c.sequence_number,
            _EPISODE.c.id,
            _AGENT.c.position,
            _AGENT.c.id,
            _DONOR_LINK.c.position,
            _DONOR_LINK.c.id,
        )
    )


def _episodes(session: Session, patient_id: int) -> list[EpisodeOut]:
    """The patient's transplant episodes by sequence number, with conditioning and donors in their order."""
    episodes: dict[int, dict[str, Any]] = {}
    agents: dict[int, dict[int, dict[str, Any]]] = {}
    for row in session.execute(_episode_statement(), {"patient_id": patient_id}).mappings():
        episode = episodes.get(row["id"])
        if episode is None:
            episode = {name: row[name] for name in _EPISODE_FIELDS}
            episode["centre"], episode["donor_ids"], episode["conditioning"] = row["centre"], [], []
            episodes[row["id"]] = episode
            agents[row["id"]] = {}
        if row["agent_id"] is not None and row["agent_id"] not in agents[row["id"]]:
            agent = {name: row[f"agent_{name}"] for name in _AGENT_FIELDS}
            agents[row["id"]][row["agent_id"]] = agent
            episode["conditioning"].append(agent)
        if row["donor_id"] is not None and row["donor_id"] not in episode["donor_ids"]:
            episode["donor_ids"].append(row["donor_id"])
    return _EPISODES.validate_python(list(episodes.values()))


def read_episodes(service: RegistryService, patient_id: int) -> list[EpisodeOut]:
    """The episodes of ``patient_id`` by sequence number (e.g. to number one of them among those of its kind).
    Nothing identifying is read, so nothing is audited; an unknown patient has no episodes."""
    with service.reading() as session:
        return _episodes(session, patient_id)


def read_chart_series(
    service: RegistryService, patient_id: int, loincs: Iterable[str]
) -> tuple[list[EpisodeOut], list[ChartObservation]]:
    """The episodes of ``patient_id`` and its observations under ``loincs`` (a chart's values on request), on one
    connection. Nothing identifying is read, so nothing is audited; an unknown patient has no episodes."""
    with service.reading() as session:
        return _episodes(session, patient_id), _chart_observations(session, patient_id, loincs)


def read_patient_record(
    service: RegistryService, patient_id: int, include_identity: bool, loincs: Iterable[str]
) -> PatientRecord:
    """The record of ``patient_id`` (identity only with ``include_identity``), its identifying read audited once.

    Raises :class:`RecordNotFound` (nothing audited) when there is no such patient, and
    :class:`~engraft.registry.errors.AuditUnavailable` (nothing handed out) when the audit entry cannot be
    written."""
    with service.reading() as session:
        patient = read_patient(session.connection(), patient_id, include_identity)
        if patient is None:
            raise RecordNotFound("patient", patient_id)
        diagnoses = _DIAGNOSES.read(session, patient_id)
        episodes = _episodes(session, patient_id)
        events = _EVENTS.read(session, patient_id)
        visits = _VISITS.read(session, patient_id)
        assessments = _ASSESSMENTS.read(session, patient_id)
        donor_ids = sorted({d for e in episodes for d in e.donor_ids})
        donors: dict[int, DonorOut] = {}
        if donor_ids:
            rows = session.scalars(
                select(Donor).options(joinedload(Donor.markers)).where(Donor.id.in_(donor_ids)).order_by(Donor.id)
            ).unique()
            donors = {d.id: DonorOut.model_validate(d) for d in rows}
        observations = _chart_observations(session, patient_id, loincs)
        on_this_connection = session.get_bind().dialect.name == "postgresql"  # autocommit: see the service
        if on_this_connection:
            service.audit_patient_read(patient_id, include_identity, reading=session)
    if not on_this_connection:  # SQLite: after the read transaction, in a write transaction of its own
        service.audit_patient_read(patient_id, include_identity)
    return PatientRecord(patient, diagnoses, episodes, events, visits, assessments, donors, observations)
