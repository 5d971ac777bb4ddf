"""FHIR R4 results in: ``POST /api/fhir`` takes a Bundle, an Observation or a MedicationAdministration.

The body is FHIR JSON (``Content-Type: application/fhir+json``; ``application/json`` is read the same way).
Results are mapped by :mod:`engraft.io.fhir_results` (explicit LOINC, UCUM and blood-product tables) and
stored all or nothing, in one transaction with its audit entry (:func:`engraft.registry.ingest.store_results`);
documents that several requests of a server process bring at the same moment share one transaction (group
commit, :class:`engraft.registry.ingest_group.GroupCommitter`: each request answered after that commit; a group
with a refused document is stored document by document, each answered on its own). A Bundle with an
``identifier`` is stored once, however often it is sent.

Answers follow the API's convention, not FHIR's: success is a JSON summary (:class:`FhirIngestResult`); every
refusal is the same RFC 9457 ``application/problem+json`` document as the rest of the API (422 with one
``errors[]`` item per resource at fault: ``field`` names the entry and element, ``row`` the 1-based entry
number, ``value`` the code, unit or reference given, ``expected`` the reason), so one client handles every
Engraft error alike. The MRN identifier system is ``ENGRAFT_FHIR_MRN_SYSTEM`` (default
``urn:engraft:mrn``); ``ENGRAFT_FHIR_CENTRE`` scopes MRNs to one centre code.
"""

from __future__ import annotations

import os
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engraft.access import Permission
from engraft.api.auth import actor_of, require
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute
from engraft.io.fhir_results import DEFAULT_MRN_SYSTEM, FhirDocumentError, FhirSettings, read_fhir
from engraft.registry.errors import InvalidRecord
from engraft.registry.ingest_group import FeedMessage, GroupCommitter
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol

FHIR_JSON = "application/fhir+json"
router = APIRouter(prefix="/api", route_class=JsonBodyRoute)
_COMMITTERS_LOCK = threading.Lock()


class IgnoredResource(BaseModel):
    entry: int = Field(description="1-based entry number in the Bundle")
    resource_type: str | None
    reason: str


class FhirIngestResult(BaseModel):
    """What was stored from a FHIR document."""

    already_stored: bool = Field(description="the Bundle's identifier was stored before: nothing new written")
    observations_received: int
    observations_inserted: int
    observations_corrected: int = Field(
        default=0, description="stored results replaced by Observations of status amended or corrected"
    )
    transfusions_received: int
    transfusions_inserted: int
    ignored: list[IgnoredResource] = Field(description="entries of resource types Engraft does not store")


def fhir_settings() -> tuple[FhirSettings, str | None]:
    """The FHIR feed's MRN identifier system and centre, from the environment."""
    return FhirSettings(mrn_system=os.environ.get("ENGRAFT_FHIR_MRN_SYSTEM", DEFAULT_MRN_SYSTEM)), (
        os.environ.get("ENGRAFT_FHIR_CENTRE") or None
    )


@router.post(
    "/fhir",
    tags=["observations"],
    responses=problem_responses(400, 413, 415, 422, 409, 503),
    description=(
        "Store FHIR R4 results: a Bundle (transaction, batch or collection) of Observation and "
        "MedicationAdministration (platelet and red cell transfusions) resources, or one such resource. "
        "LOINC codes of Engraft's observation catalogue and UCUM units only; every resource that cannot be "
        "mapped is reported (entry number, code, reason) and nothing is stored."
    ),
    dependencies=[require(Permission.OBSERVATION_WRITE)],
)
async def post_fhir(
    request: Request,
    document: Annotated[dict[str, Any], Body(media_type=FHIR_JSON, description="a FHIR R4 resource (JSON)")],
) -> FhirIngestResult:
    # reading and storing block (the database, the group commit): one hop to a worker thread for both, and the
    # answer made back on the event loop, rather than a hop for the route and another for its answer
    return await run_in_threadpool(_store_fhir, request, document)


def _store_fhir(request: Request, document: dict[str, Any]) -> FhirIngestResult:
    settings, centre = fhir_settings()
    try:
        results = read_fhir(document, settings)
    except FhirDocumentError as exc:
        raise InvalidRecord([exc.problem]) from exc
    if results.problems:
        raise InvalidRecord(list(results.problems))
    item = FeedMessage(
        results.observations, results.message, actor_of(request), results.transfusions, InboundProtocol.FHIR
    )
    outcome = _committer(request, centre).store(item)
    return FhirIngestResult(
        already_stored=outcome.already_stored,
        observations_received=outcome.observations_received,
        observations_inserted=outcome.observations_inserted,
        observations_corrected=outcome.observations_corrected,
        transfusions_received=outcome.transfusions_received,
        transfusions_inserted=outcome.transfusions_inserted,
        ignored=[
            IgnoredResource(
                entry=p.row or 0, resource_type=p.value if isinstance(p.value, str) else None, reason=p.expected
            )
            for p in results.ignored
        ],
    )


def _committer(request: Request, centre: str | None) -> GroupCommitter:
    """The application's group committer of FHIR documents for ``centre`` (made on first use)."""
    with _COMMITTERS_LOCK:
        committers: dict[str | None, GroupCommitter] | None = getattr(request.app.state, "fhir_committers", None)
        if committers is None:
            committers = request.app.state.fhir_committers = {}
        committer = committers.get(centre)
        if committer is None:
            registry: RegistryService = request.app.state.registry
            committer = committers[centre] = GroupCommitter(registry, centre)
        return committer
