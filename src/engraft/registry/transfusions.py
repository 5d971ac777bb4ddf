"""Reading a patient's transfusions: the platelet transfusion days the engraftment rule needs.

Transfusions reach the registry from feeds (FHIR MedicationAdministration, :mod:`engraft.registry.ingest`).
``engraft.grading.platelet_engraftment`` takes the days from day 0 on which platelets were given;
:func:`patient_transfusions` gives the administrations in time order for the caller to turn into days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from engraft.registry.models import Transfusion
from engraft.registry.service import RegistryService
from engraft.vocabulary import TransfusionProduct


@dataclass(frozen=True, slots=True)
class TransfusionRecord:
    id: int
    patient_id: int
    episode_id: int | None
    product: TransfusionProduct
    administered_at: dt.datetime


def patient_transfusions(
    service: RegistryService,
    patient_id: int,
    product: TransfusionProduct | None = None,
    since: dt.datetime | None = None,
) -> list[TransfusionRecord]:
    """The patient's transfusions (of ``product``; at or after ``since``), oldest first, in one statement."""
    stmt = (
        select(
            Transfusion.id,
            Transfusion.patient_id,
            Transfusion.episode_id,
            Transfusion.product,
            Transfusion.administered_at,
        )
        .where(Transfusion.patient_id == patient_id)
        .order_by(Transfusion.administered_at, Transfusion.id)
    )
    if product is not None:
        stmt = stmt.where(Transfusion.product == product)
    if since is not None:
        stmt = stmt.where(Transfusion.administered_at >= since)
    with service.read_snapshot() as session:
        return [TransfusionRecord(*row) for row in session.execute(stmt)]
