"""Results from lab and clinical feeds (HL7 v2, FHIR) stored all-or-nothing, once per message.

A feed adapter (``engraft.io.hl7_oru``, ``engraft.io.fhir_results``) turns a message into
:class:`IncomingObservation` and :class:`IncomingTransfusion` items that name their patient by a
:class:`PatientKey` (Engraft id or medical record number). :func:`store_results` then, in one transaction:

1. looks the message up by its :class:`MessageKey` (protocol, sender, control id): a message already stored
   is a re-send (its acknowledgement was lost) and changes nothing;
2. resolves every patient key, checks every observation like the bulk API does
   (:mod:`engraft.registry.observation_batch`, :func:`engraft.registry.observations.parent_problems`) and
   every transfusion; any problem refuses the whole message with :class:`InvalidRecord` naming each item;
3. stores the new transfusions and observations (identical re-sent results are skipped, as in the bulk API; a
   correction replaces the result it names: :mod:`engraft.registry.ingest_corrections`),
   the message's key, and one audit entry naming the actor (on PostgreSQL in the observations' statement); an
   observation is attributed to the patient's transplant episode in force when it was observed (an episode whose
   day 0 is at most 30 days later, for the work-up and conditioning baselines; else the latest whose day 0 is on
   or before its UTC date), so the monitoring of that episode reads it; a patient without such an episode gets
   none;
4. after the commit, tells the :mod:`result hooks <engraft.registry.result_hooks>` which rows it stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import psycopg.errors
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord, Problem, WriteConflict
from engraft.registry.ingest_statements import PendingAudit, add_audit_entry
from engraft.registry.ingest_transfusions import IncomingTransfusion as IncomingTransfusion
from engraft.registry.ingest_transfusions import store_transfusions, transfusion_problems
from engraft.registry.ingest_writes import (
    SMALL_BATCH,
    NewObservation,
    PatientLookup,
    ResolvedPatients,
    before_birth,
    claim_message,
    insert_new_observations,
    resolve_patients,
)
from engraft.registry.ingest_writes import (
    PatientKey as PatientKey,
)
from engraft.registry.models import InboundMessage, Observation
from engraft.registry.observation_batch import (
    MAX_PROBLEMS,
    ObservationBatch,
    validate,
)
from engraft.registry.observations import ObservationRow, parent_problems, store_batch
from engraft.registry.result_hooks import RESULT_HOOKS, CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol, ObservationSource

_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class IncomingObservation:
    """One numeric result of a message, in the catalogue's LOINC code and a UCUM unit from the closed set."""

    item: int
    """1-based position of the item in its message (FHIR entry, HL7 OBX), named in every problem."""
    label: str
    """Where the item is in its message, e.g. ``entry[3]`` or ``OBX[2]``."""
    patient: PatientKey
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    source_system: str
    source_id: str
    source: ObservationSource = ObservationSource.LAB_FEED
    corrects: bool = False
    """A correction of the result stored under the same identifier (HL7 OBX-11 ``C``, FHIR ``amended`` or
    ``corrected``): it replaces that result's value, unit, time and episode (the patient and the code must be the
    same; the replaced values stay in the audit log). Without a stored result it is stored as new."""


@dataclass(frozen=True, slots=True)
class MessageKey:
    """What makes a message unique: its protocol, its sender (application and facility) and its control id."""

    protocol: InboundProtocol
    sender: str
    control_id: str


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What :func:`store_results` did with a message."""

    already_stored: bool
    """The message's key was stored before: a re-send, acknowledged again, nothing written."""
    observations_received: int
    observations_inserted: int
    transfusions_received: int
    transfusions_inserted: int
    committed: tuple[CommittedResults, ...]
    observations_corrected: int = 0
    """Stored results replaced by a correction of this message (see :attr:`IncomingObservation.corrects`)."""


def store_results(
    service: RegistryService,
    observations: Sequence[IncomingObservation],
    transfusions: Sequence[IncomingTransfusion] = (),
    message: MessageKey | None = None,
    *,
    centre: str | None = None,
    protocol: InboundProtocol = InboundProtocol.HL7V2,
    hooks: ResultHooks = RESULT_HOOKS,
) -> IngestOutcome:
    """Store a message's results in one transaction (see the module's description); notify ``hooks`` after.

    ``centre`` (a centre code) scopes medical record numbers, which are unique only within a centre; without
    it an MRN that two centres use is refused as ambiguous. Raises :class:`InvalidRecord` naming every bad item.
    """
    if message is not None:
        protocol = message.protocol
    with service.transaction() as session:
        outcome = store_in_transaction(session, service, observations, transfusions, message, centre, protocol)
    hooks.notify(outcome.committed)
    return outcome


def store_in_transaction(
    session: Session,
    service: RegistryService,
    observations: Sequence[IncomingObservation],
    transfusions: Sequence[IncomingTransfusion],
    message: MessageKey | None,
    centre: str | None,
    protocol: InboundProtocol,
) -> IngestOutcome:
    """One message's statements inside the caller's transaction (what :func:`store_results` commits; a group of
    messages in one transaction: :mod:`engraft.registry.ingest_group`). Raises :class:`InvalidRecord`."""
    digest = content_digest(observations, transfusions)
    items: list[IncomingObservation | IncomingTransfusion] = [*observations, *transfusions]
    lookup = PatientLookup({item.patient for item in items}, centre)
    claimed = None
    if message is not None:
        claimed = claim_message(
            session,
            message.protocol,
            message.sender,
            message.control_id,
            digest,
            len(observations),
            len(transfusions),
            lookup,
        )
        if claimed.id is None:
            return IngestOutcome(True, len(observations), 0, len(transfusions), 0, ())
    resolved = claimed.patients if claimed is not None and claimed.patients is not None else None
    if resolved is None:
        resolved = resolve_patients(session, lookup.keys, centre)
    patients = resolved.ids
    problems = _patient_problems(items, resolved, centre)
    rows = [_row(item, patients, resolved.episodes) for item in observations if item.patient in patients]
    batch, batch_problems = validate(rows)
    by_row = [item for item in observations if item.patient in patients]
    problems += [_relabel(p, by_row) for p in batch_problems]
    problems += transfusion_problems(transfusions, patients)
    if problems:
        raise InvalidRecord(_ordered(problems))
    problems = [_relabel(p, by_row) for p in before_birth(batch, resolved.births)]
    if problems:
        raise InvalidRecord(_ordered(problems))
    connection = session.connection()
    now = dt.datetime.now(dt.UTC)
    new_transfusions = store_transfusions(session, transfusions, patients)
    changes: dict[str, Any] = {
        "protocol": protocol.value,
        "observations_received": len(observations),
        "observations_inserted": 0,
        "transfusions_received": len(transfusions),
        "transfusions_inserted": len(new_transfusions),
    }
    if message is not None:
        changes |= {"sender": message.sender, "control_id": message.control_id}
    entity_id = None if claimed is None else claimed.id
    audit = PendingAudit(
        service.actor, AuditAction.BULK_INSERT, "inbound message", entity_id, changes, "observations_inserted"
    )
    corrections = frozenset((o.source_system, o.source_id) for o in by_row if o.corrects)
    corrected: list[NewObservation] = []
    try:
        if len(batch) <= SMALL_BATCH or corrections:  # the audit entry written with the results
            new_observations, corrected = insert_new_observations(connection, batch, now, audit, corrections)
        else:
            new_observations = _copy_new(connection, batch, rows, now)
            changes["observations_inserted"] = len(new_observations)
            add_audit_entry(connection, service.actor, AuditAction.BULK_INSERT, "inbound message", entity_id, changes)
    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as exc:
        raise WriteConflict("observation", type(exc).__name__) from exc
    except InvalidRecord as exc:
        raise InvalidRecord([_relabel(p, by_row) for p in exc.problems]) from exc
    committed = _groups([*new_observations, *corrected], new_transfusions, protocol)
    return IngestOutcome(
        False,
        len(observations),
        len(new_observations),
        len(transfusions),
        len(new_transfusions),
        committed,
        len({c[0] for c in corrected}),
    )


def message_already_stored(service: RegistryService, message: MessageKey) -> bool:
    """True when ``message`` was committed before (a re-send whose acknowledgement was lost)."""
    with service.read_snapshot() as session:
        return _already_stored(session, message, None)


def content_digest(observations: Sequence[IncomingObservation], transfusions: Sequence[IncomingTransfusion]) -> str:
    """SHA-256 of what a message carries (patients, codes, values, units, times, identifiers), order kept."""
    digest = hashlib.sha256()
    for o in observations:
        parts = (
            o.patient.describe(),
            o.observed_at.isoformat(),
            o.loinc,
            repr(o.value),
            o.unit,
            o.source_system,
            o.source_id,
        )
        digest.update(("\x1f".join(("oc" if o.corrects else "o", *parts)) + "\x1e").encode())
    for t in transfusions:
        given = (t.patient.describe(), t.administered_at.isoformat(), t.product.value, t.source_system, t.source_id)
        digest.update(("\x1f".join(("t", *given)) + "\x1e").encode())
    return digest.hexdigest()


def _already_stored(session: Session, message: MessageKey, digest: str | None) -> bool:
    """Whether ``message`` is stored; a stored one of other content (``digest`` differs) is refused."""
    stmt = select(InboundMessage.content_sha256).where(
        InboundMessage.protocol == message.protocol,
        InboundMessage.sender == message.sender,
        InboundMessage.control_id == message.control_id,
    )
    stored = session.execute(stmt).scalar_one_or_none()
    if stored is not None and digest is not None and stored != digest:
        expected = (
            "a control id not re-used: a message with this control id and sender but other results is stored "
            "(a re-send must repeat the message unchanged)"
        )
        raise InvalidRecord.single("control_id", message.control_id, expected)
    return stored is not None


def _patient_problems(
    items: Sequence[IncomingObservation | IncomingTransfusion], resolved: ResolvedPatients, centre: str | None
) -> list[Problem]:
    """A problem for each item whose key names no single patient."""
    where = f" at centre {centre!r}" if centre is not None else ""
    problems = []
    for item in items:
        if item.patient in resolved.ids:
            continue
        if item.patient in resolved.ambiguous:
            expected = "an MRN that names one patient (it is used at several centres: configure the feed's centre)"
        else:
            expected = f"a registered patient{where}"
        problems.append(Problem(f"{item.label} patient", item.patient.describe(), expected, item.item))
    return problems


def _copy_new(
    connection: Connection, batch: ObservationBatch, rows: list[ObservationRow], now: dt.datetime
) -> list[tuple[int, int, int | None, str]]:
    """A large message through the bulk loader's COPY: (id, patient, episode, code) of each new result."""
    problems = parent_problems(connection, batch)
    if problems:
        raise InvalidRecord(problems)
    keys = [(r.source_system, r.source_id) for r in rows]
    before = _observation_ids(connection, keys)
    store_batch(connection, batch, now)
    return [v for k, v in _observation_ids(connection, keys).items() if k not in before]


PRE_TRANSPLANT_DAYS: Final = 30
"""Results up to this many days before an episode's day 0 belong to that episode: the work-up and
conditioning weeks, whose values are the baselines the monitoring compares with (creatinine, bilirubin,
weight)."""


def episode_for_result(episodes: list[tuple[dt.date, int]], observed_at: dt.datetime) -> int | None:
    """The episode a result belongs to, by its UTC date.

    An episode whose day 0 lies 0 to :data:`PRE_TRANSPLANT_DAYS` days after the result (its work-up and
    conditioning) takes it, the nearest such day 0 first; otherwise the latest episode whose day 0 is on or
    before the result's date; otherwise none.
    """
    day = observed_at.astimezone(dt.UTC).date()
    upcoming = [(day0, eid) for day0, eid in episodes if day <= day0 <= day + dt.timedelta(days=PRE_TRANSPLANT_DAYS)]
    if upcoming:
        return min(upcoming)[1]
    return next((eid for day0, eid in episodes if day0 <= day), None)


def _row(
    item: IncomingObservation, patients: dict[PatientKey, int], episodes: dict[int, list[tuple[dt.date, int]]]
) -> ObservationRow:
    patient_id = patients[item.patient]
    return ObservationRow(
        patient_id,
        episode_for_result(episodes.get(patient_id, []), item.observed_at),
        item.observed_at,
        item.loinc,
        item.value,
        item.unit,
        item.source.value,
        item.source_id,
        item.source_system,
    )


def _relabel(problem: Problem, items: Sequence[IncomingObservation]) -> Problem:
    """A batch problem (row = position among the checked rows) told in the message's own terms."""
    if problem.row is None or not 1 <= problem.row <= len(items):
        return problem
    item = items[problem.row - 1]
    return Problem(f"{item.label} {problem.field}", problem.value, problem.expected, item.item)


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.row or 0, p.field))[:MAX_PROBLEMS]


def _observation_ids(
    connection: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int, int | None, str]]:
    """(id, patient, episode, LOINC code) of the stored observations with these (source_system, source_id) keys."""
    by_system: dict[str, list[str]] = defaultdict(list)
    for system, source_id in keys:
        by_system[system].append(source_id)
    found: dict[tuple[str, str], tuple[int, int, int | None, str]] = {}
    for system, source_ids in by_system.items():
        for lo in range(0, len(source_ids), _CHUNK):
            stmt = select(
                Observation.source_id, Observation.id, Observation.patient_id, Observation.episode_id, Observation.loinc
            ).where(Observation.source_system == system, Observation.source_id.in_(source_ids[lo : lo + _CHUNK]))
            for source_id, oid, pid, eid, loinc in connection.execute(stmt):
                found[(system, source_id)] = (int(oid), int(pid), None if eid is None else int(eid), str(loinc))
    return found


def _groups(
    observations: Iterable[tuple[int, int, int | None, str]],
    transfusions: Iterable[tuple[int, int, int | None]],
    protocol: InboundProtocol,
) -> tuple[CommittedResults, ...]:
    """The new rows grouped per (patient, episode), ids ascending, with the observations' codes."""
    grouped: dict[tuple[int, int | None], tuple[list[int], list[int], set[str]]] = defaultdict(lambda: ([], [], set()))
    for oid, pid, eid, loinc in observations:
        grouped[(pid, eid)][0].append(oid)
        grouped[(pid, eid)][2].add(loinc)
    for tid, pid, eid in transfusions:
        grouped[(pid, eid)][1].append(tid)
    return tuple(
        CommittedResults(pid, eid, tuple(sorted(obs)), tuple(sorted(tra)), protocol, frozenset(codes))
        for (pid, eid), (obs, tra, codes) in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    )
