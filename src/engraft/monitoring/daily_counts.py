"""An episode's blood counts by day, as the engraftment and graft-failure rule kinds read them, built once.

The rules hand the grading (:class:`engraft.grading.CountSeries`) every count converted to 10^9/L, and it reads
the series through two questions only: the lowest count of each day
(:meth:`~engraft.grading.CountSeries.daily_lowest`) and which days have more than one distinct count
(:meth:`~engraft.grading.CountSeries.repeated_days`).
:func:`daily_counts` answers them with NumPy over the episode's columns and hands the grading a series of the
day's lowest value and, on a day with several, one other distinct value: the same answers to both questions,
so the same results, from about one typed count a day instead of one per result. A negative count makes it
build the full series the old way, which raises the grading's own error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.grading import (
    COUNT_UNIT,
    CountMeasurement,
    CountSeries,
    EngraftmentResult,
    Lineage,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.measurements import convert
from engraft.monitoring.episode_series import EpisodeSeries, Rows


@dataclass(frozen=True, slots=True)
class DailyCounts:
    """One lineage's counts in an episode: the grading's series and where each count is in the episode."""

    series: CountSeries
    rows: Rows
    """Positions of the counts in the episode series (series order, which is also day order)."""
    days: npt.NDArray[np.int64]
    counts: npt.NDArray[np.float64]
    """In 10^9/L."""

    def lowest_row(self, day: int, series: EpisodeSeries) -> int:
        """The position of the day's lowest count (lowest id among equal counts, first in series order)."""
        on_day = self.rows[self.days == day]
        counts = self.counts[self.days == day]
        order = np.lexsort((series.id[on_day], counts))
        return int(on_day[order[0]])

    def rows_on(self, days: set[int] | list[int]) -> Rows:
        """Positions of every count on ``days`` (by day, then series order)."""
        return self.rows[np.isin(self.days, list(days))]


def daily_counts(series: EpisodeSeries, codes: tuple[str, ...]) -> DailyCounts:
    """The counts of ``codes`` in ``series`` (shared by the rules of one evaluation)."""
    key = ("daily counts", codes)
    found = series.shared.get(key)
    if found is None:
        found = _build(series, codes)
        series.shared[key] = found
    assert isinstance(found, DailyCounts)
    return found


def recovery(series: EpisodeSeries, lineage: Lineage, codes: tuple[str, ...]) -> EngraftmentResult | None:
    """The lineage's recovery from the counts of ``codes`` (shared by the engraftment and graft-failure rules of one
    evaluation); ``None`` for platelets when the episode has no platelet transfusion record."""
    key = ("recovery", lineage, codes)
    if key not in series.shared:
        counts = daily_counts(series, codes).series
        transfusions = series.context.platelet_transfusion_days
        if lineage is Lineage.NEUTROPHIL:
            series.shared[key] = neutrophil_engraftment(counts)
        else:
            series.shared[key] = None if transfusions is None else platelet_engraftment(counts, transfusions)
    found = series.shared[key]
    assert found is None or isinstance(found, EngraftmentResult)
    return found


def _build(series: EpisodeSeries, codes: tuple[str, ...]) -> DailyCounts:
    rows = series.rows_of(codes)
    days = series.day[rows]
    counts = series.values_in(rows, COUNT_UNIT)  # UnitError for a unit that is not a count, as convert raises
    if (counts < 0).any() or not len(rows):
        return DailyCounts(_full(series, rows), rows, days, counts)
    order = np.lexsort((counts, days))  # the grading's canonical order: (day, count); every unit is 10*9/L
    d, c = days[order], counts[order]
    distinct = order[np.concatenate(([True], (d[1:] != d[:-1]) | (c[1:] != c[:-1])))]
    distinct_days = days[distinct]
    n = len(distinct)
    new_day = np.concatenate(([True], distinct_days[1:] != distinct_days[:-1]))
    starts = np.maximum.accumulate(np.where(new_day, np.arange(n), 0))
    kept = distinct[np.arange(n) - starts < 2]  # the day's lowest, and one other distinct value if any
    measurements = tuple(
        CountMeasurement(day=day, value=count, unit=COUNT_UNIT)
        for day, count in zip(days[kept].tolist(), counts[kept].tolist(), strict=True)
    )
    # already in the canonical order, without duplicates: what the series' validator would make of them
    count_series = CountSeries.model_construct(measurements=measurements, day0=series.context.day0)
    return DailyCounts(count_series, rows, days, counts)


def _full(series: EpisodeSeries, rows: Rows) -> CountSeries:
    """Every count typed, as before the columns (raises the grading's error for a count it refuses)."""
    measurements = []
    for position in rows.tolist():
        o = series.observation(position)
        measurements.append(
            CountMeasurement(day=int(series.day[position]), value=convert(o.value, o.unit, COUNT_UNIT), unit=COUNT_UNIT)
        )
    return CountSeries(measurements=tuple(measurements), day0=series.context.day0)
