"""Outcome data from a registry's CSV (CIBMTR public dataset, EBMT-style export) through a column mapping.

One row per transplant. Each endpoint of the mapping (:mod:`engraft.io.outcome_mapping`) becomes a
time (in the mapping's unit; days when read from dates) and a status (0 censored, k = cause k); each
covariate its label or number. Every refusal names the file, the CSV line (1-based, the header is line
1; a record spanning lines is named by its first line), the column, the value and what was expected;
no row is dropped. The result is a tidy table (Arrow, pandas or polars) for the frame interface
(:func:`engraft.outcomes.kaplan_meier_frame`) and the CSV that ``engraft outcomes ... --csv`` reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from engraft.io.outcome_mapping import CauseColumn, CovariateMapping, EndpointMapping, OutcomeMapping
from engraft.outcomes import OutcomeInputError
from engraft.outcomes.endpoints import Endpoint, convert_time, make_endpoint
from engraft.outcomes.tidy import FrameKind, to_frame
from engraft.vocabulary import TimeUnit

ENCODING: Final = "utf-8-sig"  # tolerates the byte-order mark spreadsheets write
ID_COLUMN: Final = "transplant_id"


@dataclass(frozen=True, slots=True)
class _Cell:
    file: str
    line: int
    column: str

    def refuse(self, text: str, expected: str) -> OutcomeInputError:
        return OutcomeInputError(
            f"{self.file} line {self.line}, column {self.column!r}: got {text!r}; expected {expected}"
        )


@dataclass(frozen=True, slots=True, eq=False)
class ImportedEndpoint:
    """One endpoint of every row: time in ``time_unit``, status 0 (censored) or k (cause ``cause_labels[k-1]``)."""

    name: str
    label: str
    time: np.ndarray[Any, np.dtype[np.float64]]
    status: np.ndarray[Any, np.dtype[np.int64]]
    time_unit: TimeUnit
    cause_labels: tuple[str, ...]

    @property
    def causes(self) -> tuple[int, ...]:
        """The cause codes 1..k."""
        return tuple(range(1, len(self.cause_labels) + 1))


@dataclass(frozen=True, slots=True, eq=False)
class ImportedOutcomes:
    """A registry CSV read through its mapping: ids, endpoints and covariates of every row, in file order."""

    file: str
    mapping: OutcomeMapping
    ids: tuple[str, ...]
    endpoints: dict[str, ImportedEndpoint]
    covariates: dict[str, list[str | float | None]]

    def endpoint(self, name: str, *, time_unit: str | None = None) -> Endpoint:
        """The endpoint ``name`` as the outcome summaries take it (times converted to ``time_unit``)."""
        if name not in self.endpoints:
            raise OutcomeInputError(f"endpoint: got {name!r}; expected one of {sorted(self.endpoints)}")
        ep = self.endpoints[name]
        return make_endpoint(
            name, self.ids, ep.time, ep.status, time_unit=ep.time_unit, output_unit=time_unit, causes=ep.causes
        )

    def to_arrow(self, time_unit: str | None = None) -> pa.Table:
        """One row per transplant: transplant_id, NAME_time and NAME_status per endpoint, then the covariates."""
        columns: dict[str, pa.Array] = {ID_COLUMN: pa.array(self.ids, type=pa.string())}
        for name, ep in self.endpoints.items():
            unit = ep.time_unit if time_unit is None else time_unit
            columns[f"{name}_time"] = pa.array(convert_time(ep.time, ep.time_unit, unit))
            columns[f"{name}_status"] = pa.array(ep.status)
        for name, values in self.covariates.items():
            columns[name] = pa.array(values)
        return pa.table(columns)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS, *, time_unit: str | None = None) -> Any:
        """:meth:`to_arrow` as a pandas or polars frame (or the Arrow table)."""
        return to_frame(self.to_arrow(time_unit), kind)

    def to_csv(self, time_unit: str | None = None) -> str:
        """:meth:`to_arrow` as CSV text (a missing covariate is an empty cell)."""
        table = self.to_arrow(time_unit)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True):
            writer.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
        return buffer.getvalue()


def _records(path: Path) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """(first line of the record, header, cells stripped) for each data record of the CSV."""
    with path.open(newline="", encoding=ENCODING) as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise OutcomeInputError(
                f"{path.name}: got an empty file; expected a header line and one row per transplant"
            )
        previous = reader.line_num
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line is no transplant
            if len(cells) != len(header):
                raise OutcomeInputError(
                    f"{path.name} line {start}: got {len(cells)} cells; expected {len(header)} (one per header column)"
                )
            yield start, header, {h: c.strip() for h, c in zip(header, cells, strict=True)}


def read_registry_csv(path: str | Path, mapping: OutcomeMapping) -> ImportedOutcomes:
    """Read ``path`` through ``mapping``: every row's endpoints and covariates, or the first refusal."""
    p = Path(path)
    reader = _RowReader(p.name, mapping)
    ids: list[str] = []
    seen: dict[str, int] = {}
    times: dict[str, list[float]] = {name: [] for name in mapping.endpoints}
    statuses: dict[str, list[int]] = {name: [] for name in mapping.endpoints}
    covariates: dict[str, list[str | float | None]] = {name: [] for name in mapping.covariates}
    checked = False
    for line, header, row in _records(p):
        if not checked:
            _check_columns(p.name, header, mapping)
            checked = True
        ident = str(line) if mapping.id is None else reader.identifier(line, row, seen)
        ids.append(ident)
        for name, ep in mapping.endpoints.items():
            t, s = reader.endpoint(line, row, ep)
            times[name].append(t)
            statuses[name].append(s)
        for name, cov in mapping.covariates.items():
            covariates[name].append(reader.covariate(line, row, cov))
    if not ids:
        raise OutcomeInputError(f"{p.name}: got no data rows; expected one row per transplant")
    endpoints = {
        name: ImportedEndpoint(
            name=name,
            label=ep.label or name,
            time=np.asarray(times[name], dtype=np.float64),
            status=np.asarray(statuses[name], dtype=np.int64),
            time_unit=TimeUnit.DAYS if ep.end is not None else mapping.unit,
            cause_labels=_cause_labels(ep),
        )
        for name, ep in mapping.endpoints.items()
    }
    return ImportedOutcomes(p.name, mapping, tuple(ids), endpoints, covariates)


def _cause_labels(ep: EndpointMapping) -> tuple[str, ...]:
    if ep.causes is not None:
        return tuple(c.label or c.column for c in ep.causes)
    codes = ep.cause_codes()
    if ep.cause_labels is not None:
        if len(ep.cause_labels) != len(codes):
            raise OutcomeInputError(
                f"mapping cause_labels: got {len(ep.cause_labels)} names; expected {len(codes)} (causes {list(codes)})"
            )
        return ep.cause_labels
    if len(codes) == 1:
        return ("event",)
    return tuple(f"cause {k}" for k in codes)


def _check_columns(file: str, header: list[str], mapping: OutcomeMapping) -> None:
    for column, key in mapping.columns():
        if column not in header:
            raise OutcomeInputError(f"mapping {key}: got {column!r}; expected one of the columns of {file} {header}")
    if mapping.id is None and ID_COLUMN in header:
        raise OutcomeInputError(
            f"mapping id: got none while {file} has a column {ID_COLUMN!r}; expected id = {ID_COLUMN!r} (or rename it)"
        )


class _RowReader:
    """Reads one row's cells as the mapping says, refusing with file, line, column, value and expectation."""

    def __init__(self, file: str, mapping: OutcomeMapping) -> None:
        self.file = file
        self.mapping = mapping
        self.missing = set(mapping.missing)

    def _cell(self, line: int, row: dict[str, str], column: str) -> tuple[_Cell, str]:
        return _Cell(self.file, line, column), row[column]

    def identifier(self, line: int, row: dict[str, str], seen: dict[str, int]) -> str:
        assert self.mapping.id is not None
        cell, text = self._cell(line, row, self.mapping.id)
        if text in self.missing:
            raise cell.refuse(text, "a transplant id")
        if text in seen:
            raise cell.refuse(text, f"one row per transplant (this id is also on line {seen[text]})")
        seen[text] = line
        return text

    def interval(self, line: int, row: dict[str, str], column: str) -> float:
        cell, text = self._cell(line, row, column)
        unit = self.mapping.unit
        try:
            value = float(text)
        except ValueError:
            raise cell.refuse(text, f"a time from transplant in {unit} (a number >= 0)") from None
        if not math.isfinite(value) or value < 0:
            raise cell.refuse(text, f"a time from transplant in {unit} (a number >= 0)")
        return value

    def date(self, line: int, row: dict[str, str], column: str) -> dt.date:
        cell, text = self._cell(line, row, column)
        try:
            return dt.datetime.strptime(text, self.mapping.date_format).date()
        except ValueError:
            raise cell.refuse(text, f"a date written {self.mapping.date_format}") from None

    def days(self, line: int, row: dict[str, str], column: str) -> float:
        assert self.mapping.origin is not None
        origin = self.date(line, row, self.mapping.origin)
        when = self.date(line, row, column)
        if when < origin:
            raise _Cell(self.file, line, column).refuse(
                when.isoformat(), f"a date on or after the transplant ({self.mapping.origin} = {origin.isoformat()})"
            )
        return float((when - origin).days)

    def clock(self, line: int, row: dict[str, str], time: str | None, end: str | None) -> float:
        return self.interval(line, row, time) if time is not None else self.days(line, row, end or "")

    def endpoint(self, line: int, row: dict[str, str], ep: EndpointMapping) -> tuple[float, int]:
        if ep.status is not None:
            cell, text = self._cell(line, row, ep.status)
            codes = ep.status_codes()
            if text not in codes:
                raise cell.refuse(text, f"one of {sorted(codes)} (the mapping's codes)")
            return self.clock(line, row, ep.time, ep.end), codes[text]
        first: tuple[float, int, str] | None = None
        for k, cause in enumerate(ep.causes or (), start=1):
            if not self._occurred(line, row, cause):
                continue
            at = self.clock(line, row, cause.time or (ep.time if cause.date is None else None), cause.date or ep.end)
            if first is not None and at == first[0]:
                raise _Cell(self.file, line, cause.column).refuse(
                    row[cause.column], f"one first event (column {first[2]!r} occurred at the same time, {at:g})"
                )
            if first is None or at < first[0]:
                first = (at, k, cause.column)
        if first is None:
            return self.clock(line, row, ep.time, ep.end), 0
        return first[0], first[1]

    def _occurred(self, line: int, row: dict[str, str], cause: CauseColumn) -> bool:
        cell, text = self._cell(line, row, cause.column)
        if text in cause.yes:
            return True
        if text in cause.no:
            return False
        raise cell.refuse(text, f"one of {[*cause.yes, *cause.no]} (yes: {list(cause.yes)})")

    def covariate(self, line: int, row: dict[str, str], cov: CovariateMapping) -> str | float | None:
        cell, text = self._cell(line, row, cov.column)
        if text in self.missing:
            return None
        if cov.numeric:
            try:
                value = float(text)
            except ValueError:
                raise cell.refuse(text, "a number (or a missing-value text of the mapping)") from None
            if not math.isfinite(value):
                raise cell.refuse(text, "a finite number")
            return value
        if cov.codes is not None:
            if text not in cov.codes:
                raise cell.refuse(text, f"one of the codes {sorted(cov.codes)} (or a missing-value text)")
            return cov.codes[text]
        return text
