"""The typed report of a centre benchmark: method and settings, risk model, one row per centre (pure).

Built from a :class:`~engraft.outcomes.benchmarking.BenchmarkResult` and a description of the cohort
it was run on (the registry's first allogeneic transplants, or the rows of a CSV file). Undefined
numbers are ``None`` (JSON ``null``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from pydantic import Field

from engraft.outcomes.benchmarking import CITATION, MISSING_RULE, BenchmarkResult, Flag, benchmark_figure
from engraft.outcomes.results import ResultModel

METHOD = "pseudo-value logistic regression, bootstrap prediction interval of scaled residuals"


def _num(value: float) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


class ModelTerm(ResultModel):
    """One coefficient of the risk model (logit scale) with its robust standard error."""

    term: str
    coef: float | None
    robust_se: float | None


class RiskModel(ResultModel):
    """The fitted risk-adjustment model."""

    converged: bool
    iterations: int
    terms: tuple[ModelTerm, ...]
    dropped_covariates: tuple[str, ...] = Field(description="covariates with a single level, left out")


class CentreRow(ResultModel):
    """One centre: observed and expected survival at tau, prediction interval, Kaplan-Meier, flag."""

    centre: str
    n: int
    n_complete_follow_up: int
    completeness: float
    observed: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    km_survival: float | None
    km_lower: float | None
    km_upper: float | None
    flag: Flag
    score: int | None = Field(description="CSA score: -1 below, 0 as expected, +1 above, null when not rated")


class BenchmarkCohortDescription(ResultModel):
    """Which transplants were benchmarked."""

    population: str
    transplants: int
    as_of: dt.date | None = Field(default=None, description="data cut-off (registry)")
    first_year: int | None = None
    last_year: int | None = None
    file: str | None = Field(default=None, description="the CSV file read (CSV input)")


class BenchmarkReport(ResultModel):
    """Risk-adjusted survival at tau per centre, in the manner of the CIBMTR CSA."""

    method: str
    citation: str
    tau_days: float
    prediction_level: float
    n_bootstrap: int
    seed: int
    completeness_threshold: float
    missing_covariate_rule: str
    n: int
    model: RiskModel
    centres: tuple[CentreRow, ...]
    cohort: BenchmarkCohortDescription


def benchmark_report(result: BenchmarkResult, cohort: BenchmarkCohortDescription) -> BenchmarkReport:
    """The typed report of ``result`` for ``cohort``."""
    model = result.model
    return BenchmarkReport(
        method=METHOD,
        citation=CITATION,
        tau_days=result.tau,
        prediction_level=result.level,
        n_bootstrap=result.n_bootstrap,
        seed=result.seed,
        completeness_threshold=result.completeness_threshold,
        missing_covariate_rule=MISSING_RULE,
        n=result.n_obs,
        model=RiskModel(
            converged=model.converged,
            iterations=model.iterations,
            terms=tuple(
                ModelTerm(term=t, coef=_num(b), robust_se=_num(s))
                for t, b, s in zip(model.names, model.coef, model.robust_se, strict=True)
            ),
            dropped_covariates=result.dropped_covariates,
        ),
        centres=tuple(
            CentreRow(
                centre=c.centre,
                n=c.n,
                n_complete_follow_up=c.n_complete,
                completeness=c.completeness,
                observed=_num(c.observed),
                expected=_num(c.expected),
                lower=_num(c.lower),
                upper=_num(c.upper),
                km_survival=_num(c.km_survival),
                km_lower=_num(c.km_lower),
                km_upper=_num(c.km_upper),
                flag=c.flag,
                score=c.score,
            )
            for c in result.centres
        ),
        cohort=cohort,
    )


@dataclass(frozen=True, slots=True, eq=False)
class BenchmarkAnalysis:
    """The answer of a benchmark: the typed report and the result it was built from (for the figure)."""

    report: BenchmarkReport
    result: BenchmarkResult = field(repr=False)

    def figure(self) -> Figure:
        """Per centre: prediction interval, expected and observed survival, coloured by flag."""
        return benchmark_figure(self.result)
