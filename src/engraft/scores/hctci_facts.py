"""Clinical facts from which the HCT-CI items are derived, and the derivation itself.

Boundaries follow the Sorror wording (clinical-scores.md section 1.2): pulmonary severe is
FEV1/DLco <= 65%, moderate 66-80% (read as > 65 and <= 80), so 81% scores nothing; hepatic mild is
bilirubin > ULN up to and including 1.5 x ULN and AST/ALT > ULN up to and including 2.5 x ULN;
moderate/severe is strictly above those. Renal: creatinine > 2 mg/dL; the CIBMTR variant also
accepts > 177 umol/L when the value was reported in umol/L, without converting it.

Mass <-> substance concentrations (a creatinine in umol/L against the 2 mg/dL boundary, a bilirubin
whose upper limit of normal is in the other unit) convert with the rounded clinical factors the index was
written against (:data:`CONVERSION_BASIS`: 17.1 and 88.4 umol/L per mg/dL), and the finding says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.measurements import (
    CLINICAL_FACTORS,
    Analyte,
    ConversionBasis,
    Dimension,
    Quantity,
    UnitError,
    require_dimension,
)
from engraft.scores import _compare as cmp
from engraft.scores.hctci_items import HctCiItem, HctCiVariant
from engraft.scores.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.phrases import Phrase

MET_BY: Final = Phrase("met by {criteria}")
CREATININE_CONVERTED: Final = Phrase("creatinine > 2 mg/dL ({value} mg/dL at {factor} umol/L per mg/dL)")
"""A finding's rule when criteria are met (English; the pages translate it)."""
EXCLUDED: Final = Phrase("{exception} is excluded (scores 0)")
"""A finding's rule when the only answer is the index's exception (diet alone, mitral valve prolapse, ...)."""

CONVERSION_BASIS = ConversionBasis.CLINICAL_FACTOR
"""Which factor converts mg/dL and umol/L here: the rounded clinical one the thresholds were written with."""

_CONCENTRATIONS = (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION)

PAEDIATRIC_AGE_LIMIT = 18
"""Patients younger than this (completed years) use the paediatric cardiac and BMI-for-age rules.

The sources say "children"/"paediatrics" without an age; 18 years is this module's assumption.
"""


class Diabetes(StrEnum):
    """Diabetes and its treatment: the HCT-CI scores medication (insulin or oral), never diet alone."""

    NONE = "none"
    DIET_ONLY = "diet_only"
    INSULIN_OR_ORAL_HYPOGLYCAEMIC = "insulin_or_oral_hypoglycaemic"


class HeartValveDisease(StrEnum):
    """Heart valve disease: scored except mitral valve prolapse (Sorror 2005; NCI PDQ; Handbook Table 11.5)."""

    NONE = "none"
    MITRAL_VALVE_PROLAPSE_ONLY = "mitral_valve_prolapse_only"
    OTHER_THAN_MITRAL_VALVE_PROLAPSE = "other_than_mitral_valve_prolapse"


class PriorSolidTumour(StrEnum):
    """A solid tumour treated at any time: scored except non-melanoma skin cancer."""

    NONE = "none"
    NON_MELANOMA_SKIN_CANCER_ONLY = "non_melanoma_skin_cancer_only"
    OTHER_THAN_NON_MELANOMA_SKIN_CANCER = "other_than_non_melanoma_skin_cancer"


class Dyspnoea(StrEnum):
    NONE = "none"
    ON_SLIGHT_ACTIVITY = "on_slight_activity"
    AT_REST = "at_rest"


class LabWithUln(FrozenModel):
    """A laboratory value together with the upper limit of normal of the reporting laboratory."""

    value: Quantity
    upper_limit_of_normal: Quantity

    @model_validator(mode="after")
    def _plausible(self) -> LabWithUln:
        if self.value.value < 0:
            raise ValueError(f"value {self.value} is negative; expected a value >= 0")
        if self.upper_limit_of_normal.value <= 0:
            raise ValueError(f"upper_limit_of_normal {self.upper_limit_of_normal} must be > 0")
        dims = {self.value.dimension, self.upper_limit_of_normal.dimension}
        if len(dims) > 1 and dims != set(_CONCENTRATIONS):
            raise UnitError(
                f"value unit {self.value.unit!r} and upper_limit_of_normal unit "
                f"{self.upper_limit_of_normal.unit!r} measure different things; expected the same unit"
            )
        return self

    def times_uln(self, analyte: Analyte | None = None) -> float:
        """The value as a multiple of the upper limit of normal (units converted on :data:`CONVERSION_BASIS`)."""
        if analyte is None:
            uln = self.upper_limit_of_normal.to(self.value.unit)
        else:
            uln = self.upper_limit_of_normal.concentration_in(self.value.unit, analyte, CONVERSION_BASIS)
        return self.value.value / uln


class CardiacFacts(FrozenModel):
    coronary_artery_disease: bool = Field(strict=True)
    congestive_heart_failure: bool = Field(strict=True)
    myocardial_infarction: bool = Field(strict=True)
    lvef_percent: float | None = Field(default=None, ge=5, le=90, strict=True)
    shortening_fraction_percent: float | None = Field(default=None, ge=5, le=70, strict=True)

    @model_validator(mode="after")
    def _one_measure(self) -> CardiacFacts:
        if self.lvef_percent is None and self.shortening_fraction_percent is None:
            raise ValueError("give lvef_percent or (paediatrics, CIBMTR variant) shortening_fraction_percent")
        return self


class HepaticFacts(FrozenModel):
    chronic_hepatitis: bool = Field(strict=True)
    cirrhosis: bool = Field(strict=True)
    bilirubin: LabWithUln
    ast: LabWithUln | None = None
    alt: LabWithUln | None = None

    @field_validator("bilirubin")
    @classmethod
    def _bilirubin_unit(cls, lab: LabWithUln) -> LabWithUln:
        require_dimension(lab.value, _CONCENTRATIONS, "bilirubin.value")
        return lab

    @field_validator("ast", "alt")
    @classmethod
    def _enzyme_unit(cls, lab: LabWithUln | None) -> LabWithUln | None:
        if lab is not None:
            require_dimension(lab.value, Dimension.CATALYTIC_CONCENTRATION, "transaminase value")
        return lab

    @model_validator(mode="after")
    def _one_transaminase(self) -> HepaticFacts:
        if self.ast is None and self.alt is None:
            raise ValueError("give ast and/or alt (with upper_limit_of_normal); neither was given")
        return self


class RenalFacts(FrozenModel):
    creatinine: Quantity
    on_dialysis: bool = Field(strict=True)
    prior_renal_transplant: bool = Field(strict=True)

    @field_validator("creatinine")
    @classmethod
    def _creatinine(cls, q: Quantity) -> Quantity:
        require_dimension(q, _CONCENTRATIONS, "creatinine")
        mg_dl = q.concentration_in("mg/dL", Analyte.CREATININE, CONVERSION_BASIS)
        if not 0 < mg_dl <= 40:
            raise ValueError(f"creatinine {q} is not a possible serum value; expected > 0 and <= 40 mg/dL")
        return q


class BodyFacts(FrozenModel):
    bmi_kg_m2: float | None = Field(default=None, ge=8, le=120, strict=True)
    bmi_for_age_percentile: float | None = Field(default=None, ge=0, le=100, strict=True)


class PulmonaryFacts(FrozenModel):
    fev1_percent_predicted: float | None = Field(default=None, gt=0, le=200, strict=True)
    dlco_percent_predicted: float | None = Field(default=None, gt=0, le=200, strict=True)
    dlco_corrected_for_haemoglobin: bool | None = Field(default=None, strict=True)
    dyspnoea: Dyspnoea
    supplemental_oxygen: bool = Field(strict=True)

    @model_validator(mode="after")
    def _dlco_corrected(self) -> PulmonaryFacts:
        if self.dlco_percent_predicted is not None and self.dlco_corrected_for_haemoglobin is not True:
            raise ValueError(
                f"dlco_percent_predicted={self.dlco_percent_predicted:g} needs "
                "dlco_corrected_for_haemoglobin=true; HCT-CI uses haemoglobin-corrected DLco (Sorror 2013)"
            )
        return self


class HctCiFacts(FrozenModel):
    """Clinical facts for the 17 comorbidities; every item is required.

    The index's exceptions are answers of their own, so that no caller has to apply them silently:
    diabetes on diet alone, mitral valve prolapse alone, and non-melanoma skin cancer alone score 0.
    """

    arrhythmia: bool = Field(strict=True)
    cardiac: CardiacFacts
    inflammatory_bowel_disease: bool = Field(strict=True)
    diabetes: Diabetes
    steroid_induced_hyperglycaemia_requiring_medication: bool | None = Field(default=None, strict=True)
    tia_or_cerebrovascular_accident: bool = Field(strict=True)
    intracranial_haemorrhage: bool | None = Field(default=None, strict=True)
    psychiatric_disturbance_requiring_treatment: bool = Field(strict=True)
    hepatic: HepaticFacts
    body: BodyFacts
    infection_requiring_treatment_after_day_0: bool = Field(strict=True)
    rheumatologic_disease: bool = Field(strict=True)
    peptic_ulcer_requiring_treatment: bool = Field(strict=True)
    renal: RenalFacts
    pulmonary: PulmonaryFacts
    prior_solid_tumour: PriorSolidTumour
    heart_valve_disease: HeartValveDisease


@dataclass(frozen=True)
class Finding:
    present: bool
    input: str
    rule: str
    verification: VerificationLevel = VerificationLevel.SECONDARY
    """Item definitions and weights: Sorror 2005 as reproduced in NCI PDQ and Handbook Table 11.5."""


def check_facts(facts: HctCiFacts, variant: HctCiVariant, age_years: int) -> None:
    """Refuse facts that the chosen variant or the patient's age cannot score."""
    child = age_years < PAEDIATRIC_AGE_LIMIT
    if variant is HctCiVariant.CIBMTR:
        for name in ("steroid_induced_hyperglycaemia_requiring_medication", "intracranial_haemorrhage"):
            if getattr(facts, name) is None:
                raise ValueError(f"facts.{name} is required for variant {variant.value!r}; expected true or false")
    sf = facts.cardiac.shortening_fraction_percent
    if sf is not None and variant is not HctCiVariant.CIBMTR:
        raise ValueError(
            f"facts.cardiac.shortening_fraction_percent={sf:g} is scored only by variant 'cibmtr-fim'; "
            "give lvef_percent for variant 'sorror-2005'"
        )
    if sf is not None and not child and facts.cardiac.lvef_percent is None:
        raise ValueError(
            f"facts.cardiac.shortening_fraction_percent={sf:g} applies to paediatric patients only "
            f"(age < {PAEDIATRIC_AGE_LIMIT}); age_years={age_years}, give lvef_percent"
        )
    if child and facts.body.bmi_for_age_percentile is None:
        raise ValueError(
            f"facts.body.bmi_for_age_percentile is required for age_years={age_years} "
            f"(< {PAEDIATRIC_AGE_LIMIT}); BMI > 35 applies to adults only"
        )
    if not child and facts.body.bmi_kg_m2 is None:
        raise ValueError(f"facts.body.bmi_kg_m2 is required for age_years={age_years}")


def derive(facts: HctCiFacts, variant: HctCiVariant, age_years: int) -> dict[HctCiItem, Finding]:
    """Derive each of the 17 items from the clinical facts. Call :func:`check_facts` first."""
    cibmtr = variant is HctCiVariant.CIBMTR
    found: dict[HctCiItem, Finding] = {
        HctCiItem.ARRHYTHMIA: _flag(facts.arrhythmia, "arrhythmia"),
        HctCiItem.INFLAMMATORY_BOWEL_DISEASE: _flag(facts.inflammatory_bowel_disease, "inflammatory_bowel_disease"),
        HctCiItem.PSYCHIATRIC: _flag(
            facts.psychiatric_disturbance_requiring_treatment, "psychiatric_disturbance_requiring_treatment"
        ),
        HctCiItem.INFECTION: _flag(
            facts.infection_requiring_treatment_after_day_0, "infection_requiring_treatment_after_day_0"
        ),
        HctCiItem.RHEUMATOLOGIC: _flag(facts.rheumatologic_disease, "rheumatologic_disease"),
        HctCiItem.PEPTIC_ULCER: _flag(facts.peptic_ulcer_requiring_treatment, "peptic_ulcer_requiring_treatment"),
        HctCiItem.PRIOR_SOLID_TUMOUR: _exception(
            "prior_solid_tumour",
            facts.prior_solid_tumour,
            PriorSolidTumour.OTHER_THAN_NON_MELANOMA_SKIN_CANCER,
            PriorSolidTumour.NON_MELANOMA_SKIN_CANCER_ONLY,
        ),
        HctCiItem.HEART_VALVE_DISEASE: _exception(
            "heart_valve_disease",
            facts.heart_valve_disease,
            HeartValveDisease.OTHER_THAN_MITRAL_VALVE_PROLAPSE,
            HeartValveDisease.MITRAL_VALVE_PROLAPSE_ONLY,
        ),
        HctCiItem.DIABETES: _diabetes(facts, cibmtr),
        HctCiItem.CEREBROVASCULAR: _any_flag(
            [("tia_or_cerebrovascular_accident", facts.tia_or_cerebrovascular_accident)]
            + ([("intracranial_haemorrhage", bool(facts.intracranial_haemorrhage))] if cibmtr else [])
        ),
        HctCiItem.CARDIAC: _cardiac(facts.cardiac, cibmtr and age_years < PAEDIATRIC_AGE_LIMIT),
        HctCiItem.OBESITY: _obesity(facts.body, age_years),
        HctCiItem.RENAL: _renal(facts.renal, cibmtr),
    }
    found.update(_pulmonary(facts.pulmonary))
    found.update(_hepatic(facts.hepatic))
    return found


def _flag(value: bool, name: str) -> Finding:
    return Finding(value, f"{name}={str(value).lower()}", "reported diagnosis" if value else "not present")


def _exception(name: str, value: StrEnum, scored: StrEnum, excluded: StrEnum) -> Finding:
    text = f"{name}={value.value}"
    if value is scored:
        return Finding(True, text, "reported diagnosis")
    return Finding(False, text, EXCLUDED(exception=excluded.value) if value is excluded else "not present")


def _any_flag(flags: list[tuple[str, bool]]) -> Finding:
    hits = [name for name, value in flags if value]
    text = ", ".join(f"{name}={str(value).lower()}" for name, value in flags)
    return Finding(bool(hits), text, MET_BY(criteria=", ".join(hits)) if hits else "no criterion met")


def _diabetes(facts: HctCiFacts, cibmtr: bool) -> Finding:
    hits = ["diabetes"] if facts.diabetes is Diabetes.INSULIN_OR_ORAL_HYPOGLYCAEMIC else []
    parts = [f"diabetes={facts.diabetes.value}"]
    if cibmtr:
        steroid = bool(facts.steroid_induced_hyperglycaemia_requiring_medication)
        parts.append(f"steroid_induced_hyperglycaemia_requiring_medication={str(steroid).lower()}")
        if steroid:
            hits.append("steroid_induced_hyperglycaemia_requiring_medication")
    if hits:
        rule = MET_BY(criteria=", ".join(hits))
    elif facts.diabetes is Diabetes.DIET_ONLY:
        rule = EXCLUDED(exception=Diabetes.DIET_ONLY.value)
    else:
        rule = "no criterion met"
    return Finding(bool(hits), ", ".join(parts), rule)


def _cardiac(c: CardiacFacts, paediatric_cibmtr: bool) -> Finding:
    hits = [
        n for n in ("coronary_artery_disease", "congestive_heart_failure", "myocardial_infarction") if getattr(c, n)
    ]
    names = ("coronary_artery_disease", "congestive_heart_failure", "myocardial_infarction")
    parts = [f"{n}={str(getattr(c, n)).lower()}" for n in names]
    if c.lvef_percent is not None:
        parts.append(f"lvef_percent={c.lvef_percent:g}")
        if cmp.le(c.lvef_percent, 50):
            hits.append("LVEF <= 50%")
    if c.shortening_fraction_percent is not None and paediatric_cibmtr:
        parts.append(f"shortening_fraction_percent={c.shortening_fraction_percent:g}")
        if cmp.lt(c.shortening_fraction_percent, 26):
            hits.append("shortening fraction < 26% (paediatric, CIBMTR)")
    return Finding(bool(hits), ", ".join(parts), MET_BY(criteria=", ".join(hits)) if hits else "no criterion met")


def _obesity(b: BodyFacts, age_years: int) -> Finding:
    if age_years < PAEDIATRIC_AGE_LIMIT:
        pct = b.bmi_for_age_percentile
        if pct is None:
            raise ValueError(f"facts.body.bmi_for_age_percentile is required for age_years={age_years}")
        present = cmp.ge(pct, 95)
        rule = "BMI-for-age >= 95th percentile for children (Sorror 2013, Table 1)"
        return Finding(present, f"bmi_for_age_percentile={pct:g}, age_years={age_years}", rule)
    bmi = b.bmi_kg_m2
    if bmi is None:
        raise ValueError(f"facts.body.bmi_kg_m2 is required for age_years={age_years}")
    return Finding(cmp.gt(bmi, 35), f"bmi_kg_m2={bmi:g}", "BMI > 35 kg/m2")


def _renal(r: RenalFacts, cibmtr: bool) -> Finding:
    hits = [n for n in ("on_dialysis", "prior_renal_transplant") if getattr(r, n)]
    if r.creatinine.dimension is Dimension.SUBSTANCE_CONCENTRATION and cibmtr:
        umol = r.creatinine.to("umol/L")
        if cmp.gt(umol, 177):
            hits.append("creatinine > 177 umol/L")
    else:
        mg_dl = r.creatinine.concentration_in("mg/dL", Analyte.CREATININE, CONVERSION_BASIS)
        if cmp.gt(mg_dl, 2.0):
            factor = CLINICAL_FACTORS[Analyte.CREATININE].umol_per_l_per_mg_per_dl
            converted = r.creatinine.dimension is Dimension.SUBSTANCE_CONCENTRATION
            hits.append(
                CREATININE_CONVERTED(value=f"{mg_dl:.3g}", factor=f"{factor:g}")
                if converted
                else "creatinine > 2 mg/dL"
            )
    text = f"creatinine={r.creatinine}, on_dialysis={str(r.on_dialysis).lower()}, " + (
        f"prior_renal_transplant={str(r.prior_renal_transplant).lower()}"
    )
    return Finding(bool(hits), text, MET_BY(criteria=", ".join(hits)) if hits else "no criterion met")


def _pulmonary(p: PulmonaryFacts) -> dict[HctCiItem, Finding]:
    severe: list[str] = []
    moderate: list[str] = []
    parts: list[str] = []
    for name, value in (("FEV1", p.fev1_percent_predicted), ("DLco", p.dlco_percent_predicted)):
        if value is None:
            continue
        parts.append(f"{name}={value:g}%")
        if cmp.le(value, 65):
            severe.append(f"{name} <= 65%")
        elif cmp.le(value, 80):
            moderate.append(f"{name} 66-80%")
    parts.append(f"dyspnoea={p.dyspnoea.value}, supplemental_oxygen={str(p.supplemental_oxygen).lower()}")
    if p.dyspnoea is Dyspnoea.AT_REST:
        severe.append("dyspnoea at rest")
    if p.dyspnoea is Dyspnoea.ON_SLIGHT_ACTIVITY:
        moderate.append("dyspnoea on slight activity")
    if p.supplemental_oxygen:
        severe.append("requiring oxygen")
    text = ", ".join(parts)
    return {
        HctCiItem.PULMONARY_MODERATE: Finding(bool(moderate), text, _met(moderate)),
        HctCiItem.PULMONARY_SEVERE: Finding(bool(severe), text, _met(severe)),
    }


def _hepatic(h: HepaticFacts) -> dict[HctCiItem, Finding]:
    severe = ["cirrhosis"] if h.cirrhosis else []
    mild = ["chronic hepatitis"] if h.chronic_hepatitis else []
    bili = h.bilirubin.times_uln(Analyte.BILIRUBIN)
    parts = [f"bilirubin={h.bilirubin.value} (ULN {h.bilirubin.upper_limit_of_normal}, {bili:.3g} x ULN)"]
    if cmp.gt(bili, 1.5):
        severe.append("bilirubin > 1.5 x ULN")
    elif cmp.gt(bili, 1.0):
        mild.append("bilirubin > ULN to 1.5 x ULN")
    for name, lab in (("AST", h.ast), ("ALT", h.alt)):
        if lab is None:
            continue
        ratio = lab.times_uln()
        parts.append(f"{name}={lab.value} (ULN {lab.upper_limit_of_normal}, {ratio:.3g} x ULN)")
        if cmp.gt(ratio, 2.5):
            severe.append(f"{name} > 2.5 x ULN")
        elif cmp.gt(ratio, 1.0):
            mild.append(f"{name} > ULN to 2.5 x ULN")
    parts.append(f"chronic_hepatitis={str(h.chronic_hepatitis).lower()}, cirrhosis={str(h.cirrhosis).lower()}")
    text = ", ".join(parts)
    return {
        HctCiItem.HEPATIC_MILD: Finding(bool(mild), text, _met(mild)),
        HctCiItem.HEPATIC_MODERATE_SEVERE: Finding(bool(severe), text, _met(severe)),
    }


def _met(hits: list[str]) -> str:
    return MET_BY(criteria=", ".join(hits)) if hits else "no criterion met"
