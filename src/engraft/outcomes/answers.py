"""Answers to the outcome questions of :mod:`engraft.outcomes.queries` from the outcome table (pure).

Each function takes the registry's one-row-per-episode :class:`OutcomeTable` (read by
:func:`engraft.registry.outcome_data.load_outcome_table`, or built in a test) and one typed query,
and applies the same steps in the same order: the centre, the population (first transplants unless
all are asked for), the endpoint's own rows (allogeneic only for GVHD and GRFS), the endpoint in the
query's time unit, the groups, the analysis. The centre is selected here, after the table was read
for every centre, so that a later transplant at another centre still censors graft endpoints.

A population without a transplant to analyse (or with a single group to compare, or fewer than two
transplants to benchmark) raises :class:`NothingToAnalyse`.
"""

from __future__ import annotations

from typing import Final

from engraft.outcomes._validation import NothingToAnalyse
from engraft.outcomes.activity import ActivityReport, activity_of_table, report_years
from engraft.outcomes.benchmark_cohort import POPULATION, benchmark_cohort
from engraft.outcomes.benchmark_report import BenchmarkAnalysis, BenchmarkCohortDescription, benchmark_report
from engraft.outcomes.benchmarking import BootstrapCluster, benchmark_centres
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.queries import (
    ActivityQuery,
    BenchmarkQuery,
    CohortQuery,
    CompareQuery,
    CompetingRiskQuery,
    Population,
    SurvivalQuery,
)
from engraft.outcomes.registry_endpoints import ENDPOINTS, analysis_rows, derive_endpoint, endpoint_spec, group_labels
from engraft.outcomes.results import (
    EndpointDescription,
    GroupComparison,
    IncidenceSummary,
    Provenance,
    SurvivalSummary,
)
from engraft.outcomes.summaries import (
    EndpointAnalysis,
    compare_groups,
    incidence_analysis_of,
    survival_analysis_of,
)
from engraft.vocabulary.phrases import Phrase

EVERY_CENTRE: Final = "every centre"
THE_REGISTRY: Final = "the registry"
CENTRE: Final = Phrase("centre {centre}")
NO_TRANSPLANTS: Final = Phrase(
    "endpoint {endpoint}: got no transplants to analyse ({population}, {where}); expected at least one"
)
NO_ALLOGENEIC_TRANSPLANTS: Final = Phrase(
    "endpoint {endpoint}: got no allogeneic transplants to analyse ({population}, {where}); expected at least one"
)
NO_ACTIVITY: Final = Phrase("activity: got no transplants to count in {where}; expected at least one")
"""Why a selection has nothing to analyse (English; the pages translate it)."""


def _in_centre(table: OutcomeTable, centre: str | None) -> OutcomeTable:
    return table if centre is None else table.select(table.centre == centre)


def _population(table: OutcomeTable, query: CohortQuery) -> OutcomeTable:
    rows = _in_centre(table, query.centre)
    return rows.first_transplants() if query.population is Population.FIRST_TRANSPLANTS else rows


def _analysed(table: OutcomeTable, query: CohortQuery, endpoint: str) -> tuple[OutcomeTable, Provenance]:
    """The rows ``endpoint`` is analysed on for ``query``, and their provenance."""
    spec = endpoint_spec(endpoint)
    rows = analysis_rows(_population(table, query), endpoint)
    if len(rows) == 0:
        where = EVERY_CENTRE if query.centre is None else CENTRE(centre=query.centre)
        nothing = NO_ALLOGENEIC_TRANSPLANTS if spec.allogeneic_only else NO_TRANSPLANTS
        raise NothingToAnalyse(nothing(endpoint=spec.name.value, population=query.population.value, where=where))
    provenance = Provenance(
        source="registry",
        centre=query.centre,
        population=query.population,
        allogeneic_only=spec.allogeneic_only,
        transplants=len(rows),
    )
    return rows, provenance


def answer_survival(table: OutcomeTable, query: SurvivalQuery) -> EndpointAnalysis[SurvivalSummary]:
    """Kaplan-Meier survival of ``query.endpoint``, by group when asked, with a log-rank test."""
    rows, provenance = _analysed(table, query, query.endpoint)
    endpoint = derive_endpoint(rows, query.endpoint, time_unit=query.time_unit)
    groups = None if query.group_by is None else group_labels(rows, query.group_by)
    return survival_analysis_of(endpoint, groups, landmarks=query.landmarks, provenance=provenance)


def answer_competing_risk(table: OutcomeTable, query: CompetingRiskQuery) -> EndpointAnalysis[IncidenceSummary]:
    """Cumulative incidence of ``query.cause`` of ``query.endpoint``, by group when asked, with Gray's test."""
    rows, provenance = _analysed(table, query, query.endpoint)
    endpoint = derive_endpoint(rows, query.endpoint, time_unit=query.time_unit)
    groups = None if query.group_by is None else group_labels(rows, query.group_by)
    return incidence_analysis_of(endpoint, groups, landmarks=query.landmarks, cause=query.cause, provenance=provenance)


def answer_comparison(table: OutcomeTable, query: CompareQuery) -> GroupComparison:
    """Log-rank (survival endpoints) or Gray's test (competing endpoints) across ``query.group_by``."""
    rows, provenance = _analysed(table, query, query.endpoint)
    endpoint = derive_endpoint(rows, query.endpoint, time_unit=query.time_unit)
    return compare_groups(endpoint, group_labels(rows, query.group_by), cause=query.cause, provenance=provenance)


def answer_benchmark(
    table: OutcomeTable, query: BenchmarkQuery, cluster: BootstrapCluster | None = None
) -> BenchmarkAnalysis:
    """Risk-adjusted 1-year survival of each centre's first allogeneic transplants.

    The bootstrap runs on ``cluster`` (a ``dask.distributed.Client``) when one is given, with the
    same result for the query's seed.
    """
    cohort = benchmark_cohort(table, as_of=query.as_of, first_year=query.first_year, last_year=query.last_year)
    result = benchmark_centres(
        cohort.time,
        cohort.event,
        cohort.centre,
        cohort.covariates,
        n_bootstrap=query.n_bootstrap,
        seed=query.seed,
        cluster=cluster,
    )
    description = BenchmarkCohortDescription(
        population=POPULATION,
        transplants=len(cohort.table),
        as_of=cohort.as_of,
        first_year=query.first_year,
        last_year=query.last_year,
    )
    return BenchmarkAnalysis(report=benchmark_report(result, description), result=result)


def answer_activity(table: OutcomeTable, query: ActivityQuery) -> ActivityReport:
    """Transplants per year (every episode) from the first to the last year asked.

    By default the years from the first to the last transplant; a year without a transplant has a
    row of zeros.
    """
    rows = _in_centre(table, query.centre)
    if len(rows) == 0:
        where = THE_REGISTRY if query.centre is None else CENTRE(centre=query.centre)
        raise NothingToAnalyse(NO_ACTIVITY(where=where))
    return activity_of_table(rows, report_years(rows.year.tolist(), query.first_year, query.last_year))


def endpoint_descriptions() -> tuple[EndpointDescription, ...]:
    """The endpoints the registry supports, with their kind and cause labels."""
    return tuple(
        EndpointDescription(
            name=s.name.value,
            label=s.label,
            kind=s.kind,
            allogeneic_only=s.allogeneic_only,
            causes=s.cause_labels,
        )
        for s in ENDPOINTS.values()
    )
