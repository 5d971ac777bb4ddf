"""Saved donor searches on the web: save the search just run, the list (per patient), and one search's report.

``POST /donor-search/save`` runs the search again from the form (the API's request model and engine, never
a result sent by the browser) and keeps it with :func:`engraft.api.routes_saved_donor_searches.run_and_save`
(audited, with the signed-in user), then shows its report. ``/donor-search/saved`` lists saved searches
(``?patient_id=`` for one patient's); ``/donor-search/saved/{id}`` is the coordinator's report as a page in
the reader's language, with links to the PDF and the stand-alone HTML document.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.api.request_body import RequestProblem
from engraft.api.routes_saved_donor_searches import SaveDonorSearchRequest, run_and_save
from engraft.io.donor_search_report_render import ReportLanguage, render_html
from engraft.registry.errors import RecordNotFound
from engraft.registry.saved_donor_searches import get_saved_donor_search, list_saved_donor_searches
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.vocabulary import DonorKind, Serostatus
from engraft.web.error_pages import error_page
from engraft.web.forms.submitted import csrf_refused, form_values_of
from engraft.web.forms.values import field_errors
from engraft.web.pages_common import require_page
from engraft.web.templating import language_of, render

router = APIRouter(include_in_schema=False)

#: Form fields of the search that the save form sends back (hidden), as the search page posted them.
SEARCH_FIELDS: Final = ("max_mismatches", "donor_type", "patient_cmv", "limit", "predict_top")
OPTIONAL_FIELDS: Final = ("patient_abo", "patient_weight_kg", "patient_id", "note")


def report_language(request: Request) -> ReportLanguage:
    """The report language of the page's language (Chinese pages get the Chinese report)."""
    return ReportLanguage.ZH if language_of(request).code.startswith("zh") else ReportLanguage.EN


def _body(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"patient": values.get("patient", "").strip()}
    defaults = {"donor_type": DonorKind.ADULT.value, "patient_cmv": Serostatus.UNKNOWN.value}
    for name in SEARCH_FIELDS:
        body[name] = values.get(name) or defaults.get(name, "0")
    for name in OPTIONAL_FIELDS:
        if values.get(name, "").strip():
            body[name] = values[name].strip()
    return body


@router.post("/donor-search/save", response_class=HTMLResponse)
async def save_donor_search_page(
    request: Request, principal: Principal = Depends(require_page(Permission.DONOR_SEARCH))
) -> Response:
    """Run the search of the form again, keep it with its result, and show its report."""
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    try:
        body = SaveDonorSearchRequest.model_validate(_body(values))
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {', '.join(found)}" for name, found in field_errors(exc).items())
        return error_page(request, 422, detail=problems)
    try:
        saved = run_and_save(request, body, acting_registry(request))
    except RequestProblem as problem:
        return error_page(request, problem.status, detail=problem.detail)
    except RecordNotFound as exc:
        return error_page(request, 404, detail=str(exc))
    return RedirectResponse(f"/donor-search/saved/{saved.id}", status_code=303)


@router.get("/donor-search/saved", response_class=HTMLResponse)
def saved_donor_searches_page(
    request: Request,
    patient_id: int | None = None,
    principal: Principal = Depends(require_page(Permission.DONOR_SEARCH)),
) -> Response:
    """Saved searches, newest first (one patient's with ``patient_id``)."""
    if patient_id is not None and not 1 <= patient_id <= MAX_RECORD_ID:
        return error_page(request, 404, detail=f"no patient {patient_id}")
    searches = list_saved_donor_searches(acting_registry(request), patient_id=patient_id, limit=100)
    return render(request, "donor_search/saved_list.html", {"searches": searches, "patient_id": patient_id})


@router.get("/donor-search/saved/{search_id}", response_class=HTMLResponse)
def saved_donor_search_page(
    request: Request, search_id: int, principal: Principal = Depends(require_page(Permission.DONOR_SEARCH))
) -> Response:
    """The coordinator's report of one saved search, in the page's language."""
    if not 1 <= search_id <= MAX_RECORD_ID:
        return error_page(request, 404, detail=f"no saved donor search {search_id}")
    try:
        record = get_saved_donor_search(acting_registry(request), search_id)
    except RecordNotFound as exc:
        return error_page(request, 404, detail=str(exc))
    language = report_language(request)
    report = Markup(render_html(record, language, standalone=False))
    context = {"record": record, "report": report, "report_lang": language.value}
    return render(request, "donor_search/saved.html", context)
