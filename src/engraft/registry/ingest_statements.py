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

from typing import Final

from sqlalchemy import TextClause, bindparam, insert, text

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
    "patient.id, patient.birth_date, transplant_episode.day0, transplant_episode.id, "
    "pg_advisory_xact_lock_shared(CAST(%(lock_space)s AS INTEGER), transplant_episode.id)"
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
