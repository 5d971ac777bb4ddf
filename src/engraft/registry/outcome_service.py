"""The outcome service: one function per question, called alike by the command line and the API.

Each function reads the registry once (:func:`~engraft.registry.outcome_data.load_outcome_table`,
one set-based read of every episode in one snapshot) and answers a typed query of
:mod:`engraft.outcomes.queries` with the pure functions of :mod:`engraft.outcomes.answers`. Nothing
is written. The errors are those of the core: :class:`~engraft.outcomes.OutcomeQueryError` for a
parameter that cannot be right (the API answers 422), :class:`~engraft.outcomes.NothingToAnalyse`
when the registry holds nothing to answer with (404).
"""

from __future__ import annotations

from sqlalchemy import Engine

from engraft.outcomes.activity import ActivityReport
from engraft.outcomes.answers import (
    answer_activity,
    answer_benchmark,
    answer_comparison,
    answer_competing_risk,
    answer_survival,
)
from engraft.outcomes.benchmark_report import BenchmarkAnalysis
from engraft.outcomes.benchmarking import BootstrapCluster
from engraft.outcomes.queries import ActivityQuery, BenchmarkQuery, CompareQuery, CompetingRiskQuery, SurvivalQuery
from engraft.outcomes.results import GroupComparison, IncidenceSummary, SurvivalSummary
from engraft.outcomes.summaries import EndpointAnalysis
from engraft.registry.outcome_data import load_outcome_table


def survival_analysis(engine: Engine, query: SurvivalQuery) -> EndpointAnalysis[SurvivalSummary]:
    """Kaplan-Meier survival (summary, curves and figure) of the registry's transplants."""
    return answer_survival(load_outcome_table(engine), query)


def competing_risk_analysis(engine: Engine, query: CompetingRiskQuery) -> EndpointAnalysis[IncidenceSummary]:
    """Cumulative incidence with competing risks (summary, curves and figure)."""
    return answer_competing_risk(load_outcome_table(engine), query)


def group_comparison(engine: Engine, query: CompareQuery) -> GroupComparison:
    """Log-rank or Gray's test across groups of the registry's transplants."""
    return answer_comparison(load_outcome_table(engine), query)


def centre_benchmark(
    engine: Engine, query: BenchmarkQuery, cluster: BootstrapCluster | None = None
) -> BenchmarkAnalysis:
    """Risk-adjusted 1-year survival per centre (report and figure); the bootstrap on ``cluster`` when given."""
    return answer_benchmark(load_outcome_table(engine), query, cluster)


def transplant_activity(engine: Engine, query: ActivityQuery) -> ActivityReport:
    """Transplants per year by type, indication, donor and graft source."""
    return answer_activity(load_outcome_table(engine), query)
