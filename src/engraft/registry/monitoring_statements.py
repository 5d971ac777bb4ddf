"""The PostgreSQL statements of an evaluation's reads (:mod:`engraft.registry.monitoring_reads`) as fixed texts, and
the driver's cursor they run on.

On PostgreSQL the reads of every evaluation run these texts on the driver's cursor of the session's connection (its
transaction), without SQLAlchemy's statement building and processing per row; psycopg prepares a text on a
connection after a few executions, so PostgreSQL does not plan it again per evaluation either. Each reads the same
tables and columns as the SQLAlchemy statement the same read runs on SQLite.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

from engraft.vocabulary import TransfusionProduct

TRANSFUSED_PRODUCTS: Final = [TransfusionProduct.PLATELETS.value, TransfusionProduct.RED_CELLS.value]
"""The transfusion products an evaluation reads (the ``products`` parameter)."""

LOCK_CONTEXT_SQL: Final = (
    "SELECT transplant_episode.id, transplant_episode.patient_id, transplant_episode.day0, "
    "transplant_episode.graft_source, transplant_episode.transplant_type, transplant_episode.cell_therapy, "
    "patient.birth_date, EXISTS (SELECT transfusion.id FROM transfusion "
    "WHERE transfusion.patient_id = transplant_episode.patient_id "
    "AND transfusion.product = ANY(CAST(%(products)s AS TEXT[])) "
    "AND (transfusion.episode_id = transplant_episode.id OR transfusion.episode_id IS NULL)) AS transfused, "
    "(SELECT min(clinical_event.event_date) FROM clinical_event "
    "WHERE clinical_event.episode_id = transplant_episode.id "
    "AND clinical_event.event_type = %(neutrophil)s AND clinical_event.source <> %(derived)s) AS recorded_neutrophil, "
    "(SELECT min(clinical_event.event_date) FROM clinical_event "
    "WHERE clinical_event.episode_id = transplant_episode.id "
    "AND clinical_event.event_type = %(platelet)s AND clinical_event.source <> %(derived)s) AS recorded_platelet, "
    "files.files, files.last_file, files.last_hash, files.last_loaded, "
    "pg_advisory_xact_lock(CAST(%(space)s AS INTEGER), transplant_episode.id) AS locked "
    "FROM transplant_episode JOIN patient ON patient.id = transplant_episode.patient_id "
    "JOIN (SELECT count(monitoring_rule_file.id) AS files, max(monitoring_rule_file.id) AS last_file, "
    "max(monitoring_rule_file.content_hash) AS last_hash, max(monitoring_rule_file.loaded_at) AS last_loaded "
    "FROM monitoring_rule_file) AS files ON true "
    "WHERE transplant_episode.id = %(episode)s"
)
"""PostgreSQL: the locking query of :func:`~engraft.registry.monitoring_reads.lock_context` as a fixed text run on
the driver's cursor (the same tables, join, lock and columns as the SQLAlchemy statement used on SQLite, with the
first engraftment dates the registry records for the episode, entered or imported, not derived; psycopg
prepares it on a connection after a few executions, so neither SQLAlchemy nor PostgreSQL builds it again per
evaluation)."""

TRANSFUSION_DAYS_SQL: Final = (
    "SELECT product, administered_at FROM transfusion WHERE patient_id = %(patient)s "
    "AND product = ANY(CAST(%(products)s AS TEXT[])) AND (episode_id = %(episode)s OR episode_id IS NULL)"
)
"""PostgreSQL: the query of the transfusion days of :func:`~engraft.registry.monitoring_reads.lock_context`."""


def _epoch_us(column: str) -> str:
    """``column`` (TIMESTAMPTZ) as whole microseconds from 1970-01-01 UTC, exactly on every PostgreSQL version (the
    epoch of the whole second, an integer, plus the microseconds within it; NULL stays NULL)."""
    return (
        f"EXTRACT(EPOCH FROM date_trunc('second', {column}))::bigint * 1000000 "
        f"+ EXTRACT(MICROSECONDS FROM {column})::bigint %% 1000000"
    )


SERIES_SQL: Final = (
    f"SELECT id, {_epoch_us('observed_at')}, {_epoch_us('recorded_at')}, loinc, value, unit FROM observation "
    "WHERE patient_id = %(patient)s AND episode_id = %(episode)s{codes} ORDER BY observed_at, id"
)
"""PostgreSQL: the query of :func:`~engraft.registry.monitoring_reads.read_series`, its times as microseconds from
1970-01-01 UTC (what the engine's columns hold: no datetime made per row, here or in the columns); ``{codes}`` is
empty for every code, else :data:`SERIES_CODES_FILTER`."""

SERIES_CODES_FILTER: Final = " AND loinc = ANY(%(codes)s)"
"""The filter of :data:`SERIES_SQL` on the ``codes`` parameter (a list of LOINC codes)."""

ALERTS_SQL: Final = (
    "SELECT id, rule_id, dedup_key, state, severity, (details ->> 'grade')::integer, rule_version "
    "FROM monitoring_alert "
    "WHERE episode_id = %(episode)s"
)
"""PostgreSQL: the query of :func:`~engraft.registry.monitoring_reads.read_alerts`."""


def driver_rows(session: Session, sql: str, params: dict[str, object]) -> list[tuple[Any, ...]]:
    """PostgreSQL: the rows of ``sql`` run on the driver's cursor of the session's connection (its transaction)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()
