"""What every rule kind reads: one episode's results up to ``as_of``, in the one order, as columns.

:class:`EpisodeSeries` sorts the episode's :class:`~engraft.monitoring.columns.ObservationColumns` once by
(observed time, id) (the order :func:`~engraft.monitoring.series.time_order` gives), drops the results observed
after ``as_of``, and computes each result's day from day 0 once. Rule kinds select their codes
(:meth:`EpisodeSeries.rows_of`), convert values once per unit present (:meth:`EpisodeSeries.values_in`) and
compare with NumPy; only the results a finding cites, or a grading function needs, become typed
:class:`~engraft.monitoring.series.MonitoredObservation` objects (:meth:`EpisodeSeries.observation`).
Work several rules share (an episode's daily counts) is kept in :attr:`EpisodeSeries.shared`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.measurements import Analyte, Conversion, ConversionBasis, conversion
from engraft.monitoring.columns import NOT_RECORDED, ObservationColumns, microseconds
from engraft.monitoring.series import EpisodeContext, MonitoredObservation

Rows = npt.NDArray[np.intp]
"""Positions in the series (time order)."""
US_PER_DAY: Final = 86_400_000_000


class EpisodeSeries:
    """An episode's results observed up to ``as_of``, by (observed time, id), with their days from day 0."""

    def __init__(self, context: EpisodeContext, columns: ObservationColumns, as_of: dt.datetime) -> None:
        self.context = context
        self.columns = columns
        kept = np.flatnonzero(columns.observed_us <= microseconds(as_of, "as_of"))
        order = np.lexsort((columns.id[kept], columns.observed_us[kept]))
        self.source_rows = kept[order]
        """Row in ``columns`` of each position."""
        self.id = columns.id[self.source_rows]
        self.observed_us = columns.observed_us[self.source_rows]
        self.recorded_us = columns.recorded_us[self.source_rows]
        self.code = columns.code[self.source_rows]
        self.value = columns.value[self.source_rows]
        self.unit = columns.unit[self.source_rows]
        day0 = microseconds(dt.datetime(context.day0.year, context.day0.month, context.day0.day, tzinfo=dt.UTC))
        self.day = (self.observed_us - day0) // US_PER_DAY
        self._by_code: dict[str, Rows] | None = None
        self._rows: dict[tuple[str, ...], Rows] = {}
        self._typed: dict[int, MonitoredObservation] = {}
        ranks = np.argsort(np.argsort(np.array(columns.units, dtype=str), kind="stable"), kind="stable")
        self.unit_rank = ranks.astype(np.intp)[self.unit] if len(columns.units) else self.unit
        """Each result's unit's rank among the units' codes in text order (to sort by unit as text)."""
        self.shared: dict[object, object] = {}
        """Results several rules of one evaluation reuse (e.g. daily counts), by a key of the kind's choosing."""

    def __len__(self) -> int:
        return len(self.id)

    def rows_of(self, codes: tuple[str, ...]) -> Rows:
        """Positions of the results with one of ``codes``, in series order."""
        found = self._rows.get(codes)
        if found is None:
            by_code = self._group()
            parts = [by_code[c] for c in dict.fromkeys(codes) if c in by_code]
            if not parts:
                found = np.empty(0, dtype=np.intp)
            elif len(parts) == 1:
                found = parts[0]
            else:
                found = np.sort(np.concatenate(parts))
            self._rows[codes] = found
        return found

    def _group(self) -> dict[str, Rows]:
        if self._by_code is None:
            order = np.argsort(self.code, kind="stable")
            bounds = np.searchsorted(self.code[order], np.arange(len(self.columns.codes) + 1))
            self._by_code = {
                code: order[bounds[i] : bounds[i + 1]]
                for i, code in enumerate(self.columns.codes)
                if bounds[i + 1] > bounds[i]
            }
        return self._by_code

    def values_in(
        self,
        rows: Rows,
        to_unit: str,
        analyte: Analyte | None = None,
        basis: ConversionBasis | None = None,
    ) -> npt.NDArray[np.float64]:
        """The values at ``rows`` in ``to_unit``, converted once per unit present (UnitError as ``convert``)."""
        return self.converted(rows, lambda unit: conversion(unit, to_unit, analyte, basis))

    def converted(self, rows: Rows, lookup: Callable[[str], Conversion]) -> npt.NDArray[np.float64]:
        """The values at ``rows``, each unit's through ``lookup(unit)`` (called once per unit present)."""
        units = self.unit[rows]
        values = self.value[rows]
        if not len(rows):
            return values
        present = np.unique(units)
        if len(present) == 1:
            return lookup(self.columns.units[int(present[0])]).apply(values)
        out = np.empty(len(rows), dtype=np.float64)
        for u in present:
            pick = units == u
            out[pick] = lookup(self.columns.units[int(u)]).apply(values[pick])
        return out

    def unit_of(self, position: int) -> str:
        return self.columns.units[int(self.unit[position])]

    def code_of(self, position: int) -> str:
        return self.columns.codes[int(self.code[position])]

    def observation(self, position: int) -> MonitoredObservation:
        """The typed observation at ``position`` (the same object each time)."""
        found = self._typed.get(position)
        if found is None:
            found = self.columns.observation(int(self.source_rows[position]))
            self._typed[position] = found
        return found

    def observations(self, rows: Rows | list[int]) -> list[MonitoredObservation]:
        return [self.observation(int(p)) for p in rows]

    def typed(self, codes: tuple[str, ...]) -> tuple[MonitoredObservation, ...]:
        """Every result with one of ``codes``, typed, in series order (for the kinds that read them one by one)."""
        return tuple(self.observations(self.rows_of(codes)))

    def has_recorded(self, position: int) -> bool:
        return int(self.recorded_us[position]) != NOT_RECORDED


def in_utc(series: EpisodeSeries, rows: Rows) -> bool:
    """Whether the results at ``rows`` are time-stamped in UTC (always so for columns built from rows; typed
    observations keep their own time zone)."""
    source = series.columns.source
    if source is None:
        return True
    zero = dt.timedelta(0)
    return all(source[int(series.source_rows[p])].observed_at.utcoffset() == zero for p in rows.tolist())
