"""All-or-nothing, idempotent bulk loading of observations (lab feeds, vitals, CSV imports).

Rows are first checked column-wise without the database (:mod:`.observation_batch`). The
patients and episodes they name are then read once per distinct id, locked against deletion
(``FOR KEY SHARE`` on PostgreSQL; SQLite writers hold the database lock), and every row is
checked against them: the patient exists, the episode is one of that patient's, the result is
not dated before birth. Any problem aborts the whole batch with every bad row named.

Storing then takes one of two ways. On PostgreSQL new results go straight into the table with
one binary ``COPY`` inside a savepoint, the fast path a lab feed takes. If the batch re-sends a
``(source_system, source_id)`` already stored, the savepoint is rolled back and the batch goes through a
staging table where set-based queries drop identical re-sends and refuse a re-used
``source_id`` whose content differs; SQLite always takes that way.

Once the batch has committed, the :mod:`result hooks <engraft.registry.result_hooks>` are told, as a feed message
tells them: one :class:`~engraft.registry.result_hooks.CommittedResults` per patient and episode with the codes of
the batch's results, so the monitoring engine evaluates results loaded in bulk (the API's
``POST /api/observations/bulk``) as it evaluates a lab feed's. The binary ``COPY`` returns no row ids, so the
hooks get the codes only; a batch that stored nothing new (every row a re-send) tells them nothing, and in a batch
with some re-sends the codes of the re-sent rows are included (an evaluation more, never one too few). Inside an
outer transaction (:meth:`~engraft.registry.service.RegistryService.batch`, an import) nothing is told: that
commit is not this function's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import psycopg.errors
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, select

from engraft.registry.audit import AuditAction
from engraft.registry.binary_copy import HEADER, TRAILER, CopyColumn, encode_tuples, microseconds_since_postgres_epoch
from engraft.registry.errors import InvalidRecord, Problem, WriteConflict
from engraft.registry.models import Patient, TransplantEpisode
from engraft.registry.observation_batch import MAX_PROBLEMS, NO_EPISODE, ObservationBatch, validate
from engraft.registry.result_hooks import RESULT_HOOKS, CommittedResults, ResultHooks
from engraft.registry.schemas.clinical import BulkObservationResult, ObservationIn
from engraft.registry.service import RegistryService

__all__ = [
    "MAX_PROBLEMS",
    "ObservationRow",
    "add_observation_inputs",
    "add_observations",
    "committed_results",
    "parent_problems",
    "store_batch",
]

_ID_CHUNK = 10_000
_COPY_PIECE = 10_000
_TARGET_COLUMNS = (
    "patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, source_system, source_id"
)
_SOURCE_ID_UNIQUE = "uq_observation_source_system_source_id"


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One observation as a plain record (the fast path for large loads)."""

    patient_id: int
    episode_id: int | None
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    source: str
    source_id: str
    source_system: str = ""

    @classmethod
    def from_input(cls, item: ObservationIn) -> ObservationRow:
        return cls(
            item.patient_id,
            item.episode_id,
            item.observed_at,
            item.loinc,
            item.value,
            item.unit,
            item.source.value,
            item.source_id,
            item.source_system,
        )


def add_observations(
    service: RegistryService, rows: Iterable[ObservationRow], *, hooks: ResultHooks = RESULT_HOOKS
) -> BulkObservationResult:
    """Store ``rows`` in one transaction; raise :class:`InvalidRecord` listing every bad row. ``hooks`` are told
    what was stored once it has committed (see the module's description)."""
    received = list(rows)
    batch, problems = validate(received)
    if problems:
        raise InvalidRecord(problems)
    with service.transaction() as session:
        commits_here = not session.in_nested_transaction()
        connection = session.connection()
        problems = parent_problems(connection, batch)
        if problems:
            raise InvalidRecord(problems)
        now = dt.datetime.now(dt.UTC)
        try:
            inserted = store_batch(connection, batch, now)
        except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as exc:
            raise WriteConflict("observation", type(exc).__name__) from exc
        outcome = BulkObservationResult(
            received=batch.received, inserted=inserted, already_present=batch.received - inserted
        )
        service.audit(session, AuditAction.BULK_INSERT, "observation", None, outcome.model_dump())
    if commits_here and outcome.inserted:
        hooks.notify(committed_results(batch))
    return outcome


def committed_results(batch: ObservationBatch) -> list[CommittedResults]:
    """What ``batch`` brought for each patient and episode (``None``: results of no episode), in id order: the
    codes of its results, for the result hooks (no row ids: the bulk path does not read them back)."""
    codes: dict[tuple[int, int], set[str]] = {}
    for key, code in zip(
        zip(batch.patient_id.tolist(), batch.episode_id.tolist(), strict=True), batch.loinc, strict=True
    ):
        codes.setdefault(key, set()).add(code)
    return [
        CommittedResults(patient, None if episode == NO_EPISODE else episode, (), (), None, frozenset(found))
        for (patient, episode), found in sorted(codes.items())
    ]


def store_batch(connection: Connection, batch: ObservationBatch, now: dt.datetime) -> int:
    """Insert the batch's new results; the number inserted."""
    if not len(batch):
        return 0
    if connection.dialect.name == "postgresql":
        inserted = _copy_new_results(connection, batch.in_key_order(), now)
        if inserted is not None:
            return inserted
    return _insert_through_stage(connection, batch, now)


def add_observation_inputs(service: RegistryService, items: Sequence[ObservationIn]) -> BulkObservationResult:
    return add_observations(service, (ObservationRow.from_input(i) for i in items))


def parent_problems(connection: Connection, batch: ObservationBatch) -> list[Problem]:
    """Unknown patients, episodes of another patient, results before birth (parents locked)."""
    patient_ids = np.unique(batch.patient_id)
    episode_ids = np.unique(batch.episode_id[batch.episode_id != NO_EPISODE])
    births: dict[int, dt.date] = {}
    owners: dict[int, int] = {}
    for chunk in _chunks(patient_ids):
        births_stmt = select(Patient.id, Patient.birth_date).where(Patient.id.in_(chunk)).order_by(Patient.id)
        births_stmt = births_stmt.with_for_update(read=True, key_share=True)
        births.update((int(i), d) for i, d in connection.execute(births_stmt))
    for chunk in _chunks(episode_ids):
        stmt = select(TransplantEpisode.id, TransplantEpisode.patient_id).where(TransplantEpisode.id.in_(chunk))
        stmt = stmt.order_by(TransplantEpisode.id).with_for_update(read=True, key_share=True)
        owners.update((int(i), int(p)) for i, p in connection.execute(stmt))

    known = np.isin(batch.patient_id, np.fromiter(births, np.int64, len(births)))
    owner_ids = np.array([owners.get(int(e), 0) for e in episode_ids], np.int64)
    owner = np.full(len(batch), NO_EPISODE, np.int64)
    has_episode = batch.episode_id != NO_EPISODE
    owner[has_episode] = owner_ids[np.searchsorted(episode_ids, batch.episode_id[has_episode])]
    wrong_episode = known & has_episode & (owner != batch.patient_id)
    birth_us = np.array(
        [microseconds_since_postgres_epoch(_midnight(births[int(p)])) if int(p) in births else 0 for p in patient_ids],
        np.int64,
    )
    before_birth = (
        known & ~wrong_episode & (batch.observed_us < birth_us[np.searchsorted(patient_ids, batch.patient_id)])
    )

    problems: list[Problem] = []
    for i in np.flatnonzero(~known | wrong_episode | before_birth)[:MAX_PROBLEMS].tolist():
        row = int(batch.row_no[i])
        if not known[i]:
            problems.append(Problem("patient_id", int(batch.patient_id[i]), "the id of a registered patient", row))
        elif wrong_episode[i]:
            expected = "a transplant episode of the row's patient"
            problems.append(Problem("episode_id", int(batch.episode_id[i]), expected, row))
        else:
            at = batch.observed_at(i).isoformat()
            problems.append(Problem("observed_at", at, "a time on or after the patient's birth date", row))
    return problems


def _chunks(ids: np.ndarray) -> Iterable[list[int]]:
    for lo in range(0, len(ids), _ID_CHUNK):
        yield ids[lo : lo + _ID_CHUNK].tolist()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _copy_pieces(batch: ObservationBatch, last: str, now: dt.datetime) -> Iterator[bytes]:
    """Binary COPY payload of the target columns, then ``last`` (``recorded_at`` now, or ``row_no``).

    The payload is built piece by piece, so the server stores one piece while the next is built.
    """
    yield HEADER
    recorded_at = microseconds_since_postgres_epoch(now)
    for lo in range(0, len(batch), _COPY_PIECE):
        part = slice(lo, lo + _COPY_PIECE)
        episodes = batch.episode_id[part]
        rows = len(episodes)
        extra = (
            CopyColumn("timestamptz", np.full(rows, recorded_at, np.int64))
            if last == "recorded_at"
            else CopyColumn("int4", batch.row_no[part])
        )
        columns = [
            CopyColumn("int4", batch.patient_id[part]),
            CopyColumn("int4", episodes, null=episodes == NO_EPISODE),
            CopyColumn("timestamptz", batch.observed_us[part]),
            CopyColumn("text", text=_utf8(batch.loinc[part])),
            CopyColumn("float8", batch.value[part]),
            CopyColumn("text", text=_utf8(batch.unit[part])),
            CopyColumn("float8", batch.value_canonical[part]),
            CopyColumn("text", text=_utf8(batch.source[part])),
            CopyColumn("text", text=_utf8(batch.source_system[part])),
            CopyColumn("text", text=[source_id.encode() for source_id in batch.source_id[part]]),
            extra,
        ]
        yield encode_tuples(columns, rows)
    yield TRAILER


def _utf8(words: list[str]) -> list[bytes]:
    """UTF-8 of a column with few distinct values (codes, units), each encoded once."""
    cache: dict[str, bytes] = {}
    return [cache[w] if w in cache else cache.setdefault(w, w.encode()) for w in words]


def _copy(connection: Connection, table: str, batch: ObservationBatch, last: str, now: dt.datetime) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({_TARGET_COLUMNS}, {last}) FROM STDIN WITH (FORMAT binary)"
    with raw.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for piece in _copy_pieces(batch, last, now):
            copy.write(piece)


def _copy_new_results(connection: Connection, batch: ObservationBatch, now: dt.datetime) -> int | None:
    """COPY the batch straight into ``observation``; None (nothing written) if a source_id is stored."""
    connection.exec_driver_sql("SAVEPOINT engraft_observation_copy")
    try:
        _copy(connection, "observation", batch, "recorded_at", now)
    except psycopg.errors.UniqueViolation as exc:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT engraft_observation_copy")
        if exc.diag.constraint_name != _SOURCE_ID_UNIQUE:
            raise
        return None
    connection.exec_driver_sql("RELEASE SAVEPOINT engraft_observation_copy")
    return len(batch)


_SOURCE_ID_CONFLICTS = (
    "SELECT s.row_no, s.source_id FROM obs_stage s "
    "JOIN observation o ON o.source_system = s.source_system AND o.source_id = s.source_id "
    "WHERE o.patient_id <> s.patient_id OR o.loinc <> s.loinc OR o.value <> s.value OR o.unit <> s.unit "
    "OR o.observed_at <> s.observed_at OR COALESCE(o.episode_id, 0) <> COALESCE(s.episode_id, 0) "
    f"ORDER BY s.row_no LIMIT {MAX_PROBLEMS}"
)


def _stage(connection: Connection, batch: ObservationBatch, now: dt.datetime) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.obs_stage")
        connection.exec_driver_sql(
            "CREATE TEMP TABLE obs_stage (patient_id integer, episode_id integer, observed_at timestamptz, "
            "loinc text, value double precision, unit text, value_canonical double precision, source text, "
            'source_system text COLLATE "C", source_id text COLLATE "C", row_no integer) ON COMMIT DROP'
        )
        _copy(connection, "obs_stage", batch, "row_no", now)
        connection.exec_driver_sql("ANALYZE obs_stage")
        return
    connection.exec_driver_sql("DROP TABLE IF EXISTS temp.obs_stage")
    connection.exec_driver_sql(
        "CREATE TEMP TABLE obs_stage (patient_id INTEGER, episode_id INTEGER, observed_at TEXT, loinc TEXT, "
        "value REAL, unit TEXT, value_canonical REAL, source TEXT, source_system TEXT, source_id TEXT, row_no INTEGER)"
    )
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    connection.exec_driver_sql(
        f"INSERT INTO obs_stage ({_TARGET_COLUMNS}, row_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                int(batch.patient_id[i]),
                None if batch.episode_id[i] == NO_EPISODE else int(batch.episode_id[i]),
                batch.observed_at(i).strftime(fmt),
                batch.loinc[i],
                float(batch.value[i]),
                batch.unit[i],
                float(batch.value_canonical[i]),
                batch.source[i],
                batch.source_system[i],
                batch.source_id[i],
                int(batch.row_no[i]),
            )
            for i in range(len(batch))
        ],
    )


def _insert_through_stage(connection: Connection, batch: ObservationBatch, now: dt.datetime) -> int:
    """Insert the results not stored yet; refuse a stored ``source_id`` re-used for other content."""
    _stage(connection, batch, now)
    expected = "either new, or identical to the result already stored under that source_system and source_id"
    conflicts = [
        Problem("source_id", source_id, expected, row)
        for row, source_id in connection.exec_driver_sql(_SOURCE_ID_CONFLICTS)
    ]
    if conflicts:
        raise InvalidRecord(conflicts)
    connection.exec_driver_sql(
        "DELETE FROM obs_stage WHERE EXISTS (SELECT 1 FROM observation o "
        "WHERE o.source_system = obs_stage.source_system AND o.source_id = obs_stage.source_id)"
    )
    postgres = connection.dialect.name == "postgresql"
    result = connection.exec_driver_sql(
        f"INSERT INTO observation ({_TARGET_COLUMNS}, recorded_at) "
        f"SELECT {_TARGET_COLUMNS}, {'%(now)s' if postgres else '?'} FROM obs_stage ORDER BY source_system, source_id",
        {"now": now} if postgres else (now.replace(tzinfo=None).isoformat(" "),),
    )
    return result.rowcount
