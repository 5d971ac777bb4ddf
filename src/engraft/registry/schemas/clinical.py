"""Schemas of observations, clinical events (with type-specific details) and follow-up visits."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from engraft.grading import OrganStages, grade_acute_gvhd
from engraft.measurements import OBSERVATION_CODE_PATTERN
from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.schemas.common import (
    AwareDatetime,
    InputModel,
    OutputModel,
    PastDate,
    RecordId,
    Text,
    UpdateModel,
    VersionedOutput,
)
from engraft.vocabulary import (
    DiseaseStatus,
    EventSource,
    EventType,
    ObservationSource,
    PerformanceScale,
    VitalStatus,
)
from engraft.vocabulary.events import (
    AcuteGvhdGradingSystem,
    CauseOfDeath,
    ChronicGvhdSeverity,
    DiseaseDetectionMethod,
    GraftFailureKind,
    OrganismClass,
    SosVodCriteria,
    SosVodSeverity,
)


class ObservationIn(InputModel):
    patient_id: RecordId
    episode_id: RecordId | None = None
    observed_at: AwareDatetime
    loinc: str = Field(
        pattern=OBSERVATION_CODE_PATTERN,
        description="code from the observation catalogue: LOINC, or a local ENGRAFT- code where no LOINC exists",
    )
    value: float
    unit: Text = Field(min_length=1, max_length=32, description="UCUM code")
    source: ObservationSource = ObservationSource.LAB_FEED
    source_system: Text = Field(
        default="",
        max_length=128,
        description="identifier system of the sending source (e.g. the laboratory system's URI); empty if not stated",
    )
    source_id: Text = Field(
        min_length=1, max_length=128, description="id of the result at its source, unique within source_system"
    )

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value is not a finite number")
        return value


class ObservationOut(OutputModel):
    id: int
    patient_id: int
    episode_id: int | None
    observed_at: dt.datetime
    loinc: str
    value: float
    unit: str
    value_canonical: float
    source: ObservationSource
    source_system: str
    source_id: str


class BulkObservationResult(BaseModel):
    received: int
    inserted: int
    already_present: int


class _Details(InputModel):
    pass


class EngraftmentDetails(_Details):
    pass


class AcuteGvhdDetails(_Details):
    """Overall grade 0-IV and organ stages (MAGIC, Harris 2016; modified Glucksberg 1995; IBMTR).

    A stage that was not assessed is left out (not stage 0). When every organ is staged and the system is
    one Engraft grades (MAGIC), the grade must be the one :func:`engraft.grading.grade_acute_gvhd` gives.
    """

    grade: int = Field(ge=0, le=4)
    skin_stage: int | None = Field(default=None, ge=0, le=4)
    liver_stage: int | None = Field(default=None, ge=0, le=4)
    upper_gi_stage: int | None = Field(default=None, ge=0, le=1)
    lower_gi_stage: int | None = Field(default=None, ge=0, le=4)
    grading_system: AcuteGvhdGradingSystem = AcuteGvhdGradingSystem.MAGIC

    @model_validator(mode="after")
    def _grade_follows_the_stages(self) -> AcuteGvhdDetails:
        stages = (self.skin_stage, self.liver_stage, self.upper_gi_stage, self.lower_gi_stage)
        if self.grading_system is not AcuteGvhdGradingSystem.MAGIC or any(s is None for s in stages):
            return self
        skin, liver, upper_gi, lower_gi = (int(s) for s in stages if s is not None)
        computed = grade_acute_gvhd(OrganStages(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi))
        if computed.value != self.grade:
            raise ValueError(
                f"grade {self.grade} does not follow from the stages (skin {skin}, liver {liver}, upper GI "
                f"{upper_gi}, lower GI {lower_gi}); MAGIC gives grade {computed.value} ({computed.roman})"
            )
        return self


class ChronicGvhdDetails(_Details):
    """NIH 2014 global severity (Jagasia 2015)."""

    severity: ChronicGvhdSeverity
    systemic_treatment: bool


class InfectionDetails(_Details):
    organism: Text = Field(min_length=2, max_length=120)
    organism_class: OrganismClass
    site: Text = Field(min_length=2, max_length=120)


class SosVodDetails(_Details):
    criteria: SosVodCriteria
    severity: SosVodSeverity | None = None


class CellTherapyToxicityDetails(_Details):
    """ASTCT consensus grade 1-4 (Lee 2019) for CRS and ICANS."""

    grade: int = Field(ge=1, le=4)


class GraftFailureDetails(_Details):
    kind: GraftFailureKind


class DiseaseEventDetails(_Details):
    method: DiseaseDetectionMethod | None = None


class SecondMalignancyDetails(_Details):
    diagnosis: Text = Field(min_length=2, max_length=200)
    icd10: str | None = Field(default=None, pattern=r"^[A-TV-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


class DeathDetails(_Details):
    primary_cause: CauseOfDeath
    cause_text: Text | None = Field(default=None, max_length=500)


EVENT_DETAILS: dict[EventType, type[_Details]] = {
    EventType.NEUTROPHIL_ENGRAFTMENT: EngraftmentDetails,
    EventType.PLATELET_ENGRAFTMENT: EngraftmentDetails,
    EventType.ACUTE_GVHD: AcuteGvhdDetails,
    EventType.CHRONIC_GVHD: ChronicGvhdDetails,
    EventType.INFECTION: InfectionDetails,
    EventType.SOS_VOD: SosVodDetails,
    EventType.CRS: CellTherapyToxicityDetails,
    EventType.ICANS: CellTherapyToxicityDetails,
    EventType.GRAFT_FAILURE: GraftFailureDetails,
    EventType.RELAPSE: DiseaseEventDetails,
    EventType.PROGRESSION: DiseaseEventDetails,
    EventType.SECOND_MALIGNANCY: SecondMalignancyDetails,
    EventType.DEATH: DeathDetails,
}


def validate_event_details(event_type: EventType, details: dict[str, Any]) -> dict[str, Any]:
    """Check ``details`` against the schema of ``event_type``; problems are named ``details.<field>``."""
    model = EVENT_DETAILS[event_type]
    try:
        return model.model_validate(details).model_dump(mode="json")
    except ValidationError as exc:
        problems = [
            Problem(
                ".".join(["details", *(str(p) for p in err["loc"])]) if err["loc"] else "details",
                err.get("input"),
                f"{err['msg']} (details of a {event_type} event)",
            )
            for err in exc.errors()
        ]
        raise InvalidRecord(problems) from exc


class EventIn(InputModel):
    patient_id: RecordId
    episode_id: RecordId | None = None
    event_type: EventType
    event_date: PastDate
    source: EventSource = EventSource.MANUAL
    details: dict[str, Any] = Field(default_factory=dict, description="type-specific fields, see data dictionary")


class EventUpdate(UpdateModel):
    event_date: PastDate | None = None
    details: dict[str, Any] | None = None


class EventOut(VersionedOutput):
    patient_id: int
    episode_id: int | None
    event_type: EventType
    event_date: dt.date
    source: EventSource
    details: dict[str, Any]


class FollowUpIn(InputModel):
    patient_id: RecordId
    episode_id: RecordId | None = None
    visit_date: PastDate
    vital_status: VitalStatus
    performance_scale: PerformanceScale | None = None
    performance_score: int | None = Field(default=None, ge=0, le=100, multiple_of=10)
    disease_status: DiseaseStatus | None = None

    @model_validator(mode="after")
    def _score_has_scale(self) -> FollowUpIn:
        if (self.performance_score is None) != (self.performance_scale is None):
            raise ValueError("performance_score and performance_scale go together (karnofsky or lansky)")
        return self


class FollowUpUpdate(UpdateModel):
    visit_date: PastDate | None = None
    vital_status: VitalStatus | None = None
    performance_scale: PerformanceScale | None = None
    performance_score: int | None = Field(default=None, ge=0, le=100, multiple_of=10)
    disease_status: DiseaseStatus | None = None


class FollowUpOut(VersionedOutput):
    patient_id: int
    episode_id: int | None
    visit_date: dt.date
    vital_status: VitalStatus
    performance_scale: PerformanceScale | None
    performance_score: int | None
    disease_status: DiseaseStatus | None


class AssessmentOut(OutputModel):
    id: int
    patient_id: int
    episode_id: int | None
    instrument: str
    instrument_version: str
    assessed_at: dt.datetime
    value: float | None
    band: str | None
    inputs: dict[str, Any]
    result: dict[str, Any]
    citation: str
