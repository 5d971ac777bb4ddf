"""Neutrophil and platelet engraftment (recovery) day, as the CIBMTR Forms Instruction Manual defines it.

Neutrophils: the first of three consecutive ANC values >= 0.5 x10^9/L obtained on different days,
counted only once the ANC has fallen after the transplant. Platelets: the first of three consecutive
values >= 20 x10^9/L obtained on different days, each with no platelet transfusion in the 7 days up to
it. Consecutive means consecutive *measurements*: values drawn more than a day apart are acceptable as
long as the count stays at or above the threshold (the manual's footnote on non-daily labs), and any
value below the threshold (or, for platelets, given under transfusion cover) breaks the run.

How the rules are read where the manual leaves room (each also in the rule's ``notes``):

* "After the nadir" is read prospectively: counting starts once a post-transplant value (day 0 or
  later) has fallen below the threshold, and the nadir reported is the lowest post-transplant value
  before the first of the three. A fall after recovery does not move the recovery day back (that is
  secondary graft failure, a separate definition), so a later value never changes an earlier day.
* Platelet transfusion window: a transfusion on day t covers days t to t+6, so the first
  transfusion-free day is t+7 (the manual's Form 2100 example: last transfusion on day 0, recovery on
  day 7 although day 6 was already >= 20). Each of the three values must be transfusion-free
  ("all dates should reflect no platelet transfusions for seven consecutive days").
* Platelet counting also starts after a post-transplant platelet transfusion, even if no value was
  below 20 (the manual's "not applicable" option is for no fall below 20 *and* no transfusion).

Time series as a monitoring engine sees them (:mod:`engraft.grading.counts`):

* Gaps in sampling: a day without a value neither counts nor breaks a run (the manual's footnote on
  non-daily labs, quoted for the ANC). The manual says it for neutrophils only; Engraft reads the
  platelet rule the same way, since both are worded "three consecutive laboratory values obtained on
  different days".
* A platelet transfusion given inside a gap between two values of a run breaks the run, even when it
  is more than 6 days before the next value (the count was supported in between; the manual's "all
  dates should reflect no platelet transfusions" read strictly). Engraft's decision, the manual being
  silent on gaps longer than the 7-day window.
* Several values on one day: the lowest counts (the series' :meth:`~CountSeries.daily_lowest`);
  duplicates and out-of-order arrivals therefore never change a result.
* A late nadir (the count dips below the threshold again after recovery) does not move the recovery
  day; the result notes the dip so that a reader can judge whether the true nadir came later or the
  graft is being lost (secondary graft failure, :mod:`engraft.grading.graft_failure`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from numbers import Integral
from typing import Final

from pydantic import Field

from engraft.grading import sources
from engraft.grading.counts import COUNT_UNIT, CountMeasurement, CountSeries
from engraft.grading.rule import GradingRule
from engraft.provenance import FrozenModel, VerificationLevel

ANC_THRESHOLD: Final = 0.5
"""x10^9/L (500/mm3); a value exactly at the threshold counts."""
PLATELET_THRESHOLD: Final = 20.0
"""x10^9/L (20,000/mm3); a value exactly at the threshold counts."""
PLATELET_TRANSFUSION_FREE_DAYS: Final = 7
QUALIFYING_VALUES: Final = 3


class Lineage(StrEnum):
    NEUTROPHIL = "neutrophil"
    PLATELET = "platelet"


class EngraftmentStatus(StrEnum):
    ENGRAFTED = "engrafted"
    NOT_ENGRAFTED = "not engrafted"
    """The count fell (or platelets were transfused) after day 0, but three qualifying values have not followed."""
    NOT_APPLICABLE = "not applicable"
    """The count never fell below the threshold after day 0 (and, for platelets, no transfusion was given)."""


NEUTROPHIL_RULE: Final = GradingRule(
    name="neutrophil (ANC) recovery",
    version="CIBMTR Forms Instruction Manual",
    statement=(
        "Date of the first of three consecutive ANC values >= 0.5 x10^9/L obtained on different days, "
        "counting only after the ANC has fallen to its post-transplant nadir."
    ),
    citations=(sources.CIBMTR_FIM_ANC_RECOVERY, sources.VALCARCEL_2024),
    verification=VerificationLevel.PRIMARY,
    notes=(
        "Nadir read prospectively: counting starts after the first post-transplant value below 0.5; a later "
        "fall does not move the recovery day.",
        "Values more than a day apart count when no value in between is below 0.5 (manual's footnote).",
        "An automated ANC of exactly 0.5 counts; the manual asks for the manual differential in that case.",
        "Day 0 counts as post-transplant.",
        "Several values on one day: the lowest counts (Engraft's reading; the manual is silent).",
    ),
)

PLATELET_RULE: Final = GradingRule(
    name="platelet recovery (>= 20 x10^9/L)",
    version="CIBMTR Forms Instruction Manual",
    statement=(
        "Date of the first of three consecutive platelet counts >= 20 x10^9/L obtained on different days, "
        "with no platelet transfusion in the 7 days up to each of them."
    ),
    citations=(
        sources.CIBMTR_FIM_PLATELET_RECOVERY,
        sources.CIBMTR_FIM_FORM_2100_PLATELETS,
        sources.VALCARCEL_2024,
    ),
    verification=VerificationLevel.PRIMARY,
    notes=(
        "A transfusion on day t covers days t to t+6 (Form 2100 example: transfusion day 0, recovery day 7).",
        "Counting starts after the first post-transplant value below 20 or platelet transfusion; 'not "
        "applicable' when neither happened (the manual's option, 100-day form).",
        "Values more than a day apart count as for the ANC (the manual's footnote is quoted for the ANC only).",
        "A transfusion between two values of a run breaks it, even in a gap longer than 7 days (Engraft's reading).",
        "Several values on one day: the lowest counts (Engraft's reading; the manual is silent).",
    ),
)


class EngraftmentResult(FrozenModel):
    """Recovery day of one lineage, with the values it rests on and the rule applied."""

    lineage: Lineage
    status: EngraftmentStatus
    day: int | None = Field(description="Days from day 0 of the first qualifying value; None unless engrafted.")
    date: dt.date | None = Field(default=None, description="Calendar date of ``day`` when the series has day0.")
    qualifying: tuple[CountMeasurement, ...] = Field(description="The three qualifying values (empty if none).")
    nadir: CountMeasurement | None = Field(
        description="Lowest post-transplant value before the first qualifying one (or before the end of the series)."
    )
    threshold: float = Field(description=f"In {COUNT_UNIT}.")
    transfusion_days: tuple[int, ...] = Field(default=(), description="Platelet transfusion days considered.")
    pending: tuple[CountMeasurement, ...] = Field(
        default=(),
        description="Not engrafted yet: the values at or above the threshold at the end of the series that "
        "could start the recovery if the next ones qualify (fewer than three).",
    )
    later_fall: CountMeasurement | None = Field(
        default=None, description="Engrafted: the first later value below the threshold (a dip after recovery)."
    )
    rule: GradingRule
    notes: tuple[str, ...] = ()


def neutrophil_engraftment(series: CountSeries) -> EngraftmentResult:
    """Neutrophil recovery day of ``series`` (absolute neutrophil counts)."""
    return _recovery(series, Lineage.NEUTROPHIL, ANC_THRESHOLD, (), NEUTROPHIL_RULE)


def platelet_engraftment(series: CountSeries, transfusion_days: Iterable[int] = ()) -> EngraftmentResult:
    """Platelet recovery day of ``series``, given the days (from day 0) platelets were transfused."""
    days = tuple(sorted({_day(day) for day in transfusion_days}))
    return _recovery(series, Lineage.PLATELET, PLATELET_THRESHOLD, days, PLATELET_RULE)


def _day(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"transfusion_days: {value!r} is not a day; expected whole days from day 0 (integers)")
    return int(value)


def _recovery(
    series: CountSeries, lineage: Lineage, threshold: float, transfusions: tuple[int, ...], rule: GradingRule
) -> EngraftmentResult:
    post = [m for m in series.daily_lowest() if m.day >= 0]
    started = False
    run: list[CountMeasurement] = []
    for m in post:
        if any(0 <= t <= m.day for t in transfusions):
            started = True
        covered = any(0 <= m.day - t < PLATELET_TRANSFUSION_FREE_DAYS for t in transfusions)
        if run and any(run[-1].day < t <= m.day for t in transfusions):
            run = []
        if m.count < threshold:
            started = True
        if m.count < threshold or covered or not started:
            run = []
            continue
        run.append(m)
        if len(run) == QUALIFYING_VALUES:
            break
    engrafted = len(run) == QUALIFYING_VALUES
    first = run[0].day if engrafted else None
    before = [m for m in post if first is None or m.day < first]
    nadir = min(before, key=lambda m: (m.count, m.day)) if before else None
    if engrafted:
        status = EngraftmentStatus.ENGRAFTED
    elif started:
        status = EngraftmentStatus.NOT_ENGRAFTED
    else:
        status = EngraftmentStatus.NOT_APPLICABLE
    qualifying = tuple(run) if engrafted else ()
    later_fall = None
    if engrafted:
        later_fall = next((m for m in post if m.day > run[-1].day and m.count < threshold), None)
    return EngraftmentResult(
        lineage=lineage,
        status=status,
        day=first,
        date=None if first is None else series.date_of(first),
        qualifying=qualifying,
        nadir=nadir,
        threshold=threshold,
        transfusion_days=transfusions,
        pending=() if engrafted or status is EngraftmentStatus.NOT_APPLICABLE else tuple(run),
        later_fall=later_fall,
        rule=rule,
        notes=_notes(lineage, qualifying, threshold, series, later_fall),
    )


def _notes(
    lineage: Lineage,
    qualifying: tuple[CountMeasurement, ...],
    threshold: float,
    series: CountSeries,
    later_fall: CountMeasurement | None,
) -> tuple[str, ...]:
    notes = []
    if lineage is Lineage.NEUTROPHIL and any(m.count == threshold for m in qualifying):
        notes.append("a qualifying ANC is exactly 0.5 x10^9/L: check it against the manual differential if automated")
    if qualifying and qualifying[-1].day - qualifying[0].day > len(qualifying) - 1:
        notes.append("the qualifying values are not on consecutive days (accepted: no value in between was below)")
    repeated = [day for day in series.repeated_days() if day >= 0]
    if repeated:
        days = ", ".join(str(day) for day in repeated)
        notes.append(f"several values on day(s) {days}: the lowest of each day was counted")
    if later_fall is not None:
        notes.append(
            f"the count fell below the threshold again on day {later_fall.day} after recovery: the recovery day "
            "is kept; check whether the nadir came later or the graft is being lost (secondary graft failure)"
        )
    return tuple(notes)
