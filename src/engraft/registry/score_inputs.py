"""Registry facts to typed instrument inputs: enum to enum, checked by mypy, never through raw strings.

Each builder returns the instrument's typed input, or :class:`NotApplicable` with the reason when the
registry does not hold what the instrument needs (no diagnosis, a donor relation the score has no category
for, a regimen without a busulfan route...). The registry and the instruments speak one vocabulary
(:mod:`engraft.vocabulary`), so there is no value to rename between them; where an instrument groups the
vocabulary's terms into its own categories (the EBMT donor category, the graft-quality category), the
grouping is an exhaustive table in the instrument itself.

An instrument that still refuses the typed input raises :class:`pydantic.ValidationError`. Errors the
instrument raises on purpose (its own rules, ``value_error``) mean the facts do not fit it and become a
reason to skip (:func:`refusal_reason`); any other validation error means this mapping is wrong and is
raised as :class:`ScoreMappingError`, never skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from engraft.measurements import Quantity, Ucum
from engraft.scores.conditioning import AgentDose, ConditioningInput, ConditioningVariant, TotalBodyIrradiation
from engraft.scores.donor_eligibility import DonorEligibilityInput, DonorMarkerResult
from engraft.scores.ebmt import DONOR_CATEGORY, EbmtRiskInput, disease_for_icd10, disease_stage
from engraft.scores.graft_quality import GraftQualityInput
from engraft.scores.performance import KarnofskyInput, LanskyInput, applicable_scale
from engraft.vocabulary import (
    ConditioningDrug,
    DiseaseStatus,
    DonorRelation,
    DrugRoute,
    GraftSource,
    MarkerResult,
    MarkerTest,
    PerformanceScale,
    Sex,
    TransplantType,
)
from engraft.vocabulary.time import DAYS_PER_MONTH


class ScoreMappingError(RuntimeError):
    """A registry fact could not be expressed as an instrument's input: a defect of Engraft, not of the data."""


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """Why an instrument cannot be run on this episode's registry facts."""

    reason: str


@dataclass(frozen=True, slots=True)
class ConditioningRow:
    """One registry conditioning agent: drug, total dose with its unit, route."""

    drug: ConditioningDrug
    total_dose: float
    unit: Ucum
    route: DrugRoute | None


@dataclass(frozen=True, slots=True)
class MarkerRow:
    """One registry donor marker result."""

    test: MarkerTest
    result: MarkerResult
    result_date: dt.date


def refusal_reason(exc: ValidationError, instrument: str) -> str:
    """The instrument's own reasons for refusing typed input; :class:`ScoreMappingError` for anything else."""
    errors = exc.errors()
    if any(e["type"] != "value_error" for e in errors):
        shown = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in errors[:5])
        raise ScoreMappingError(f"{instrument}: registry facts were mapped to an invalid input ({shown})") from exc
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in errors)


def age_years(birth: dt.date, on: dt.date) -> int:
    """Completed years on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def performance_input(score: int, age: int) -> tuple[PerformanceScale, KarnofskyInput | LanskyInput]:
    """The scale that applies at ``age`` (Lansky below 16 years) and its input."""
    scale = applicable_scale(age)
    if scale is PerformanceScale.LANSKY:
        return scale, LanskyInput(score=score, age_years=age)
    return scale, KarnofskyInput(score=score, age_years=age)


def ebmt_input(
    *,
    transplant_type: TransplantType,
    age: int,
    icd10: str | None,
    status: DiseaseStatus | None,
    diagnosis_date: dt.date | None,
    day0: dt.date,
    donor_relation: DonorRelation | None,
    donor_sex: Sex | None,
    recipient_sex: Sex,
) -> EbmtRiskInput | NotApplicable:
    """The EBMT score's input, or why it does not apply."""
    if transplant_type is TransplantType.AUTOLOGOUS:
        return NotApplicable("the EBMT score applies to allogeneic transplants")
    if icd10 is None or status is None or diagnosis_date is None:
        return NotApplicable("the episode has no diagnosis with a disease status at transplant")
    disease = disease_for_icd10(icd10)
    if disease is None:
        return NotApplicable(f"ICD-10 {icd10} is not one of the EBMT score's diseases")
    try:
        disease_stage(disease, status)
    except ValueError as exc:
        return NotApplicable(str(exc))
    if donor_relation is None:
        return NotApplicable("no donor is linked to the episode")
    if DONOR_CATEGORY[donor_relation] is None:
        return NotApplicable(f"donor relation {donor_relation.value!r} has no EBMT score category")
    if donor_sex not in (Sex.MALE, Sex.FEMALE) or recipient_sex not in (Sex.MALE, Sex.FEMALE):
        return NotApplicable("donor and recipient sex (male/female) are both needed")
    assert donor_sex is not None
    return EbmtRiskInput(
        age_years=age,
        disease=disease,
        status=status,
        months_diagnosis_to_transplant=round((day0 - diagnosis_date).days / DAYS_PER_MONTH, 2),
        donor_relation=donor_relation,
        donor_sex=donor_sex,
        recipient_sex=recipient_sex,
    )


def conditioning_input(
    rows: Sequence[ConditioningRow], tbi_gy: float | None, tbi_fractions: int | None, variant: ConditioningVariant
) -> ConditioningInput | NotApplicable:
    """The conditioning-intensity instrument's input from registry rows, or why it cannot be graded."""
    if not rows and not tbi_gy:
        return NotApplicable("no conditioning regimen is recorded")
    tbi: TotalBodyIrradiation | None = None
    if tbi_gy:
        if tbi_fractions is None:
            return NotApplicable(
                "the number of TBI fractions is not recorded (single vs fractionated thresholds differ)"
            )
        tbi = TotalBodyIrradiation(total_dose=Quantity(value=tbi_gy, unit=Ucum.GY), fractions=tbi_fractions)
    if any(r.drug is ConditioningDrug.BUSULFAN and r.route is None for r in rows):
        return NotApplicable("the busulfan route (oral or iv) is not recorded; its thresholds differ by route")
    try:
        agents = tuple(
            AgentDose(agent=r.drug, total_dose=Quantity(value=r.total_dose, unit=r.unit), route=r.route) for r in rows
        )
        return ConditioningInput(variant=variant, agents=agents, tbi=tbi)
    except ValidationError as exc:
        return NotApplicable(f"the recorded regimen does not fit the instrument: {refusal_reason(exc, 'conditioning')}")


def graft_quality_input(
    *,
    graft_source: GraftSource,
    transplant_type: TransplantType,
    donor_count: int,
    recipient_weight_kg: float | None,
    cd34_per_kg: float | None,
    tnc_per_kg: float | None,
    tnc_unit: Ucum | None,
    viability_pct: float | None,
) -> GraftQualityInput | NotApplicable:
    """The graft-quality input (CD34+ in 10^6/kg as the registry records it), or why it cannot be judged."""
    if recipient_weight_kg is None:
        return NotApplicable("recipient weight is not recorded")
    if cd34_per_kg is None and (tnc_per_kg is None or tnc_unit is None):
        return NotApplicable("no CD34+ or TNC dose is recorded")
    units = 1
    if graft_source is GraftSource.CORD_BLOOD and transplant_type is TransplantType.ALLOGENEIC:
        if donor_count > 2:
            return NotApplicable(f"{donor_count} cord blood units: thresholds are published for one or two units")
        units = max(donor_count, 1)
    try:
        return GraftQualityInput(
            graft_source=graft_source,
            transplant_type=transplant_type,
            cord_blood_units=units,
            recipient_weight=Quantity(value=recipient_weight_kg, unit=Ucum.KG),
            cd34=None if cd34_per_kg is None else Quantity(value=cd34_per_kg, unit=Ucum.E6_PER_KG),
            tnc=None if tnc_per_kg is None or tnc_unit is None else Quantity(value=tnc_per_kg, unit=tnc_unit),
            cd34_viability_percent=viability_pct,
        )
    except ValidationError as exc:
        return NotApplicable(f"the recorded graft does not fit the instrument: {refusal_reason(exc, 'graft-quality')}")


def donor_eligibility_input(
    *,
    transplant_type: TransplantType,
    graft_source: GraftSource,
    recovery_date: dt.date,
    markers: Sequence[MarkerRow],
    screening_complete: bool,
    screening_risk_factor_identified: bool,
    documented_urgent_medical_need: bool,
) -> DonorEligibilityInput | NotApplicable:
    """The donor-eligibility input from the donor's recorded markers and the screening answers."""
    try:
        return DonorEligibilityInput(
            intended_use=transplant_type,
            graft_source=graft_source,
            recovery_date=recovery_date,
            markers=tuple(
                DonorMarkerResult(marker=m.test, result=m.result, specimen_date=m.result_date) for m in markers
            ),
            screening_complete=screening_complete,
            screening_risk_factor_identified=screening_risk_factor_identified,
            documented_urgent_medical_need=documented_urgent_medical_need,
        )
    except ValidationError as exc:
        return NotApplicable(
            f"the donor's records do not fit the instrument: {refusal_reason(exc, 'donor-eligibility')}"
        )
