"""The outcomes page: survival and cumulative incidence by group, transplant activity, the centre benchmark.

Aggregates only (researchers use it): estimates, counts and centre rows, never a patient's record. The
endpoint, grouping, centre and population are chosen in a GET form (nothing identifying in the address);
each figure and table downloads as PNG, SVG or CSV from ``/outcomes/download/<what>/<format>`` with the
same query. The benchmark (a bootstrap) loads after the page, by htmx, from ``/outcomes/benchmark``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from engraft.access import Permission, Principal
from engraft.outcomes import NothingToAnalyse, OutcomeInputError
from engraft.outcomes.queries import CompetingEndpoint, EndpointName, GroupField, Population, SurvivalEndpoint
from engraft.vocabulary import TimeUnit
from engraft.web.error_pages import error_page
from engraft.web.forms.values import field_errors
from engraft.web.i18n import N_
from engraft.web.pages.outcomes_view import (
    CAUSE_LABELS,
    ENDPOINT_LABELS,
    FLAG_LABELS,
    GROUP_LABELS,
    POPULATION_LABELS,
    TIME_UNIT_LABELS,
    Download,
    DownloadFormat,
    OutcomeChoice,
    activity_answer,
    at_risk_table,
    benchmark_answer,
    download,
    endpoint_answer,
)
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import language_of, render

SECTION: Final = register(
    Section(
        "outcomes",
        N_("Outcomes"),
        "/outcomes",
        Permission.OUTCOMES_READ,
        order=50,
        summary=N_("Survival and cumulative incidence, transplant activity and the centre benchmark."),
    )
)
router = APIRouter(include_in_schema=False)
CHOICE_FIELDS: Final = tuple(OutcomeChoice.model_fields)


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _choice(request: Request) -> tuple[OutcomeChoice, dict[str, str], dict[str, list[str]]]:
    """The choice the query asks for (defaults where it asks nothing), the raw values, and any errors."""
    raw = {key: value for key, value in request.query_params.items() if key in CHOICE_FIELDS and value.strip()}
    try:
        return OutcomeChoice.model_validate(raw), raw, {}
    except ValidationError as exc:
        return OutcomeChoice(), raw, field_errors(exc)


def _query_string(choice: OutcomeChoice) -> str:
    data = choice.model_dump(mode="json", exclude_defaults=True)
    return urlencode({key: value for key, value in data.items() if value is not None})


def _options() -> dict[str, Any]:
    return {
        "survival_endpoints": [(e.value, ENDPOINT_LABELS[EndpointName(e.value)]) for e in SurvivalEndpoint],
        "competing_endpoints": [(e.value, ENDPOINT_LABELS[EndpointName(e.value)]) for e in CompetingEndpoint],
        "groups": [(g.value, GROUP_LABELS[g]) for g in GroupField],
        "populations": [(p.value, POPULATION_LABELS[p]) for p in Population],
        "time_units": [(u.value, TIME_UNIT_LABELS[u]) for u in TimeUnit],
        "causes": list(CAUSE_LABELS.items()),
        "flag_labels": FLAG_LABELS,
    }


@router.get("/outcomes", response_class=HTMLResponse, name="outcomes")
def outcomes(request: Request, principal: Principal = Depends(require_page(Permission.OUTCOMES_READ))) -> Response:
    """Curves, numbers at risk and estimates for the chosen endpoint; the activity report; the benchmark."""
    choice, raw, errors = _choice(request)
    engine = _engine(request)
    context: dict[str, Any] = {
        "choice": choice,
        "raw": raw,
        "errors": errors,
        "query": _query_string(choice),
        "endpoint_label": ENDPOINT_LABELS[choice.endpoint],
        **_options(),
    }
    try:
        answer = endpoint_answer(engine, choice)
        context.update(summary=answer.summary, at_risk=at_risk_table(answer), endpoint_problem="")
    except NothingToAnalyse as exc:
        context.update(summary=None, at_risk=None, endpoint_problem=str(exc))
    except OutcomeInputError as exc:
        context.update(summary=None, at_risk=None, endpoint_problem=str(exc))
    try:
        context.update(activity=activity_answer(engine, choice), activity_problem="")
    except OutcomeInputError as exc:
        context.update(activity=None, activity_problem=str(exc))
    return render(request, "outcomes/outcomes.html", context, status_code=422 if errors else 200)


@router.get("/outcomes/benchmark", response_class=HTMLResponse, name="outcomes_benchmark")
def benchmark(request: Request, principal: Principal = Depends(require_page(Permission.OUTCOMES_READ))) -> Response:
    """The centre benchmark table (a fragment the outcomes page loads; a page of its own without htmx)."""
    choice, _raw, _errors = _choice(request)
    context: dict[str, Any] = {"choice": choice, "query": _query_string(choice), **_options()}
    try:
        context.update(report=benchmark_answer(_engine(request), choice).report, problem="")
    except OutcomeInputError as exc:
        context.update(report=None, problem=str(exc))
    fragment = request.headers.get("hx-request") == "true"
    template = "outcomes/_benchmark.html" if fragment else "outcomes/benchmark.html"
    return render(request, template, context)


@router.get("/outcomes/download/{what}/{fmt}", name="outcomes_download")
def download_file(
    request: Request,
    what: str,
    fmt: str,
    principal: Principal = Depends(require_page(Permission.OUTCOMES_READ)),
) -> Response:
    """A figure (PNG, SVG) or table (CSV) of the chosen answer, as an attachment."""
    try:
        kind, file_format = Download(what), DownloadFormat(fmt)
    except ValueError:
        return error_page(request, 404, detail=f"no download {what[:40]!r} as {fmt[:10]!r}")
    choice, _raw, errors = _choice(request)
    if errors:
        return error_page(request, 400, detail=_first(errors))
    try:
        file = download(_engine(request), kind, file_format, choice, language_of(request).code)
    except NothingToAnalyse as exc:
        return error_page(request, 404, detail=str(exc))
    except (OutcomeInputError, ValueError) as exc:
        return error_page(request, 400, detail=str(exc))
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": file.content_disposition, "Cache-Control": "no-store"},
    )


def _first(errors: Mapping[str, list[str]]) -> str:
    for name, messages in errors.items():
        return f"{name}: {messages[0]}"
    return ""
