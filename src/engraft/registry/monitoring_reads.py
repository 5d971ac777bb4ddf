"""What an evaluation of an episode reads, cheaply: its context, its series, its alerts.

- :func:`lock_context`: the episode's facts, its patient's birth date, whether it has a transfusion, and the
  rule files' fingerprint (count, highest id, hash and load time) in the one query that locks the episode
  (evaluations of one episode are serialised by that lock, across processes on PostgreSQL); its transfusion
  days in a second query only when it has one. The rule-file versions the fingerprint identifies are read by
  :func:`engraft.registry.monitoring_rule_files.read_history`.
- :func:`read_series`: the episode's results of the codes the evaluation needs, in one query on the
  (patient, time) index, in time order (on PostgreSQL through the driver's cursor, without SQLAlchemy's
  processing per row), handed to the engine as columns built once
  (:meth:`engraft.monitoring.ObservationColumns.from_rows`: checked once per column, no typed observation per row),
  each rule's codes selected from them.
- :func:`read_alerts`: the alerts on file for the episode, the columns the evaluation needs, in one query.

On PostgreSQL each read is a fixed text on the driver's cursor (:mod:`engraft.registry.monitoring_statements`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ScalarSelect, func, or_, select, true
from sqlalchemy.orm import Session

from engraft.monitoring import (
    AlertState,
    EpisodeContext,
    ObservationColumns,
    Severity,
    age_in_years,
)
from engraft.monitoring.columns import EpochRow
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import (
    ClinicalEvent,
    MonitoringAlert,
    MonitoringRuleFile,
    Observation,
    Patient,
    Transfusion,
)
from engraft.registry.models import TransplantEpisode as Episode
from engraft.registry.monitoring_rule_files import RuleFilesKey
from engraft.registry.monitoring_statements import (
    ALERTS_SQL,
    LOCK_CONTEXT_SQL,
    SERIES_CODES_FILTER,
    SERIES_SQL,
    TRANSFUSED_PRODUCTS,
    TRANSFUSION_DAYS_SQL,
    driver_rows,
)
from engraft.vocabulary import CellTherapy, EventSource, EventType, GraftSource, TransfusionProduct, TransplantType

# ---------------------------------------------------------------------------------------------------- context


EVALUATION_LOCK_SPACE: Final = 0x454E4752
"""PostgreSQL: the first key of the transaction-level advisory lock (``pg_advisory_xact_lock(space, episode id)``)
that one evaluation of an episode holds until it commits."""


@dataclass(frozen=True, slots=True)
class LockedEpisode:
    """What the locking query of an evaluation returns: the episode's facts and the rule files' fingerprint."""

    context: EpisodeContext
    rule_files: RuleFilesKey
    """Identifies the rule-file versions on record (:func:`~engraft.registry.monitoring_rule_files.read_history`
    reads their headers only when it changes)."""


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
    recorded_neutrophil: dt.date | None
    recorded_platelet: dt.date | None
    files: int
    last_file: int | None
    last_hash: str | None
    last_loaded: dt.datetime | None


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """As :class:`engraft.registry.models.base.UTCDateTime` returns a stored time."""
    return None if moment is None else moment.astimezone(dt.UTC)


def _context_row_pg(session: Session, episode_id: int) -> _ContextRow | None:
    params = {
        "products": TRANSFUSED_PRODUCTS,
        "space": EVALUATION_LOCK_SPACE,
        "episode": episode_id,
        "neutrophil": EventType.NEUTROPHIL_ENGRAFTMENT.value,
        "platelet": EventType.PLATELET_ENGRAFTMENT.value,
        "derived": EventSource.DERIVED.value,
    }
    rows = driver_rows(session, LOCK_CONTEXT_SQL, params)
    if not rows:
        return None
    (ep, patient, day0, graft, kind, therapy, birth, transfused, neutrophil, platelet, *rest) = rows[0]
    files, last_file, last_hash, loaded, _ = rest
    return _ContextRow(
        ep,
        patient,
        day0,
        GraftSource(graft),
        TransplantType(kind),
        CellTherapy(therapy),
        birth,
        bool(transfused),
        neutrophil,
        platelet,
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
        .add_columns(
            Patient.birth_date,
            transfused.label("transfused"),
            _recorded(EventType.NEUTROPHIL_ENGRAFTMENT).label("recorded_neutrophil"),
            _recorded(EventType.PLATELET_ENGRAFTMENT).label("recorded_platelet"),
            *files.c,
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .join(files, true())
        .where(Episode.id == episode_id)
    )
    row = session.connection().execute(stmt).first()
    return None if row is None else _ContextRow(*row)


def _recorded(event_type: EventType) -> ScalarSelect[dt.date]:
    """The first date of ``event_type`` the registry records for the episode, entered or imported (not derived)."""
    return (
        select(func.min(ClinicalEvent.event_date))
        .where(
            ClinicalEvent.episode_id == Episode.id,
            ClinicalEvent.event_type == event_type,
            ClinicalEvent.source != EventSource.DERIVED,
        )
        .scalar_subquery()
    )


def lock_context(session: Session, episode_id: int) -> LockedEpisode:
    """The episode's facts, the episode locked for evaluation until the transaction ends (one evaluation of an
    episode at a time, across processes), and the rule files' fingerprint, in one query; its transfusion days
    in a second only when it has one.

    On PostgreSQL the lock is a transaction-level advisory lock taken in the same query: unlike a row lock it
    writes nothing, so an evaluation that changes nothing commits without a WAL flush; the query is a fixed text
    on the driver's cursor (:data:`engraft.registry.monitoring_statements.LOCK_CONTEXT_SQL`). On SQLite the
    evaluation's transaction holds the database's write lock from its BEGIN (one writer).
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
        recorded_neutrophil_engraftment_day=_day(row.recorded_neutrophil, row.day0),
        recorded_platelet_engraftment_day=_day(row.recorded_platelet, row.day0),
    )
    return LockedEpisode(
        context, (str(connection.engine.url), row.files, row.last_file, row.last_hash, row.last_loaded)
    )


def _day(date: dt.date | None, day0: dt.date) -> int | None:
    return None if date is None else (date - day0).days


def _transfusion_days(
    session: Session, patient_id: int, episode_id: int, day0: dt.date
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Days from day 0 with a platelet, and with a red cell, transfusion recorded for the episode (or the patient,
    no episode named)."""
    connection = session.connection()
    rows: Iterable[tuple[Any, dt.datetime]]
    if connection.dialect.name == "postgresql":
        params = {"patient": patient_id, "products": TRANSFUSED_PRODUCTS, "episode": episode_id}
        rows = driver_rows(session, TRANSFUSION_DAYS_SQL, params)
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


# ---------------------------------------------------------------------------------------------------- series


Row = tuple[int, dt.datetime, dt.datetime | None, str, float, str]


class Series:
    """An episode's results as read (time order), handed to the rules as the engine's columns
    (:class:`~engraft.monitoring.ObservationColumns`), built once: checked once per column, no typed observation
    per row."""

    def __init__(self, rows: Iterable[Row] | None = None, *, epoch_rows: Sequence[EpochRow] | None = None) -> None:
        """``rows`` with times as datetimes (SQLAlchemy's), or ``epoch_rows`` with times as microseconds from
        1970-01-01 UTC (the PostgreSQL query's)."""
        self.rows: tuple[Row, ...] = tuple(rows or ())
        self._epoch_rows = epoch_rows
        self._columns: ObservationColumns | None = None

    def __len__(self) -> int:
        return len(self.rows) if self._epoch_rows is None else len(self._epoch_rows)

    def columns(self) -> ObservationColumns:
        """Every result read, as columns (built at the first call)."""
        if self._columns is None:
            self._columns = (
                ObservationColumns.from_rows(self.rows)
                if self._epoch_rows is None
                else ObservationColumns.from_epoch_rows(self._epoch_rows)
            )
        return self._columns


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
            cursor.execute(SERIES_SQL.format(codes="" if codes is None else SERIES_CODES_FILTER), params)
            return Series(epoch_rows=cursor.fetchall())
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
    rule_version: str = ""
    """The version of the rule that judged it last (a later rule-file version may take a condition over)."""


def read_alerts(session: Session, episode_id: int) -> list[AlertOnFile]:
    """The episode's alerts on file (on the (episode, dedup key) unique index; on PostgreSQL a fixed text on the
    driver's cursor, its states and severities typed as SQLAlchemy types them)."""
    if session.connection().dialect.name == "postgresql":
        return [
            AlertOnFile(alert_id, rule_id, dedup_key, AlertState(state), Severity(severity), grade, version)
            for alert_id, rule_id, dedup_key, state, severity, grade, version in driver_rows(
                session, ALERTS_SQL, {"episode": episode_id}
            )
        ]
    stmt = select(
        MonitoringAlert.id,
        MonitoringAlert.rule_id,
        MonitoringAlert.dedup_key,
        MonitoringAlert.state,
        MonitoringAlert.severity,
        MonitoringAlert.details["grade"].as_integer(),
        MonitoringAlert.rule_version,
    ).where(MonitoringAlert.episode_id == episode_id)
    return [AlertOnFile(*row) for row in session.connection().execute(stmt)]
