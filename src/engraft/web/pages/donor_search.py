"""The donor search page: a typing in, ranked donors out, with per-locus detail and why each ranks where it does.

The typing is a GL String or two fields per locus, or a patient's stored typing (``?patient_id=``, which also
fills in the patient's CMV serostatus, ABO group and weight). The search is the API's: the same request model
(:class:`~engraft.api.routes_donor_search.DonorSearchRequest`, so the same limits) and the same engine of the
process's :class:`~engraft.api.routes_donor_search.DonorRegistry`. Without an IPD-IMGT/HLA release or a donor
registry the page explains what is missing instead of failing. The search is posted (a typing stays out of
addresses and logs) with the session's CSRF token.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.api.request_body import RequestProblem
from engraft.api.routes_donor_search import DonorRegistry, DonorSearchRequest
from engraft.hla.nomenclature.errors import HlaError
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.registry.errors import RecordNotFound
from engraft.registry.service import RegistryService
from engraft.vocabulary import AboGroup, DonorKind, Serostatus
from engraft.vocabulary.hla import MATCH_LOCI, STORED_LOCI
from engraft.web.error_pages import error_page
from engraft.web.forms.labels import enum_label
from engraft.web.forms.submitted import csrf_refused, form_values_of, session_csrf_token
from engraft.web.forms.values import field_errors
from engraft.web.i18n import N_
from engraft.web.pages.donor_search_view import TypingFieldsError, gl_from_fields, search_view
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

SECTION: Final = register(
    Section(
        "donor-search",
        N_("Donor search"),
        "/donor-search",
        Permission.DONOR_SEARCH,
        order=40,
        summary=N_("Unrelated donors and cord units ranked for a patient's HLA typing."),
    )
)
router = APIRouter(include_in_schema=False)

DEFAULTS: Final[dict[str, str]] = {
    "typing_mode": "gl",
    "max_mismatches": "1",
    "donor_type": DonorKind.ADULT.value,
    "patient_cmv": Serostatus.UNKNOWN.value,
    "patient_abo": "",
    "patient_weight_kg": "",
    "limit": "20",
    "predict_top": "5",
}
DONOR_TYPES: Final = (
    (DonorKind.ADULT.value, N_("Adult donors")),
    (DonorKind.CORD.value, N_("Cord blood units")),
    ("any", N_("Both")),
)


def _registry(request: Request) -> DonorRegistry:
    registry: DonorRegistry = request.app.state.donor_registry
    return registry


def _engine_or_reason(request: Request) -> tuple[DonorSearch | None, str]:
    try:
        return _registry(request).search_engine(), ""
    except RequestProblem as problem:
        return None, problem.detail


def _page(request: Request, values: dict[str, str], *, status_code: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "values": values,
        "errors": {},
        "view": None,
        "loci": STORED_LOCI,
        "match_loci": MATCH_LOCI,
        "donor_types": DONOR_TYPES,
        "serostatuses": [(s.value, enum_label(s)) for s in Serostatus],
        "abo_groups": [(a.value, a.value) for a in AboGroup],
        "patient_id": values.get("patient_id", ""),
        "form_csrf": session_csrf_token(request),
    }
    context.update(extra)
    return render(request, "donor_search/search.html", context, status_code=status_code)


def _unavailable(request: Request, reason: str) -> Response:
    return render(request, "donor_search/unavailable.html", {"reason": reason})


def _patient_values(service: RegistryService, patient_id: int) -> dict[str, str]:
    patient = service.get_patient(patient_id)
    values = {"patient_id": str(patient_id), "typing_mode": "gl", "gl": patient.hla_gl_string or ""}
    values["patient_cmv"] = patient.cmv_serostatus.value
    values["patient_abo"] = patient.abo.value if patient.abo is not None else ""
    values["patient_weight_kg"] = f"{patient.weight_kg:g}" if patient.weight_kg is not None else ""
    return values


@router.get("/donor-search", response_class=HTMLResponse, name="donor_search")
def donor_search_form(
    request: Request,
    patient_id: int | None = None,
    principal: Principal = Depends(require_page(Permission.DONOR_SEARCH)),
) -> Response:
    """The search form, filled in with a patient's typing when ``patient_id`` is given."""
    engine, reason = _engine_or_reason(request)
    if engine is None:
        return _unavailable(request, reason)
    values = dict(DEFAULTS)
    if patient_id is not None:
        try:
            values.update(_patient_values(acting_registry(request), patient_id))
        except RecordNotFound:
            return error_page(request, 404, detail=f"no patient {patient_id}")
        if not values.get("gl"):
            return _page(
                request, values, engine=engine, notice=N_("This patient has no HLA typing on file: enter one.")
            )
    return _page(request, values, engine=engine)


def _gl_of(values: dict[str, str]) -> str:
    if values.get("typing_mode") == "loci":
        fields = {
            locus: (values.get(f"{locus.value}_1", ""), values.get(f"{locus.value}_2", "")) for locus in STORED_LOCI
        }
        return gl_from_fields(fields)
    return values.get("gl", "").strip()


@router.post("/donor-search", response_class=HTMLResponse)
async def run_donor_search(
    request: Request, principal: Principal = Depends(require_page(Permission.DONOR_SEARCH))
) -> Response:
    """Run the search (the API's request model and engine) and show the ranked donors."""
    values = await form_values_of(request)
    refused = csrf_refused(request, values)
    if refused is not None:
        return refused
    engine, reason = _engine_or_reason(request)
    if engine is None:
        return _unavailable(request, reason)
    try:
        gl = _gl_of(values)
    except TypingFieldsError as exc:
        return _page(request, values, engine=engine, errors={"typing": [str(exc)]}, status_code=422)
    body: dict[str, Any] = {
        "patient": gl,
        "max_mismatches": values.get("max_mismatches") or "0",
        "donor_type": values.get("donor_type") or DonorKind.ADULT.value,
        "patient_cmv": values.get("patient_cmv") or Serostatus.UNKNOWN.value,
        "limit": values.get("limit") or "20",
        "predict_top": values.get("predict_top") or "0",
    }
    for optional in ("patient_abo", "patient_weight_kg"):
        if values.get(optional):
            body[optional] = values[optional]
    try:
        search = DonorSearchRequest.model_validate(body)
    except ValidationError as exc:
        errors = {("typing" if k == "patient" else k): v for k, v in field_errors(exc).items()}
        return _page(request, values, engine=engine, errors=errors, status_code=422)
    criteria = search.criteria()
    try:
        result = engine.search(patient_typing(engine.nom, search.patient, mac=engine.mac), criteria)
    except (HlaError, ValueError) as exc:
        return _page(request, values, engine=engine, errors={"typing": [str(exc)]}, status_code=422)
    view = search_view(
        result,
        criteria,
        release=engine.nom.release,
        donors_in_registry=len(engine.store),
        prediction_available=engine.predictor is not None,
    )
    return _page(request, values, engine=engine, view=view, criteria=criteria, searched_gl=search.patient)
