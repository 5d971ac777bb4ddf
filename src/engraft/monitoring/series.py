"""What the monitoring engine reads: one episode's context and its observations, in time order.

Observations carry their LOINC code, value and UCUM unit as stored; the engine converts through
:mod:`engraft.measurements` and never guesses a unit. Days are counted from day 0 on the UTC calendar date
of ``observed_at`` (the registry stores UTC).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Final

from pydantic import Field, field_validator

from engraft.grading.engraftment import Lineage
from engraft.measurements import Quantity
from engraft.provenance import FrozenModel
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType

ANC_CODES: Final = ("751-8", "753-4", "26499-4")
"""LOINC codes of an absolute neutrophil count the rules read (automated, manual, and in blood by count)."""
PLATELET_CODES: Final = ("777-3", "778-1", "26515-7")
"""LOINC codes of a platelet count the rules read."""


class MonitoredObservation(FrozenModel):
    """One stored result: its registry id, when it was taken and when it reached the registry."""

    id: int = Field(ge=1, strict=True)
    observed_at: dt.datetime
    recorded_at: dt.datetime | None = Field(
        default=None, description="When the result was stored; None: judged by the newest rule set."
    )
    loinc: str
    value: float
    unit: str

    @field_validator("observed_at", "recorded_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; expected an aware datetime")
        return value

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"value={value} is not a finite number")
        return value

    @property
    def quantity(self) -> Quantity:
        """The value with its unit, for the grading rules."""
        return Quantity(value=self.value, unit=self.unit)

    @property
    def result_time(self) -> dt.datetime:
        """When the result became known: ``recorded_at``, else ``observed_at``."""
        return self.recorded_at or self.observed_at


def time_order(observations: Iterable[MonitoredObservation]) -> tuple[MonitoredObservation, ...]:
    """Observations by (observed_at, id): the one order every rule reads, whatever the arrival order."""
    return tuple(sorted(observations, key=lambda o: (o.observed_at, o.id)))


class EpisodeContext(FrozenModel):
    """The facts about a transplant episode the rules ask about."""

    patient_id: int = Field(ge=1, strict=True)
    episode_id: int = Field(ge=1, strict=True)
    day0: dt.date
    age_at_day0: int | None = Field(default=None, ge=0, le=130, description="Whole years; None when unknown.")
    graft_source: GraftSource | None = None
    transplant_type: TransplantType | None = None
    cell_therapy: CellTherapy = Field(
        default=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT,
        description="What day 0 infused (the registry always records it; a haematopoietic cell transplant unless "
        "it says immune effector cells).",
    )
    platelet_transfusion_days: tuple[int, ...] | None = Field(
        default=None,
        description="Days (from day 0) platelets were transfused; None when the registry holds no transfusion "
        "record (platelet engraftment is then not asserted).",
    )
    red_cell_transfusion_days: tuple[int, ...] = Field(
        default=(), description="Days (from day 0) red cells were transfused (secondary graft failure support)."
    )
    recorded_neutrophil_engraftment_day: int | None = Field(
        default=None,
        description="Day (from day 0) of the neutrophil engraftment the registry records for the episode, entered "
        "or imported (not one the monitoring derived); None when none is recorded.",
    )
    recorded_platelet_engraftment_day: int | None = Field(
        default=None,
        description="Day (from day 0) of the platelet engraftment the registry records, entered or imported; None "
        "when none is recorded.",
    )

    def recorded_engraftment_day(self, lineage: Lineage) -> int | None:
        """The day the registry records the lineage's engraftment (entered or imported), or ``None``."""
        if lineage is Lineage.NEUTROPHIL:
            return self.recorded_neutrophil_engraftment_day
        return self.recorded_platelet_engraftment_day

    def day_of(self, moment: dt.datetime) -> int:
        """Days from day 0 to the UTC calendar date of ``moment``."""
        return (moment.astimezone(dt.UTC).date() - self.day0).days

    def start_of_day(self, day: int) -> dt.datetime:
        """00:00 UTC of ``day`` (from day 0)."""
        date = self.day0 + dt.timedelta(days=day)
        return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def age_in_years(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on``."""
    years = on.year - birth_date.year
    return years - 1 if (on.month, on.day) < (birth_date.month, birth_date.day) else years
