"""Risk assessment pages: the instruments of the score catalogue, and an episode's risk profile.

``/risk`` lists the instruments; ``/risk/<name>`` is a form generated from the instrument's input model
(:mod:`engraft.web.forms`) that runs it and shows the result with its components, published outcomes, citation
and verification (stateless: nothing is stored; any signed-in account). ``/episodes/<id>/risk`` runs the
episode's risk profile as ``POST /api/episodes/<id>/risk-profile`` does (:func:`build_risk_profile`), storing
the assessments, so it needs :attr:`Permission.RISK_ASSESS` and the session's CSRF token. For an immune
effector cell (CAR-T) episode it is refused (:func:`not_a_transplant_page`): the instruments are for transplants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.registry.checks import require_transplant
from engraft.registry.errors import InvalidRecord, RecordNotFound
from engraft.registry.patient_record import read_episodes
from engraft.registry.risk_profile import RiskProfileRequest, build_risk_profile
from engraft.scores.catalog import CATALOG, CatalogEntry
from engraft.web.error_pages import error_page
from engraft.web.forms import FormSpec, Repeat, build_form, default_values, field_errors, payload_from_form, row_count
from engraft.web.forms.submitted import csrf_refused, form_values_of, session_csrf_token
from engraft.web.forms.values import MAX_ROWS, FormValues
from engraft.web.i18n import N_
from engraft.web.pages.patient_words import kind_numbers
from engraft.web.pages.risk_view import ALL_BADGES, ResultView, citation_view, result_view, stored_result
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

SECTION: Final = register(
    Section(
        "risk",
        N_("Risk assessment"),
        "/risk",
        Permission.SIGNED_IN,
        order=30,
        summary=N_("Pre-transplant risk scores with their sources, and an episode's risk profile."),
    )
)
NOT_A_TRANSPLANT: Final = (
    N_("Not for immune effector cell therapy"),
    N_(
        "The transplant risk assessment (HCT-CI, EBMT risk score, disease risk index) and the risk explanation "
        "for the patient and family apply to a haematopoietic cell transplant, not to immune effector cell "
        "therapy such as CAR-T cells."
    ),
)
"""Title and explanation of the page refusing a transplant-only part for an immune effector cell episode."""
ADD_ROW: Final = "add_row"
"""The submit button that adds a row to a repeat (its value: the repeat's name) instead of running."""

router = APIRouter(include_in_schema=False)

_FORMS: Final[dict[str, FormSpec]] = {name: build_form(entry.input_model) for name, entry in CATALOG.items()}
_PROFILE_FORM: Final = build_form(RiskProfileRequest)


def _rows_of(values: FormValues) -> Any:
    def rows(repeat: Repeat) -> Any:
        return repeat.rows(row_count(repeat, values))

    return rows


def _with_added_row(form: FormSpec, values: dict[str, str], name: str) -> dict[str, str]:
    for repeat in _all_repeats(form):
        if repeat.name == name:
            values[repeat.rows_name] = str(min(row_count(repeat, values) + 1, MAX_ROWS))
    return values


def _all_repeats(form: FormSpec) -> list[Repeat]:
    found = list(form.repeats())
    for repeat in list(found):
        for row in repeat.rows(1):
            found.extend(FormSpec(form.model_name, row.children).repeats())
    return found


def _form_context(
    request: Request, form: FormSpec, values: FormValues, errors: Mapping[str, list[str]]
) -> dict[str, Any]:
    return {
        "form": form,
        "values": values,
        "errors": errors,
        "rows_of": _rows_of(values),
        "add_row": ADD_ROW,
        "form_csrf": session_csrf_token(request),
    }


def _entry(name: str) -> CatalogEntry | None:
    return CATALOG.get(name)


@router.get("/risk", response_class=HTMLResponse, name="risk_instruments")
def instruments(request: Request, principal: Principal = Depends(require_page(Permission.SIGNED_IN))) -> HTMLResponse:
    """The instruments of the catalogue, each with its description and source."""
    entries = [(entry, entry.citation.short()) for entry in CATALOG.values()]
    return render(request, "risk/index.html", {"entries": entries, "may_assess": principal.may(Permission.RISK_ASSESS)})


def _instrument_page(
    request: Request,
    entry: CatalogEntry,
    values: FormValues,
    errors: Mapping[str, list[str]],
    result: ResultView | None,
    status_code: int = 200,
) -> HTMLResponse:
    context = _form_context(request, _FORMS[entry.name], values, errors)
    context.update(
        {"entry": entry, "entry_citation": citation_view(entry.citation), "result": result, "badges": ALL_BADGES}
    )
    return render(request, "risk/instrument.html", context, status_code=status_code)


@router.get("/risk/{name}", response_class=HTMLResponse, name="risk_instrument")
def instrument_form(
    request: Request, name: str, principal: Principal = Depends(require_page(Permission.SIGNED_IN))
) -> Response:
    """The instrument's form, blank (its defaults filled in)."""
    entry = _entry(name)
    if entry is None:
        return _not_found(request, name)
    return _instrument_page(request, entry, default_values(_FORMS[name], entry.input_model), {}, None)


@router.post("/risk/{name}", response_class=HTMLResponse)
async def run_instrument(
    request: Request, name: str, principal: Principal = Depends(require_page(Permission.SIGNED_IN))
) -> Response:
    """Run the instrument on the submitted form; nothing is stored."""
    entry = _entry(name)
    if entry is None:
        return _not_found(request, name)
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    form = _FORMS[name]
    if values.get(ADD_ROW):
        return _instrument_page(request, entry, _with_added_row(form, dict(values), values[ADD_ROW]), {}, None)
    try:
        data = entry.input_model.model_validate(payload_from_form(form, values))
        result = entry.function(data)
    except ValidationError as exc:
        return _instrument_page(request, entry, values, field_errors(exc), None, status_code=422)
    except ValueError as exc:
        return _instrument_page(request, entry, values, {"": [str(exc)]}, None, status_code=422)
    return _instrument_page(request, entry, values, {}, result_view(result))


def _not_found(request: Request, name: str) -> Response:
    return error_page(request, 404, detail=f"unknown instrument {name[:80]!r}; expected one of {', '.join(CATALOG)}")


# ---- an episode's risk profile -----------------------------------------------------------------------------


class _ProfileRow(BaseModel):
    instrument: str
    label: str
    result: Any = None
    reason: str = ""


def not_a_transplant_page(request: Request) -> Response:
    """The refusal of a transplant-only page for an immune effector cell episode (the API's 422 on
    ``cell_therapy``)."""
    return error_page(request, 422, wording=NOT_A_TRANSPLANT)


def _episode_page(
    request: Request,
    episode_id: int,
    values: FormValues,
    errors: Mapping[str, list[str]],
    ran: list[_ProfileRow] | None,
    status_code: int = 200,
) -> Response:
    service = acting_registry(request)
    try:
        episode = service.get_episode(episode_id)
        require_transplant(episode.cell_therapy)
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    except InvalidRecord:
        return not_a_transplant_page(request)
    number = kind_numbers(read_episodes(service, episode.patient_id))[episode.id]  # among the patient's transplants
    stored = service.list_assessments(limit=100, offset=0, episode_id=episode_id).items
    previous = [(a, result_view(stored_result(a.instrument, a.result))) for a in stored]
    context = _form_context(request, _PROFILE_FORM, values, errors)
    context.update({"episode": episode, "number": number, "ran": ran, "previous": previous, "badges": ALL_BADGES})
    return render(request, "risk/episode.html", context, status_code=status_code)


@router.get("/episodes/{episode_id}/risk", response_class=HTMLResponse, name="episode_risk")
def episode_risk(
    request: Request, episode_id: int, principal: Principal = Depends(require_page(Permission.RISK_ASSESS))
) -> Response:
    """The episode's risk profile form, and the assessments already stored for it."""
    return _episode_page(request, episode_id, default_values(_PROFILE_FORM, RiskProfileRequest), {}, None)


@router.post("/episodes/{episode_id}/risk", response_class=HTMLResponse)
async def run_episode_risk(
    request: Request, episode_id: int, principal: Principal = Depends(require_page(Permission.RISK_ASSESS))
) -> Response:
    """Run every applicable instrument for the episode and store the assessments (CSRF-protected)."""
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    if values.get(ADD_ROW):
        added = _with_added_row(_PROFILE_FORM, dict(values), values[ADD_ROW])
        return _episode_page(request, episode_id, added, {}, None)
    try:
        profile_request = RiskProfileRequest.model_validate(payload_from_form(_PROFILE_FORM, values))
    except ValidationError as exc:
        return _episode_page(request, episode_id, values, field_errors(exc), None, status_code=422)
    service = acting_registry(request)
    try:
        profile = build_risk_profile(service, episode_id, profile_request)
    except RecordNotFound:
        return error_page(request, 404, detail=f"no transplant episode {episode_id}")
    except InvalidRecord as exc:
        if any(problem.field == "cell_therapy" for problem in exc.problems):
            return not_a_transplant_page(request)
        errors = {problem.field: [problem.expected] for problem in exc.problems}
        return _episode_page(request, episode_id, values, errors, None, status_code=422)
    except ValueError as exc:
        return _episode_page(request, episode_id, values, {"": [str(exc)]}, None, status_code=422)
    rows = [
        _ProfileRow(
            instrument=a.instrument,
            label=a.instrument,
            result=result_view(stored_result(a.instrument, a.result)),
        )
        for a in profile.assessments
    ] + [_ProfileRow(instrument=s.instrument, label=s.instrument, reason=s.reason) for s in profile.skipped]
    return _episode_page(request, episode_id, values, {}, rows)
