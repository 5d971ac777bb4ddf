"""What an evaluation of an episode reads, cheaply: its context, the rule-file versions, its series, its alerts.

- :func:`lock_context`: the episode's facts, its patient's birth date, whether it has a transfusion, and the
  rule files' fingerprint (count, highest id, hash and load time) in the one query that locks the episode
  (evaluations of one episode are serialised by that lock, across processes on PostgreSQL); its transfusion
  days in a second query only when it has one.
- :func:`read_history`: the rule-file versions on record. Their headers (id, content hash, name, version, loaded
  at, by) are read only when the fingerprint is not one already seen in this process (the table is only added
  to); each version's texts are read and parsed once per process (a content hash names its texts exactly), so a
  new version, recorded by any process and audited, is in force at the next evaluation without any other
  invalidation.
- :func:`read_series`: the episode's results of the codes the evaluation needs, in one query on the
  (patient, time) index, in time order (on PostgreSQL through the driver's cursor, without SQLAlchemy's
  processing per row), handed to the engine as columns built once
  (:meth:`engraft.monitoring.ObservationColumns.from_rows`: checked once per column, no typed observation per row),
  each rule's codes selected from them.
- :func:`read_alerts`: the alerts on file for the episode, the columns the evaluation needs, in one query.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np
from sqlalchemy import func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engraft.monitoring import (
    AlertState,
    EpisodeContext,
    MonitoringRule,
    ObservationColumns,
    RuleSet,
    RuleSetInForce,
    Severity,
    age_in_years,
    default_rule_text,
    load_rule_set,
)
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import MonitoringAlert, MonitoringRuleFile, Observation, Patient, Transfusion
from engraft.registry.models import TransplantEpisode as Episode
from engraft.registry.monitoring_scope import RuleReach
from engraft.vocabulary import CellTherapy, GraftSource, TransfusionProduct, TransplantType

# ---------------------------------------------------------------------------------------------------- context


EVALUATION_LOCK_SPACE: Final = 0x454E4752
"""PostgreSQL: the first key of the transaction-level advisory lock (``pg_advisory_xact_lock(space, episode id)``)
that one evaluation of an episode holds until it commits."""


RuleFilesKey = tuple[str, int, int | None, str | None, dt.datetime | None]
"""The database, and the count, highest id, highest content hash and latest load time of the rule-file rows: the
table is only ever added to, so a new version, recorded by any process, changes it."""


@dataclass(frozen=True, slots=True)
class LockedEpisode:
    """What the locking query of an evaluation returns: the episode's facts and the rule files' fingerprint."""

    context: EpisodeContext
    rule_files: RuleFilesKey
    """Identifies the rule-file versions on record (:func:`read_history` reads their headers only when it changes)."""


_TRANSFUSED_PRODUCTS: Final = [TransfusionProduct.PLATELETS.value, TransfusionProduct.RED_CELLS.value]

_LOCK_CONTEXT_SQL: Final = (
    "SELECT transplant_episode.id, transplant_episode.patient_id, transplant_episode.day0, "
    "transplant_episode.graft_source, transplant_episode.transplant_type, transplant_episode.cell_therapy, "
    "patient.birth_date, EXISTS (SELECT transfusion.id FROM transfusion "
    "WHERE transfusion.patient_id = transplant_episode.patient_id "
    "AND transfusion.product = ANY(CAST(%(products)s AS TEXT[])) "
    "AND (transfusion.episode_id = transplant_episode.id OR transfusion.episode_id IS NULL)) AS transfused, "
    "files.files, files.last_file, files.last_hash, files.last_loaded, "
    "pg_advisory_xact_lock(CAST(%(space)s AS INTEGER), transplant_episode.id) AS locked "
    "FROM transplant_episode JOIN patient ON patient.id = transplant_episode.patient_id "
    "JOIN (SELECT count(monitoring_rule_file.id) AS files, max(monitoring_rule_file.id) AS last_file, "
    "max(monitoring_rule_file.content_hash) AS last_hash, max(monitoring_rule_file.loaded_at) AS last_loaded "
    "FROM monitoring_rule_file) AS files ON true "
    "WHERE transplant_episode.id = %(episode)s"
)
"""PostgreSQL: the locking query of :func:`lock_context` as a fixed text run on the driver's cursor (the same
tables, join, lock and columns as the SQLAlchemy statement used on SQLite; psycopg prepares it on a connection
after a few executions, so neither SQLAlchemy nor PostgreSQL builds it again per evaluation)."""

_TRANSFUSION_DAYS_SQL: Final = (
    "SELECT product, administered_at FROM transfusion WHERE patient_id = %(patient)s "
    "AND product = ANY(CAST(%(products)s AS TEXT[])) AND (episode_id = %(episode)s OR episode_id IS NULL)"
)
"""PostgreSQL: the query of :func:`_transfusion_days`."""


@dataclass(frozen=True, slots=True)
class _ContextRow:
    """A row of the locking query, typed as SQLAlchemy's result processing types it."""

    id: int
    patient_id: int
    day0: dt.date
    graft_source: GraftSource
    transplant_type: TransplantType
    cell_therapy: CellTherapy
    birth_date: dt.date | None
    transfused: bool
    files: int
    last_file: int | None
    last_hash: str | None
    last_loaded: dt.datetime | None


def _driver_rows(session: Session, sql: str, params: dict[str, object]) -> list[tuple[Any, ...]]:
    """PostgreSQL: the rows of ``sql`` run on the driver's cursor of the session's connection (its transaction)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """As :class:`engraft.registry.models.base.UTCDateTime` returns a stored time."""
    return None if moment is None else moment.astimezone(dt.UTC)


def _context_row_pg(session: Session, episode_id: int) -> _ContextRow | None:
    rows = _driver_rows(
        session,
        _LOCK_CONTEXT_SQL,
        {"products": _TRANSFUSED_PRODUCTS, "space": EVALUATION_LOCK_SPACE, "episode": episode_id},
    )
    if not rows:
        return None
    (ep, patient, day0, graft, kind, therapy, birth, transfused, files, last_file, last_hash, loaded, _) = rows[0]
    return _ContextRow(
        ep,
        patient,
        day0,
        GraftSource(graft),
        TransplantType(kind),
        CellTherapy(therapy),
        birth,
        bool(transfused),
        files,
        last_file,
        last_hash,
        _utc(loaded),
    )


def _context_row(session: Session, episode_id: int) -> _ContextRow | None:
    """SQLite (and any dialect but PostgreSQL): the locking query as a SQLAlchemy statement."""
    files = select(
        func.count(MonitoringRuleFile.id).label("files"),
        func.max(MonitoringRuleFile.id).label("last_file"),
        func.max(MonitoringRuleFile.content_hash).label("last_hash"),
        func.max(MonitoringRuleFile.loaded_at).label("last_loaded"),
    ).subquery()
    transfused = (
        select(Transfusion.id)
        .where(
            Transfusion.patient_id == Episode.patient_id,
            Transfusion.product.in_((TransfusionProduct.PLATELETS, TransfusionProduct.RED_CELLS)),
            or_(Transfusion.episode_id == Episode.id, Transfusion.episode_id.is_(None)),
        )
        .exists()
    )
    stmt = (
        select(
            Episode.id,
            Episode.patient_id,
            Episode.day0,
            Episode.graft_source,
            Episode.transplant_type,
            Episode.cell_therapy,
        )
        .add_columns(Patient.birth_date, transfused.label("transfused"), *files.c)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(files, true())
        .where(Episode.id == episode_id)
    )
    row = session.connection().execute(stmt).first()
    return None if row is None else _ContextRow(*row)


def lock_context(session: Session, episode_id: int) -> LockedEpisode:
    """The episode's facts, the episode locked for evaluation until the transaction ends (one evaluation of an
    episode at a time, across processes), and the rule files' fingerprint, in one query; its transfusion days
    in a second only when it has one.

    On PostgreSQL the lock is a transaction-level advisory lock taken in the same query: unlike a row lock it
    writes nothing, so an evaluation that changes nothing commits without a WAL flush; the query is a fixed text
    on the driver's cursor (:data:`_LOCK_CONTEXT_SQL`). On SQLite the evaluation's transaction holds the
    database's write lock from its BEGIN (one writer).
    """
    connection = session.connection()
    on_postgres = connection.dialect.name == "postgresql"
    row = _context_row_pg(session, episode_id) if on_postgres else _context_row(session, episode_id)
    if row is None:
        raise RecordNotFound("transplant episode", episode_id)
    platelets: tuple[int, ...] = ()
    red_cells: tuple[int, ...] = ()
    if row.transfused:
        platelets, red_cells = _transfusion_days(session, row.patient_id, episode_id, row.day0)
    context = EpisodeContext(
        patient_id=row.patient_id,
        episode_id=row.id,
        day0=row.day0,
        age_at_day0=None if row.birth_date is None else age_in_years(row.birth_date, row.day0),
        graft_source=row.graft_source,
        transplant_type=row.transplant_type,
        cell_therapy=row.cell_therapy,
        # None when no platelet transfusion is recorded: the registry cannot tell "none given" from "not fed",
        # so platelet engraftment is then not asserted
        platelet_transfusion_days=platelets or None,
        red_cell_transfusion_days=red_cells,
    )
    return LockedEpisode(
        context, (str(connection.engine.url), row.files, row.last_file, row.last_hash, row.last_loaded)
    )


def _transfusion_days(
    session: Session, patient_id: int, episode_id: int, day0: dt.date
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Days from day 0 with a platelet, and with a red cell, transfusion recorded for the episode (or the patient,
    no episode named)."""
    connection = session.connection()
    rows: Iterable[tuple[Any, dt.datetime]]
    if connection.dialect.name == "postgresql":
        params = {"patient": patient_id, "products": _TRANSFUSED_PRODUCTS, "episode": episode_id}
        rows = _driver_rows(session, _TRANSFUSION_DAYS_SQL, params)
    else:
        rows = connection.execute(
            select(Transfusion.product, Transfusion.administered_at).where(
                Transfusion.patient_id == patient_id,
                Transfusion.product.in_((TransfusionProduct.PLATELETS, TransfusionProduct.RED_CELLS)),
                or_(Transfusion.episode_id == episode_id, Transfusion.episode_id.is_(None)),
            )
        ).tuples()
    platelets: set[int] = set()
    red_cells: set[int] = set()
    for product, moment in rows:
        days = platelets if TransfusionProduct(product) is TransfusionProduct.PLATELETS else red_cells
        days.add((moment.astimezone(dt.UTC).date() - day0).days)
    return tuple(sorted(platelets)), tuple(sorted(red_cells))


# ---------------------------------------------------------------------------------------------------- rule files


@dataclass(frozen=True, slots=True)
class RuleFileHeader:
    """A recorded rule-file version, without its texts."""

    id: int
    content_hash: str
    name: str
    version: str
    loaded_at: dt.datetime
    loaded_by: str


@dataclass(frozen=True)
class RuleHistory:
    """The rule-file versions on record, oldest first, each with its parsed rule set and the moment it came into
    force; and, per rule id, the same history restricted to that rule (what an evaluation of one rule runs)."""

    headers: tuple[RuleFileHeader, ...]
    in_force: tuple[RuleSetInForce, ...]
    _only: dict[str, tuple[RuleSetInForce, ...]] = field(default_factory=dict, compare=False, repr=False)
    _reach: dict[str, RuleReach] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ids(self) -> dict[str, int]:
        """Row id of each content hash."""
        return {h.content_hash: h.id for h in self.headers}

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of every version, in the order they first appear."""
        return tuple(dict.fromkeys(rule.id for entry in self.in_force for rule in entry.rule_set.rules))

    def versions(self, rule_id: str) -> list[MonitoringRule]:
        """The rule ``rule_id`` in each version that has it."""
        return [rule for entry in self.in_force for rule in entry.rule_set.rules if rule.id == rule_id]

    def reach(self, rule_id: str) -> RuleReach:
        """What makes an evaluation run ``rule_id`` (any of its versions), and the codes it reads."""
        found = self._reach.get(rule_id)
        if found is None:
            found = self._reach[rule_id] = RuleReach.of(self.versions(rule_id))
        return found

    def only(self, rule_id: str | None) -> tuple[RuleSetInForce, ...]:
        """The history with, in each version, only the rule ``rule_id`` (``None``: no rule at all).

        Every version stays (with no rule where it lacks this one), so each result is still judged by the version
        in force when it was recorded, exactly as in the whole history.
        """
        key = rule_id or ""
        found = self._only.get(key)
        if found is None:
            found = tuple(
                RuleSetInForce.model_construct(
                    in_force_from=entry.in_force_from,
                    rule_set=entry.rule_set.model_copy(
                        update={"rules": tuple(r for r in entry.rule_set.rules if r.id == rule_id)}
                    ),
                )
                for entry in self.in_force
            )
            self._only[key] = found
        return found


@lru_cache(maxsize=32)
def parsed_rule_set(default_text: str, centre_text: str | None) -> RuleSet:
    """The rule set of the shipped rules ``default_text`` with ``centre_text`` over them (parsed once)."""
    return load_rule_set(centre_text, default_text=default_text)


@lru_cache(maxsize=1)
def _shipped_text() -> str:
    """The shipped rule file (part of the installed package: read once per process)."""
    return default_rule_text()


_RULE_SETS: dict[str, RuleSet] = {}
"""Parsed rule sets by content hash (the hash names the texts, so an entry never goes stale)."""
_HISTORIES: dict[tuple[RuleFileHeader, ...], RuleHistory] = {}
_CACHE_LOCK = threading.Lock()
_MAX_HISTORIES = 16


_BY_KEY: dict[RuleFilesKey, RuleHistory] = {}
"""Histories by the rule files' fingerprint (:class:`LockedEpisode`), so an evaluation reads no header at all."""


def read_history(session: Session, key: RuleFilesKey | None = None) -> RuleHistory:
    """The rule-file versions on record (their rule sets parsed once per process); their headers are read unless
    ``key``, the rule files' fingerprint read in this transaction, is the one of a history already read."""
    if key is not None:
        with _CACHE_LOCK:
            known = _BY_KEY.get(key)
        if known is not None:
            return known
    history = _read_history(session)
    if key is not None and len(history.headers) == key[1]:  # the same rows as the fingerprint's
        with _CACHE_LOCK:
            if len(_BY_KEY) >= _MAX_HISTORIES:
                _BY_KEY.clear()
            _BY_KEY[key] = history
    return history


def _read_history(session: Session) -> RuleHistory:
    rows = session.connection().execute(
        select(
            MonitoringRuleFile.id,
            MonitoringRuleFile.content_hash,
            MonitoringRuleFile.name,
            MonitoringRuleFile.version,
            MonitoringRuleFile.loaded_at,
            MonitoringRuleFile.loaded_by,
        ).order_by(MonitoringRuleFile.loaded_at, MonitoringRuleFile.id)
    )
    headers = tuple(RuleFileHeader(*row) for row in rows)
    with _CACHE_LOCK:
        history = _HISTORIES.get(headers)
    if history is not None:
        return history
    _parse_missing(session, [h.content_hash for h in headers])
    history = RuleHistory(
        headers,
        tuple(RuleSetInForce(in_force_from=h.loaded_at, rule_set=_RULE_SETS[h.content_hash]) for h in headers),
    )
    with _CACHE_LOCK:
        if len(_HISTORIES) >= _MAX_HISTORIES:
            _HISTORIES.clear()
        _HISTORIES[headers] = history
    return history


def _parse_missing(session: Session, hashes: Iterable[str]) -> None:
    missing = [h for h in hashes if h not in _RULE_SETS]
    if not missing:
        return
    stmt = select(MonitoringRuleFile.content_hash, MonitoringRuleFile.default_text, MonitoringRuleFile.centre_text)
    for content_hash, default_text, centre_text in session.execute(
        stmt.where(MonitoringRuleFile.content_hash.in_(missing))
    ):
        rule_set = parsed_rule_set(default_text, centre_text)
        with _CACHE_LOCK:
            _RULE_SETS[content_hash] = rule_set


def record_rule_file(
    session: Session, centre_text: str | None, history: RuleHistory, loaded_by: str
) -> tuple[RuleFileHeader, bool, RuleHistory]:
    """The recorded version of the shipped rules with ``centre_text`` over them, whether this call recorded it,
    and the history that has it."""
    default_text = _shipped_text()
    rule_set = parsed_rule_set(default_text, centre_text)
    for header in history.headers:
        if header.content_hash == rule_set.content_hash:
            return header, False, history
    row = MonitoringRuleFile(
        content_hash=rule_set.content_hash,
        name=rule_set.name,
        version=rule_set.version,
        default_text=default_text,
        centre_text=centre_text,
        loaded_by=loaded_by,
    )
    new = True
    try:
        with session.begin_nested():  # another evaluation may record the same version at the same time
            session.add(row)
            session.flush()
    except IntegrityError:
        new = False
    with _CACHE_LOCK:
        _RULE_SETS[rule_set.content_hash] = rule_set
    history = read_history(session)
    (header,) = [h for h in history.headers if h.content_hash == rule_set.content_hash]
    return header, new, history


# ---------------------------------------------------------------------------------------------------- series


Row = tuple[int, dt.datetime, dt.datetime | None, str, float, str]


class Series:
    """An episode's results as read (time order), handed to each rule as the engine's columns
    (:class:`~engraft.monitoring.ObservationColumns`) of the codes it reads: checked once per column, no typed
    observation per row."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows: tuple[Row, ...] = tuple(rows)
        self._columns: dict[frozenset[str] | None, ObservationColumns] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def columns(self, codes: frozenset[str] | None) -> ObservationColumns:
        """The results of ``codes`` (``None``: all) as columns: those of all the results built once, each set of
        codes selected from them (its rows in the same order; ``codes`` and ``units`` kept whole)."""
        found = self._columns.get(codes)
        if found is None:
            whole = self._columns.get(None)
            if whole is None:
                whole = self._columns[None] = ObservationColumns.from_rows(self.rows)
            if codes is None:
                return whole
            wanted = np.fromiter((code in codes for code in whole.codes), bool, len(whole.codes))
            picked = wanted[whole.code]  # each row's code index looked up (np.isin costs more on these few codes)
            found = self._columns[codes] = ObservationColumns(
                id=whole.id[picked],
                observed_us=whole.observed_us[picked],
                recorded_us=whole.recorded_us[picked],
                code=whole.code[picked],
                codes=whole.codes,
                value=whole.value[picked],
                unit=whole.unit[picked],
                units=whole.units,
            )
        return found


_SERIES_SQL: Final = (
    "SELECT id, observed_at, recorded_at, loinc, value, unit FROM observation "
    "WHERE patient_id = %(patient)s AND episode_id = %(episode)s{codes} ORDER BY observed_at, id"
)


def read_series(session: Session, patient_id: int, episode_id: int, codes: frozenset[str] | None) -> Series:
    """The episode's results of ``codes`` (``None``: all), in time order, in one query on the (patient, time)
    index.

    On PostgreSQL through the driver's cursor: its rows are the columns as stored (times as aware datetimes),
    which is all the columns need, so SQLAlchemy's result processing per row is skipped.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        try:
            params: dict[str, object] = {"patient": patient_id, "episode": episode_id}
            if codes is not None:
                params["codes"] = sorted(codes)
            cursor.execute(_SERIES_SQL.format(codes="" if codes is None else " AND loinc = ANY(%(codes)s)"), params)
            return Series(cursor.fetchall())
        finally:
            cursor.close()
    stmt = select(
        Observation.id,
        Observation.observed_at,
        Observation.recorded_at,
        Observation.loinc,
        Observation.value,
        Observation.unit,
    ).where(Observation.patient_id == patient_id, Observation.episode_id == episode_id)
    if codes is not None:
        stmt = stmt.where(Observation.loinc.in_(sorted(codes)))
    return Series(connection.execute(stmt.order_by(Observation.observed_at, Observation.id)).tuples())


# ---------------------------------------------------------------------------------------------------- alerts


@dataclass(frozen=True, slots=True)
class AlertOnFile:
    """What an evaluation needs of an alert already stored."""

    id: int
    rule_id: str
    dedup_key: str
    state: AlertState
    severity: Severity
    grade: int | None
    """The graded condition's grade as stored (``details.grade``: CRS, ICANS), else None."""


_ALERTS_SQL: Final = (
    "SELECT id, rule_id, dedup_key, state, severity, (details ->> 'grade')::integer FROM monitoring_alert "
    "WHERE episode_id = %(episode)s"
)
"""PostgreSQL: the query of :func:`read_alerts`."""


def read_alerts(session: Session, episode_id: int) -> list[AlertOnFile]:
    """The episode's alerts on file (on the (episode, dedup key) unique index; on PostgreSQL a fixed text on the
    driver's cursor, its states and severities typed as SQLAlchemy types them)."""
    if session.connection().dialect.name == "postgresql":
        return [
            AlertOnFile(alert_id, rule_id, dedup_key, AlertState(state), Severity(severity), grade)
            for alert_id, rule_id, dedup_key, state, severity, grade in _driver_rows(
                session, _ALERTS_SQL, {"episode": episode_id}
            )
        ]
    stmt = select(
        MonitoringAlert.id,
        MonitoringAlert.rule_id,
        MonitoringAlert.dedup_key,
        MonitoringAlert.state,
        MonitoringAlert.severity,
        MonitoringAlert.details["grade"].as_integer(),
    ).where(MonitoringAlert.episode_id == episode_id)
    return [AlertOnFile(*row) for row in session.connection().execute(stmt)]
