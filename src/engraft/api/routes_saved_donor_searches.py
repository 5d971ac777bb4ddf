"""Saved donor searches: run a search and keep it, list them, read one, and its report for the coordinator.

``POST /api/donor-search/saved`` runs the search (the same request model and engine as
``POST /api/donor-search``) and stores the request, the ranked donors as returned, the IPD-IMGT/HLA release
and who ran it (audited), so the choice of donor can be audited later; the result is never taken from the
client. ``GET /api/donor-search/saved`` lists them (of one patient with ``patient_id``), ``GET .../{id}``
returns one, and ``GET .../{id}/report`` the coordinator's report as HTML or PDF, English or Chinese
(:mod:`engraft.io.donor_search_report_render`). The saved record holds no name, MRN or birth date.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import Field

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.donor_search_schemas import DonorSearchResult
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.api.routes_donor_search import DonorSearchRequest, donor_search
from engraft.io.donor_search_report_render import ReportFormat, ReportLanguage, render
from engraft.registry.saved_donor_searches import (
    MAX_LISTED,
    get_saved_donor_search,
    list_saved_donor_searches,
    save_donor_search,
)
from engraft.registry.schemas.common import MAX_RECORD_ID, RecordId, Text
from engraft.registry.schemas.donor_search import SavedDonorSearchIn, SavedDonorSearchRecord, SavedDonorSearchSummary
from engraft.registry.service import RegistryService

router = APIRouter(
    prefix="/api/donor-search/saved",
    tags=["donor search"],
    route_class=JsonBodyRoute,
    dependencies=[require(Permission.DONOR_SEARCH)],
)
Service = Annotated[RegistryService, Depends(acting_registry)]
SearchId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the saved search")]


class SaveDonorSearchRequest(DonorSearchRequest):
    """A donor search to run and keep: the search request, the patient it is for and a note."""

    patient_id: RecordId | None = Field(default=None, description="the registered patient searched for, if any")
    note: Text | None = Field(default=None, max_length=2000, description="the coordinator's note")

    def search_request(self) -> DonorSearchRequest:
        return DonorSearchRequest.model_validate(self.model_dump(exclude={"patient_id", "note"}))


_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the search coordinator's report of the saved search",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    **problem_responses(404, 422, 503),
}
_MEDIA = {ReportFormat.PDF: "application/pdf", ReportFormat.HTML: "text/html; charset=utf-8"}


def saved_search_input(
    search: DonorSearchRequest, result: DonorSearchResult, *, patient_id: int | None, note: str | None
) -> SavedDonorSearchIn:
    """What is kept of a search: the request and the result as the API answers them (also the CLI's)."""
    return SavedDonorSearchIn(
        patient_id=patient_id,
        patient_typing=search.patient,
        criteria=search.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
        hla_release=result.release,
        donors_in_registry=result.donors_in_registry,
        note=note,
    )


def run_and_save(request: Request, body: SaveDonorSearchRequest, service: RegistryService) -> SavedDonorSearchRecord:
    """Run ``body``'s search as ``POST /api/donor-search`` does and store it with its result (audited)."""
    search = body.search_request()
    result = donor_search(request, search)
    return save_donor_search(service, saved_search_input(search, result, patient_id=body.patient_id, note=body.note))


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(400, 404, 413, 415, 422, 503))
def save_search(request: Request, body: SaveDonorSearchRequest, service: Service) -> SavedDonorSearchRecord:
    """Run the donor search and keep it (request, ranked donors, release, who and when) for the audit."""
    return run_and_save(request, body, service)


@router.get("", responses=problem_responses(422))
def list_searches(
    service: Service,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID, description="only this patient's")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 50,
) -> list[SavedDonorSearchSummary]:
    """Saved searches, newest first, without their donors."""
    return list_saved_donor_searches(service, patient_id=patient_id, limit=limit)


@router.get("/{search_id}", responses=problem_responses(404, 422))
def get_search(search_id: SearchId, service: Service) -> SavedDonorSearchRecord:
    """One saved search with its request and ranked donors as stored."""
    return get_saved_donor_search(service, search_id)


@router.get("/{search_id}/report", responses=_DOCUMENT, response_class=Response)
def search_report_document(
    search_id: SearchId,
    service: Service,
    lang: Annotated[ReportLanguage, Query(description="language of the document")] = ReportLanguage.EN,
    format: Annotated[ReportFormat, Query(description="html or pdf")] = ReportFormat.PDF,
) -> Response:
    """The search coordinator's report of the saved search (no name, MRN or birth date in it)."""
    record = get_saved_donor_search(service, search_id)
    try:
        content = render(record, lang, format)
    except OSError as exc:  # WeasyPrint's system libraries missing on this server
        raise RequestProblem(503, f"PDF documents cannot be made on this server: {exc}") from exc
    headers = {
        "X-Document-Hash": record.content_hash,
        "Content-Disposition": f'inline; filename="donor-search-{search_id}.{format.value}"',
    }
    return Response(content=content, media_type=_MEDIA[format], headers=headers)
