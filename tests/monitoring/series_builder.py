"""Building episode series for the monitoring tests: results by day from day 0, ids in arrival order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from engraft.monitoring import EpisodeContext, MonitoredObservation
from engraft.vocabulary import GraftSource, TransplantType

DAY0 = dt.date(2026, 3, 1)
ANC = "751-8"
PLATELETS = "777-3"
CREATININE_MG = "2160-0"
CREATININE_UMOL = "14682-9"
BILIRUBIN_MG = "1975-2"
BILIRUBIN_UMOL = "14631-6"


def context(
    *,
    age: int | None = 45,
    graft: GraftSource | None = GraftSource.PERIPHERAL_BLOOD,
    kind: TransplantType | None = TransplantType.ALLOGENEIC,
    transfusions: tuple[int, ...] | None = (),
) -> EpisodeContext:
    return EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=age,
        graft_source=graft,
        transplant_type=kind,
        platelet_transfusion_days=transfusions,
    )


def at(day: int, hour: int = 6) -> dt.datetime:
    return dt.datetime(DAY0.year, DAY0.month, DAY0.day, hour, tzinfo=dt.UTC) + dt.timedelta(days=day)


def series(loinc: str, unit: str, values: Iterable[tuple[int, float]], first_id: int = 1) -> list[MonitoredObservation]:
    """One result a day at 06:00 UTC: (day, value) pairs."""
    return [
        MonitoredObservation(id=first_id + n, observed_at=at(day), loinc=loinc, value=value, unit=unit)
        for n, (day, value) in enumerate(values)
    ]


def engrafting_anc(engraftment_day: int, first_id: int = 1, last_day: int | None = None) -> list[MonitoredObservation]:
    """ANC 3.0 on day -2, 0.05 from day 0 until the day before ``engraftment_day``, then 1.2."""
    end = last_day if last_day is not None else engraftment_day + 5
    values = [(-2, 3.0)] + [(d, 0.05 if d < engraftment_day else 1.2) for d in range(0, end + 1)]
    return series(ANC, "10*9/L", values, first_id)


AS_OF_END = at(400)
