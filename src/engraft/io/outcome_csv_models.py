"""Regression inputs from a CSV: time, status, numeric covariates, optional entry time and strata, one row each.

A row is a transplant, or a (start, stop] interval of one in counting-process form (time-varying
covariates: the same patient on several rows with ``--entry``), so rows are not keyed by id: they are
numbered as the file's lines (1-based, the header is line 1). A value that cannot be read is refused
with the file, the line, the column and the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engraft.io.outcome_csv import _number, _read
from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError


@dataclass(frozen=True, slots=True, eq=False)
class ModelData:
    """The columns of a regression, row by row; ``lines`` are the CSV line numbers of the rows."""

    file: str
    lines: IntArray
    time: FloatArray
    status: IntArray
    covariates: FloatArray
    names: tuple[str, ...]
    entry: FloatArray | None
    strata: tuple[str, ...] | None


def read_model_csv(
    path: str | Path,
    *,
    time_column: str,
    status_column: str,
    covariates: Sequence[str],
    entry_column: str | None = None,
    strata_column: str | None = None,
) -> ModelData:
    """Read the columns of a Cox or Fine-Gray model from ``path`` (numbers; the status a whole number)."""
    if not covariates:
        raise OutcomeInputError("--covariate: got none; expected at least one CSV column")
    p = Path(path)
    roles = [(time_column, "--time"), (status_column, "--status"), *((c, "--covariate") for c in covariates)]
    if entry_column is not None:
        roles.append((entry_column, "--entry"))
    if strata_column is not None:
        roles.append((strata_column, "--strata"))
    _, rows = _read(p, roles)
    if not rows:
        raise OutcomeInputError(f"{p.name}: got no data rows; expected at least one")
    numbered = list(enumerate(rows, start=2))
    time = np.array([_number(r[time_column], p.name, k, time_column) for k, r in numbered], dtype=np.float64)
    status_values = [_number(r[status_column], p.name, k, status_column) for k, r in numbered]
    for (k, _), value in zip(numbered, status_values, strict=True):
        if value != int(value):
            raise OutcomeInputError(f"{p.name} line {k}, {status_column}: got {value!r}; expected a whole number code")
    x = np.array([[_number(r[c], p.name, k, c) for c in covariates] for k, r in numbered], dtype=np.float64)
    entry = None
    if entry_column is not None:
        entry = np.array([_number(r[entry_column], p.name, k, entry_column) for k, r in numbered], dtype=np.float64)
        bad = np.flatnonzero(entry >= time)
        if bad.size:
            j = int(bad[0])
            raise OutcomeInputError(
                f"{p.name} line {j + 2}, {entry_column}: got {entry[j]:g} with {time_column} {time[j]:g};"
                " expected an entry time before the time"
            )
    strata = None if strata_column is None else tuple(r[strata_column] for r in rows)
    return ModelData(
        file=p.name,
        lines=np.arange(2, len(rows) + 2, dtype=np.int64),
        time=time,
        status=np.asarray(status_values, dtype=np.int64),
        covariates=x,
        names=tuple(covariates),
        entry=entry,
        strata=strata,
    )
