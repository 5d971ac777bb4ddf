"""The outcomes page's questions and answers: endpoint and grouping chosen, curves, numbers at risk, downloads.

The page asks the same typed queries as ``/api/outcomes`` and ``engraft outcomes`` and answers them with the
same outcome service (:mod:`engraft.registry.outcome_service`), so the three agree. Only aggregates are shown:
counts, estimates, curves and centre-level rows; no record, date of birth, name or id of a patient.

:func:`download` renders one answer as a file (figure as PNG or SVG, table as CSV) with its media type and a
file name that says what it holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from pydantic import Field
from sqlalchemy import Engine

from engraft.io.figures import MEDIA_TYPES, FigureFormat
from engraft.io.outcome_csv import ActivityTable, activity_csv, benchmark_csv, curve_csv
from engraft.outcomes.activity import ALL_CENTRES, ActivityReport, activity_figure
from engraft.outcomes.benchmark_report import BenchmarkAnalysis
from engraft.outcomes.plots import numbers_at_risk
from engraft.outcomes.queries import (
    ActivityQuery,
    BenchmarkQuery,
    Cause,
    CentreCode,
    CompetingEndpoint,
    CompetingRiskQuery,
    EndpointName,
    GroupField,
    Population,
    SurvivalEndpoint,
    SurvivalQuery,
    Year,
)
from engraft.outcomes.results import IncidenceSummary, SurvivalSummary
from engraft.outcomes.summaries import EndpointAnalysis
from engraft.provenance import FrozenModel
from engraft.registry.outcome_service import (
    centre_benchmark,
    competing_risk_analysis,
    survival_analysis,
    transplant_activity,
)
from engraft.vocabulary import TimeUnit
from engraft.web.figure_text import localised_figure_bytes
from engraft.web.i18n import ENGLISH, N_

ENDPOINT_LABELS: Final[Mapping[EndpointName, str]] = {
    EndpointName.OS: N_("Overall survival"),
    EndpointName.DFS: N_("Disease-free survival"),
    EndpointName.PFS: N_("Progression-free survival"),
    EndpointName.GRFS: N_("GVHD-free, relapse-free survival"),
    EndpointName.RELAPSE: N_("Relapse/progression"),
    EndpointName.NRM: N_("Non-relapse mortality"),
    EndpointName.AGVHD_2_4: N_("Acute GVHD grade II-IV"),
    EndpointName.AGVHD_3_4: N_("Acute GVHD grade III-IV"),
    EndpointName.CGVHD: N_("Chronic GVHD"),
    EndpointName.NEUTROPHIL_ENGRAFTMENT: N_("Neutrophil engraftment"),
    EndpointName.PLATELET_ENGRAFTMENT: N_("Platelet engraftment"),
}
GROUP_LABELS: Final[Mapping[GroupField, str]] = {
    GroupField.TRANSPLANT_TYPE: N_("Transplant type"),
    GroupField.DONOR_RELATION: N_("Donor relation"),
    GroupField.GRAFT_SOURCE: N_("Graft source"),
    GroupField.CENTRE: N_("Centre"),
    GroupField.DISEASE_GROUP: N_("Disease group"),
    GroupField.DISEASE_STATUS: N_("Disease status at transplant"),
    GroupField.CONDITIONING_INTENSITY: N_("Conditioning intensity"),
    GroupField.RECIPIENT_CMV: N_("Recipient CMV serostatus"),
    GroupField.YEAR: N_("Year of transplant"),
}
POPULATION_LABELS: Final[Mapping[Population, str]] = {
    Population.FIRST_TRANSPLANTS: N_("First transplants"),
    Population.ALL_TRANSPLANTS: N_("All transplants (each from its own day 0)"),
}
TIME_UNIT_LABELS: Final[Mapping[TimeUnit, str]] = {
    TimeUnit.DAYS: N_("days"),
    TimeUnit.MONTHS: N_("months"),
    TimeUnit.YEARS: N_("years"),
}
CAUSE_LABELS: Final[Mapping[int, str]] = {
    1: N_("The event of interest"),
    2: N_("The competing event"),
}
FLAG_LABELS: Final[Mapping[str, str]] = {
    "below": N_("below expected"),
    "as expected": N_("as expected"),
    "above": N_("above expected"),
    "not rated": N_("not rated"),
}
BENCHMARK_REPLICATES: Final = 500
"""Bootstrap replicates of the page's benchmark (the API defaults to 2000; the download says which was used)."""


class Analysis(StrEnum):
    """What the page draws for an endpoint."""

    SURVIVAL = "survival"
    """Kaplan-Meier survival (any event versus censored)."""
    INCIDENCE = "incidence"
    """Cumulative incidence with a competing event (Aalen-Johansen)."""


_COMPETING: Final = frozenset(e.value for e in CompetingEndpoint)


class OutcomeChoice(FrozenModel):
    """The page's form: endpoint, cause, grouping, centre, population, time unit, year range."""

    endpoint: EndpointName = EndpointName.OS
    cause: Cause = 1
    group_by: GroupField | None = None
    centre: CentreCode | None = None
    population: Population = Population.FIRST_TRANSPLANTS
    time_unit: TimeUnit = TimeUnit.MONTHS
    first_year: Year | None = None
    last_year: Year | None = None
    n_bootstrap: int = Field(default=BENCHMARK_REPLICATES, ge=100, le=20_000)

    @property
    def analysis(self) -> Analysis:
        return Analysis.INCIDENCE if self.endpoint.value in _COMPETING else Analysis.SURVIVAL

    def endpoint_query(self) -> SurvivalQuery | CompetingRiskQuery:
        common: dict[str, Any] = {
            "group_by": self.group_by,
            "centre": self.centre,
            "population": self.population,
            "time_unit": self.time_unit,
        }
        if self.analysis is Analysis.INCIDENCE:
            return CompetingRiskQuery(endpoint=CompetingEndpoint(self.endpoint.value), cause=self.cause, **common)
        return SurvivalQuery(endpoint=SurvivalEndpoint(self.endpoint.value), **common)

    def activity_query(self) -> ActivityQuery:
        return ActivityQuery(centre=self.centre, first_year=self.first_year, last_year=self.last_year)

    def benchmark_query(self) -> BenchmarkQuery:
        return BenchmarkQuery(first_year=self.first_year, last_year=self.last_year, n_bootstrap=self.n_bootstrap)

    def slug(self) -> str:
        """What a downloaded file of this choice is named after (``os-by-donor_relation-C1``)."""
        parts = [self.endpoint.value]
        if self.analysis is Analysis.INCIDENCE and self.cause != 1:
            parts.append(f"cause{self.cause}")
        if self.group_by is not None:
            parts.append(f"by-{self.group_by.value}")
        if self.centre:
            parts.append(self.centre)
        return _safe("-".join(parts))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


EndpointAnswer = EndpointAnalysis[SurvivalSummary] | EndpointAnalysis[IncidenceSummary]


def endpoint_answer(engine: Engine, choice: OutcomeChoice) -> EndpointAnswer:
    """The endpoint's analysis, from the outcome service (raises its errors: nothing to analyse, bad query)."""
    query = choice.endpoint_query()
    if isinstance(query, CompetingRiskQuery):
        return competing_risk_analysis(engine, query)
    return survival_analysis(engine, query)


def activity_answer(engine: Engine, choice: OutcomeChoice) -> ActivityReport:
    return transplant_activity(engine, choice.activity_query())


def benchmark_answer(engine: Engine, choice: OutcomeChoice) -> BenchmarkAnalysis:
    return centre_benchmark(engine, choice.benchmark_query())


@dataclass(frozen=True, slots=True)
class AtRiskTable:
    """Numbers at risk under the curves: one row per group at each time."""

    times: tuple[float, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]


def at_risk_table(answer: EndpointAnswer, bins: int = 6) -> AtRiskTable:
    """Numbers at risk per group at evenly spaced times across the follow-up (as under the figure)."""
    points = answer.curve()
    if not points:
        return AtRiskTable((), ())
    max_time = max(p.time for p in points)
    ticks = np.asarray(MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, max_time))
    ticks = ticks[(ticks >= 0.0) & (ticks <= max_time)]
    rows = []
    for group in dict.fromkeys(p.group for p in points):
        mine = [p for p in points if p.group == group]
        time = np.asarray([p.time for p in mine], dtype=np.float64)
        n_risk = np.asarray([p.n_risk for p in mine], dtype=np.int64)
        counts = numbers_at_risk(time, n_risk, list(ticks))
        rows.append((group, tuple(int(c) for c in counts)))
    return AtRiskTable(tuple(float(t) for t in ticks), tuple(rows))


class Download(StrEnum):
    """What the page offers as a file."""

    CURVES = "curves"
    ACTIVITY = "activity"
    ACTIVITY_BY_INDICATION = "activity-by-indication"
    BENCHMARK = "benchmark"


class DownloadFormat(StrEnum):
    PNG = "png"
    SVG = "svg"
    CSV = "csv"


CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"


@dataclass(frozen=True, slots=True)
class DownloadFile:
    content: bytes
    media_type: str
    filename: str

    @property
    def content_disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def _figure_file(figure: Figure, fmt: DownloadFormat, name: str, language: str) -> DownloadFile:
    image = FigureFormat(fmt.value)
    return DownloadFile(localised_figure_bytes(figure, image, language), MEDIA_TYPES[image], f"{name}.{fmt.value}")


def download(
    engine: Engine, what: Download, fmt: DownloadFormat, choice: OutcomeChoice, language: str = ENGLISH.code
) -> DownloadFile:
    """One answer of ``choice`` as a file (the activity by indication is a table: CSV only); figures are drawn in
    ``language`` (:func:`engraft.web.figure_text.localised_figure_bytes`), tables stay as the API writes them."""
    if what is Download.CURVES:
        answer = endpoint_answer(engine, choice)
        name = f"engraft-{choice.slug()}"
        if fmt is DownloadFormat.CSV:
            return DownloadFile(curve_csv(answer.curve()).encode(), CSV_MEDIA_TYPE, f"{name}.csv")
        return _figure_file(answer.figure(), fmt, name, language)
    if what in (Download.ACTIVITY, Download.ACTIVITY_BY_INDICATION):
        report = activity_answer(engine, choice)
        name = _safe("engraft-activity" + (f"-{choice.centre}" if choice.centre else ""))
        if fmt is DownloadFormat.CSV:
            table = ActivityTable.BY_INDICATION if what is Download.ACTIVITY_BY_INDICATION else ActivityTable.BY_YEAR
            suffix = "-by-indication" if table is ActivityTable.BY_INDICATION else ""
            return DownloadFile(activity_csv(report, table).encode(), CSV_MEDIA_TYPE, f"{name}{suffix}.csv")
        if what is Download.ACTIVITY_BY_INDICATION:
            raise ValueError(f"format: got {fmt.value!r}; the activity by indication is a table: expected 'csv'")
        return _figure_file(activity_figure(report, ALL_CENTRES), fmt, name, language)
    analysis = benchmark_answer(engine, choice)
    name = "engraft-benchmark"
    if fmt is DownloadFormat.CSV:
        return DownloadFile(benchmark_csv(analysis.report).encode(), CSV_MEDIA_TYPE, f"{name}.csv")
    return _figure_file(analysis.figure(), fmt, name, language)
