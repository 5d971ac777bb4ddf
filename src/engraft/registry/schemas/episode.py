"""Schemas of transplant episodes: conditioning, GVHD prophylaxis and graft product quality."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from engraft.measurements import Ucum
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
from engraft.vocabulary import CellTherapy, ConditioningDrug, DrugRoute, GraftSource, TransplantType

#: Units a conditioning drug's total dose may be recorded in: per body surface, per kg, or a flat dose.
DOSE_UNITS: tuple[Ucum, ...] = (Ucum.MG_PER_M2, Ucum.G_PER_M2, Ucum.MG_PER_KG, Ucum.MG, Ucum.G_DRUG)
#: Units of the total nucleated cell dose: 10^8/kg, or 10^7/kg for cord blood.
TNC_UNITS: tuple[Ucum, ...] = (Ucum.E8_PER_KG, Ucum.E7_PER_KG)


def _one_of(allowed: tuple[Ucum, ...], what: str) -> AfterValidator:
    def check(unit: Ucum) -> Ucum:
        if unit not in allowed:
            raise ValueError(
                f"unit {unit.value!r} is not {what}; expected one of {', '.join(u.value for u in allowed)}"
            )
        return unit

    return AfterValidator(check)


DoseUnit = Annotated[Ucum, _one_of(DOSE_UNITS, "a drug dose unit")]
TncUnit = Annotated[Ucum, _one_of(TNC_UNITS, "a total nucleated cell dose unit")]


class ConditioningAgentIn(InputModel):
    drug: ConditioningDrug = Field(description="generic drug name, e.g. busulfan")
    total_dose: float = Field(gt=0, description="total dose over the whole regimen")
    unit: DoseUnit
    route: DrugRoute | None = Field(default=None, description="oral or iv; needed to grade busulfan doses")


class ConditioningAgentOut(OutputModel):
    drug: ConditioningDrug
    total_dose: float
    unit: Ucum
    route: DrugRoute | None = None


class _ProductQuality(InputModel):
    cd34_per_kg: float | None = Field(default=None, ge=0, lt=100, description="CD34+ cells x10^6/kg")
    tnc_per_kg: float | None = Field(default=None, ge=0, lt=1000)
    tnc_unit: TncUnit | None = None
    viability_pct: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _tnc_has_unit(self) -> _ProductQuality:
        if (self.tnc_per_kg is None) != (self.tnc_unit is None):
            raise ValueError("tnc_per_kg and tnc_unit go together: give both (10*8/kg, or 10*7/kg for cord) or neither")
        return self


CELL_THERAPY_DESCRIPTION = (
    "what day 0 infused: a haematopoietic cell transplant, or immune effector cells (CAR-T; day 0 is the infusion "
    "day, transplant_type says whose cells)"
)


class EpisodeIn(_ProductQuality):
    patient_id: RecordId
    diagnosis_id: RecordId | None = None
    centre: CentreCode
    sequence_number: int | None = Field(
        default=None, ge=1, le=99, description="1 for a first transplant; next if omitted"
    )
    transplant_type: TransplantType
    graft_source: GraftSource
    cell_therapy: CellTherapy = Field(
        default=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, description=CELL_THERAPY_DESCRIPTION
    )
    day0: PastDate
    donor_ids: list[RecordId] = Field(default_factory=list, max_length=4)
    conditioning: list[ConditioningAgentIn] = Field(default_factory=list, max_length=12)
    tbi_dose_gy: float | None = Field(default=None, ge=0, le=20)
    tbi_fractions: int | None = Field(default=None, ge=1, le=20)
    gvhd_prophylaxis: list[Annotated[Text, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=8
    )

    @model_validator(mode="after")
    def _tbi_fractions_need_dose(self) -> EpisodeIn:
        if self.tbi_fractions is not None and not self.tbi_dose_gy:
            raise ValueError("tbi_fractions given without tbi_dose_gy; expected a TBI dose in Gy")
        return self


class EpisodeUpdate(UpdateModel):
    diagnosis_id: RecordId | None = None
    graft_source: GraftSource | None = None
    cell_therapy: CellTherapy | None = Field(
        default=None, description=CELL_THERAPY_DESCRIPTION + "; changing it re-evaluates the episode's monitoring"
    )
    day0: PastDate | None = None
    tbi_dose_gy: float | None = Field(default=None, ge=0, le=20)
    tbi_fractions: int | None = Field(default=None, ge=1, le=20)
    gvhd_prophylaxis: list[Annotated[Text, Field(min_length=1, max_length=80)]] | None = Field(
        default=None, max_length=8
    )
    cd34_per_kg: float | None = Field(default=None, ge=0, lt=100)
    tnc_per_kg: float | None = Field(default=None, ge=0, lt=1000)
    tnc_unit: TncUnit | None = None
    viability_pct: float | None = Field(default=None, ge=0, le=100)


class EpisodeOut(VersionedOutput):
    _centre = field_validator("centre", mode="before")(centre_code)
    patient_id: int
    diagnosis_id: int | None
    centre: str
    sequence_number: int
    transplant_type: TransplantType
    graft_source: GraftSource
    cell_therapy: CellTherapy = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT
    day0: dt.date
    donor_ids: list[int]
    conditioning: list[ConditioningAgentOut]
    tbi_dose_gy: float | None
    tbi_fractions: int | None
    gvhd_prophylaxis: list[str]
    cd34_per_kg: float | None
    tnc_per_kg: float | None
    tnc_unit: Ucum | None
    viability_pct: float | None
