"""Schemas of donors and their infectious-disease marker results."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from engraft.registry.schemas.common import Code, InputModel, OutputModel, PastDate, UpdateModel, VersionedOutput
from engraft.registry.schemas.patient import GL_STRING_PATTERN
from engraft.vocabulary import (
    AboGroup,
    DonorEligibility,
    DonorRelation,
    MarkerResult,
    MarkerTest,
    RhD,
    Serostatus,
    Sex,
)


class MarkerIn(InputModel):
    test: MarkerTest
    result: MarkerResult
    result_date: PastDate


class MarkerOut(OutputModel):
    test: MarkerTest
    result: MarkerResult
    result_date: dt.date


class DonorIn(InputModel):
    donor_code: Code
    relation: DonorRelation
    age_years: int | None = Field(default=None, ge=0, lt=100)
    sex: Sex | None = None
    abo: AboGroup | None = None
    rh: RhD | None = None
    cmv_serostatus: Serostatus = Serostatus.UNKNOWN
    hla_gl_string: str | None = Field(
        default=None, max_length=20000, pattern=GL_STRING_PATTERN, description="HLA typing as a GL String"
    )
    eligibility: DonorEligibility = DonorEligibility.PENDING
    consent_date: PastDate | None = None
    markers: list[MarkerIn] = Field(default_factory=list)


class DonorUpdate(UpdateModel):
    age_years: int | None = Field(default=None, ge=0, lt=100)
    sex: Sex | None = None
    abo: AboGroup | None = None
    rh: RhD | None = None
    cmv_serostatus: Serostatus | None = None
    hla_gl_string: str | None = Field(default=None, max_length=20000, pattern=GL_STRING_PATTERN)
    eligibility: DonorEligibility | None = None
    consent_date: PastDate | None = None


class DonorOut(VersionedOutput):
    donor_code: str
    relation: DonorRelation
    age_years: int | None
    sex: Sex | None
    abo: AboGroup | None
    rh: RhD | None
    cmv_serostatus: Serostatus
    hla_gl_string: str | None
    eligibility: DonorEligibility
    consent_date: dt.date | None
    markers: list[MarkerOut]
