"""Transfusions in feed messages (FHIR MedicationAdministration): checked and stored for
:func:`engraft.registry.ingest.store_results`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.ingest_writes import PatientKey
from engraft.registry.models import Transfusion
from engraft.registry.observation_batch import EARLIEST, MAX_CLOCK_SKEW, SOURCE_ID_MAX_LENGTH
from engraft.vocabulary import TransfusionProduct

_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class IncomingTransfusion:
    """One blood product given (a FHIR MedicationAdministration)."""

    item: int
    label: str
    patient: PatientKey
    product: TransfusionProduct
    administered_at: dt.datetime
    source_system: str
    source_id: str


def transfusion_problems(items: Sequence[IncomingTransfusion], patients: dict[PatientKey, int]) -> list[Problem]:
    latest = dt.datetime.now(dt.UTC) + MAX_CLOCK_SKEW
    problems = []
    seen: dict[tuple[str, str], IncomingTransfusion] = {}
    for item in items:
        at = item.administered_at
        if at.utcoffset() is None:
            problems.append(Problem(f"{item.label} time", at.isoformat(), "a time with a time zone", item.item))
        elif not EARLIEST <= at <= latest:
            expected = f"a time from {EARLIEST:%Y-%m-%d} to now (at most {MAX_CLOCK_SKEW} ahead of the server)"
            problems.append(Problem(f"{item.label} time", at.isoformat(), expected, item.item))
        if not item.source_id or len(item.source_id) > SOURCE_ID_MAX_LENGTH or "\x00" in item.source_id:
            expected = f"an identifier of 1 to {SOURCE_ID_MAX_LENGTH} characters"
            problems.append(Problem(f"{item.label} identifier", item.source_id, expected, item.item))
        if len(item.source_system) > SOURCE_ID_MAX_LENGTH or "\x00" in item.source_system:
            expected = f"an identifier system of at most {SOURCE_ID_MAX_LENGTH} characters"
            problems.append(Problem(f"{item.label} identifier", item.source_system, expected, item.item))
        previous = seen.setdefault((item.source_system, item.source_id), item)
        if previous is not item and _content(previous, patients) != _content(item, patients):
            expected = "an identifier not re-used for another administration in the same message"
            problems.append(Problem(f"{item.label} identifier", item.source_id, expected, item.item))
    return problems


def _content(item: IncomingTransfusion, patients: dict[PatientKey, int]) -> tuple[object, ...]:
    return (patients.get(item.patient), item.product, item.administered_at)


def store_transfusions(
    session: Session, items: Sequence[IncomingTransfusion], patients: dict[PatientKey, int]
) -> list[tuple[int, int, int | None]]:
    """Insert the transfusions not stored yet; (id, patient, episode) of each new one."""
    if not items:
        return []
    keys = sorted({(item.source_system, item.source_id) for item in items})
    stored: dict[tuple[str, str], tuple[object, ...]] = {}
    for lo in range(0, len(keys), _CHUNK):
        stmt = select(
            Transfusion.source_system,
            Transfusion.source_id,
            Transfusion.patient_id,
            Transfusion.product,
            Transfusion.administered_at,
        ).where(tuple_(Transfusion.source_system, Transfusion.source_id).in_(keys[lo : lo + _CHUNK]))
        for system, source_id, patient_id, product, at in session.execute(stmt):
            stored[(system, source_id)] = (patient_id, product, at)
    new: list[Transfusion] = []
    conflicts = []
    for item in items:
        key = (item.source_system, item.source_id)
        if key in stored:
            if stored[key] != _content(item, patients):
                expected = "either new, or identical to the administration already stored under that identifier"
                conflicts.append(Problem(f"{item.label} identifier", item.source_id, expected, item.item))
            continue
        stored[key] = _content(item, patients)
        new.append(
            Transfusion(
                patient_id=patients[item.patient],
                episode_id=None,
                product=item.product,
                administered_at=item.administered_at,
                source_system=item.source_system,
                source_id=item.source_id,
            )
        )
    if conflicts:
        raise InvalidRecord(conflicts)
    session.add_all(new)
    session.flush()
    return [(t.id, t.patient_id, t.episode_id) for t in new]
