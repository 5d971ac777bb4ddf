"""EBMT 2016 severity grade of SOS/VOD in adults (mild, moderate, severe, very severe; Mohty 2016).

Applied once SOS/VOD has been diagnosed. Each criterion falls in one category:

==========================  ==============  ==================  ==================  ====================
criterion                   mild            moderate            severe              very severe (MOD)
==========================  ==============  ==================  ==================  ====================
time since first symptoms   > 7 days        5-7 days            <= 4 days           any time
bilirubin, mg/dL            >= 2 and < 3    >= 3 and < 5        >= 5 and < 8        >= 8
bilirubin, umol/L           >= 34 and < 51  >= 51 and < 85      >= 85 and < 136     >= 136
bilirubin kinetics                                              doubling in 48 h
transaminases               <= 2 x normal   > 2 and <= 5 x N    > 5 and <= 8 x N    > 8 x N
weight above baseline                                           >= 5% (and < 10%)   >= 10%
creatinine vs transplant    < 1.2 x         >= 1.2 and < 1.5 x  >= 1.5 and < 2 x    >= 2 x, or MOD
==========================  ==============  ==================  ==================  ====================

"Patients belong to the category that fulfilled 2 or more criteria; if they fulfilled 2 or more criteria
in 2 different categories, the most severe category between both" (EBMT Handbook Table 49.3). Engraft reads
a criterion met at a more severe level as also fulfilling the milder categories, so the grade is the most
severe category reached by two or more criteria (the second most severe criterion). Read literally, with
exclusive bands, a worse finding could lower the grade (moderate transaminases becoming severe would leave
moderate with one criterion); the cumulative reading never does, and it reproduces the footnote expected
for the weight row (5-10% counts as severe when another criterion is severe, otherwise as moderate).
Multi-organ dysfunction (MOD/MOF) is very severe. With two or more SOS/VOD risk factors a mild or
moderate grade moves up one grade. Bilirubin is banded in the unit family it was given in (the source
prints both rows).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, ValidationInfo, field_validator

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.grading.sos_vod_findings import WeightGain
from engraft.measurements import Analyte, ConversionBasis, Dimension, Quantity, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.events import SosVodSeverity

_DECIMALS: Final = 6
RISK_FACTORS_FOR_UPGRADE: Final = 2
CRITERIA_PER_CATEGORY: Final = 2
_ORDER: Final = (SosVodSeverity.MILD, SosVodSeverity.MODERATE, SosVodSeverity.SEVERE, SosVodSeverity.VERY_SEVERE)
_M, _MO, _S, _VS = _ORDER

BILIRUBIN_BANDS_MG_PER_DL: Final = ((2.0, _M), (3.0, _MO), (5.0, _S), (8.0, _VS))
BILIRUBIN_BANDS_UMOL_PER_L: Final = ((34.0, _M), (51.0, _MO), (85.0, _S), (136.0, _VS))
"""Lower bounds (inclusive) of each bilirubin band, as printed."""


class SeverityCriterion(StrEnum):
    TIME_SINCE_FIRST_SYMPTOMS = "time since first symptoms"
    BILIRUBIN = "bilirubin"
    BILIRUBIN_KINETICS = "bilirubin kinetics"
    TRANSAMINASES = "transaminases"
    WEIGHT_GAIN = "weight gain"
    RENAL_FUNCTION = "renal function"
    MULTI_ORGAN_DYSFUNCTION = "multi-organ dysfunction"


EBMT_2016_ADULT_SEVERITY_RULE: Final = GradingRule(
    name="SOS/VOD severity grade (adults)",
    version="EBMT 2016 adult (Mohty 2016)",
    statement=(
        "Time since first symptoms > 7 d mild, 5-7 d moderate, <= 4 d severe; bilirubin (mg/dL) 2-<3 mild, 3-<5 "
        "moderate, 5-<8 severe, >= 8 very severe (umol/L 34/51/85/136); bilirubin doubling in 48 h severe; "
        "transaminases <= 2, > 2-5, > 5-8, > 8 x normal; weight gain >= 5-< 10% moderate or severe, >= 10% very "
        "severe; creatinine < 1.2, 1.2-< 1.5, 1.5-< 2, >= 2 x baseline at transplant. The grade is the most severe "
        "category fulfilled by two or more criteria; MOD/MOF is very severe; >= 2 risk factors move mild and "
        "moderate up one grade."
    ),
    citations=(sources.MOHTY_2016, sources.CARRERAS_2024),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Rows read in the ASH view-large table 4463002 ('Proposed EBMT scale ...') as transcribed in "
        "clinical-scores-verification.md section 4.2; the aggregation rule (category with >= 2 criteria, the more "
        "severe of two) and the risk-factor upgrade in the EBMT Handbook Table 49.3 footnotes.",
        "Reading: a criterion met at a more severe level also fulfils the milder categories (cumulative), so the "
        "grade is the most severe category reached by two or more criteria; read with exclusive bands a worse "
        "finding could lower the grade.",
        "Weight row partly unverified: the ASH reproduction prints '>= 5% and < 10%' for moderate and a garbled "
        "severe cell, the Handbook '>= 5%' for severe only. Engraft places >= 5% and < 10% in severe, which with "
        "the cumulative reading counts as moderate when no other criterion is severe (the footnote expected in "
        "clinical-scores-verification.md 4.3); a gain < 5% counts in no category (the mild cell is printed "
        "'> 5%', a typo).",
        "Renal rows are those of the 2016 reproduction; the Handbook's 2024 table words mild as 'baseline at "
        "transplant' and moderate as '< 1.5 x baseline'.",
        "Which risk factors count for the upgrade is the caller's (Mohty 2016 Table 3 not read); the EBMT 2015 "
        "list is in clinical-scores-verification.md section 4.5.",
    ),
)


class AdultSosVodSeverityFindings(FrozenModel):
    """The findings the adult severity grade reads, once SOS/VOD has been diagnosed."""

    days_since_first_symptoms: int = Field(
        ge=0, strict=True, description="From the first signs or symptoms to fulfilment of the diagnostic criteria."
    )
    bilirubin: Quantity = Field(description="Total bilirubin, mg/dL or umol/L (or mg/L, ...).")
    bilirubin_doubled_within_48_h: bool = False
    transaminases_times_normal: float = Field(
        ge=0, allow_inf_nan=False, description="Highest transaminase as a multiple of the upper limit of normal."
    )
    weight_gain: WeightGain
    creatinine: Quantity
    creatinine_at_transplant: Quantity = Field(description="Baseline creatinine at transplant.")
    multi_organ_dysfunction: bool = False
    risk_factors: int = Field(default=0, ge=0, strict=True, description="Number of SOS/VOD risk factors present.")

    @field_validator("bilirubin", "creatinine", "creatinine_at_transplant")
    @classmethod
    def _concentration(cls, value: Quantity, info: ValidationInfo) -> Quantity:
        field = info.field_name or "concentration"
        require_dimension(value, (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION), field)
        if value.value < 0:
            raise ValueError(f"{field}={value} is negative; expected a concentration >= 0")
        return value

    @property
    def creatinine_ratio(self) -> float:
        """Creatinine as a multiple of its value at transplant."""
        basis = ConversionBasis.CLINICAL_FACTOR
        now = self.creatinine.concentration_in("umol/L", Analyte.CREATININE, basis)
        base = self.creatinine_at_transplant.concentration_in("umol/L", Analyte.CREATININE, basis)
        if base <= 0:
            raise ValueError(f"creatinine_at_transplant={self.creatinine_at_transplant} is not positive; expected > 0")
        return round(now / base, _DECIMALS)


class SosVodSeverityGrade(FrozenModel):
    """The severity grade with the category of each criterion and the rule applied."""

    severity: SosVodSeverity
    before_risk_factor_upgrade: SosVodSeverity
    criteria_by_category: dict[SosVodSeverity, tuple[SeverityCriterion, ...]] = Field(
        description="The criteria each category holds (a criterion in its own, most severe, category)."
    )
    fulfilling: dict[SosVodSeverity, tuple[SeverityCriterion, ...]] = Field(
        description="The criteria fulfilling each category: met at that level or a more severe one."
    )
    criterion_findings: dict[SeverityCriterion, str] = Field(description="Each criterion's finding and category.")
    findings: AdultSosVodSeverityFindings
    rule: GradingRule
    notes: tuple[str, ...] = ()


def _band(value: float, bands: tuple[tuple[float, SosVodSeverity], ...]) -> SosVodSeverity | None:
    category = None
    for lower, band in bands:
        if value >= lower:
            category = band
    return category


def _time(days: int) -> SosVodSeverity:
    if days > 7:
        return _M
    return _MO if days >= 5 else _S


def _transaminases(times_normal: float) -> SosVodSeverity:
    if times_normal <= 2:
        return _M
    if times_normal <= 5:
        return _MO
    return _S if times_normal <= 8 else _VS


def _creatinine(ratio: float) -> SosVodSeverity:
    return _band(ratio, ((0.0, _M), (1.2, _MO), (1.5, _S), (2.0, _VS))) or _M


def _weight(percent: float) -> tuple[SosVodSeverity, ...]:
    if percent >= 10:
        return (_VS,)
    return (_S,) if percent >= 5 else ()


def grade_adult_sos_vod_severity(findings: AdultSosVodSeverityFindings) -> SosVodSeverityGrade:
    """The EBMT 2016 adult severity grade of ``findings``."""
    bilirubin = findings.bilirubin
    if bilirubin.dimension is Dimension.MASS_CONCENTRATION:
        value, unit, bands = round(bilirubin.to("mg/dL"), _DECIMALS), "mg/dL", BILIRUBIN_BANDS_MG_PER_DL
    else:
        value, unit, bands = round(bilirubin.to("umol/L"), _DECIMALS), "umol/L", BILIRUBIN_BANDS_UMOL_PER_L
    ratio = findings.creatinine_ratio
    placed: dict[SeverityCriterion, tuple[tuple[SosVodSeverity, ...], str]] = {
        SeverityCriterion.TIME_SINCE_FIRST_SYMPTOMS: (
            (_time(findings.days_since_first_symptoms),),
            f"{findings.days_since_first_symptoms} days since first symptoms",
        ),
        SeverityCriterion.BILIRUBIN: (
            tuple(c for c in (_band(value, bands),) if c is not None),
            f"bilirubin {value:g} {unit}",
        ),
        SeverityCriterion.BILIRUBIN_KINETICS: (
            (_S,) if findings.bilirubin_doubled_within_48_h else (),
            "bilirubin doubled within 48 h" if findings.bilirubin_doubled_within_48_h else "no doubling in 48 h",
        ),
        SeverityCriterion.TRANSAMINASES: (
            (_transaminases(findings.transaminases_times_normal),),
            f"transaminases {findings.transaminases_times_normal:g} x normal",
        ),
        SeverityCriterion.WEIGHT_GAIN: (_weight(findings.weight_gain.percent), f"weight gain {findings.weight_gain}"),
        SeverityCriterion.RENAL_FUNCTION: ((_creatinine(ratio),), f"creatinine {ratio:g} x baseline at transplant"),
        SeverityCriterion.MULTI_ORGAN_DYSFUNCTION: (
            (_VS,) if findings.multi_organ_dysfunction else (),
            "multi-organ dysfunction" if findings.multi_organ_dysfunction else "no multi-organ dysfunction",
        ),
    }
    by_category = {
        category: tuple(criterion for criterion, (categories, _) in placed.items() if category in categories)
        for category in _ORDER
    }
    fulfilling = {
        category: tuple(
            criterion
            for criterion, (categories, _) in placed.items()
            if any(_ORDER.index(c) >= _ORDER.index(category) for c in categories)
        )
        for category in _ORDER
    }
    held = [category for category in _ORDER if len(fulfilling[category]) >= CRITERIA_PER_CATEGORY]
    # time since symptoms, transaminases and renal function always have a category, so mild is always held
    base = _VS if findings.multi_organ_dysfunction else held[-1]
    notes = []
    severity = base
    if base in (_M, _MO) and findings.risk_factors >= RISK_FACTORS_FOR_UPGRADE:
        severity = _ORDER[_ORDER.index(base) + 1]
        notes.append(f"{findings.risk_factors} risk factors: {base.value} moved up to {severity.value}")
    criterion_findings = {
        criterion: f"{text}: {', '.join(c.value for c in categories) or 'no category'}"
        for criterion, (categories, text) in placed.items()
    }
    return SosVodSeverityGrade(
        severity=severity,
        before_risk_factor_upgrade=base,
        criteria_by_category=by_category,
        fulfilling=fulfilling,
        criterion_findings=criterion_findings,
        findings=findings,
        rule=EBMT_2016_ADULT_SEVERITY_RULE,
        notes=tuple(notes),
    )
