"""EBMT 2018 severity grade of SOS/VOD in children (mild, moderate, severe, very severe; Corbacioglu 2018).

Applied once SOS/VOD has been diagnosed (e.g. by the EBMT 2018 paediatric criteria). Each criterion falls in
one category, as the table read prints it ([U]: the cell is disputed or not legible, see the rule's notes):

==========================  =============  ==============  ======================  ==========================
criterion                   mild (CTCAE 1) moderate (2)    severe (3)              very severe (4), MOD/MOF
==========================  =============  ==============  ======================  ==========================
LFT (ALT, AST, GLDH) *      <= 2 x normal  > 2, <= 5 x N   > 5 x N                 > 5 x N
persistent refractory       < 3 days       3-7 days        >= 7 days [U: > 7]      >= 7 days
thrombocytopenia *
bilirubin *                 < 2 mg/dL      < 2 mg/dL       >= 2 mg/dL (34 umol/L)  >= 2 mg/dL (34 umol/L)
ascites *                   minimal        moderate        needing paracentesis
bilirubin kinetics                                         doubling in 48 h [U]
coagulation                 normal         normal          impaired                impaired, needing factors
renal function, GFR         89-60 mL/min   59-30           29-15                   < 15 (renal failure)
oxygen requirement          none or < 2    > 2 L/min       ventilator support      [U: ventilator support]
                            L/min          (2 exactly [U]) incl. CPAP [U]
CNS                         normal         normal          normal                  new cognitive impairment
==========================  =============  ==============  ======================  ==========================

Criteria met in different categories classify in the most severe one; two or more starred criteria (*) at
their severe level upgrade to very severe (Engraft's reading of the table's upgrade footnote), and
every patient with multi-organ dysfunction/failure is very severe. The grade is at least mild. Where a
disputed cell decides the grade, the result says so and gives the grade under the other reading.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, ValidationInfo, field_validator

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.events import SosVodSeverity

_DECIMALS: Final = 6
_ORDER: Final = (SosVodSeverity.MILD, SosVodSeverity.MODERATE, SosVodSeverity.SEVERE, SosVodSeverity.VERY_SEVERE)
_M, _MO, _S, _VS = _ORDER
CTCAE_GRADE: Final = {_M: 1, _MO: 2, _S: 3, _VS: 4}
STARRED_FOR_UPGRADE: Final = 2
BILIRUBIN_MG_PER_DL: Final = 2.0
BILIRUBIN_UMOL_PER_L: Final = 34.0
"""Both printed by the table; bilirubin is compared in the unit family it was given in."""
REFRACTORY_THROMBOCYTOPENIA_SEVERE_DAYS: Final = 7
"""Printed '>= 7 d' in the table read (moderate '3-7 d'); medicalcriteria.com prints '> 7 days' [U]."""
OXYGEN_L_PER_MIN: Final = 2.0
"""Mild '< 2 L/min', moderate '> 2 L/min': exactly 2 L/min is in neither and is placed in moderate [U]."""
GFR_BANDS_ML_PER_MIN: Final = ((15.0, _S), (30.0, _MO), (60.0, _M), (90.0, None))
"""Upper bounds (exclusive) of the GFR bands printed 29-15, 59-30, 89-60; 90 or more is in no category."""


class PaediatricSeverityCriterion(StrEnum):
    LIVER_FUNCTION = "liver function tests"
    REFRACTORY_THROMBOCYTOPENIA = "persistent refractory thrombocytopenia"
    BILIRUBIN = "bilirubin"
    ASCITES = "ascites"
    BILIRUBIN_KINETICS = "bilirubin kinetics"
    COAGULATION = "coagulation"
    RENAL_FUNCTION = "renal function"
    PULMONARY_FUNCTION = "pulmonary function"
    CNS = "central nervous system"
    MULTI_ORGAN_DYSFUNCTION = "multi-organ dysfunction"


STARRED: Final = (
    PaediatricSeverityCriterion.LIVER_FUNCTION,
    PaediatricSeverityCriterion.REFRACTORY_THROMBOCYTOPENIA,
    PaediatricSeverityCriterion.BILIRUBIN,
    PaediatricSeverityCriterion.ASCITES,
)
"""The criteria whose presence (two or more, at their severe level) upgrades to very severe."""


class SosVodAscites(StrEnum):
    NONE = "none"
    MINIMAL = "minimal"
    MODERATE = "moderate"
    NEEDING_PARACENTESIS = "needing paracentesis (external drainage)"


class SosVodCoagulation(StrEnum):
    NORMAL = "normal"
    IMPAIRED = "impaired"
    IMPAIRED_NEEDING_FACTOR_REPLACEMENT = "impaired, needing replacement of coagulation factors"


EBMT_2018_PAEDIATRIC_SEVERITY_RULE: Final = GradingRule(
    name="SOS/VOD severity grade (children)",
    version="EBMT 2018 paediatric (Corbacioglu 2018)",
    statement=(
        "LFT <= 2, > 2-5, > 5 x normal; persistent refractory thrombocytopenia < 3, 3-7, >= 7 days; bilirubin "
        "< 2 mg/dL (< 34 umol/L) mild or moderate, >= 2 severe; ascites minimal, moderate, needing paracentesis; "
        "bilirubin doubling in 48 h severe; coagulation impaired severe, needing factor replacement very severe; "
        "GFR 89-60, 59-30, 29-15, < 15 mL/min; oxygen < 2, > 2 L/min, ventilator support; new cognitive "
        "impairment very severe. The most severe category met; >= 2 of LFT, refractory thrombocytopenia, "
        "bilirubin and ascites at their severe level, or MOD/MOF, are very severe."
    ),
    citations=(sources.CORBACIOGLU_2018,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read 2026-12-04 in the reproduction https://pmc.ncbi.nlm.nih.gov/articles/PMC6020812/table/T3 (Table 3 "
        "'EBMT scale for grading VOD/SOS severity in pediatric patients', footnote 'Adapted from Corbacioglu et "
        "al.'; that article's bibliographic details were not read). Corbacioglu 2018 itself is stored "
        "(nature.com/articles/bmt2017161) but only its opening was readable: its Table 3 was not read, so no cell "
        "is verified against the primary text.",
        "Rows LFT, refractory thrombocytopenia (except the 7-day boundary) and bilirubin (mg/dL and umol/L) agree "
        "with a second reproduction, https://medicalcriteria.com/web/sos-vod/ (read as far as the bilirubin "
        "rows); the EBMT Handbook 2024 (chapter 49, Table 49.4, adapted from Corbacioglu 2018) states that "
        "bilirubin >= 2 mg/dL in children is associated with severe SOS/VOD. The Handbook has no paediatric "
        "severity table.",
        "Unverified: refractory thrombocytopenia for exactly 7 days (PMC6020812 '>= 7 d' for severe beside "
        "'3-7 d' for moderate; medicalcriteria.com '> 7 days'): placed in severe.",
        "Unverified: the column of the bilirubin-kinetics row (doubling within 48 h): the reproduction's "
        "rendering shows the cell under mild with the rest of the row merged, where it could never change a "
        "grade; placed in severe, as in the adult table and as the table's footnote on symptoms evolving within "
        "48 h (a predictor of severe disease) suggests.",
        "Unverified: ventilator support (including CPAP) is printed in the severe column of PMC6020812; "
        "clinical-scores.md section 9.2 transcribes it as very severe. Placed in severe.",
        "Unverified: oxygen at exactly 2 L/min ('< 2' mild, '> 2' moderate): placed in moderate.",
        "Reading: the footnote upgrading to very severe when two or more of the starred criteria (LFT, "
        "refractory thrombocytopenia, bilirubin, ascites) are present counts them at their severe level, where "
        "the severe and very severe cells print the same value; counted at any level it would make nearly every "
        "diagnosed child very severe. The most severe category met is the table's footnote on criteria in "
        "different categories.",
        "Pre-existing hyperbilirubinaemia from the primary disease is excluded (the caller says so). GFR is "
        "compared in mL/min as printed; normalising to 1.73 m2 is the caller's. No time-since-onset row and no "
        "risk-factor upgrade, unlike the adult grade.",
    ),
)


class PaediatricSosVodSeverityFindings(FrozenModel):
    """The findings the paediatric severity grade reads. ``None``: not assessed (it then counts in no category)."""

    liver_function_times_normal: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Highest of ALT, AST, GLDH as a multiple of normal."
    )
    refractory_thrombocytopenia_days: int | None = Field(
        default=None, ge=0, strict=True, description="Days of persistent transfusion-refractory thrombocytopenia."
    )
    bilirubin: Quantity | None = Field(default=None, description="Total bilirubin, mg/dL or umol/L (or mg/L, ...).")
    bilirubin_from_primary_disease: bool = Field(
        default=False, description="Pre-existing hyperbilirubinaemia from the primary disease: not counted."
    )
    bilirubin_doubled_within_48_h: bool | None = None
    ascites: SosVodAscites | None = None
    coagulation: SosVodCoagulation | None = None
    gfr: Quantity | None = Field(default=None, description="Glomerular filtration rate, mL/min.")
    oxygen_flow: Quantity | None = Field(default=None, description="Supplemental oxygen, L/min (0 L/min: none).")
    ventilator_support: bool | None = Field(default=None, description="Ventilator support, including CPAP.")
    new_cognitive_impairment: bool | None = None
    multi_organ_dysfunction: bool = False

    @field_validator("bilirubin")
    @classmethod
    def _bilirubin(cls, value: Quantity | None) -> Quantity | None:
        if value is not None:
            require_dimension(value, (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION), "bilirubin")
            if value.value < 0:
                raise ValueError(f"bilirubin={value} is negative; expected a concentration >= 0")
        return value

    @field_validator("gfr", "oxygen_flow")
    @classmethod
    def _rate(cls, value: Quantity | None, info: ValidationInfo) -> Quantity | None:
        if value is not None:
            field = info.field_name or "rate"
            require_dimension(value, Dimension.VOLUME_RATE, field)
            if value.value < 0:
                raise ValueError(f"{field}={value} is negative; expected a flow >= 0")
        return value


class PaediatricSosVodSeverityGrade(FrozenModel):
    """The severity grade with each criterion's category, what decided it and the rule applied."""

    severity: SosVodSeverity
    ctcae_grade: int = Field(ge=1, le=4)
    categories: dict[PaediatricSeverityCriterion, SosVodSeverity | None] = Field(
        description="Each criterion's category; None when not assessed or in no category."
    )
    criterion_findings: dict[PaediatricSeverityCriterion, str] = Field(description="Each criterion's finding.")
    upgraded_by: tuple[PaediatricSeverityCriterion, ...] = Field(
        description="The starred criteria at their severe level when two or more moved the grade to very severe."
    )
    not_assessed: tuple[PaediatricSeverityCriterion, ...]
    rests_on_unverified: bool = Field(description="True when a disputed cell decides the grade.")
    alternative_severity: SosVodSeverity | None = Field(
        description="The grade under the other reading of the disputed cells, when it differs."
    )
    findings: PaediatricSosVodSeverityFindings
    rule: GradingRule
    notes: tuple[str, ...] = ()


_Placed = tuple[SosVodSeverity | None, str, str | None]
"""(category, finding, unverified note when a disputed cell placed it)."""


def _liver(times_normal: float) -> _Placed:
    category = _M if times_normal <= 2 else _MO if times_normal <= 5 else _S
    return category, f"LFT {times_normal:g} x normal", None


def _thrombocytopenia(days: int, alternative: bool) -> _Placed:
    finding = f"refractory thrombocytopenia for {days} days"
    if days == REFRACTORY_THROMBOCYTOPENIA_SEVERE_DAYS:
        return (_MO if alternative else _S), finding, "7 days of refractory thrombocytopenia: severe ('>= 7 d') [U]"
    return (_M if days < 3 else _MO if days < 7 else _S), finding, None


def _bilirubin(bilirubin: Quantity) -> _Placed:
    if bilirubin.dimension is Dimension.MASS_CONCENTRATION:
        value, limit, unit = round(bilirubin.to("mg/dL"), _DECIMALS), BILIRUBIN_MG_PER_DL, "mg/dL"
    else:
        value, limit, unit = round(bilirubin.to("umol/L"), _DECIMALS), BILIRUBIN_UMOL_PER_L, "umol/L"
    met = value >= limit
    return (_S if met else _M), f"bilirubin {value:g} {unit} {'>=' if met else '<'} {limit:g} {unit}", None


def _ascites(ascites: SosVodAscites) -> _Placed:
    category = {SosVodAscites.NONE: None, SosVodAscites.MINIMAL: _M, SosVodAscites.MODERATE: _MO}.get(ascites, _S)
    return category, f"ascites: {ascites.value}", None


def _kinetics(doubled: bool, alternative: bool) -> _Placed:
    if not doubled:
        return None, "bilirubin not doubled within 48 h", None
    return (None if alternative else _S), "bilirubin doubled within 48 h", "bilirubin doubling: severe [U]"


def _coagulation(coagulation: SosVodCoagulation) -> _Placed:
    category = {SosVodCoagulation.NORMAL: _M, SosVodCoagulation.IMPAIRED: _S}.get(coagulation, _VS)
    return category, f"coagulation {coagulation.value}", None


def _renal(gfr: Quantity) -> _Placed:
    value = round(gfr.to("mL/min"), _DECIMALS)
    category: SosVodSeverity | None = _VS
    for upper, band in GFR_BANDS_ML_PER_MIN:
        if value >= upper:
            category = band
    return category, f"GFR {value:g} mL/min", None


def _pulmonary(flow: Quantity | None, ventilator: bool | None, alternative: bool) -> _Placed | None:
    if ventilator:
        note = "ventilator support: severe (clinical-scores.md: very severe) [U]"
        return (_VS if alternative else _S), "ventilator support", note
    if flow is None:
        return None
    value = round(flow.to("L/min"), _DECIMALS)
    finding = f"oxygen {value:g} L/min"
    if value == OXYGEN_L_PER_MIN:
        return (_M if alternative else _MO), finding, "oxygen exactly 2 L/min: moderate [U]"
    return (_M if value < OXYGEN_L_PER_MIN else _MO), finding, None


def _cns(impairment: bool) -> _Placed:
    return (_VS if impairment else _M), f"new cognitive impairment: {'present' if impairment else 'absent'}", None


def _place(
    findings: PaediatricSosVodSeverityFindings, alternative: bool
) -> dict[PaediatricSeverityCriterion, _Placed | None]:
    """Each criterion's placement; None when it was not assessed."""
    f, c = findings, PaediatricSeverityCriterion
    days, times_normal = f.refractory_thrombocytopenia_days, f.liver_function_times_normal
    doubled = f.bilirubin_doubled_within_48_h
    bilirubin = None if f.bilirubin is None else _bilirubin(f.bilirubin)
    if bilirubin is not None and f.bilirubin_from_primary_disease:
        bilirubin = (None, bilirubin[1] + ", from the primary disease: not counted", None)
    mod = (_VS, "MOD/MOF", None) if f.multi_organ_dysfunction else (None, "no MOD/MOF", None)
    return {
        c.LIVER_FUNCTION: None if times_normal is None else _liver(times_normal),
        c.REFRACTORY_THROMBOCYTOPENIA: None if days is None else _thrombocytopenia(days, alternative),
        c.BILIRUBIN: bilirubin,
        c.ASCITES: None if f.ascites is None else _ascites(f.ascites),
        c.BILIRUBIN_KINETICS: None if doubled is None else _kinetics(doubled, alternative),
        c.COAGULATION: None if f.coagulation is None else _coagulation(f.coagulation),
        c.RENAL_FUNCTION: None if f.gfr is None else _renal(f.gfr),
        c.PULMONARY_FUNCTION: _pulmonary(f.oxygen_flow, f.ventilator_support, alternative),
        c.CNS: None if f.new_cognitive_impairment is None else _cns(f.new_cognitive_impairment),
        c.MULTI_ORGAN_DYSFUNCTION: mod,
    }


def _category(placed: _Placed | None) -> SosVodSeverity | None:
    return None if placed is None else placed[0]


def _grade(
    placed: dict[PaediatricSeverityCriterion, _Placed | None],
) -> tuple[SosVodSeverity, tuple[PaediatricSeverityCriterion, ...]]:
    reached = [category for category in map(_category, placed.values()) if category is not None]
    severity = max(reached, key=_ORDER.index, default=_M)
    severe_starred = tuple(criterion for criterion in STARRED if _category(placed[criterion]) in (_S, _VS))
    if len(severe_starred) >= STARRED_FOR_UPGRADE:
        return _VS, severe_starred
    return severity, ()


def grade_paediatric_sos_vod_severity(findings: PaediatricSosVodSeverityFindings) -> PaediatricSosVodSeverityGrade:
    """The EBMT 2018 paediatric severity grade of ``findings``."""
    placed = _place(findings, alternative=False)
    severity, upgraded_by = _grade(placed)
    alternative, _ = _grade(_place(findings, alternative=True))
    not_assessed = tuple(criterion for criterion, place in placed.items() if place is None)
    notes: list[str] = []
    if upgraded_by:
        notes.append(f"{len(upgraded_by)} starred criteria at their severe level: very severe")
    if findings.multi_organ_dysfunction:
        notes.append("multi-organ dysfunction/failure: very severe")
    differs = alternative != severity
    if differs:
        cells = "; ".join(place[2] for place in placed.values() if place is not None and place[2])
        notes.append(f"the grade rests on disputed cells ({cells}); the other reading gives {alternative.value}")
    if not_assessed and severity is not _VS:
        notes.append("not assessed, could raise the grade: " + ", ".join(not_assessed))
    return PaediatricSosVodSeverityGrade(
        severity=severity,
        ctcae_grade=CTCAE_GRADE[severity],
        categories={criterion: _category(place) for criterion, place in placed.items()},
        criterion_findings={
            criterion: "not assessed" if place is None else place[1] for criterion, place in placed.items()
        },
        upgraded_by=upgraded_by,
        not_assessed=not_assessed,
        rests_on_unverified=differs,
        alternative_severity=alternative if differs else None,
        findings=findings,
        rule=EBMT_2018_PAEDIATRIC_SEVERITY_RULE,
        notes=tuple(notes),
    )
