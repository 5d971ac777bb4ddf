"""REST routes for registry records: create, read, update (optimistic locking), list (paginated).

Every route names its response model and the problem statuses it can answer (see
:mod:`engraft.api.problems`). Ids and offsets are bounded by what the database holds
(:data:`~engraft.registry.schemas.common.MAX_RECORD_ID`), so an out-of-range number is a 422, never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from engraft.access import Permission
from engraft.api.auth import acting_registry, require
from engraft.api.body_limit import BULK_BODY_LIMIT, MIB
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute
from engraft.measurements import OBSERVATION_CODE_PATTERN
from engraft.registry.observations import add_observation_inputs
from engraft.registry.risk_profile import RiskProfile, RiskProfileRequest, build_risk_profile
from engraft.registry.schemas.clinical import (
    AssessmentOut,
    BulkObservationResult,
    EventIn,
    EventOut,
    EventUpdate,
    FollowUpIn,
    FollowUpOut,
    FollowUpUpdate,
    ObservationIn,
    ObservationOut,
)
from engraft.registry.schemas.common import CODE_PATTERN, MAX_RECORD_ID, Page
from engraft.registry.schemas.donor import DonorIn, DonorOut, DonorUpdate
from engraft.registry.schemas.episode import EpisodeIn, EpisodeOut, EpisodeUpdate
from engraft.registry.schemas.patient import (
    CentreIn,
    CentreOut,
    DiagnosisIn,
    DiagnosisOut,
    DiagnosisUpdate,
    PatientIn,
    PatientOut,
    PatientUpdate,
)
from engraft.registry.service import MAX_PAGE, RegistryService
from engraft.vocabulary import EventType


def registry_service(request: Request) -> RegistryService:
    """The registry acting for the request's principal (its audit entries name the signed-in user)."""
    return acting_registry(request)


Service = Annotated[RegistryService, Depends(registry_service)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_RECORD_ID, description="number of records to skip")]
CREATED = status.HTTP_201_CREATED


def _id_in_path(entity: str) -> Any:
    return Path(ge=1, le=MAX_RECORD_ID, description=f"id of the {entity}")


def _id_filter(entity: str) -> Any:
    return Query(ge=1, le=MAX_RECORD_ID, description=f"only records of this {entity}")


PatientId = Annotated[int, _id_in_path("patient")]
DiagnosisId = Annotated[int, _id_in_path("diagnosis")]
DonorId = Annotated[int, _id_in_path("donor")]
EpisodeId = Annotated[int, _id_in_path("transplant episode")]
EventId = Annotated[int, _id_in_path("clinical event")]
VisitId = Annotated[int, _id_in_path("follow-up visit")]
PatientFilter = Annotated[int | None, _id_filter("patient")]
EpisodeFilter = Annotated[int | None, _id_filter("transplant episode")]
CentreFilter = Annotated[
    str | None, Query(min_length=1, max_length=32, pattern=CODE_PATTERN, description="only records of this centre")
]
LoincFilter = Annotated[
    str | None, Query(pattern=OBSERVATION_CODE_PATTERN, description="only observations with this catalogue code")
]

_BODY = (400, 413, 415, 422)
#: A new record: 404 when a record it refers to does not exist, 409 for a duplicate or a concurrent write.
CREATE = problem_responses(*_BODY, 404, 409)
#: An edit of a record by id: 404 when it does not exist, 409 for a stale version.
UPDATE = problem_responses(*_BODY, 404, 409)
#: One record by id.
READ = problem_responses(404, 422)
#: A page of records.
LIST = problem_responses(422)

router = APIRouter(prefix="/api", route_class=JsonBodyRoute)


@router.post(
    "/centres", status_code=CREATED, tags=["centres"], responses=CREATE, dependencies=[require(Permission.CENTRE_WRITE)]
)
def create_centre(data: CentreIn, service: Service) -> CentreOut:
    return service.create_centre(data)


@router.get("/centres", tags=["centres"], responses=LIST, dependencies=[require(Permission.SIGNED_IN)])
def list_centres(service: Service) -> list[CentreOut]:
    return service.list_centres()


@router.post(
    "/patients",
    status_code=CREATED,
    tags=["patients"],
    responses=CREATE,
    dependencies=[require(Permission.PATIENT_WRITE)],
)
def create_patient(data: PatientIn, service: Service) -> PatientOut:
    return service.create_patient(data)


@router.get("/patients", tags=["patients"], responses=LIST, dependencies=[require(Permission.PATIENT_IDENTITY_READ)])
def list_patients(
    service: Service, limit: Limit = 50, offset: Offset = 0, centre: CentreFilter = None
) -> Page[PatientOut]:
    return service.list_patients(limit, offset, centre)


@router.get(
    "/patients/{patient_id}",
    tags=["patients"],
    responses=READ,
    dependencies=[require(Permission.PATIENT_IDENTITY_READ)],
)
def get_patient(patient_id: PatientId, service: Service, include_identity: bool = False) -> PatientOut:
    return service.get_patient(patient_id, include_identity)


@router.patch(
    "/patients/{patient_id}", tags=["patients"], responses=UPDATE, dependencies=[require(Permission.PATIENT_WRITE)]
)
def update_patient(patient_id: PatientId, patch: PatientUpdate, service: Service) -> PatientOut:
    return service.update_patient(patient_id, patch)


@router.post(
    "/diagnoses",
    status_code=CREATED,
    tags=["diagnoses"],
    responses=CREATE,
    dependencies=[require(Permission.PATIENT_WRITE)],
)
def create_diagnosis(data: DiagnosisIn, service: Service) -> DiagnosisOut:
    return service.create_diagnosis(data)


@router.get("/diagnoses", tags=["diagnoses"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_diagnoses(
    service: Service, limit: Limit = 50, offset: Offset = 0, patient_id: PatientFilter = None
) -> Page[DiagnosisOut]:
    return service.list_diagnoses(limit, offset, patient_id)


@router.get(
    "/diagnoses/{diagnosis_id}", tags=["diagnoses"], responses=READ, dependencies=[require(Permission.PATIENT_READ)]
)
def get_diagnosis(diagnosis_id: DiagnosisId, service: Service) -> DiagnosisOut:
    return service.get_diagnosis(diagnosis_id)


@router.patch(
    "/diagnoses/{diagnosis_id}", tags=["diagnoses"], responses=UPDATE, dependencies=[require(Permission.PATIENT_WRITE)]
)
def update_diagnosis(diagnosis_id: DiagnosisId, patch: DiagnosisUpdate, service: Service) -> DiagnosisOut:
    return service.update_diagnosis(diagnosis_id, patch)


@router.post(
    "/donors", status_code=CREATED, tags=["donors"], responses=CREATE, dependencies=[require(Permission.DONOR_WRITE)]
)
def create_donor(data: DonorIn, service: Service) -> DonorOut:
    return service.create_donor(data)


@router.get("/donors", tags=["donors"], responses=LIST, dependencies=[require(Permission.DONOR_READ)])
def list_donors(service: Service, limit: Limit = 50, offset: Offset = 0) -> Page[DonorOut]:
    return service.list_donors(limit, offset)


@router.get("/donors/{donor_id}", tags=["donors"], responses=READ, dependencies=[require(Permission.DONOR_READ)])
def get_donor(donor_id: DonorId, service: Service) -> DonorOut:
    return service.get_donor(donor_id)


@router.patch("/donors/{donor_id}", tags=["donors"], responses=UPDATE, dependencies=[require(Permission.DONOR_WRITE)])
def update_donor(donor_id: DonorId, patch: DonorUpdate, service: Service) -> DonorOut:
    return service.update_donor(donor_id, patch)


@router.post(
    "/episodes",
    status_code=CREATED,
    tags=["episodes"],
    responses=CREATE,
    dependencies=[require(Permission.PATIENT_WRITE)],
)
def create_episode(data: EpisodeIn, service: Service) -> EpisodeOut:
    return service.create_episode(data)


@router.get("/episodes", tags=["episodes"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_episodes(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: PatientFilter = None,
    centre: CentreFilter = None,
) -> Page[EpisodeOut]:
    return service.list_episodes(limit, offset, patient_id, centre)


@router.get(
    "/episodes/{episode_id}", tags=["episodes"], responses=READ, dependencies=[require(Permission.PATIENT_READ)]
)
def get_episode(episode_id: EpisodeId, service: Service) -> EpisodeOut:
    return service.get_episode(episode_id)


@router.patch(
    "/episodes/{episode_id}", tags=["episodes"], responses=UPDATE, dependencies=[require(Permission.PATIENT_WRITE)]
)
def update_episode(episode_id: EpisodeId, patch: EpisodeUpdate, service: Service) -> EpisodeOut:
    return service.update_episode(episode_id, patch)


@router.post(
    "/events", status_code=CREATED, tags=["events"], responses=CREATE, dependencies=[require(Permission.PATIENT_WRITE)]
)
def create_event(data: EventIn, service: Service) -> EventOut:
    return service.create_event(data)


@router.get("/events", tags=["events"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_events(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: PatientFilter = None,
    episode_id: EpisodeFilter = None,
    event_type: EventType | None = None,
) -> Page[EventOut]:
    return service.list_events(limit, offset, patient_id, episode_id, event_type)


@router.get("/events/{event_id}", tags=["events"], responses=READ, dependencies=[require(Permission.PATIENT_READ)])
def get_event(event_id: EventId, service: Service) -> EventOut:
    return service.get_event(event_id)


@router.patch("/events/{event_id}", tags=["events"], responses=UPDATE, dependencies=[require(Permission.PATIENT_WRITE)])
def update_event(event_id: EventId, patch: EventUpdate, service: Service) -> EventOut:
    return service.update_event(event_id, patch)


@router.post(
    "/follow-ups",
    status_code=CREATED,
    tags=["follow-ups"],
    responses=CREATE,
    dependencies=[require(Permission.PATIENT_WRITE)],
)
def create_follow_up(data: FollowUpIn, service: Service) -> FollowUpOut:
    return service.create_follow_up(data)


@router.get("/follow-ups", tags=["follow-ups"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_follow_ups(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: PatientFilter = None,
    episode_id: EpisodeFilter = None,
) -> Page[FollowUpOut]:
    return service.list_follow_ups(limit, offset, patient_id, episode_id)


@router.get(
    "/follow-ups/{visit_id}", tags=["follow-ups"], responses=READ, dependencies=[require(Permission.PATIENT_READ)]
)
def get_follow_up(visit_id: VisitId, service: Service) -> FollowUpOut:
    return service.get_follow_up(visit_id)


@router.patch(
    "/follow-ups/{visit_id}", tags=["follow-ups"], responses=UPDATE, dependencies=[require(Permission.PATIENT_WRITE)]
)
def update_follow_up(visit_id: VisitId, patch: FollowUpUpdate, service: Service) -> FollowUpOut:
    return service.update_follow_up(visit_id, patch)


@router.post(
    "/episodes/{episode_id}/risk-profile",
    tags=["episodes"],
    responses=UPDATE,
    dependencies=[require(Permission.RISK_ASSESS)],
)
def risk_profile(episode_id: EpisodeId, service: Service, request: RiskProfileRequest | None = None) -> RiskProfile:
    """Run every applicable pre-transplant instrument for the episode and store the results (an immune effector
    cell episode is refused: 422 naming `cell_therapy`)."""
    return build_risk_profile(service, episode_id, request or RiskProfileRequest())


@router.get("/assessments", tags=["episodes"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_assessments(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: PatientFilter = None,
    episode_id: EpisodeFilter = None,
) -> Page[AssessmentOut]:
    return service.list_assessments(limit, offset, patient_id, episode_id)


@router.post(
    "/observations/bulk",
    tags=["observations"],
    responses=CREATE,
    description=(
        "Store a batch of observations all-or-nothing; identical re-sent results are skipped. Once stored, the "
        "monitoring engine evaluates the episodes they name, as it does a lab feed's results (results without an "
        f"episode are not evaluated). The body may be up to {BULK_BODY_LIMIT // MIB} MiB (about 100 000 "
        "observations); a larger one gets 413: send it in parts."
    ),
    dependencies=[require(Permission.OBSERVATION_WRITE)],
)
def upload_observations(
    items: list[ObservationIn],
    service: Service,
) -> BulkObservationResult:
    return add_observation_inputs(service, items)


@router.get("/observations", tags=["observations"], responses=LIST, dependencies=[require(Permission.PATIENT_READ)])
def list_observations(
    service: Service,
    limit: Limit = 100,
    offset: Offset = 0,
    patient_id: PatientFilter = None,
    episode_id: EpisodeFilter = None,
    loinc: LoincFilter = None,
) -> Page[ObservationOut]:
    return service.list_observations(limit, offset, patient_id, episode_id, loinc)
