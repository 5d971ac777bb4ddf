"""Schemas of centres, patients, identifying fields and diagnoses."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from engraft.registry.schemas.common import (
    CentreCode,
    InputModel,
    OutputModel,
    PastDate,
    RecordId,
    Text,
    UpdateModel,
    VersionedOutput,
    centre_code,
)
from engraft.vocabulary import AboGroup, DiseaseStatus, RhD, Serostatus, Sex

GL_STRING_PATTERN = r"^HLA-[A-Za-z0-9*:/+^~|.\-]+$"
ICD10_PATTERN = r"^[A-TV-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"


class CentreIn(InputModel):
    code: CentreCode
    name: Text = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class CentreOut(OutputModel):
    id: int
    code: str
    name: str
    country: str


class IdentityIn(InputModel):
    given_name: Text = Field(min_length=1, max_length=200)
    family_name: Text = Field(min_length=1, max_length=200)
    mrn: Text = Field(min_length=1, max_length=64, description="medical record number at the centre")


class IdentityOut(OutputModel):
    given_name: str
    family_name: str
    mrn: str


class PatientIn(InputModel):
    registry_id: str | None = Field(
        default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$", description="pseudonymous id; generated if omitted"
    )
    centre: CentreCode = Field(description="code of the reporting centre")
    sex: Sex
    birth_date: PastDate
    abo: AboGroup | None = None
    rh: RhD | None = None
    cmv_serostatus: Serostatus = Serostatus.UNKNOWN
    height_cm: float | None = Field(default=None, gt=0, lt=260)
    weight_kg: float | None = Field(default=None, gt=0, lt=400)
    hla_gl_string: str | None = Field(
        default=None, max_length=20000, pattern=GL_STRING_PATTERN, description="HLA typing as a GL String"
    )
    identity: IdentityIn | None = None


class PatientUpdate(UpdateModel):
    sex: Sex | None = None
    birth_date: PastDate | None = None
    abo: AboGroup | None = None
    rh: RhD | None = None
    cmv_serostatus: Serostatus | None = None
    height_cm: float | None = Field(default=None, gt=0, lt=260)
    weight_kg: float | None = Field(default=None, gt=0, lt=400)
    hla_gl_string: str | None = Field(default=None, max_length=20000, pattern=GL_STRING_PATTERN)


class PatientOut(VersionedOutput):
    _centre = field_validator("centre", mode="before")(centre_code)
    registry_id: str
    centre: str
    sex: Sex
    birth_date: dt.date
    abo: AboGroup | None
    rh: RhD | None
    cmv_serostatus: Serostatus
    height_cm: float | None
    weight_kg: float | None
    hla_gl_string: str | None = None
    identity: IdentityOut | None = None


class DiagnosisIn(InputModel):
    patient_id: RecordId
    who_name: Text = Field(min_length=2, max_length=300, description="WHO classification name")
    icd10: str = Field(pattern=ICD10_PATTERN, description="ICD-10 code, e.g. C92.0")
    diagnosis_date: PastDate
    status_at_transplant: DiseaseStatus | None = None


class DiagnosisUpdate(UpdateModel):
    who_name: Text | None = Field(default=None, min_length=2, max_length=300)
    icd10: str | None = Field(default=None, pattern=ICD10_PATTERN)
    diagnosis_date: PastDate | None = None
    status_at_transplant: DiseaseStatus | None = None


class DiagnosisOut(VersionedOutput):
    patient_id: int
    who_name: str
    icd10: str
    diagnosis_date: dt.date
    status_at_transplant: DiseaseStatus | None
