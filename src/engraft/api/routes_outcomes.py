"""Outcomes over HTTP: survival, cumulative incidence, GRFS, comparisons, benchmarking, activity.

Every route reads the registry through ``request.app.state.engine``. ``format=json`` (default)
returns the summary; ``format=png`` or ``format=svg`` returns the figure (image/png,
image/svg+xml); ``/activity`` also offers ``format=csv``. Invalid parameters give 422 with the
field, the value and what was expected, as the registry routes do.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from matplotlib.figure import Figure
from sqlalchemy import Engine

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.activity import ALL_CENTRES, activity_figure
from engraft.outcomes.benchmarking import benchmark_centres, benchmark_figure
from engraft.outcomes.registry_endpoints import (
    ENDPOINTS,
    analyse,
    analysis_rows,
    benchmark_cohort,
    compare_groups,
    derive_endpoint,
    endpoint_figure,
    endpoint_spec,
    group_labels,
)
from engraft.registry.outcome_data import activity_report_of, load_activity_records, load_outcome_table

router = APIRouter(prefix="/api/outcomes", tags=["outcomes"])

Format = Literal["json", "png", "svg"]
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def _problem(field: str, value: Any, expected: str) -> HTTPException:
    return HTTPException(422, [{"field": field, "value": value, "expected": expected, "message": expected}])


def _figure_response(fig: Figure, fmt: str) -> Response:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150)
    return Response(content=buf.getvalue(), media_type=MEDIA[fmt])


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _endpoint_result(
    request: Request,
    *,
    endpoint: str,
    kind: str,
    group_by: str | None,
    centre: str | None,
    all_transplants: bool,
    landmark: list[float] | None,
    cause: int,
    fmt: Format,
) -> Any:
    try:
        spec = endpoint_spec(endpoint)
    except OutcomeInputError as exc:
        raise _problem("endpoint", endpoint, f"one of {', '.join(ENDPOINTS)}") from exc
    if spec.kind != kind:
        names = [n for n, s in ENDPOINTS.items() if s.kind == kind]
        raise _problem("endpoint", endpoint, f"a {kind} endpoint: one of {', '.join(names)}")
    table = load_outcome_table(_engine(request), centre=centre)
    if not all_transplants:
        table = table.first_transplants()
    table = analysis_rows(table, endpoint)
    if len(table) == 0:
        raise HTTPException(404, f"no transplants to analyse for endpoint {endpoint!r}")
    ep = derive_endpoint(table, endpoint)
    try:
        groups = None if group_by is None else group_labels(table, group_by)
        if fmt != "json":
            return _figure_response(endpoint_figure(ep, groups, cause=cause), fmt)
        summary = analyse(ep, groups, landmarks=landmark, cause=cause)
    except OutcomeInputError as exc:
        raise _problem("query", str(exc), "valid analysis parameters") from exc
    summary["provenance"] = {
        "source": "registry",
        "centre": centre,
        "population": "all transplants" if all_transplants else "first transplants",
        "allogeneic_only": spec.allogeneic_only,
    }
    return summary


GroupQuery = Query(None, description="group by: transplant_type, donor_relation, graft_source, centre, ...")
CentreQuery = Query(None, description="only this centre's transplants")
AllQuery = Query(False, description="every episode instead of first transplants only")
LandmarkQuery = Query(None, description="landmark days (repeatable)")
FormatQuery = Query("json", description="json, png or svg")


@router.get("/endpoints")
def list_endpoints() -> list[dict[str, Any]]:
    """The endpoints the registry supports, with their kind and cause labels."""
    return [
        {
            "name": s.name,
            "label": s.label,
            "kind": s.kind,
            "allogeneic_only": s.allogeneic_only,
            "causes": list(s.cause_labels),
        }
        for s in ENDPOINTS.values()
    ]


@router.get("/survival", response_model=None)
def survival(
    request: Request,
    endpoint: str = Query("os", description="os, dfs, pfs or grfs"),
    group_by: str | None = GroupQuery,
    centre: str | None = CentreQuery,
    all_transplants: bool = AllQuery,
    landmark: list[float] | None = LandmarkQuery,
    format: Format = FormatQuery,
) -> Any:
    """Kaplan-Meier estimates with log-log 95% limits at landmarks, medians and a log-rank test."""
    return _endpoint_result(
        request,
        endpoint=endpoint,
        kind="survival",
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
        landmark=landmark,
        cause=1,
        fmt=format,
    )


@router.get("/cif", response_model=None)
def cif(
    request: Request,
    endpoint: str = Query("relapse", description="relapse, nrm, agvhd_2_4, agvhd_3_4, cgvhd, engraftment"),
    cause: int = Query(1, ge=1, le=2, description="1: event of interest; 2: the competing event"),
    group_by: str | None = GroupQuery,
    centre: str | None = CentreQuery,
    all_transplants: bool = AllQuery,
    landmark: list[float] | None = LandmarkQuery,
    format: Format = FormatQuery,
) -> Any:
    """Aalen-Johansen cumulative incidence with competing risks and Gray's test."""
    return _endpoint_result(
        request,
        endpoint=endpoint,
        kind="competing",
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
        landmark=landmark,
        cause=cause,
        fmt=format,
    )


@router.get("/grfs", response_model=None)
def grfs(
    request: Request,
    group_by: str | None = GroupQuery,
    centre: str | None = CentreQuery,
    all_transplants: bool = AllQuery,
    landmark: list[float] | None = LandmarkQuery,
    format: Format = FormatQuery,
) -> Any:
    """GVHD-free, relapse-free survival after allogeneic transplants."""
    return _endpoint_result(
        request,
        endpoint="grfs",
        kind="survival",
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
        landmark=landmark,
        cause=1,
        fmt=format,
    )


@router.get("/compare")
def compare(
    request: Request,
    group_by: str = Query(..., description="field to compare across"),
    endpoint: str = Query("os"),
    cause: int = Query(1, ge=1, le=2),
    centre: str | None = CentreQuery,
    all_transplants: bool = AllQuery,
) -> dict[str, Any]:
    """Log-rank (survival endpoints) or Gray's test (cumulative incidences) across groups."""
    try:
        spec = endpoint_spec(endpoint)
    except OutcomeInputError as exc:
        raise _problem("endpoint", endpoint, f"one of {', '.join(ENDPOINTS)}") from exc
    table = load_outcome_table(_engine(request), centre=centre)
    if not all_transplants:
        table = table.first_transplants()
    table = analysis_rows(table, spec.name)
    if len(table) == 0:
        raise HTTPException(404, f"no transplants to analyse for endpoint {endpoint!r}")
    try:
        return compare_groups(derive_endpoint(table, spec.name), group_labels(table, group_by), cause=cause)
    except OutcomeInputError as exc:
        raise _problem("group_by", group_by, str(exc)) from exc


@router.get("/benchmark", response_model=None)
def benchmark(
    request: Request,
    as_of: dt.date | None = Query(None, description="data cut-off (default: latest date on file)"),
    first_year: int | None = Query(None),
    last_year: int | None = Query(None),
    n_bootstrap: int = Query(2000, ge=100, le=20000),
    seed: int = Query(20081),
    format: Format = FormatQuery,
) -> Any:
    """Risk-adjusted 1-year survival per centre with 95% prediction intervals and CSA-style flags."""
    table = load_outcome_table(_engine(request))
    try:
        cohort = benchmark_cohort(table, as_of=as_of, first_year=first_year, last_year=last_year)
        result = benchmark_centres(
            cohort.time, cohort.event, cohort.centre, cohort.covariates, n_bootstrap=n_bootstrap, seed=seed
        )
    except OutcomeInputError as exc:
        raise _problem("cohort", str(exc), "at least 2 eligible first allogeneic transplants") from exc
    if format != "json":
        return _figure_response(benchmark_figure(result), format)
    doc = result.to_json()
    doc["cohort"] = {
        "population": "first allogeneic transplants with > 365 days of potential follow-up",
        "as_of": cohort.as_of,
        "first_year": first_year,
        "last_year": last_year,
    }
    return doc


@router.get("/activity", response_model=None)
def activity(
    request: Request,
    centre: str | None = CentreQuery,
    first_year: int | None = Query(None),
    last_year: int | None = Query(None),
    table: Literal["by_year", "by_indication"] = Query("by_year", description="table for format=csv"),
    format: Literal["json", "csv", "png", "svg"] = Query("json"),
) -> Any:
    """Transplants per year by type, indication, donor, graft source, first/subsequent (EBMT layout)."""
    records = load_activity_records(_engine(request), centre=centre)
    if len(records) == 0:
        raise HTTPException(404, "the registry holds no transplants to count")
    report = activity_report_of(records, first_year, last_year)
    if format == "csv":
        return Response(content=report.to_csv(table), media_type="text/csv")
    if format in MEDIA:
        return _figure_response(activity_figure(report, ALL_CENTRES), format)
    return report.to_json()
