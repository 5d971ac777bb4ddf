"""The patient and family risk explanation of an episode and its informed-consent records.

``GET /api/episodes/{id}/risk-report``: the document (``format=pdf`` or ``html``, ``lang=en`` or ``zh``) or,
as JSON (the default), its fingerprint and versions, which a consent record names. ``POST`` and ``GET``
``/api/episodes/{id}/consent-records``: record that a document was explained, and list those records. An immune
effector cell episode has no such document (422 on ``cell_therapy``, from the registry's
:func:`~engraft.registry.checks.require_transplant`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.io.risk_report_render import ReportFormat, ReportLanguage, render
from engraft.registry.consent_records import create_consent_record, list_consent_records
from engraft.registry.risk_report_data import episode_risk_report
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.registry.schemas.consent import ConsentRecordIn, ConsentRecordOut
from engraft.registry.service import RegistryService
from engraft.reports.centre_results import DEFAULT_MIN_PEERS
from engraft.reports.document import REPORT_VERSION

router = APIRouter(prefix="/api", route_class=JsonBodyRoute, tags=["reports"])

Service = Annotated[RegistryService, Depends(acting_registry)]
EpisodeId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the transplant episode")]


class DocumentFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


class RiskReportSummary(BaseModel):
    """What a consent record names: the document's fingerprint, version and language."""

    episode_id: int
    language: ReportLanguage
    document_hash: str
    document_version: str
    software_version: str
    centre_results_shown: bool


_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON (fingerprint and versions) by default; the document when `format` asks for it",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    **problem_responses(404, 422, 503),
}
_MEDIA = {ReportFormat.PDF: "application/pdf", ReportFormat.HTML: "text/html; charset=utf-8"}


@router.get(
    "/episodes/{episode_id}/risk-report",
    responses=_DOCUMENT,
    dependencies=[require(Permission.PATIENT_READ)],
    response_model=RiskReportSummary,
)
def risk_report(
    request: Request,
    episode_id: EpisodeId,
    lang: Annotated[ReportLanguage, Query(description="language of the document")] = ReportLanguage.EN,
    format: Annotated[DocumentFormat, Query(description="json (fingerprint), html or pdf")] = DocumentFormat.JSON,
    min_peers: Annotated[
        int, Query(ge=1, le=100_000, description="similar patients needed before the centre's results are shown")
    ] = DEFAULT_MIN_PEERS,
) -> Any:
    """The patient and family risk explanation of the episode (no identifying data in it).

    It explains a haematopoietic cell transplant's risk: an immune effector cell (CAR-T) episode is refused with
    422 naming `cell_therapy`, as is recording consent to it."""
    report = episode_risk_report(acting_registry(request), request.app.state.engine, episode_id, min_peers=min_peers)
    if format is DocumentFormat.JSON:
        return RiskReportSummary(
            episode_id=episode_id,
            language=lang,
            document_hash=report.content_hash(lang.value),
            document_version=f"{REPORT_VERSION}",
            software_version=report.versions.software,
            centre_results_shown=report.centre.shown,
        )
    document_format = ReportFormat(format.value)
    try:
        content = render(report, lang, document_format)
    except OSError as exc:  # WeasyPrint's system libraries missing on this server
        raise RequestProblem(503, f"PDF documents cannot be made on this server: {exc}") from exc
    headers = {"X-Document-Hash": report.content_hash(lang.value)}
    return Response(content=content, media_type=_MEDIA[document_format], headers=headers)


@router.post(
    "/episodes/{episode_id}/consent-records",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 404, 409, 413, 415, 422),
    dependencies=[require(Permission.PATIENT_WRITE)],
)
def create_consent(episode_id: EpisodeId, data: ConsentRecordIn, service: Service) -> ConsentRecordOut:
    """Record that the episode's risk explanation was gone through with the patient and family."""
    return create_consent_record(service, episode_id, data)


@router.get(
    "/episodes/{episode_id}/consent-records",
    responses=problem_responses(404, 422),
    dependencies=[require(Permission.PATIENT_READ)],
)
def list_consents(episode_id: EpisodeId, service: Service) -> list[ConsentRecordOut]:
    """The episode's consent records, oldest first."""
    return list_consent_records(service, episode_id)
