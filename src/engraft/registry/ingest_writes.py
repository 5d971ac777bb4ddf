"""The few statements that store one feed message (:func:`engraft.registry.ingest.store_results`).

A lab feed sends small messages (a handful of results) at a high rate, so what a message costs is its database
round trips, not its rows. Storing one takes, besides the pool's ping, BEGIN and COMMIT:

1. :func:`claim_message`: the message's key inserted first (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``):
   the idempotency check and the record in one statement. A key already committed inserts nothing (a re-send);
   a key a concurrent transaction is inserting waits for it, so two connections sending one message store it
   once. Only then is the stored content's digest read, to refuse a control id re-used for other results.
2. :func:`resolve_patients`: the patients the message names (by MRN at the feed's centre, or by Engraft id),
   their birth dates and their episodes in one query; on PostgreSQL the patient rows are locked against deletion
   in it (``FOR KEY SHARE OF patient``; an episode deleted meanwhile fails the insert's foreign key), and each
   episode's evaluation lock is taken in shared mode (``pg_advisory_xact_lock_shared``, the key
   :func:`engraft.registry.monitoring_reads.lock_context` takes exclusively) until the message commits. So an
   evaluation of the episode, in any process, waits for every message of the episode already being stored and
   reads its results too: two server processes storing one patient's messages, the later one committed first,
   no longer make an evaluation judge the series without the earlier one (which raised alerts that the whole
   series does not support, resolved automatically when the earlier result came). Messages do not wait for
   each other (shared locks); a message waits for an evaluation of its episode in progress.
3. :func:`insert_new_observations`: the results in one ``INSERT ... ON CONFLICT (source_system, source_id) DO
   NOTHING RETURNING`` (SQLAlchemy's "insertmanyvalues": one statement for the message); a result already stored
   under its identifier is read back only when there is one: skipped when identical, replaced by a correction,
   refused otherwise (:mod:`engraft.registry.ingest_corrections`).
4. the audit entry (:meth:`engraft.registry.service.RegistryService.audit`).

Large loads (more than :data:`SMALL_BATCH` results) keep the bulk loader's binary COPY.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.ingest_corrections import settle_skipped
from engraft.registry.ingest_statements import (
    CLAIM_AND_PATIENTS_BY_ID,
    CLAIM_AND_PATIENTS_BY_MRN,
    CLAIM_AND_PATIENTS_BY_MRN_AT_CENTRE,
    CLAIM_MESSAGE,
    CLAIM_MESSAGE_PG,
    INSERT_OBSERVATIONS,
    INSERT_OBSERVATIONS_AUDITED,
    PATIENTS_BY_ID,
    PATIENTS_BY_MRN,
    PATIENTS_BY_MRN_AT_CENTRE,
    PendingAudit,
    add_audit_entry,
    audit_params,
    driver_rows,
)
from engraft.registry.models import InboundMessage, Observation, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.models.patient import Centre
from engraft.registry.monitoring_reads import EVALUATION_LOCK_SPACE
from engraft.registry.observation_batch import NO_EPISODE, ObservationBatch
from engraft.vocabulary import InboundProtocol, ObservationSource

SMALL_BATCH: Final = 1_000
"""Results a message may carry for the one-statement insert; more go through the bulk loader's COPY."""
_CHUNK: Final = 5_000

NewObservation = tuple[int, int, int | None, str]
"""(id, patient, episode, LOINC code) of a stored observation."""


@dataclass(frozen=True, slots=True)
class PatientKey:
    """How a message names its patient: the Engraft patient id, or a medical record number."""

    engraft_id: int | None = None
    mrn: str | None = None

    def describe(self) -> str:
        return f"Engraft id {self.engraft_id}" if self.engraft_id is not None else f"MRN {self.mrn!r}"


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """The key of a message being stored: its row id (``None`` when it was committed before: a re-send)."""

    id: int | None
    patients: ResolvedPatients | None = None
    """The message's patients when they were resolved with the claim (:func:`claim_message`'s ``patients``)."""


@dataclass(frozen=True, slots=True)
class PatientLookup:
    """The patients a message names and the feed's centre (MRNs are unique within a centre)."""

    keys: set[PatientKey]
    centre: str | None


def claim_message(
    session: Session,
    protocol: Any,
    sender: str,
    control_id: str,
    digest: str,
    observations: int,
    transfusions: int,
    patients: PatientLookup | None = None,
) -> ClaimedMessage:
    """Insert the message's key unless it is stored; a stored key of other content (``digest``) is refused.

    ``patients``: on PostgreSQL, when the message names its patients by one kind of key (MRN or Engraft id), they
    are resolved (and locked) by the same statement, one round trip fewer: :attr:`ClaimedMessage.patients`."""
    values = {
        "protocol": InboundProtocol(protocol).value,
        "sender": sender,
        "control_id": control_id,
        "received_at": dt.datetime.now(dt.UTC),
        "observations": observations,
        "transfusions": transfusions,
        "content_sha256": digest,
    }
    connection = session.connection()
    resolved = None
    if connection.dialect.name == "postgresql":
        combined = None if patients is None else _claiming(patients)
        if combined is None:
            claimed = driver_rows(connection, CLAIM_MESSAGE_PG, values)
            new_id = claimed[0][0] if claimed else None
        else:
            statement, params, by_mrn = combined
            rows = driver_rows(connection, statement, values | params)
            new_id = rows[0][0]
            found = [row[1:] if by_mrn else (None, *row[1:]) for row in rows if row[-5] is not None]
            resolved = _resolved([(mrn, pid, birth, day0, eid) for mrn, pid, birth, day0, eid, _lock in found])
    else:
        new_id = connection.execute(CLAIM_MESSAGE, values).scalar_one_or_none()
    if new_id is not None:
        return ClaimedMessage(int(new_id), resolved)
    stored = session.execute(
        select(InboundMessage.content_sha256).where(
            InboundMessage.protocol == protocol,
            InboundMessage.sender == sender,
            InboundMessage.control_id == control_id,
        )
    ).scalar_one()
    if stored != digest:
        expected = (
            "a control id not re-used: a message with this control id and sender but other results is stored "
            "(a re-send must repeat the message unchanged)"
        )
        raise InvalidRecord.single("control_id", control_id, expected)
    return ClaimedMessage(None)


@dataclass(frozen=True, slots=True)
class ResolvedPatients:
    """What :func:`resolve_patients` found: patient id by key, each patient's birth date and episodes."""

    ids: dict[PatientKey, int]
    ambiguous: set[PatientKey]
    births: dict[int, dt.date | None]
    episodes: dict[int, list[tuple[dt.date, int]]]
    """Each patient's transplant episodes as (day 0, id), latest day 0 first."""


def resolve_patients(session: Session, keys: set[PatientKey], centre: str | None) -> ResolvedPatients:
    """The patients of ``keys``, their birth dates and episodes, in one
    query per kind of key (PostgreSQL: the patients locked against deletion until the transaction ends)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    ids = sorted({k.engraft_id for k in keys if k.engraft_id is not None})
    mrns = sorted({k.mrn for k in keys if k.mrn is not None})
    if postgres:
        rows = _locked_patients(session.connection(), ids, mrns, centre)
    else:
        rows = _patients(session, ids, mrns, centre)
    return _resolved(rows)


def _claiming(lookup: PatientLookup) -> tuple[str, dict[str, Any], bool] | None:
    """The combined claim-and-patients statement for ``lookup`` and its parameters (and whether it reads MRNs);
    ``None`` when the message names patients by both kinds of key."""
    ids = sorted({k.engraft_id for k in lookup.keys if k.engraft_id is not None})
    mrns = sorted({k.mrn for k in lookup.keys if k.mrn is not None})
    if (ids and mrns) or not (ids or mrns):
        return None
    if ids:
        return CLAIM_AND_PATIENTS_BY_ID, {"ids": ids, "lock_space": EVALUATION_LOCK_SPACE}, False
    params: dict[str, Any] = {"mrns": mrns, "lock_space": EVALUATION_LOCK_SPACE}
    if lookup.centre is None:
        return CLAIM_AND_PATIENTS_BY_MRN, params, True
    return CLAIM_AND_PATIENTS_BY_MRN_AT_CENTRE, params | {"centre": lookup.centre}, True


def _resolved(rows: list[_PatientRow]) -> ResolvedPatients:
    found: dict[PatientKey, int] = {}
    ambiguous: set[PatientKey] = set()
    births: dict[int, dt.date | None] = {}
    episodes: dict[int, set[tuple[dt.date, int]]] = defaultdict(set)
    for mrn, pid, birth, day0, eid in rows:
        key = PatientKey(engraft_id=int(pid)) if mrn is None else PatientKey(mrn=mrn)
        if key in found and found[key] != pid:
            ambiguous.add(key)
        found[key] = int(pid)
        births[int(pid)] = birth
        if eid is not None and day0 is not None:
            episodes[int(pid)].add((day0, int(eid)))
    for key in ambiguous:
        del found[key]
    return ResolvedPatients(
        found, ambiguous, births, {pid: sorted(found_, reverse=True) for pid, found_ in episodes.items()}
    )


_PatientRow = tuple[str | None, int, dt.date | None, dt.date | None, int | None]
"""(MRN or ``None`` when looked up by Engraft id, patient id, birth date, episode day 0, episode id)."""


def _locked_patients(connection: Connection, ids: list[int], mrns: list[str], centre: str | None) -> list[_PatientRow]:
    """PostgreSQL: the patients in one fixed statement per kind of key, each patient locked against deletion and
    each episode's evaluation lock taken in shared mode (see the module's description)."""
    rows: list[_PatientRow] = []
    if ids:
        found = driver_rows(connection, PATIENTS_BY_ID, {"ids": ids, "lock_space": EVALUATION_LOCK_SPACE})
        rows += [(None, pid, birth, day0, eid) for pid, birth, day0, eid, _lock in found]
    if mrns:
        params: dict[str, Any] = {"mrns": mrns, "lock_space": EVALUATION_LOCK_SPACE}
        if centre is None:
            found = driver_rows(connection, PATIENTS_BY_MRN, params)
        else:
            found = driver_rows(connection, PATIENTS_BY_MRN_AT_CENTRE, params | {"centre": centre})
        rows += [(mrn, pid, birth, day0, eid) for mrn, pid, birth, day0, eid, _lock in found]
    return rows


def _patients(session: Session, ids: list[int], mrns: list[str], centre: str | None) -> list[_PatientRow]:
    """Other databases (SQLite): the patients through SQLAlchemy's constructs, in chunks."""
    rows: list[_PatientRow] = []
    columns: tuple[Any, ...] = (Patient.id, Patient.birth_date, TransplantEpisode.day0, TransplantEpisode.id)
    for lo in range(0, len(ids), _CHUNK):
        stmt = select(*columns).outerjoin(TransplantEpisode, TransplantEpisode.patient_id == Patient.id)
        stmt = stmt.where(Patient.id.in_(ids[lo : lo + _CHUNK])).order_by(TransplantEpisode.id)
        rows += [(None, pid, birth, day0, eid) for pid, birth, day0, eid in session.execute(stmt)]
    for lo in range(0, len(mrns), _CHUNK):
        by_mrn = (
            select(PatientIdentity.mrn, *columns)
            .join(Patient, Patient.id == PatientIdentity.patient_id)
            .outerjoin(TransplantEpisode, TransplantEpisode.patient_id == Patient.id)
            .where(PatientIdentity.mrn.in_(mrns[lo : lo + _CHUNK]))
            .order_by(TransplantEpisode.id)
        )
        if centre is not None:
            by_mrn = by_mrn.join(Centre, Centre.id == PatientIdentity.centre_id).where(Centre.code == centre)
        rows += [(mrn, pid, birth, day0, eid) for mrn, pid, birth, day0, eid in session.execute(by_mrn)]
    return rows


def before_birth(batch: ObservationBatch, births: dict[int, dt.date | None]) -> list[Problem]:
    """A problem for each result of ``batch`` dated before its patient's birth date (as the bulk loader checks)."""
    problems = []
    for i in range(len(batch)):
        birth = births.get(int(batch.patient_id[i]))
        if birth is None:
            continue
        at = batch.observed_at(i)
        if at < dt.datetime(birth.year, birth.month, birth.day, tzinfo=dt.UTC):
            problems.append(
                Problem(
                    "observed_at", at.isoformat(), "a time on or after the patient's birth date", int(batch.row_no[i])
                )
            )
    return problems


def insert_new_observations(
    connection: Connection,
    batch: ObservationBatch,
    now: dt.datetime,
    audit: PendingAudit | None = None,
    corrections: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[NewObservation], list[NewObservation]]:
    """Insert the batch's results not stored yet, in one statement; (id, patient, episode, code) of each new one,
    and of each stored one a correction replaced.

    A result whose ``(source_system, source_id)`` is stored already is skipped when identical; when it differs it
    is refused (:class:`InvalidRecord` naming its row), unless its key is in ``corrections`` (a corrected result,
    with ``audit``): then it replaces the stored result (:func:`_apply_corrections`). ``audit``, when given, is
    written too: on PostgreSQL in the same statement as the results, elsewhere by :func:`add_audit_entry` after it.
    """
    if not len(batch):
        if audit is not None:
            _write_audit(connection, audit, 0)
        return [], []
    ordered = batch.in_key_order()  # concurrent writers insert keys in one order: no deadlock on the unique index
    rows = [
        {
            "patient_id": int(ordered.patient_id[i]),
            "episode_id": None if ordered.episode_id[i] == NO_EPISODE else int(ordered.episode_id[i]),
            "observed_at": ordered.observed_at(i),
            "loinc": ordered.loinc[i],
            "value": float(ordered.value[i]),
            "unit": ordered.unit[i],
            "value_canonical": float(ordered.value_canonical[i]),
            "source": ObservationSource(ordered.source[i]),
            "source_system": ordered.source_system[i],
            "source_id": ordered.source_id[i],
            "recorded_at": now,
        }
        for i in range(len(ordered))
    ]
    new: dict[tuple[str, str], NewObservation] = {}
    for oid, pid, eid, loinc, system, source_id in _insert(connection, ordered, rows, now, audit):
        new[(system, source_id)] = (int(oid), int(pid), None if eid is None else int(eid), str(loinc))
    if audit is not None and connection.dialect.name != "postgresql":
        _write_audit(connection, audit, len(new))
    skipped = [i for i, row in enumerate(rows) if (row["source_system"], row["source_id"]) not in new]
    corrected: list[NewObservation] = []
    if skipped:
        corrected = settle_skipped(
            connection, [rows[i] for i in skipped], [int(ordered.row_no[i]) for i in skipped], corrections, audit, now
        )
    return list(new.values()), corrected


def _write_audit(connection: Connection, audit: PendingAudit, inserted: int) -> None:
    changes = audit.changes | {audit.counted: inserted}
    add_audit_entry(connection, audit.actor, audit.action, audit.entity, audit.entity_id, changes)


def _insert(
    connection: Connection,
    ordered: ObservationBatch,
    rows: list[dict[str, Any]],
    now: dt.datetime,
    audit: PendingAudit | None,
) -> Any:
    """The insert's returned rows: on PostgreSQL one fixed statement over the batch's columns as arrays (with the
    audit entry when there is one)."""
    if connection.dialect.name == "postgresql":
        params = {
            "patient_id": ordered.patient_id.tolist(),
            "episode_id": [r["episode_id"] for r in rows],
            "observed_at": [r["observed_at"] for r in rows],
            "loinc": ordered.loinc,
            "value": ordered.value.tolist(),
            "unit": ordered.unit,
            "value_canonical": ordered.value_canonical.tolist(),
            "source": ordered.source,
            "source_system": ordered.source_system,
            "source_id": ordered.source_id,
            "recorded_at": now,
        }
        if audit is None:
            return driver_rows(connection, INSERT_OBSERVATIONS, params)
        # one statement: the results and their entry are stored together or not at all
        return driver_rows(connection, INSERT_OBSERVATIONS_AUDITED, params | audit_params(audit))
    insert = _dialect_insert(connection.dialect.name, Observation).on_conflict_do_nothing(
        index_elements=["source_system", "source_id"]
    )
    stmt = insert.returning(
        Observation.id,
        Observation.patient_id,
        Observation.episode_id,
        Observation.loinc,
        Observation.source_system,
        Observation.source_id,
    )
    return connection.execute(stmt, rows)


def _dialect_insert(dialect: str, model: Any) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"feed messages are stored on PostgreSQL or SQLite, not {dialect}")
