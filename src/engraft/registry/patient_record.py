"""Reads for one patient's record page that the service's paged lists would split into many statements.

:func:`read_chart_observations` gives every observation of a patient under a set of LOINC codes (the lab
charts: ANC, platelets, bilirubin, creatinine, CMV) in one statement, ordered by time. Observations are not
identifying data, so this read writes no audit entry; the page's identifying read is
:meth:`~engraft.registry.service.RegistryService.get_patient`, audited there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from engraft.registry.models import Observation
from engraft.registry.service import RegistryService

OBSERVATION = Observation.__table__
MAX_CHART_OBSERVATIONS = 20_000
"""A safety bound: more observations than this for one patient under the chart codes are not drawn."""


@dataclass(frozen=True, slots=True)
class ChartObservation:
    """One lab value for a chart: when, under which code, as sent and in the code's canonical unit."""

    episode_id: int | None
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    value_canonical: float


def read_chart_observations(service: RegistryService, patient_id: int, loincs: Iterable[str]) -> list[ChartObservation]:
    """Every observation of ``patient_id`` under ``loincs``, oldest first (at most :data:`MAX_CHART_OBSERVATIONS`)."""
    codes = sorted(set(loincs))
    stmt = (
        select(
            OBSERVATION.c.episode_id,
            OBSERVATION.c.observed_at,
            OBSERVATION.c.loinc,
            OBSERVATION.c.value,
            OBSERVATION.c.unit,
            OBSERVATION.c.value_canonical,
        )
        .where(OBSERVATION.c.patient_id == patient_id, OBSERVATION.c.loinc.in_(codes))
        .order_by(OBSERVATION.c.observed_at, OBSERVATION.c.id)
        .limit(MAX_CHART_OBSERVATIONS)
    )
    with service.read_snapshot() as session:
        rows = session.execute(stmt).all()
    return [
        ChartObservation(
            episode_id=row.episode_id,
            observed_at=_aware(row.observed_at),
            loinc=row.loinc,
            value=row.value,
            unit=row.unit,
            value_canonical=row.value_canonical,
        )
        for row in rows
    ]


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
