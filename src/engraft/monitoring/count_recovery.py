"""Neutrophil and platelet recovery read off the day grid with NumPy: an evaluation strategy, not a definition.

The clinical definitions are :func:`engraft.grading.neutrophil_engraftment` and
:func:`engraft.grading.platelet_engraftment` (CIBMTR Forms Instruction Manual, cited there). They walk a typed
:class:`~engraft.grading.CountSeries` day by day. :func:`recovery_on_grid` gives the very same
:class:`~engraft.grading.EngraftmentResult` (status, day, date, the three qualifying values, nadir, pending run,
later fall, transfusion days, rule and notes) from the lineage's lowest count of each day as arrays, so the
monitoring engine types only the handful of counts the result names instead of one count a day:

* ``started``: a cumulative OR of "below the threshold" and "a platelet transfusion on a day from 0 up to this
  one" (the grading sets it before judging the day);
* ``covered``: a transfusion in the 7 days up to the day, counted with ``searchsorted`` on the sorted transfusion
  days; a transfusion after the previous value and up to this one breaks a run (counted the same way);
* runs: a day qualifies when its lowest count is at or above the threshold, not covered and counting has
  started; a run restarts where the day before did not qualify or a transfusion came in between; the recovery
  is the first day of the first run that reaches three values (``maximum.accumulate`` of the run starts).

Equality with the grading functions is a tested property (``tests/monitoring/test_count_recovery.py``:
Hypothesis-generated series with gaps, repeats, late nadirs, transfusions inside and around the window), and the
engine's outputs are compared with the engine before the columns (``tests/monitoring/reference_engine``).
A change to a definition in :mod:`engraft.grading.engraftment` must be mirrored here; those tests fail until it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.grading import COUNT_UNIT, CountMeasurement, EngraftmentResult, EngraftmentStatus, Lineage
from engraft.grading.engraftment import (
    ANC_THRESHOLD,
    NEUTROPHIL_RULE,
    PLATELET_RULE,
    PLATELET_THRESHOLD,
    PLATELET_TRANSFUSION_FREE_DAYS,
    QUALIFYING_VALUES,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_EXACT_ANC_NOTE: Final = (
    "a qualifying ANC is exactly 0.5 x10^9/L: check it against the manual differential if automated"
)
_GAP_NOTE: Final = "the qualifying values are not on consecutive days (accepted: no value in between was below)"


def recovery_on_grid(
    lineage: Lineage,
    days: IntArray,
    lowest: FloatArray,
    repeated_days: Iterable[int],
    transfusion_days: Iterable[int],
    day0: dt.date | None,
) -> EngraftmentResult:
    """The lineage's recovery, equal to the grading function's on the series these arrays describe.

    ``days`` (strictly increasing) and ``lowest`` are the lowest count of each day in 10^9/L (every day with a
    count, before day 0 too); ``repeated_days`` the days with more than one distinct count; ``transfusion_days``
    the platelet transfusion days (ignored for neutrophils, as :func:`~engraft.grading.neutrophil_engraftment`
    takes none); ``day0`` the series' date of day 0.
    """
    given: tuple[int, ...] = ()
    if lineage is Lineage.NEUTROPHIL:
        threshold, rule = ANC_THRESHOLD, NEUTROPHIL_RULE
    else:
        threshold, rule, given = PLATELET_THRESHOLD, PLATELET_RULE, tuple(sorted(set(transfusion_days)))
    post = days >= 0
    d, c = days[post], lowest[post]
    n = len(d)
    below = c < threshold
    started_by = below
    covered = np.zeros(n, dtype=bool)
    breaks = np.zeros(n, dtype=bool)
    if given and n:
        t = np.asarray(given, dtype=np.int64)
        up_to = np.searchsorted(t, d, side="right")  # transfusions on or before each day
        covered = up_to - np.searchsorted(t, d - PLATELET_TRANSFUSION_FREE_DAYS, side="right") > 0
        breaks[1:] = up_to[1:] - up_to[:-1] > 0  # one after the previous value, up to this one
        first_post = t[t >= 0]
        if len(first_post):
            started_by = below | (d >= first_post[0])
    started = np.logical_or.accumulate(started_by) if n else started_by
    good = ~below & ~covered & started
    index = np.arange(n)
    run_start = good.copy()
    run_start[1:] &= ~good[:-1] | breaks[1:]
    start_of = np.maximum.accumulate(np.where(run_start, index, 0)) if n else index
    complete = np.flatnonzero(good & (index - start_of == QUALIFYING_VALUES - 1))

    def measured(i: int) -> CountMeasurement:
        return CountMeasurement.model_construct(day=int(d[i]), value=float(c[i]), unit=COUNT_UNIT)

    if len(complete):
        last = int(complete[0])
        run = range(last - QUALIFYING_VALUES + 1, last + 1)
        status = EngraftmentStatus.ENGRAFTED
        qualifying = tuple(measured(i) for i in run)
        nadir_in = run.start
        falls = np.flatnonzero(below[last + 1 :])
        later_fall = measured(last + 1 + int(falls[0])) if len(falls) else None
        pending: tuple[CountMeasurement, ...] = ()
    else:
        status = EngraftmentStatus.NOT_ENGRAFTED if n and started[-1] else EngraftmentStatus.NOT_APPLICABLE
        qualifying = ()
        nadir_in = n
        later_fall = None
        trailing = n and good[-1] and status is EngraftmentStatus.NOT_ENGRAFTED
        pending = tuple(measured(i) for i in range(int(start_of[-1]), n)) if trailing else ()
    nadir = measured(int(np.argmin(c[:nadir_in]))) if nadir_in else None
    first = qualifying[0].day if qualifying else None
    return EngraftmentResult(
        lineage=lineage,
        status=status,
        day=first,
        date=None if first is None or day0 is None else day0 + dt.timedelta(days=first),
        qualifying=qualifying,
        nadir=nadir,
        threshold=threshold,
        transfusion_days=given,
        pending=pending,
        later_fall=later_fall,
        rule=rule,
        notes=_notes(lineage, qualifying, threshold, repeated_days, later_fall),
    )


def _notes(
    lineage: Lineage,
    qualifying: tuple[CountMeasurement, ...],
    threshold: float,
    repeated_days: Iterable[int],
    later_fall: CountMeasurement | None,
) -> tuple[str, ...]:
    """The notes :mod:`engraft.grading.engraftment` adds, in its order and words."""
    notes = []
    if lineage is Lineage.NEUTROPHIL and any(m.value == threshold for m in qualifying):
        notes.append(_EXACT_ANC_NOTE)
    if qualifying and qualifying[-1].day - qualifying[0].day > len(qualifying) - 1:
        notes.append(_GAP_NOTE)
    repeated = sorted(day for day in repeated_days if day >= 0)
    if repeated:
        notes.append(
            f"several values on day(s) {', '.join(str(day) for day in repeated)}: the lowest of each day was counted"
        )
    if later_fall is not None:
        notes.append(
            f"the count fell below the threshold again on day {later_fall.day} after recovery: the recovery day "
            "is kept; check whether the nadir came later or the graft is being lost (secondary graft failure)"
        )
    return tuple(notes)
