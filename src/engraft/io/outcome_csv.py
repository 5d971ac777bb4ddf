"""Outcome data in CSV files: one-row-per-transplant inputs for the analyses, and their tables out.

Readers turn a CSV into the plain columns the pure core analyses (:mod:`engraft.outcomes`): an
endpoint (time and status columns with an explicit unit), group labels, benchmarking covariates,
the activity survey's fields. Rows that cannot be read are refused with the file, line, column and
value rather than dropped. Writers render the typed results as CSV text (curves, centre benchmark,
activity tables); an undefined number is an empty cell.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.activity import COLUMNS, ActivityReport
from engraft.outcomes.benchmark_report import BenchmarkReport, CentreRow
from engraft.outcomes.endpoints import Endpoint, make_endpoint
from engraft.outcomes.results import CurvePoint

ENCODING: Final = "utf-8-sig"  # tolerates the byte-order mark spreadsheets write
MISSING_GROUP: Final = "missing"
ACTIVITY_COLUMNS: Final = (
    "centre",
    "year",
    "transplant_type",
    "donor_relation",
    "graft_source",
    "icd10",
    "sequence_number",
)


class ActivityTable(StrEnum):
    """The two tables of the activity report."""

    BY_YEAR = "by_year"
    BY_INDICATION = "by_indication"


def _read(path: Path, required: Iterable[tuple[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (cells stripped) of ``path``; each (column, option) of ``required`` must be present."""
    with path.open(newline="", encoding=ENCODING) as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        for column, role in required:
            if column not in header:
                raise OutcomeInputError(f"{role}: got {column!r}; expected one of the CSV columns {header}")
        rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    return header, rows


def _number(text: str, file: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OutcomeInputError(f"{file} line {line}, {column}: got {text!r}; expected a number") from None
    if not math.isfinite(value):
        raise OutcomeInputError(f"{file} line {line}, {column}: got {text!r}; expected a finite number")
    return value


def _integer(text: str, file: str, line: int, column: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OutcomeInputError(f"{file} line {line}, {column}: got {text!r}; expected a whole number") from None


ROW_NUMBERS: Final = "line"
"""Without its id column, a CSV's rows are identified by their line numbers (1-based, the header is line 1)."""
_INDEXED: Final = re.compile(r"^(?P<column>.+?)\[(?P<index>\d+)\]: (?P<rest>.*)$", re.DOTALL)


def _ids(header: list[str], rows: list[dict[str, str]], id_column: str, file: str) -> list[str]:
    """The id of each row: its ``id_column`` (checked present and unique), or its line number without one."""
    if id_column not in header:
        return [str(line) for line in range(2, len(rows) + 2)]
    ids: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        ident = row[id_column]
        if not ident:
            raise OutcomeInputError(f"{file} line {line}, {id_column}: got an empty value; expected an id")
        if ident in seen:
            raise OutcomeInputError(
                f"{file} line {line}, {id_column}: got {ident!r} again (first on line {seen[ident]});"
                " expected one row per transplant"
            )
        seen[ident] = line
        ids.append(ident)
    return ids


def read_endpoint_csv(
    path: str | Path,
    *,
    name: str,
    time_column: str,
    status_column: str,
    time_unit: str,
    id_column: str = "transplant_id",
    output_unit: str | None = None,
    censor_code: int = 0,
    causes: Sequence[int] | None = (1,),
) -> Endpoint:
    """Read one endpoint from a CSV with one row per transplant.

    ``time_unit`` is the unit of ``time_column`` in the file; ``output_unit`` (default: the same)
    is the unit of the returned endpoint. ``status_column`` must hold ``censor_code`` or one of
    ``causes`` (e.g. 0 = alive, 1 = dead for overall survival; 0/1/2 for relapse vs NRM; None: every
    other code found, e.g. the six causes of the EBMT data). Without ``id_column`` in the file the rows
    are identified by their line numbers. A refused value is named by its line (1-based, the header is
    line 1) and column.
    """
    p = Path(path)
    header, rows = _read(p, ((time_column, "time_column"), (status_column, "status_column")))
    if not rows:
        raise OutcomeInputError(f"{p.name}: got no data rows; expected one row per transplant")
    ids = _ids(header, rows, id_column, p.name)
    times = [_number(row[time_column], p.name, line, time_column) for line, row in enumerate(rows, start=2)]
    statuses = [_number(row[status_column], p.name, line, status_column) for line, row in enumerate(rows, start=2)]
    if causes is None:
        causes = sorted({int(v) for v in statuses if v == int(v) and int(v) != censor_code}) or [censor_code + 1]
    try:
        return make_endpoint(
            name,
            ids,
            times,
            statuses,
            time_unit=time_unit,
            output_unit=output_unit,
            censor_code=censor_code,
            causes=causes,
            time_field=time_column,
            status_field=status_column,
        )
    except OutcomeInputError as exc:
        found = _INDEXED.match(str(exc))
        if found is None or found["column"] not in (time_column, status_column):
            raise
        line = int(found["index"]) + 2
        raise OutcomeInputError(f"{p.name} line {line}, {found['column']}: {found['rest']}") from exc


def read_columns(
    path: str | Path, id_column: str, columns: Sequence[tuple[str, str]], ids: Sequence[str]
) -> dict[str, list[str]]:
    """The text of each (column, option naming it) of ``columns`` for each id of ``ids``, in that order."""
    header, rows = _read(Path(path), list(columns))
    keys = _ids(header, rows, id_column, Path(path).name)
    by_id = dict(zip(keys, rows, strict=True))
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise OutcomeInputError(f"{id_column}: got no row for {missing[:5]}; expected one row per transplant")
    return {c: [by_id[i][c] for i in ids] for c, _ in columns}


def read_group_labels(path: str | Path, id_column: str, column: str, ids: Sequence[str]) -> NDArray[np.str_]:
    """Group labels of ``column`` for each id (a blank cell is the group "missing")."""
    text = read_columns(path, id_column, [(column, "group_column")], ids)[column]
    return np.asarray([t or MISSING_GROUP for t in text], dtype=np.str_)


def covariate_values(values: Sequence[str]) -> NDArray[Any]:
    """Numeric (NaN for blanks) when every non-blank value is a number, else labels (blank = missing)."""
    try:
        return np.asarray([float(v) if v else float("nan") for v in values], dtype=np.float64)
    except ValueError:
        return np.asarray(values, dtype=object)


@dataclass(frozen=True, slots=True, eq=False)
class BenchmarkData:
    """Overall survival (days), centre and covariates of every row of a benchmarking CSV."""

    survival: Endpoint
    centre: NDArray[np.str_]
    covariates: dict[str, NDArray[Any]]


def read_benchmark_csv(
    path: str | Path,
    *,
    time_column: str,
    status_column: str,
    time_unit: str,
    id_column: str = "transplant_id",
    centre_column: str = "centre",
    covariates: Sequence[str] = (),
) -> BenchmarkData:
    """One row per patient: overall survival (status 1 = dead), the centre and the named covariates."""
    survival = read_endpoint_csv(
        path,
        name="os",
        time_column=time_column,
        status_column=status_column,
        time_unit=time_unit,
        id_column=id_column,
        output_unit="days",
    )
    columns = [(centre_column, "centre_column"), *((c, "covariate") for c in covariates)]
    raw = read_columns(path, id_column, columns, survival.ids)
    centre = np.asarray(raw.pop(centre_column), dtype=np.str_)
    return BenchmarkData(survival, centre, {name: covariate_values(values) for name, values in raw.items()})


@dataclass(frozen=True, slots=True, eq=False)
class ActivityRows:
    """The activity survey's fields of every transplant (row) of a CSV."""

    centre: NDArray[np.str_]
    year: NDArray[np.int64]
    transplant_type: NDArray[np.str_]
    donor_relation: NDArray[np.str_]
    graft_source: NDArray[np.str_]
    icd10: NDArray[np.str_]
    sequence_number: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.year.size)


def read_activity_csv(path: str | Path, *, centre: str | None = None) -> ActivityRows:
    """Rows of ``path`` (those of ``centre`` only, when given) with the columns of :data:`ACTIVITY_COLUMNS`."""
    p = Path(path)
    header, rows = _read(p, ())
    missing = [c for c in ACTIVITY_COLUMNS if c not in header]
    if missing:
        raise OutcomeInputError(f"{p.name}: got no column(s) {missing}; expected {list(ACTIVITY_COLUMNS)}")
    kept = [(line, r) for line, r in enumerate(rows, start=2) if centre is None or r["centre"] == centre]

    def text(column: str) -> NDArray[np.str_]:
        return np.asarray([r[column] for _, r in kept], dtype=np.str_).reshape(len(kept))

    def whole(column: str) -> NDArray[np.int64]:
        values = [_integer(r[column], p.name, line, column) for line, r in kept]
        return np.asarray(values, dtype=np.int64).reshape(len(kept))

    return ActivityRows(
        centre=text("centre"),
        year=whole("year"),
        transplant_type=text("transplant_type"),
        donor_relation=text("donor_relation"),
        graft_source=text("graft_source"),
        icd10=text("icd10"),
        sequence_number=whole("sequence_number"),
    )


def _cell(value: Any) -> Any:
    return "" if value is None else value


def rows_csv(rows: Sequence[BaseModel], fieldnames: Sequence[str]) -> str:
    """``rows`` as CSV text with a header of ``fieldnames`` (``None`` is an empty cell)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.model_dump(mode="json").items()} for row in rows)
    return buffer.getvalue()


def curve_csv(points: Sequence[CurvePoint]) -> str:
    """Every step of every curve: group, time, n_risk, n_event, estimate, lower, upper."""
    return rows_csv(points, list(CurvePoint.model_fields))


def benchmark_csv(report: BenchmarkReport) -> str:
    """One row per centre of a benchmark report."""
    return rows_csv(report.centres, list(CentreRow.model_fields))


def activity_csv(report: ActivityReport, table: ActivityTable | str = ActivityTable.BY_YEAR) -> str:
    """One of the two activity tables as CSV: centre, year (and indication), then the count columns."""
    try:
        which = ActivityTable(table)
    except ValueError:
        raise OutcomeInputError(f"table: got {table!r}; expected 'by_year' or 'by_indication'") from None
    if which is ActivityTable.BY_YEAR:
        return rows_csv(report.by_year, ["centre", "year", *COLUMNS])
    return rows_csv(report.by_indication, ["centre", "year", "indication", *COLUMNS])
