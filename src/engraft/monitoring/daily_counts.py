"""An episode's blood counts by day, as the engraftment and graft-failure rule kinds read them, built once.

The grading (:class:`engraft.grading.CountSeries`) reads a count series through two questions only: the lowest
count of each day (:meth:`~engraft.grading.CountSeries.daily_lowest`) and which days have more than one distinct
count (:meth:`~engraft.grading.CountSeries.repeated_days`). :func:`daily_counts` answers both with NumPy over the
episode's columns (every count converted to 10^9/L): the day grid (:attr:`DailyCounts.days_with_counts`,
:attr:`DailyCounts.lowest`) and :attr:`DailyCounts.repeated`. :func:`recovery` reads the recovery off that grid
(:func:`engraft.monitoring.count_recovery.recovery_on_grid`, equal to the grading functions); the typed series
(:attr:`DailyCounts.series`: the day's lowest value and, on a day with several, one other distinct value, the same
answers to both questions) is built only when a grading function is called on it. A negative count makes it build
the full series the old way at once, which raises the grading's own error.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engraft.grading import (
    COUNT_UNIT,
    CountMeasurement,
    CountSeries,
    EngraftmentResult,
    Lineage,
)
from engraft.measurements import convert
from engraft.monitoring.count_recovery import recovery_on_grid
from engraft.monitoring.episode_series import EpisodeSeries, Rows

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class DailyCounts:
    """One lineage's counts in an episode: the day grid, where each count is in the episode, the typed series."""

    __slots__ = ("_kept", "_series", "counts", "day0", "days", "days_with_counts", "lowest", "repeated", "rows")

    def __init__(
        self,
        series: EpisodeSeries,
        rows: Rows,
        counts: FloatArray,
        kept: IntArray,
    ) -> None:
        self.rows = rows
        """Positions of the counts in the episode series (series order, which is also day order)."""
        self.days: IntArray = series.day[rows]
        self.counts = counts
        """In 10^9/L."""
        self.day0 = series.context.day0
        self._kept = kept
        """Indexes (into ``rows``) of the typed series' counts, in its canonical order (day, count)."""
        self._series: CountSeries | None = None
        kept_days = self.days[kept]
        first_of_day = np.ones(len(kept), dtype=bool)
        first_of_day[1:] = kept_days[1:] != kept_days[:-1]
        self.days_with_counts: IntArray = kept_days[first_of_day]
        """Every day with a count, in order."""
        self.lowest: FloatArray = counts[kept][first_of_day]
        """The lowest count of each of :attr:`days_with_counts`."""
        self.repeated: list[int] = kept_days[~first_of_day].tolist()
        """The days with more than one distinct count, in order."""

    @property
    def series(self) -> CountSeries:
        """The grading's series (built on first use)."""
        if self._series is None:
            measurements = tuple(
                CountMeasurement(day=day, value=count, unit=COUNT_UNIT)
                for day, count in zip(self.days[self._kept].tolist(), self.counts[self._kept].tolist(), strict=True)
            )
            # already in the canonical order, without duplicates: what the series' validator would make of them
            self._series = CountSeries.model_construct(measurements=measurements, day0=self.day0)
        return self._series

    def lowest_row(self, day: int, series: EpisodeSeries) -> int:
        """The position of the day's lowest count (lowest id among equal counts, first in series order)."""
        on_day = self.rows[self.days == day]
        counts = self.counts[self.days == day]
        order = np.lexsort((series.id[on_day], counts))
        return int(on_day[order[0]])

    def rows_on(self, days: set[int] | list[int]) -> Rows:
        """Positions of every count on ``days`` (by day, then series order)."""
        return self.rows[np.isin(self.days, list(days))]

    def recovery(self, lineage: Lineage, transfusion_days: tuple[int, ...], up_to_day: int | None) -> EngraftmentResult:
        """The lineage's recovery from the counts up to ``up_to_day`` (all when ``None``), as the grading function
        gives it on :attr:`series` (cut at that day)."""
        days, lowest, repeated = self.days_with_counts, self.lowest, self.repeated
        if up_to_day is not None and len(days) and days[-1] > up_to_day:
            known = days <= up_to_day
            days, lowest, repeated = days[known], lowest[known], [d for d in repeated if d <= up_to_day]
        return recovery_on_grid(lineage, days, lowest, repeated, transfusion_days, self.day0)


def daily_counts(series: EpisodeSeries, codes: tuple[str, ...]) -> DailyCounts:
    """The counts of ``codes`` in ``series`` (shared by the rules of one evaluation)."""
    key = ("daily counts", codes)
    found = series.shared.get(key)
    if found is None:
        found = _build(series, codes)
        series.shared[key] = found
    assert isinstance(found, DailyCounts)
    return found


def recovery(
    series: EpisodeSeries, lineage: Lineage, codes: tuple[str, ...], up_to_day: int | None = None
) -> EngraftmentResult | None:
    """The lineage's recovery from the counts of ``codes`` up to ``up_to_day`` (shared by the engraftment and
    graft-failure rules of one evaluation): :func:`engraft.grading.neutrophil_engraftment` or
    :func:`engraft.grading.platelet_engraftment` (with the episode's platelet transfusion days) as they would find
    it; ``None`` for platelets when the episode has no platelet transfusion record."""
    counts = daily_counts(series, codes)
    if up_to_day is not None and (not len(counts.days) or counts.days[-1] <= up_to_day):
        up_to_day = None  # nothing to cut: the same result as the whole series'
    key = ("recovery", lineage, codes, up_to_day)
    if key not in series.shared:
        transfusions = series.context.platelet_transfusion_days
        if lineage is Lineage.NEUTROPHIL:
            series.shared[key] = counts.recovery(lineage, (), up_to_day)
        else:
            series.shared[key] = None if transfusions is None else counts.recovery(lineage, transfusions, up_to_day)
    found = series.shared[key]
    assert found is None or isinstance(found, EngraftmentResult)
    return found


def _build(series: EpisodeSeries, codes: tuple[str, ...]) -> DailyCounts:
    rows = series.rows_of(codes)
    days = series.day[rows]
    counts = series.values_in(rows, COUNT_UNIT)  # UnitError for a unit that is not a count, as convert raises
    if (counts < 0).any():
        _full(series, rows)  # raises the grading's error for a negative count
    order = np.lexsort((counts, days))  # the grading's canonical order: (day, count); every unit is 10*9/L
    d, c = days[order], counts[order]
    distinct = order[np.concatenate(([True], (d[1:] != d[:-1]) | (c[1:] != c[:-1])))] if len(rows) else order
    distinct_days = days[distinct]
    n = len(distinct)
    new_day = np.concatenate(([True], distinct_days[1:] != distinct_days[:-1])) if n else np.ones(0, dtype=bool)
    starts = np.maximum.accumulate(np.where(new_day, np.arange(n), 0)) if n else np.zeros(0, dtype=np.intp)
    kept = distinct[np.arange(n) - starts < 2]  # the day's lowest, and one other distinct value if any
    return DailyCounts(series, rows, counts, kept)


def _full(series: EpisodeSeries, rows: Rows) -> CountSeries:
    """Every count typed, as before the columns (raises the grading's error for a count it refuses)."""
    measurements = []
    for position in rows.tolist():
        o = series.observation(position)
        measurements.append(
            CountMeasurement(day=int(series.day[position]), value=convert(o.value, o.unit, COUNT_UNIT), unit=COUNT_UNIT)
        )
    return CountSeries(measurements=tuple(measurements), day0=series.context.day0)
