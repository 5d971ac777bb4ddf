"""Export the registry as one CSV file per table, from one consistent snapshot.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL), so observations of any
number stream to disk without being held in memory. Files are written under temporary names and
renamed only when every file is complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engraft.io import csv_columns as cols
from engraft.io.csv_report import ExportSummary
from engraft.registry.audit import AuditAction
from engraft.registry.models import (
    Centre,
    ClinicalEvent,
    ConditioningAgent,
    Diagnosis,
    Donor,
    DonorMarker,
    EpisodeDonor,
    FollowUpVisit,
    Observation,
    Patient,
    PatientIdentity,
    TransplantEpisode,
)
from engraft.registry.service import RegistryService

CHUNK = 10_000


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _formatter(kind: type) -> Callable[[Any], str]:
    if kind is type(None):
        return lambda _: ""
    if issubclass(kind, bool):
        return lambda v: "true" if v else "false"
    if issubclass(kind, Enum):
        return lambda v: str(v.value)
    if issubclass(kind, float):
        return repr
    if issubclass(kind, dt.datetime):
        return _utc
    if issubclass(kind, dt.date):
        return dt.date.isoformat
    if issubclass(kind, list | dict):
        return lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str


_FORMATTERS: dict[type, Callable[[Any], str]] = {}


def cell(value: Any) -> str:
    """One value as CSV text: empty for null, ISO 8601 dates, UTC timestamps ending in Z, shortest exact floats."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    formatter = _FORMATTERS.get(kind)
    if formatter is None:
        formatter = _FORMATTERS[kind] = _formatter(kind)
    return formatter(value)


def _stream(session: Session, stmt: Select[Any]) -> Iterator[Sequence[Any]]:
    for partition in session.connection().execute(stmt.execution_options(yield_per=CHUNK)).partitions():
        yield from partition


def _snapshot(session: Session) -> None:
    """Read every file from one snapshot even while others write (PostgreSQL REPEATABLE READ, SQLite BEGIN)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not session.in_nested_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif dialect == "sqlite":
        raw: Any = session.connection().connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rows: dict[str, int] = {}
        self.temporary: list[tuple[Path, Path]] = []

    def write(self, spec: cols.CsvFile, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        target = self.directory / spec.name
        partial = self.directory / f".{spec.name}.partial"
        count = 0
        self.temporary.append((partial, target))
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([cell(v) for v in row])
                count += 1
        self.rows[spec.name] = count

    def finish(self) -> None:
        for partial, target in self.temporary:
            os.replace(partial, target)

    def abandon(self) -> None:
        for partial, _ in self.temporary:
            partial.unlink(missing_ok=True)


def export_registry(service: RegistryService, directory: Path, *, include_identity: bool = False) -> ExportSummary:
    """Write the whole registry to ``directory`` (created if missing); see docs/data-dictionary.md."""
    directory.mkdir(parents=True, exist_ok=True)
    out = _Writer(directory)
    try:
        with service.read_snapshot() as session:
            _snapshot(session)
            _export_all(session, out, include_identity)
        fields = ["birth_date", "given_name", "family_name", "mrn"] if include_identity else ["birth_date"]
        details = {"directory": str(directory), "rows": dict(out.rows), "fields": fields}
        service.record_access(AuditAction.EXPORT, "registry", None, details)
    except BaseException:
        out.abandon()
        raise
    out.finish()
    return ExportSummary(directory=directory, rows=out.rows, include_identity=include_identity)


def _export_all(session: Session, out: _Writer, include_identity: bool) -> None:
    out.write(
        cols.CENTRES,
        cols.CENTRES.names,
        session.execute(select(Centre.code, Centre.name, Centre.country).order_by(Centre.code)),
    )

    patients: dict[int, str] = {}
    patient_header = [n for n in cols.PATIENTS.names if include_identity or n not in cols.IDENTITY_COLUMNS]
    patient_cols: list[Any] = [
        Patient.id,
        Patient.registry_id,
        Centre.code,
        Patient.sex,
        Patient.birth_date,
        Patient.abo,
        Patient.rh,
        Patient.cmv_serostatus,
        Patient.height_cm,
        Patient.weight_kg,
        Patient.hla_gl_string,
    ]
    stmt = select(*patient_cols).join(Centre, Centre.id == Patient.centre_id).order_by(Patient.id)
    if include_identity:
        stmt = stmt.add_columns(PatientIdentity.given_name, PatientIdentity.family_name, PatientIdentity.mrn).outerjoin(
            PatientIdentity, PatientIdentity.patient_id == Patient.id
        )

    def patient_rows() -> Iterator[Sequence[Any]]:
        for row in _stream(session, stmt):
            patients[row[0]] = row[1]
            yield row[1:]

    out.write(cols.PATIENTS, patient_header, patient_rows())

    diagnosis_keys: dict[int, str] = {}

    def diagnosis_rows() -> Iterator[Sequence[Any]]:
        stmt = select(
            Diagnosis.id,
            Diagnosis.patient_id,
            Diagnosis.who_name,
            Diagnosis.icd10,
            Diagnosis.diagnosis_date,
            Diagnosis.status_at_transplant,
        ).order_by(Diagnosis.id)
        for n, (diagnosis_id, patient_id, *rest) in enumerate(_stream(session, stmt), start=1):
            diagnosis_keys[diagnosis_id] = str(n)
            yield (n, patients[patient_id], *rest)

    out.write(cols.DIAGNOSES, cols.DIAGNOSES.names, diagnosis_rows())

    donors: dict[int, str] = {}

    def donor_rows() -> Iterator[Sequence[Any]]:
        stmt = select(
            Donor.id,
            Donor.donor_code,
            Donor.relation,
            Donor.age_years,
            Donor.sex,
            Donor.abo,
            Donor.rh,
            Donor.cmv_serostatus,
            Donor.hla_gl_string,
            Donor.eligibility,
            Donor.consent_date,
        ).order_by(Donor.id)
        for row in _stream(session, stmt):
            donors[row[0]] = row[1]
            yield row[1:]

    out.write(cols.DONORS, cols.DONORS.names, donor_rows())
    marker_stmt = select(DonorMarker.donor_id, DonorMarker.test, DonorMarker.result, DonorMarker.result_date).order_by(
        DonorMarker.donor_id, DonorMarker.id
    )
    out.write(
        cols.DONOR_MARKERS,
        cols.DONOR_MARKERS.names,
        ((donors[d], *rest) for d, *rest in _stream(session, marker_stmt)),
    )

    episodes: dict[int, tuple[str, int]] = {}

    def episode_rows() -> Iterator[Sequence[Any]]:
        e = TransplantEpisode
        stmt = (
            select(
                e.id,
                e.patient_id,
                e.sequence_number,
                e.diagnosis_id,
                Centre.code,
                e.transplant_type,
                e.graft_source,
                e.cell_therapy,
                e.day0,
                e.tbi_dose_gy,
                e.tbi_fractions,
                e.gvhd_prophylaxis,
                e.cd34_per_kg,
                e.tnc_per_kg,
                e.tnc_unit,
                e.viability_pct,
            )
            .join(Centre, Centre.id == e.centre_id)
            .order_by(e.id)
        )
        for episode_id, patient_id, seq, diagnosis_id, *rest in _stream(session, stmt):
            episodes[episode_id] = (patients[patient_id], seq)
            key = None if diagnosis_id is None else diagnosis_keys[diagnosis_id]
            yield (patients[patient_id], seq, key, *rest[:7], rest[7] or None, *rest[8:])

    out.write(cols.EPISODES, cols.EPISODES.names, episode_rows())

    agent_stmt = select(
        ConditioningAgent.episode_id,
        ConditioningAgent.position,
        ConditioningAgent.drug,
        ConditioningAgent.total_dose,
        ConditioningAgent.unit,
    ).order_by(ConditioningAgent.episode_id, ConditioningAgent.position, ConditioningAgent.id)
    out.write(
        cols.CONDITIONING,
        cols.CONDITIONING.names,
        _positioned(session, agent_stmt, episodes),
    )
    link_stmt = select(EpisodeDonor.episode_id, EpisodeDonor.position, EpisodeDonor.donor_id).order_by(
        EpisodeDonor.episode_id, EpisodeDonor.position, EpisodeDonor.id
    )
    out.write(
        cols.EPISODE_DONORS,
        cols.EPISODE_DONORS.names,
        ((*row[:3], donors[row[3]]) for row in _positioned(session, link_stmt, episodes)),
    )

    detail_names = [c.name.removeprefix("details.") for c in cols.DETAIL_COLUMNS]

    def event_rows() -> Iterator[Sequence[Any]]:
        ev = ClinicalEvent
        stmt = select(ev.patient_id, ev.episode_id, ev.event_type, ev.event_date, ev.source, ev.details).order_by(ev.id)
        for patient_id, episode_id, event_type, event_date, source, details in _stream(session, stmt):
            unknown = set(details or {}) - set(detail_names)
            if unknown:
                raise ValueError(f"event of {patients[patient_id]} has details {sorted(unknown)} with no CSV column")
            seq = None if episode_id is None else episodes[episode_id][1]
            yield (
                patients[patient_id],
                seq,
                event_type,
                event_date,
                source,
                *((details or {}).get(n) for n in detail_names),
            )

    out.write(cols.EVENTS, cols.EVENTS.names, event_rows())

    def follow_up_rows() -> Iterator[Sequence[Any]]:
        f = FollowUpVisit
        stmt = select(
            f.patient_id,
            f.episode_id,
            f.visit_date,
            f.vital_status,
            f.performance_scale,
            f.performance_score,
            f.disease_status,
        ).order_by(f.id)
        for patient_id, episode_id, *rest in _stream(session, stmt):
            yield (patients[patient_id], None if episode_id is None else episodes[episode_id][1], *rest)

    out.write(cols.FOLLOW_UPS, cols.FOLLOW_UPS.names, follow_up_rows())

    def observation_rows() -> Iterator[Sequence[Any]]:
        o = Observation
        stmt = select(
            o.patient_id, o.episode_id, o.observed_at, o.loinc, o.value, o.unit, o.source, o.source_system, o.source_id
        )
        stmt = stmt.order_by(o.patient_id, o.observed_at, o.source_system, o.source_id)
        for patient_id, episode_id, *rest in _stream(session, stmt):
            yield (patients[patient_id], None if episode_id is None else episodes[episode_id][1], *rest)

    out.write(cols.OBSERVATIONS, cols.OBSERVATIONS.names, observation_rows())


def _positioned(session: Session, stmt: Select[Any], episodes: dict[int, tuple[str, int]]) -> Iterator[Sequence[Any]]:
    """Rows of an episode's child table with their 1-based position within the episode."""
    current, n = None, 0
    for episode_id, _position, *rest in _stream(session, stmt):
        n = n + 1 if episode_id == current else 1
        current = episode_id
        yield (*episodes[episode_id], n, *rest)
