"""Time-to-event endpoints with explicit time units (pure).

Registries export follow-up as a time column and a status column per transplant, in days, months or
years depending on the source. Mixing units silently is a classic source of wrong survival figures,
so every endpoint carries its unit and conversion uses the fixed factors of
:mod:`engraft.vocabulary.time` (a month is 365.25 / 12 days, the convention of survival software and
of the CIBMTR/EBMT reports). :func:`make_endpoint` builds one from plain columns, refusing values
that cannot be right; :mod:`engraft.io.outcome_csv` reads the columns from a CSV file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    OutcomeInputError,
    as_codes,
    as_times,
    check_time_unit,
)
from engraft.vocabulary import DAYS_PER_UNIT, TimeUnit


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


def make_endpoint(
    name: str,
    ids: Sequence[str],
    time: ArrayLike,
    status: ArrayLike,
    *,
    time_unit: str,
    output_unit: str | None = None,
    censor_code: int = 0,
    causes: Sequence[int] = (1,),
    time_field: str = "time",
    status_field: str = "status",
) -> Endpoint:
    """An endpoint from plain columns (one entry per transplant), checked.

    ``time_unit`` is the unit of ``time``; ``output_unit`` (default: the same) that of the returned
    endpoint. ``status`` must hold ``censor_code`` or one of ``causes`` (e.g. 0 = alive, 1 = dead for
    overall survival; 0/1/2 for relapse vs NRM). Errors name ``time_field``/``status_field`` (the
    source's column names) and the position of the first bad value.
    """
    unit_in = check_time_unit(time_unit)
    unit_out = check_time_unit(output_unit if output_unit is not None else unit_in)
    codes = tuple(int(c) for c in causes)
    identifiers = tuple(str(i) for i in ids)
    if not identifiers:
        raise OutcomeInputError(f"{time_field}: got no transplants; expected one row per transplant")
    t = as_times(time, time_field)
    if t.size != len(identifiers):
        raise OutcomeInputError(f"{time_field}: got {t.size} values; expected {len(identifiers)} (one per id)")
    s = as_codes(status, status_field, (censor_code, *codes), t.size)
    return Endpoint(
        name=name,
        ids=identifiers,
        time=convert_time(t, unit_in, unit_out),
        status=s,
        time_unit=unit_out,
        censor_code=censor_code,
        causes=codes,
    )
