"""REST routes for registry records: create, read, update (optimistic locking), list (paginated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

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
from engraft.registry.schemas.common import Page
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
    service: RegistryService = request.app.state.registry
    return service


Service = Annotated[RegistryService, Depends(registry_service)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, description="number of records to skip")]
CREATED = status.HTTP_201_CREATED

router = APIRouter(prefix="/api")


@router.post("/centres", status_code=CREATED, tags=["centres"])
def create_centre(data: CentreIn, service: Service) -> CentreOut:
    return service.create_centre(data)


@router.get("/centres", tags=["centres"])
def list_centres(service: Service) -> list[CentreOut]:
    return service.list_centres()


@router.post("/patients", status_code=CREATED, tags=["patients"])
def create_patient(data: PatientIn, service: Service) -> PatientOut:
    return service.create_patient(data)


@router.get("/patients", tags=["patients"])
def list_patients(
    service: Service, limit: Limit = 50, offset: Offset = 0, centre: str | None = None
) -> Page[PatientOut]:
    return service.list_patients(limit, offset, centre)


@router.get("/patients/{patient_id}", tags=["patients"])
def get_patient(patient_id: int, service: Service, include_identity: bool = False) -> PatientOut:
    return service.get_patient(patient_id, include_identity)


@router.patch("/patients/{patient_id}", tags=["patients"])
def update_patient(patient_id: int, patch: PatientUpdate, service: Service) -> PatientOut:
    return service.update_patient(patient_id, patch)


@router.post("/diagnoses", status_code=CREATED, tags=["diagnoses"])
def create_diagnosis(data: DiagnosisIn, service: Service) -> DiagnosisOut:
    return service.create_diagnosis(data)


@router.get("/diagnoses", tags=["diagnoses"])
def list_diagnoses(
    service: Service, limit: Limit = 50, offset: Offset = 0, patient_id: int | None = None
) -> Page[DiagnosisOut]:
    return service.list_diagnoses(limit, offset, patient_id)


@router.get("/diagnoses/{diagnosis_id}", tags=["diagnoses"])
def get_diagnosis(diagnosis_id: int, service: Service) -> DiagnosisOut:
    return service.get_diagnosis(diagnosis_id)


@router.patch("/diagnoses/{diagnosis_id}", tags=["diagnoses"])
def update_diagnosis(diagnosis_id: int, patch: DiagnosisUpdate, service: Service) -> DiagnosisOut:
    return service.update_diagnosis(diagnosis_id, patch)


@router.post("/donors", status_code=CREATED, tags=["donors"])
def create_donor(data: DonorIn, service: Service) -> DonorOut:
    return service.create_donor(data)


@router.get("/donors", tags=["donors"])
def list_donors(service: Service, limit: Limit = 50, offset: Offset = 0) -> Page[DonorOut]:
    return service.list_donors(limit, offset)


@router.get("/donors/{donor_id}", tags=["donors"])
def get_donor(donor_id: int, service: Service) -> DonorOut:
    return service.get_donor(donor_id)


@router.patch("/donors/{donor_id}", tags=["donors"])
def update_donor(donor_id: int, patch: DonorUpdate, service: Service) -> DonorOut:
    return service.update_donor(donor_id, patch)


@router.post("/episodes", status_code=CREATED, tags=["episodes"])
def create_episode(data: EpisodeIn, service: Service) -> EpisodeOut:
    return service.create_episode(data)


@router.get("/episodes", tags=["episodes"])
def list_episodes(
    service: Service, limit: Limit = 50, offset: Offset = 0, patient_id: int | None = None, centre: str | None = None
) -> Page[EpisodeOut]:
    return service.list_episodes(limit, offset, patient_id, centre)


@router.get("/episodes/{episode_id}", tags=["episodes"])
def get_episode(episode_id: int, service: Service) -> EpisodeOut:
    return service.get_episode(episode_id)


@router.patch("/episodes/{episode_id}", tags=["episodes"])
def update_episode(episode_id: int, patch: EpisodeUpdate, service: Service) -> EpisodeOut:
    return service.update_episode(episode_id, patch)


@router.post("/events", status_code=CREATED, tags=["events"])
def create_event(data: EventIn, service: Service) -> EventOut:
    return service.create_event(data)


@router.get("/events", tags=["events"])
def list_events(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: int | None = None,
    episode_id: int | None = None,
    event_type: EventType | None = None,
) -> Page[EventOut]:
    return service.list_events(limit, offset, patient_id, episode_id, event_type)


@router.get("/events/{event_id}", tags=["events"])
def get_event(event_id: int, service: Service) -> EventOut:
    return service.get_event(event_id)


@router.patch("/events/{event_id}", tags=["events"])
def update_event(event_id: int, patch: EventUpdate, service: Service) -> EventOut:
    return service.update_event(event_id, patch)


@router.post("/follow-ups", status_code=CREATED, tags=["follow-ups"])
def create_follow_up(data: FollowUpIn, service: Service) -> FollowUpOut:
    return service.create_follow_up(data)


@router.get("/follow-ups", tags=["follow-ups"])
def list_follow_ups(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: int | None = None,
    episode_id: int | None = None,
) -> Page[FollowUpOut]:
    return service.list_follow_ups(limit, offset, patient_id, episode_id)


@router.get("/follow-ups/{visit_id}", tags=["follow-ups"])
def get_follow_up(visit_id: int, service: Service) -> FollowUpOut:
    return service.get_follow_up(visit_id)


@router.patch("/follow-ups/{visit_id}", tags=["follow-ups"])
def update_follow_up(visit_id: int, patch: FollowUpUpdate, service: Service) -> FollowUpOut:
    return service.update_follow_up(visit_id, patch)


@router.post("/episodes/{episode_id}/risk-profile", tags=["episodes"])
def risk_profile(episode_id: int, service: Service, request: RiskProfileRequest | None = None) -> RiskProfile:
    """Run every applicable pre-transplant instrument for the episode and store the results."""
    return build_risk_profile(service, episode_id, request or RiskProfileRequest())


@router.get("/assessments", tags=["episodes"])
def list_assessments(
    service: Service,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: int | None = None,
    episode_id: int | None = None,
) -> Page[AssessmentOut]:
    return service.list_assessments(limit, offset, patient_id, episode_id)


@router.post("/observations/bulk", tags=["observations"])
def upload_observations(
    items: list[ObservationIn],
    service: Service,
) -> BulkObservationResult:
    """Store a batch of observations all-or-nothing; identical re-sent results are skipped."""
    return add_observation_inputs(service, items)


@router.get("/observations", tags=["observations"])
def list_observations(
    service: Service,
    limit: Limit = 100,
    offset: Offset = 0,
    patient_id: int | None = None,
    episode_id: int | None = None,
    loinc: str | None = None,
) -> Page[ObservationOut]:
    return service.list_observations(limit, offset, patient_id, episode_id, loinc)
