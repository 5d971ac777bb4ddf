"""The fixed SQL texts that store a feed message (:mod:`engraft.registry.ingest_writes`), built once.

A dialect's ``INSERT ... ON CONFLICT`` construct is compiled again at every execution (SQLAlchemy caches no
compiled form of it), and a list bound with ``IN`` or a multi-row ``VALUES`` changes the statement's text with its
length. Storing a message of four results spent more CPU on building statements than PostgreSQL spent on running
them. On PostgreSQL these statements are texts run on the driver's cursor (no SQLAlchemy execution context per
statement) whose lists are bound as arrays (``= ANY``, ``unnest``), so their text is the same for every message:
psycopg prepares each on a connection after a few executions, and PostgreSQL parses and plans it once. On SQLite
the message key is a text SQLAlchemy caches, the audit entry a plain (cached) INSERT. They mean exactly what the
constructs they replace meant (the same tables, conflicts, locks and ordering; see
:mod:`engraft.registry.ingest_writes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, TextClause, bindparam, insert, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from engraft.registry.audit import Actor, AuditAction
from engraft.registry.errors import AuditUnavailable
from engraft.registry.models import AuditEntry, InboundMessage

CLAIM_MESSAGE: Final[TextClause] = text(
    "INSERT INTO inbound_message (protocol, sender, control_id, received_at, observations, transfusions, "
    "content_sha256) VALUES (:protocol, :sender, :control_id, :received_at, :observations, :transfusions, "
    ":content_sha256) ON CONFLICT (protocol, sender, control_id) DO NOTHING RETURNING id"
).bindparams(bindparam("received_at", type_=InboundMessage.__table__.c.received_at.type))
"""A message's key inserted unless stored (both dialects: SQLite has ``ON CONFLICT`` and ``RETURNING`` too)."""

AUDIT_ENTRY: Final = insert(AuditEntry.__table__)  # type: ignore[arg-type]
"""An audit entry (a plain INSERT, whose compiled form SQLAlchemy caches; the column defaults apply)."""

# PostgreSQL: texts in psycopg's own parameter style, run on the driver's cursor (ingest_writes.driver_rows)

CLAIM_MESSAGE_PG: Final = (
    "INSERT INTO inbound_message (protocol, sender, control_id, received_at, observations, transfusions, "
    "content_sha256) VALUES (%(protocol)s, %(sender)s, %(control_id)s, %(received_at)s, %(observations)s, "
    "%(transfusions)s, %(content_sha256)s) ON CONFLICT (protocol, sender, control_id) DO NOTHING RETURNING id"
)
"""PostgreSQL: :data:`CLAIM_MESSAGE`."""

AUDIT_ENTRY_PG: Final = (
    "INSERT INTO audit_entry (at, actor, actor_id, actor_role, client_address, user_agent, action, entity, "
    "entity_id, changes) VALUES (%(at)s, %(actor)s, %(actor_id)s, %(actor_role)s, %(client_address)s, "
    "%(user_agent)s, %(action)s, %(entity)s, %(entity_id)s, %(changes)s)"
)
"""PostgreSQL: :data:`AUDIT_ENTRY` with its columns spelled out (``changes`` bound as JSONB)."""

_PATIENT_COLUMNS: Final = (
    "patient.id AS patient_id, patient.birth_date, transplant_episode.day0, transplant_episode.id AS episode_id, "
    "pg_advisory_xact_lock_shared(CAST(%(lock_space)s AS INTEGER), transplant_episode.id) AS locked"
)
_EPISODES: Final = "LEFT OUTER JOIN transplant_episode ON transplant_episode.patient_id = patient.id"
_LOCKED: Final = "ORDER BY transplant_episode.id FOR KEY SHARE OF patient"

PATIENTS_BY_ID: Final = (
    f"SELECT {_PATIENT_COLUMNS} FROM patient {_EPISODES} WHERE patient.id = ANY(CAST(%(ids)s AS INTEGER[])) {_LOCKED}"
)
"""PostgreSQL: patients by Engraft id, their birth dates and episodes, locked as ``resolve_patients`` locks them."""

_BY_MRN: Final = (
    f"SELECT patient_identity.mrn, {_PATIENT_COLUMNS} FROM patient_identity "
    f"JOIN patient ON patient.id = patient_identity.patient_id {_EPISODES} "
)
PATIENTS_BY_MRN: Final = f"{_BY_MRN} WHERE patient_identity.mrn = ANY(CAST(%(mrns)s AS TEXT[])) {_LOCKED}"
"""PostgreSQL: patients by medical record number at any centre (an MRN of two centres is ambiguous)."""
PATIENTS_BY_MRN_AT_CENTRE: Final = (
    f"{_BY_MRN} JOIN centre ON centre.id = patient_identity.centre_id "
    f"WHERE patient_identity.mrn = ANY(CAST(%(mrns)s AS TEXT[])) AND centre.code = %(centre)s {_LOCKED}"
)
"""PostgreSQL: patients by medical record number at the feed's centre."""


def _claiming(patients: str) -> str:
    """The message's key claimed and its patients read in one statement: one row per patient row, each led by the
    new key's id (NULL when the key was stored before), or one row of NULLs after the id when no patient matched."""
    return (
        f"WITH claimed AS ({CLAIM_MESSAGE_PG}) SELECT c.id, r.* FROM (SELECT (SELECT id FROM claimed) AS id) AS c "
        f"LEFT JOIN LATERAL ({patients}) AS r ON true"
    )


CLAIM_AND_PATIENTS_BY_ID: Final = _claiming(PATIENTS_BY_ID)
"""PostgreSQL: :data:`CLAIM_MESSAGE_PG` and :data:`PATIENTS_BY_ID` in one round trip."""
CLAIM_AND_PATIENTS_BY_MRN: Final = _claiming(PATIENTS_BY_MRN)
"""PostgreSQL: :data:`CLAIM_MESSAGE_PG` and :data:`PATIENTS_BY_MRN` in one round trip."""
CLAIM_AND_PATIENTS_BY_MRN_AT_CENTRE: Final = _claiming(PATIENTS_BY_MRN_AT_CENTRE)
"""PostgreSQL: :data:`CLAIM_MESSAGE_PG` and :data:`PATIENTS_BY_MRN_AT_CENTRE` in one round trip."""

INSERT_OBSERVATIONS: Final = (
    "INSERT INTO observation (patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, "
    "source_system, source_id, recorded_at) "
    "SELECT r.patient_id, r.episode_id, r.observed_at, r.loinc, r.value, r.unit, r.value_canonical, r.source, "
    "r.source_system, r.source_id, CAST(%(recorded_at)s AS TIMESTAMPTZ) FROM unnest("
    "CAST(%(patient_id)s AS INTEGER[]), CAST(%(episode_id)s AS INTEGER[]), CAST(%(observed_at)s AS TIMESTAMPTZ[]), "
    "CAST(%(loinc)s AS TEXT[]), CAST(%(value)s AS FLOAT8[]), CAST(%(unit)s AS TEXT[]), "
    "CAST(%(value_canonical)s AS FLOAT8[]), CAST(%(source)s AS TEXT[]), CAST(%(source_system)s AS TEXT[]), "
    "CAST(%(source_id)s AS TEXT[])"
    ") WITH ORDINALITY AS r(patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, "
    "source_system, source_id, position) ORDER BY r.position "
    "ON CONFLICT (source_system, source_id) DO NOTHING "
    "RETURNING id, patient_id, episode_id, loinc, source_system, source_id"
)
"""PostgreSQL: a message's results (columns as arrays, in the order given) unless stored under their key."""

INSERT_OBSERVATIONS_AUDITED: Final = (
    f"WITH inserted AS ({INSERT_OBSERVATIONS}), "
    "entry AS (INSERT INTO audit_entry (at, actor, actor_id, actor_role, client_address, user_agent, action, entity, "
    "entity_id, changes) SELECT %(at)s, %(actor)s, %(actor_id)s, %(actor_role)s, %(client_address)s, "
    "%(user_agent)s, %(action)s, %(entity)s, %(entity_id)s, "
    "CAST(%(changes)s AS JSONB) || jsonb_build_object(CAST(%(counted)s AS TEXT), (SELECT count(*) FROM inserted))) "
    "SELECT * FROM inserted"
)
"""PostgreSQL: :data:`INSERT_OBSERVATIONS` and the message's audit entry in one statement, the entry's ``changes``
completed with the number of results inserted (key ``counted``): one round trip fewer per message."""


@dataclass(frozen=True, slots=True)
class PendingAudit:
    """The audit entry of a message, written with its results; ``changes[counted]`` is set to the number of
    results inserted."""

    actor: Actor
    action: AuditAction
    entity: str
    entity_id: int | None
    changes: dict[str, Any]
    counted: str


def add_audit_entry(
    connection: Connection, actor: Actor, action: AuditAction, entity: str, entity_id: int | None, changes: Any
) -> None:
    """The audit entry of a write by ``actor``, one INSERT in the caller's transaction (as
    :meth:`engraft.registry.service.RegistryService.audit` writes it, without an ORM object and its flush); a
    database that refuses it fails the transaction with :class:`AuditUnavailable`: nothing goes unrecorded."""
    entry = {
        **actor.audit_columns(),
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
    }
    try:
        if connection.dialect.name == "postgresql":
            driver_rows(
                connection,
                AUDIT_ENTRY_PG,
                entry | {"at": dt.datetime.now(dt.UTC), "action": action.value, "changes": Jsonb(changes)},
            )
        else:
            connection.execute(AUDIT_ENTRY, entry)
    except SQLAlchemyError as exc:
        raise AuditUnavailable(action.value, entity) from exc


def audit_params(audit: PendingAudit) -> dict[str, Any]:
    actor = audit.actor
    return {
        "at": dt.datetime.now(dt.UTC),
        **actor.audit_columns(),
        "action": audit.action.value,
        "entity": audit.entity,
        "entity_id": audit.entity_id,
        "changes": Jsonb(audit.changes),
        "counted": audit.counted,
    }


def driver_rows(connection: Connection, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``statement`` (psycopg's parameter style) run on ``connection``'s driver cursor, in its
    transaction, without SQLAlchemy's per-statement execution context (its ``before_cursor_execute`` and
    ``after_cursor_execute`` events are still told); its rows (none for a statement that returns none). A driver
    error is raised as SQLAlchemy raises it (:class:`~sqlalchemy.exc.IntegrityError`,
    :class:`~sqlalchemy.exc.OperationalError`...), so callers handle it as before."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError(f"a psycopg connection is expected, not {type(driver).__name__}")
    events = connection.dispatch  # the engine's cursor events still see the statement (tests, tracing)
    try:
        with driver.cursor() as cursor:
            events.before_cursor_execute(connection, cursor, statement, params, None, False)
            cursor.execute(statement, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            events.after_cursor_execute(connection, cursor, statement, params, None, False)
            return rows
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, params, exc, psycopg.Error) from exc
