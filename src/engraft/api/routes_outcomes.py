"""Outcomes over HTTP: survival, cumulative incidence, GRFS, comparisons, benchmarking, activity.

Each route builds the typed query of :mod:`engraft.outcomes.queries` from its parameters and calls the
outcome service (:mod:`engraft.registry.outcome_service`), exactly as ``engraft outcomes`` does, so the
API and the command line give the same answer to the same question. ``format=json`` (default) returns
the typed summary; ``format=png``, ``svg`` or ``pdf`` the figure (survival and incidence figures at
``width_mm`` x ``height_mm``, ``dpi``, with ``figure_time_unit`` on the time axis); ``/activity`` also offers
``format=csv``. A parameter that cannot be right answers 422 with the field, the value and what was
expected; a valid question about a population without (enough) transplants answers 404.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from matplotlib.figure import Figure
from sqlalchemy import Engine

from engraft.access import Permission
from engraft.api.auth import require
from engraft.api.problems import problem_responses
from engraft.io.figures import (
    DEFAULT_SPEC,
    DPI,
    MAX_DPI,
    MAX_SIZE_MM,
    MEDIA_TYPES,
    MIN_DPI,
    MIN_SIZE_MM,
    MM_PER_INCH,
    FigureFormat,
    FigureSpec,
    figure_bytes,
)
from engraft.io.outcome_csv import ActivityTable, activity_csv
from engraft.outcomes import OutcomeQueryError
from engraft.outcomes.activity import ALL_CENTRES, ActivityReport, activity_figure
from engraft.outcomes.answers import endpoint_descriptions
from engraft.outcomes.benchmark_report import BenchmarkReport
from engraft.outcomes.queries import (
    MAX_LANDMARKS,
    ActivityQuery,
    BenchmarkQuery,
    BootstrapReplicates,
    Cause,
    CentreCode,
    CompareQuery,
    CompetingEndpoint,
    CompetingRiskQuery,
    EndpointName,
    GroupField,
    Landmark,
    Population,
    Seed,
    SurvivalEndpoint,
    SurvivalQuery,
    Year,
    parse_query,
)
from engraft.outcomes.results import EndpointDescription, GroupComparison, IncidenceSummary, SurvivalSummary
from engraft.outcomes.summaries import EndpointAnalysis
from engraft.registry.outcome_service import (
    centre_benchmark,
    competing_risk_analysis,
    group_comparison,
    survival_analysis,
    transplant_activity,
)
from engraft.vocabulary import TimeUnit

Analysis = EndpointAnalysis[SurvivalSummary] | EndpointAnalysis[IncidenceSummary]
router = APIRouter(prefix="/api/outcomes", tags=["outcomes"], dependencies=[require(Permission.OUTCOMES_READ)])


class OutputFormat(StrEnum):
    """What an analysis route returns: the JSON summary or the figure."""

    JSON = "json"
    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


class ActivityFormat(StrEnum):
    """What ``/activity`` returns: the JSON report, one table as CSV, or the figure."""

    JSON = "json"
    CSV = "csv"
    PNG = "png"
    SVG = "svg"


_IMAGES: dict[str, dict[str, Any]] = {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/svg+xml": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}


def _responses(*statuses: int, csv: bool = False) -> dict[int | str, dict[str, Any]]:
    """200 in JSON (the response model), as figures and optionally CSV; problems for ``statuses``."""
    content = dict(_IMAGES)
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "JSON by default; the figure (or table) when `format` asks for it", "content": content}
    }
    return {**responses, **problem_responses(*statuses)}


GroupParam = Annotated[GroupField | None, Query(description="group the transplants by this field")]
CentreParam = Annotated[CentreCode | None, Query(description="only this centre's transplants (centre code)")]
PopulationParam = Annotated[
    Population, Query(description="first transplants (default), or every episode from its own day 0")
]
LandmarkParam = Annotated[
    list[Landmark] | None,
    Query(max_length=MAX_LANDMARKS, description="landmark time in `time_unit` (repeatable); default 1 and 2 years"),
]
TimeUnitParam = Annotated[TimeUnit, Query(description="unit of the results and of the landmarks")]
FormatParam = Annotated[OutputFormat, Query(description="json (summary), png, svg or pdf (figure)")]
WidthParam = Annotated[
    float | None,
    Query(ge=MIN_SIZE_MM, le=MAX_SIZE_MM, description="figure width in mm (with height_mm; 85 one column, 175 two)"),
]
HeightParam = Annotated[
    float | None, Query(ge=MIN_SIZE_MM, le=MAX_SIZE_MM, description="figure height in mm (with width_mm)")
]
DpiParam = Annotated[int, Query(ge=MIN_DPI, le=MAX_DPI, description="resolution of a PNG figure (dots per inch)")]
FigureUnitParam = Annotated[TimeUnit | None, Query(description="unit of the figure's time axis (default: `time_unit`)")]
FirstYearParam = Annotated[Year | None, Query(description="first transplant year")]
LastYearParam = Annotated[Year | None, Query(description="last transplant year (>= first_year)")]


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _figure(figure: Figure, fmt: str, spec: FigureSpec = DEFAULT_SPEC) -> Response:
    image = FigureFormat(fmt)
    return Response(content=figure_bytes(figure, image, spec), media_type=MEDIA_TYPES[image])


def _curve_figure(
    analysis: Analysis, fmt: str, options: tuple[float | None, float | None, int, TimeUnit | None]
) -> Response:
    """The survival or incidence figure at the size, resolution and time unit asked (both sides or none)."""
    width_mm, height_mm, dpi, unit = options
    if (width_mm is None) != (height_mm is None):
        missing = "height_mm" if height_mm is None else "width_mm"
        raise OutcomeQueryError(missing, None, "a size in millimetres too when the other side is given", rule=True)
    spec = FigureSpec(formats=(FigureFormat(fmt),), width_mm=width_mm, height_mm=height_mm, dpi=dpi)
    size = None if width_mm is None or height_mm is None else (width_mm / MM_PER_INCH, height_mm / MM_PER_INCH)
    return _figure(analysis.figure(time_unit=unit, size_in=size), fmt, spec)


@router.get("/endpoints", response_model=list[EndpointDescription], responses=problem_responses())
def list_endpoints() -> tuple[EndpointDescription, ...]:
    """The endpoints the registry supports, with their kind and cause labels."""
    return endpoint_descriptions()


@router.get("/survival", response_model=SurvivalSummary, responses=_responses(404, 422))
def survival(
    request: Request,
    endpoint: Annotated[SurvivalEndpoint, Query(description="survival endpoint")] = SurvivalEndpoint.OS,
    group_by: GroupParam = None,
    centre: CentreParam = None,
    population: PopulationParam = Population.FIRST_TRANSPLANTS,
    landmark: LandmarkParam = None,
    time_unit: TimeUnitParam = TimeUnit.DAYS,
    format: FormatParam = OutputFormat.JSON,
    width_mm: WidthParam = None,
    height_mm: HeightParam = None,
    dpi: DpiParam = DPI,
    figure_time_unit: FigureUnitParam = None,
) -> Response | SurvivalSummary:
    """Kaplan-Meier estimates with log-log 95% limits at landmarks, medians and a log-rank test."""
    query = parse_query(
        SurvivalQuery,
        {
            "endpoint": endpoint,
            "group_by": group_by,
            "centre": centre,
            "population": population,
            "landmarks": landmark or None,
            "time_unit": time_unit,
        },
    )
    analysis = survival_analysis(_engine(request), query)
    if format is OutputFormat.JSON:
        return analysis.summary
    return _curve_figure(analysis, format, (width_mm, height_mm, dpi, figure_time_unit))


@router.get("/cif", response_model=IncidenceSummary, responses=_responses(404, 422))
def cif(
    request: Request,
    endpoint: Annotated[CompetingEndpoint, Query(description="competing-risks endpoint")] = CompetingEndpoint.RELAPSE,
    cause: Annotated[Cause, Query(description="1: the event of interest; 2: the competing event")] = 1,
    group_by: GroupParam = None,
    centre: CentreParam = None,
    population: PopulationParam = Population.FIRST_TRANSPLANTS,
    landmark: LandmarkParam = None,
    time_unit: TimeUnitParam = TimeUnit.DAYS,
    format: FormatParam = OutputFormat.JSON,
    width_mm: WidthParam = None,
    height_mm: HeightParam = None,
    dpi: DpiParam = DPI,
    figure_time_unit: FigureUnitParam = None,
) -> Response | IncidenceSummary:
    """Aalen-Johansen cumulative incidence with competing risks and Gray's test."""
    query = parse_query(
        CompetingRiskQuery,
        {
            "endpoint": endpoint,
            "cause": cause,
            "group_by": group_by,
            "centre": centre,
            "population": population,
            "landmarks": landmark or None,
            "time_unit": time_unit,
        },
    )
    analysis = competing_risk_analysis(_engine(request), query)
    if format is OutputFormat.JSON:
        return analysis.summary
    return _curve_figure(analysis, format, (width_mm, height_mm, dpi, figure_time_unit))


@router.get("/grfs", response_model=SurvivalSummary, responses=_responses(404, 422))
def grfs(
    request: Request,
    group_by: GroupParam = None,
    centre: CentreParam = None,
    population: PopulationParam = Population.FIRST_TRANSPLANTS,
    landmark: LandmarkParam = None,
    time_unit: TimeUnitParam = TimeUnit.DAYS,
    format: FormatParam = OutputFormat.JSON,
    width_mm: WidthParam = None,
    height_mm: HeightParam = None,
    dpi: DpiParam = DPI,
    figure_time_unit: FigureUnitParam = None,
) -> Response | SurvivalSummary:
    """GVHD-free, relapse-free survival after allogeneic transplants (``/survival?endpoint=grfs``)."""
    return survival(
        request,
        SurvivalEndpoint.GRFS,
        group_by,
        centre,
        population,
        landmark,
        time_unit,
        format,
        width_mm,
        height_mm,
        dpi,
        figure_time_unit,
    )


@router.get("/compare", response_model=GroupComparison, responses=problem_responses(404, 422))
def compare(
    request: Request,
    group_by: Annotated[GroupField, Query(description="field whose groups are compared")],
    endpoint: Annotated[EndpointName, Query(description="any endpoint")] = EndpointName.OS,
    cause: Annotated[Cause, Query(description="competing endpoints: the cause compared; else 1")] = 1,
    centre: CentreParam = None,
    population: PopulationParam = Population.FIRST_TRANSPLANTS,
    time_unit: TimeUnitParam = TimeUnit.DAYS,
) -> GroupComparison:
    """Log-rank (survival endpoints) or Gray's test (cumulative incidences) across groups."""
    query = parse_query(
        CompareQuery,
        {
            "group_by": group_by,
            "endpoint": endpoint,
            "cause": cause,
            "centre": centre,
            "population": population,
            "time_unit": time_unit,
        },
    )
    return group_comparison(_engine(request), query)


@router.get("/benchmark", response_model=BenchmarkReport, responses=_responses(404, 422))
def benchmark(
    request: Request,
    as_of: Annotated[dt.date | None, Query(description="data cut-off (default: latest date on file)")] = None,
    first_year: FirstYearParam = None,
    last_year: LastYearParam = None,
    n_bootstrap: Annotated[BootstrapReplicates, Query(description="bootstrap replicates")] = 2000,
    seed: Annotated[Seed, Query(description="bootstrap seed")] = 20081,
    format: FormatParam = OutputFormat.JSON,
) -> Response | BenchmarkReport:
    """Risk-adjusted 1-year survival per centre with 95% prediction intervals and CSA-style flags."""
    query = parse_query(
        BenchmarkQuery,
        {"as_of": as_of, "first_year": first_year, "last_year": last_year, "n_bootstrap": n_bootstrap, "seed": seed},
    )
    analysis = centre_benchmark(_engine(request), query)
    return analysis.report if format is OutputFormat.JSON else _figure(analysis.figure(), format)


@router.get("/activity", response_model=ActivityReport, responses=_responses(404, 422, csv=True))
def activity(
    request: Request,
    centre: CentreParam = None,
    first_year: FirstYearParam = None,
    last_year: LastYearParam = None,
    table: Annotated[ActivityTable, Query(description="the table returned with format=csv")] = ActivityTable.BY_YEAR,
    format: Annotated[ActivityFormat, Query(description="json, csv (one table), png or svg")] = ActivityFormat.JSON,
) -> Response | ActivityReport:
    """Transplants per year by type, indication, donor, graft source, first/subsequent (EBMT layout)."""
    query = parse_query(ActivityQuery, {"centre": centre, "first_year": first_year, "last_year": last_year})
    report = transplant_activity(_engine(request), query)
    if format is ActivityFormat.CSV:
        return Response(content=activity_csv(report, table), media_type="text/csv")
    if format is ActivityFormat.JSON:
        return report
    return _figure(activity_figure(report, ALL_CENTRES), format)
