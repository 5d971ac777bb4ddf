"""The centre-benchmarking population drawn from the registry's outcome table (pure).

First allogeneic transplants with more than ``tau`` days (one year) of potential follow-up before
the data cut-off, with overall survival and the covariates the risk model adjusts for (CIBMTR
Center-Specific Survival Analysis; see :mod:`engraft.outcomes.benchmarking`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from engraft.outcomes._validation import FloatArray, IntArray, NothingToAnalyse
from engraft.outcomes.activity import disease_group
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.registry_endpoints import derive_endpoint
from engraft.vocabulary.phrases import Phrase

TOO_FEW_FOR_BENCHMARK: Final = Phrase(
    "benchmark: got {count} first allogeneic transplant(s) with more than {days} days of potential follow-up;"
    " expected at least 2"
)
"""Why the benchmark cannot be computed (English; the pages translate it)."""

BENCHMARK_COVARIATES: tuple[str, ...] = (
    "age_years",
    "disease_group",
    "disease_status",
    "performance_score",
    "hctci",
    "donor_relation",
    "graft_source",
    "conditioning_intensity",
    "recipient_cmv",
    "year",
)
POPULATION = "first allogeneic transplants with > 365 days of potential follow-up"


@dataclass(frozen=True, slots=True, eq=False)
class BenchmarkCohort:
    """The benchmarking population and its overall-survival data and covariates."""

    table: OutcomeTable
    time: FloatArray
    event: IntArray
    centre: NDArray[np.str_]
    covariates: dict[str, NDArray[Any]]
    as_of: dt.date


def benchmark_cohort(
    table: OutcomeTable,
    *,
    as_of: dt.date | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    tau: float = 365.0,
) -> BenchmarkCohort:
    """First allogeneic transplants with day 0 more than ``tau`` days before the data cut-off.

    ``as_of`` (the data cut-off) defaults to the latest date known in the table (day 0 plus last
    contact). ``first_year``/``last_year`` restrict the transplant years (the CSA uses 3 years).
    Covariates are those of :data:`BENCHMARK_COVARIATES` (numeric: age, performance score, HCT-CI,
    year; the others categorical); the benchmarking module handles missing values. Raises
    :class:`NothingToAnalyse` when fewer than 2 transplants qualify.
    """
    cutoff: np.datetime64[Any]
    if as_of is not None:
        cutoff = np.datetime64(as_of, "D")
    elif len(table):
        cutoff = (table.day0 + table.last_contact_day.astype("timedelta64[D]")).max()
    else:
        cutoff = np.datetime64("1900-01-01", "D")
    # more than tau days of potential follow-up (days since 1970)
    latest_day0 = int(np.asarray(cutoff, dtype="datetime64[D]").astype(np.int64)) - int(tau) - 1
    eligible = (
        (table.transplant_type == "allogeneic")
        & (table.sequence_number == 1)
        & (table.day0.astype(np.int64) <= latest_day0)
    )
    if first_year is not None:
        eligible &= table.year >= first_year
    if last_year is not None:
        eligible &= table.year <= last_year
    cohort = table.select(eligible)
    if len(cohort) < 2:
        raise NothingToAnalyse(TOO_FEW_FOR_BENCHMARK(count=len(cohort), days=int(tau)))
    os_ = derive_endpoint(cohort, "os")
    covariates: dict[str, NDArray[Any]] = {}
    for name in BENCHMARK_COVARIATES:
        if name == "disease_group":
            covariates[name] = np.asarray([disease_group(c) for c in cohort.icd10.tolist()], dtype=object)
        elif name == "year":
            covariates[name] = cohort.year.astype(np.float64)
        else:
            col = cohort.column(name)
            covariates[name] = col.astype(object) if col.dtype.kind == "U" else col
    return BenchmarkCohort(
        table=cohort,
        time=os_.time,
        event=os_.event,
        centre=cohort.centre,
        covariates=covariates,
        as_of=dt.date.fromisoformat(str(np.asarray(cutoff, dtype="datetime64[D]"))),
    )
