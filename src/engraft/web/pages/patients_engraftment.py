"""The engraftment days the patient page marks on an episode's count charts.

The recorded engraftment event of the episode where there is one (:func:`recorded_engraftment`: one entered or
imported before one the monitoring derived, which is marked as derived); otherwise
neutrophil engraftment is computed from the ANC values by the CIBMTR rule (one value a day, the last of each day:
:func:`computed_neutrophil_engraftment`). Platelet engraftment is not computed from counts: it needs the platelet
transfusion days, which the registry does not hold, so only a recorded platelet engraftment is marked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from engraft.grading.counts import CountMeasurement, CountSeries
from engraft.grading.engraftment import EngraftmentStatus, neutrophil_engraftment
from engraft.registry.schemas.clinical import EventOut
from engraft.vocabulary import EventSource, EventType


@dataclass(frozen=True, slots=True)
class EngraftmentMark:
    """An engraftment day shown on a chart: recorded (an event) or computed from the counts."""

    lineage: EventType
    day: int
    date: dt.date
    computed: bool
    derived: bool = False
    """An event the monitoring derived, not one entered or imported."""


def recorded_engraftment(events: Sequence[EventOut], day0: dt.date, lineage: EventType) -> EngraftmentMark | None:
    """The episode's first engraftment event of ``lineage`` entered or imported, else the first the monitoring
    derived (marked so)."""
    mine = [e for e in events if e.event_type is lineage]
    entered = sorted(e.event_date for e in mine if e.source is not EventSource.DERIVED)
    derived = sorted(e.event_date for e in mine if e.source is EventSource.DERIVED)
    dated = entered or derived
    if not dated:
        return None
    return EngraftmentMark(lineage, (dated[0] - day0).days, dated[0], computed=False, derived=not entered)


def computed_neutrophil_engraftment(day0: dt.date, anc: Sequence[tuple[int, float]]) -> EngraftmentMark | None:
    """Neutrophil engraftment by the CIBMTR rule from (day, ANC in 10^9/L), the last value of each day counting."""
    last_of_day: dict[int, float] = {}
    for day, value in anc:
        last_of_day[day] = value
    if not last_of_day:
        return None
    series = CountSeries(
        measurements=tuple(CountMeasurement(day=d, value=v, unit="10*9/L") for d, v in sorted(last_of_day.items())),
        day0=day0,
    )
    result = neutrophil_engraftment(series)
    if result.status is not EngraftmentStatus.ENGRAFTED or result.day is None:
        return None
    return EngraftmentMark(EventType.NEUTROPHIL_ENGRAFTMENT, result.day, day0 + dt.timedelta(days=result.day), True)
