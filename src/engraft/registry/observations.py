"""All-or-nothing, idempotent bulk loading of observations (lab feeds, vitals, CSV imports).

Rows are checked in Python (LOINC code in the catalogue, UCUM unit that fits it, value within
the possible range) and then staged in a temporary table (PostgreSQL ``COPY``, SQLite
``executemany``) where set-based queries check what needs the database: unknown patients,
episodes of another patient, results dated before birth, and re-sent ``source_id``\\ s whose
content differs from what is stored. Any problem aborts the whole batch; re-sending identical
results inserts nothing and reports them as already present.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from engraft.measurements import UnitError, lookup_observation_kind
from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.schemas.clinical import BulkObservationResult, ObservationIn
from engraft.registry.service import RegistryService
from engraft.registry.vocabulary import AuditAction, ObservationSource

MAX_PROBLEMS = 200
_SOURCES = {s.value for s in ObservationSource}


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One observation as a plain tuple-like record (fast path for large loads)."""

    patient_id: int
    episode_id: int | None
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    source: str
    source_id: str

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
        )


_STAGE_COLUMNS = "row_no, patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, source_id"
_TARGET_COLUMNS = "patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, source_id"


def _canonicaliser(loinc: str, unit: str) -> tuple[float, float, float, float] | str:
    """(factor, offset, minimum, maximum) converting ``unit`` to the canonical unit, or an error text."""
    try:
        kind = lookup_observation_kind(loinc)
        zero = kind.to_canonical(0.0, unit)
        factor = kind.to_canonical(1.0, unit) - zero
    except UnitError as exc:
        return str(exc)
    return factor, zero, kind.minimum, kind.maximum


def prepare_rows(rows: Sequence[ObservationRow]) -> tuple[list[tuple[Any, ...]], list[Problem]]:
    """Validate rows; return staged tuples (1-based row numbers, repeats dropped) and the first problems.

    At most ``MAX_PROBLEMS`` problems are returned, so an error response stays bounded.
    """
    problems: list[Problem] = []
    conversions: dict[tuple[str, str], tuple[float, float, float, float] | str] = {}
    seen: dict[str, tuple[Any, ...]] = {}
    staged: list[tuple[Any, ...]] = []
    for row_no, r in enumerate(rows, start=1):
        key = (r.loinc, r.unit)
        conv = conversions.get(key)
        if conv is None:
            conv = conversions[key] = _canonicaliser(r.loinc, r.unit)
        if isinstance(conv, str):
            field = "loinc" if "catalogue" in conv else "unit"
            problems.append(Problem(field, r.loinc if field == "loinc" else r.unit, conv, row_no))
            continue
        factor, offset, low, high = conv
        if not isinstance(r.value, float | int) or not math.isfinite(r.value):
            problems.append(Problem("value", r.value, "a finite number", row_no))
            continue
        canonical = r.value * factor + offset
        if not low <= canonical <= high:
            problems.append(Problem("value", r.value, f"a value from {low} to {high} in the canonical unit", row_no))
            continue
        if r.observed_at.tzinfo is None:
            problems.append(Problem("observed_at", r.observed_at.isoformat(), "a timestamp with a time zone", row_no))
            continue
        if r.source not in _SOURCES:
            problems.append(Problem("source", r.source, f"one of {sorted(_SOURCES)}", row_no))
            continue
        at = r.observed_at.astimezone(dt.UTC)
        content = (r.patient_id, r.episode_id, at, r.loinc, float(r.value), r.unit)
        previous = seen.get(r.source_id)
        if previous is not None:
            if previous != content:
                problems.append(Problem("source_id", r.source_id, "a source_id not re-used for other content", row_no))
            continue
        seen[r.source_id] = content
        staged.append(
            (row_no, r.patient_id, r.episode_id, at, r.loinc, float(r.value), r.unit, canonical, r.source, r.source_id)
        )
    return staged, problems[:MAX_PROBLEMS]


def _stage(connection: Connection, staged: list[tuple[Any, ...]]) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("DROP TABLE IF EXISTS pg_temp.obs_stage")
        connection.exec_driver_sql(
            "CREATE TEMP TABLE obs_stage (row_no integer, patient_id integer, episode_id integer, "
            "observed_at timestamptz, loinc text, value double precision, unit text, value_canonical double precision, "
            "source text, source_id text) ON COMMIT DROP"
        )
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY obs_stage ({_STAGE_COLUMNS}) FROM STDIN") as copy:
            for row in staged:
                copy.write_row(row)
        connection.exec_driver_sql("ANALYZE obs_stage")
    else:
        connection.exec_driver_sql("DROP TABLE IF EXISTS temp.obs_stage")
        connection.exec_driver_sql(
            "CREATE TEMP TABLE obs_stage (row_no INTEGER, patient_id INTEGER, episode_id INTEGER, observed_at TEXT, "
            "loinc TEXT, value REAL, unit TEXT, value_canonical REAL, source TEXT, source_id TEXT)"
        )
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        connection.exec_driver_sql(
            f"INSERT INTO obs_stage ({_STAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r[:3], r[3].strftime(fmt), *r[4:]) for r in staged],
        )


_DATABASE_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "patient_id",
        "the id of a registered patient",
        "SELECT s.row_no, s.patient_id FROM obs_stage s LEFT JOIN patient p ON p.id = s.patient_id "
        "WHERE p.id IS NULL ORDER BY s.row_no",
    ),
    (
        "episode_id",
        "a transplant episode of the row's patient",
        "SELECT s.row_no, s.episode_id FROM obs_stage s LEFT JOIN transplant_episode e ON e.id = s.episode_id "
        "WHERE s.episode_id IS NOT NULL AND (e.id IS NULL OR e.patient_id <> s.patient_id) "
        "AND EXISTS (SELECT 1 FROM patient p WHERE p.id = s.patient_id) ORDER BY s.row_no",
    ),
    (
        "observed_at",
        "a time on or after the patient's birth date",
        "SELECT s.row_no, s.observed_at FROM obs_stage s JOIN patient p ON p.id = s.patient_id "
        "WHERE s.observed_at < p.birth_date ORDER BY s.row_no",
    ),
    (
        "source_id",
        "either new, or identical to the result already stored under that source_id",
        "SELECT s.row_no, s.source_id FROM obs_stage s JOIN observation o ON o.source_id = s.source_id "
        "WHERE o.patient_id <> s.patient_id OR o.loinc <> s.loinc OR o.value <> s.value OR o.unit <> s.unit "
        "OR o.observed_at <> s.observed_at OR COALESCE(o.episode_id, 0) <> COALESCE(s.episode_id, 0) "
        "ORDER BY s.row_no",
    ),
)


def add_observations(service: RegistryService, rows: Iterable[ObservationRow]) -> BulkObservationResult:
    """Store ``rows`` in one transaction; raise :class:`InvalidRecord` listing every bad row."""
    batch = list(rows)
    staged, problems = prepare_rows(batch)
    if problems:
        raise InvalidRecord(problems)
    with service.transaction() as session:
        connection = session.connection()
        _stage(connection, staged)
        for field, expected, sql in _DATABASE_CHECKS:
            for row_no, value in connection.exec_driver_sql(sql + f" LIMIT {MAX_PROBLEMS}"):
                problems.append(
                    Problem(field, str(value) if isinstance(value, dt.datetime) else value, expected, row_no)
                )
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise InvalidRecord(problems)
        connection.exec_driver_sql(
            "DELETE FROM obs_stage WHERE source_id IN "
            "(SELECT s.source_id FROM obs_stage s JOIN observation o ON o.source_id = s.source_id)"
        )
        now = dt.datetime.now(dt.UTC)
        postgres = connection.dialect.name == "postgresql"
        result = connection.exec_driver_sql(
            f"INSERT INTO observation ({_TARGET_COLUMNS}, recorded_at) "
            f"SELECT {_TARGET_COLUMNS}, {'%(now)s' if postgres else '?'} FROM obs_stage",
            {"now": now} if postgres else (now.replace(tzinfo=None).isoformat(" "),),
        )
        inserted = result.rowcount
        outcome = BulkObservationResult(received=len(batch), inserted=inserted, already_present=len(batch) - inserted)
        service.audit(session, AuditAction.BULK_INSERT, "observation", None, outcome.model_dump())
        return outcome


def add_observation_inputs(service: RegistryService, items: Sequence[ObservationIn]) -> BulkObservationResult:
    return add_observations(service, (ObservationRow.from_input(i) for i in items))
