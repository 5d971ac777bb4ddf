"""Time-to-event endpoints read from a one-row-per-transplant CSV, with explicit time units.

Registries export follow-up as a time column and a status column per transplant, in days, months or
years depending on the source. Mixing units silently is a classic source of wrong survival figures,
so every endpoint carries its unit and conversion uses fixed factors (a month is 365.25 / 12 days,
the convention of survival software and of the CIBMTR/EBMT reports). Rows that cannot be read are
refused with the line number, column and value rather than dropped.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    TimeUnit,
    as_codes,
    as_times,
    check_time_unit,
)

DAYS_PER_UNIT: dict[TimeUnit, float] = {"days": 1.0, "months": 365.25 / 12.0, "years": 365.25}


def convert_time(values: FloatArray, from_unit: str, to_unit: str) -> FloatArray:
    """Convert times between days, months and years."""
    src, dst = check_time_unit(from_unit), check_time_unit(to_unit)
    if src == dst:
        return values.astype(np.float64, copy=True)
    return values * (DAYS_PER_UNIT[src] / DAYS_PER_UNIT[dst])


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """A time-to-event endpoint: one time and status per transplant, in ``time_unit``."""

    name: str
    ids: tuple[str, ...]
    time: FloatArray
    status: IntArray
    time_unit: TimeUnit
    censor_code: int
    causes: tuple[int, ...]

    def in_unit(self, unit: str) -> Endpoint:
        """The same endpoint with times expressed in ``unit``."""
        target = check_time_unit(unit)
        return Endpoint(
            name=self.name,
            ids=self.ids,
            time=convert_time(self.time, self.time_unit, target),
            status=self.status,
            time_unit=target,
            censor_code=self.censor_code,
            causes=self.causes,
        )

    @property
    def event(self) -> IntArray:
        """1 for any event (any cause), 0 for censored: the input of Kaplan-Meier and log-rank."""
        out: IntArray = (self.status != self.censor_code).astype(np.int64)
        return out


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
    causes: Sequence[int] = (1,),
) -> Endpoint:
    """Read one endpoint from a CSV with one row per transplant.

    ``time_unit`` is the unit of ``time_column`` in the file; ``output_unit`` (default: the same)
    is the unit of the returned endpoint. ``status_column`` must hold ``censor_code`` or one of
    ``causes`` (e.g. 0 = alive, 1 = dead for overall survival; 0/1/2 for relapse vs NRM).
    """
    unit_in = check_time_unit(time_unit)
    unit_out = check_time_unit(output_unit if output_unit is not None else unit_in)
    codes = tuple(int(c) for c in causes)
    p = Path(path)
    with p.open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for column, role in ((id_column, "id_column"), (time_column, "time_column"), (status_column, "status_column")):
            if column not in header:
                raise OutcomeInputError(f"{role}: got {column!r}; expected one of the CSV columns {header}")
        ids: list[str] = []
        times: list[float] = []
        statuses: list[float] = []
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            ident = (row[id_column] or "").strip()
            if not ident:
                raise OutcomeInputError(f"{p.name} line {line}, {id_column}: got an empty value; expected an id")
            if ident in seen:
                raise OutcomeInputError(
                    f"{p.name} line {line}, {id_column}: got {ident!r} again (first on line {seen[ident]});"
                    " expected one row per transplant"
                )
            seen[ident] = line
            ids.append(ident)
            times.append(_number(row[time_column], p.name, line, time_column))
            statuses.append(_number(row[status_column], p.name, line, status_column))
    if not ids:
        raise OutcomeInputError(f"{p.name}: got no data rows; expected one row per transplant")
    t = as_times(times, time_column)
    s = as_codes(statuses, status_column, (censor_code, *codes), t.size)
    return Endpoint(
        name=name,
        ids=tuple(ids),
        time=convert_time(t, unit_in, unit_out),
        status=s,
        time_unit=unit_out,
        censor_code=censor_code,
        causes=codes,
    )


def _number(text: str | None, file: str, line: int, column: str) -> float:
    raw = (text or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise OutcomeInputError(f"{file} line {line}, {column}: got {raw!r}; expected a number") from None
    if not math.isfinite(value):
        raise OutcomeInputError(f"{file} line {line}, {column}: got {raw!r}; expected a finite number")
    return value
