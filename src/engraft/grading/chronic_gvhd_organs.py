"""NIH 2014 chronic GVHD organ scores 0-3 from findings: UNVERIFIED band values, labelled so.

The organ-scoring form (Jagasia et al. 2015, Figure 1) was not read, and no secondary reproduction of it was
found. The EBMT Handbook ch. 44 (Wolff, Peric, Lawitschka 2024) refers to it as its Annex 1; re-read in full on
2026-12-05 (all 35,557 characters of the copy), the chapter gives eight organs scored 0-3 and the overall
severity table (44.3.1.1) but no band of any organ, and neither Annex 1 nor its Addendum is in the copy. Ch. 52
(pulmonary) gives the NIH criteria for diagnosing bronchiolitis obliterans syndrome, not the FEV1 score bands;
ch. 48 (eyes and mouth) and ch. 22 (follow-up) score no organ. Each organ has its own rule below, so an organ
whose bands a verified source reproduces can be raised alone. The bands below are the expected content
recorded in clinical-scores-verification.md section 2.3 (reconstructed, UNCONFIRMED there, consistent with a
public implementation of the 2014 form). Every rule here is therefore
:attr:`VerificationLevel.UNVERIFIED`, its result says so, and no test asserts its numbers as published
facts. Two parts are verified (section 2.2) and hold whatever the bands: the skin score is the higher of its
two scores, and the global severity uses the FEV1-based lung score.

Organ scores the form defines by clinical description (mouth, eyes, GI tract, joints and fascia, genital
tract, and the lung symptom score) are recorded by the clinician as a level; :func:`recorded_organ_score`
attaches the (unverified) description of that level. Measurable ones are computed: skin from body surface
area and sclerotic features, lungs from FEV1 % predicted, liver from bilirubin, ALT and alkaline phosphatase
against their upper limits of normal.

How bands are read for continuous values (unverified transcription; in each rule's notes): skin BSA above 0
up to 18 % is 1, above 18 up to 50 % is 2, above 50 % is 3; FEV1 >= 80 % is 0, 60 to below 80 is 1, 40 to
below 60 is 2, below 40 is 3 ("<= 39 %").
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from engraft.grading import sources
from engraft.grading.chronic_gvhd import Attribution, ChronicGvhdOrgan, ChronicGvhdOrganScore, OrganScale
from engraft.grading.findings import Finding
from engraft.grading.rule import GradingRule
from engraft.measurements import Analyte, ConversionBasis, Dimension, Quantity, require_dimension
from engraft.provenance import VerificationLevel

_UNREAD = (
    "UNVERIFIED: Jagasia 2015 Figure 1 (the 2014 scoring form) was not read; bands as reconstructed in "
    "clinical-scores-verification.md section 2.3."
)
_NO_REPRODUCTION = (
    "No secondary reproduction of the bands (searched 2026-12-05): EBMT Handbook 8th ed. ch. 44 read in full gives "
    "only the overall severity table 44.3.1.1, its Annex 1 (the scoring form) is not in the copy read; ch. 48, 52 "
    "and 22 give no organ score bands."
)
_NIH = "NIH 2014 (Jagasia 2015)"


def _rule(name: str, statement: str, *notes: str) -> GradingRule:
    return GradingRule(
        name=name,
        version=_NIH,
        statement=statement,
        citations=(sources.JAGASIA_2015,),
        verification=VerificationLevel.UNVERIFIED,
        notes=(_UNREAD, _NO_REPRODUCTION, *notes),
    )


SKIN_SCORE_RULE: Final = _rule(
    "chronic GVHD skin score",
    "Higher of two scores. Body surface area: 0 none; 1 1-18%; 2 19-50%; 3 > 50%. Sclerotic features: 0 none; "
    "2 superficial, not hidebound (able to pinch); 3 deep, hidebound (unable to pinch), impaired mobility or "
    "ulceration.",
    "The higher of the two skin scores is used (verified: clinical-scores-verification.md 2.2); the bands are not.",
    "Read for continuous BSA: above 0 up to 18% is 1, above 18 up to 50% is 2, above 50% is 3.",
    "The sclerotic-features scale has no level 1 (unconfirmed); severe pruritus is not scored (2014).",
)

LUNG_FEV1_SCORE_RULE: Final = _rule(
    "chronic GVHD lung score (FEV1)",
    "FEV1 % predicted: 0 >= 80%; 1 60-79%; 2 40-59%; 3 <= 39%.",
    "The global severity uses this FEV1-based score instead of the symptom score (verified: "
    "clinical-scores-verification.md 2.2); the bands are not.",
    "Read for continuous values: 60 to below 80 is 1, 40 to below 60 is 2, below 40 is 3.",
)

LIVER_SCORE_RULE: Final = _rule(
    "chronic GVHD liver score",
    "0: normal total bilirubin and ALT or alkaline phosphatase < 3 x ULN; 1: normal bilirubin with ALT >= 3 to "
    "5 x ULN or AP >= 3 x ULN; 2: elevated bilirubin but <= 3 mg/dL, or ALT > 5 x ULN; 3: bilirubin > 3 mg/dL.",
    "Elevated bilirubin means above the laboratory's upper limit of normal (given with the value).",
    "Bilirubin in umol/L is converted to mg/dL with the clinical factor 17.1 for the 3 mg/dL cut-point.",
    "Alkaline phosphatase may be raised in growing children without liver dysfunction (2005 form footnote); "
    "the clinician attributes it.",
)


class SkinSclerosis(StrEnum):
    """Sclerotic features of the skin, as the 2014 form grades them (unverified wording)."""

    NONE = "no sclerotic features"
    SUPERFICIAL = "superficial sclerotic features, not hidebound (able to pinch)"
    DEEP = "deep sclerotic features, hidebound (unable to pinch), impaired mobility or ulceration"


_SCLEROSIS_SCORE: Final[Mapping[SkinSclerosis, int]] = MappingProxyType(
    {SkinSclerosis.NONE: 0, SkinSclerosis.SUPERFICIAL: 2, SkinSclerosis.DEEP: 3}
)
_SKIN_BSA_LEVELS: Final = ("no BSA involved", "1-18% BSA", "19-50% BSA", "> 50% BSA")
_FEV1_LEVELS: Final = ("FEV1 >= 80%", "FEV1 60-79%", "FEV1 40-59%", "FEV1 <= 39%")


def skin_score(
    bsa_percent: float, sclerosis: SkinSclerosis, attribution: Attribution | None = None
) -> ChronicGvhdOrganScore:
    """Skin score: the higher of the body-surface-area score and the sclerotic-features score."""
    if not 0 <= bsa_percent <= 100:
        raise ValueError(f"bsa_percent={bsa_percent}: expected a percentage of body surface area, 0-100")
    if bsa_percent > 50:
        bsa = 3
    elif bsa_percent > 18:
        bsa = 2
    elif bsa_percent > 0:
        bsa = 1
    else:
        bsa = 0
    sclerotic = _SCLEROSIS_SCORE[sclerosis]
    score = max(bsa, sclerotic)
    criterion = f"BSA score {bsa} ({_SKIN_BSA_LEVELS[bsa]}); sclerotic features score {sclerotic} ({sclerosis.value})"
    return ChronicGvhdOrganScore(
        organ=ChronicGvhdOrgan.SKIN,
        score=score,
        attribution=attribution if score > 0 else None,
        scale=OrganScale.SKIN_HIGHER_OF_TWO,
        criterion=criterion,
        findings=(
            Finding(name="skin involved", value=bsa_percent, unit="%"),
            Finding(name="sclerotic features score", value=sclerotic),
        ),
        rule=SKIN_SCORE_RULE,
    )


def lung_fev1_score(fev1_percent_predicted: Quantity, attribution: Attribution | None = None) -> ChronicGvhdOrganScore:
    """Lung score from FEV1 % predicted (the lung score the global severity uses)."""
    require_dimension(fev1_percent_predicted, Dimension.FRACTION, "fev1_percent_predicted")
    fev1 = round(fev1_percent_predicted.to("%"), 9)
    if fev1 < 0:
        raise ValueError(f"fev1_percent_predicted={fev1_percent_predicted}: expected a percentage >= 0")
    if fev1 >= 80:
        score = 0
    elif fev1 >= 60:
        score = 1
    elif fev1 >= 40:
        score = 2
    else:
        score = 3
    findings = [
        Finding(name="FEV1 % predicted", value=fev1_percent_predicted.value, unit=fev1_percent_predicted.unit.value)
    ]
    if fev1_percent_predicted.unit.value != "%":
        findings.append(Finding(name="FEV1 % predicted compared", value=fev1, unit="%"))
    return ChronicGvhdOrganScore(
        organ=ChronicGvhdOrgan.LUNGS,
        score=score,
        attribution=attribution if score > 0 else None,
        scale=OrganScale.LUNG_FEV1,
        criterion=_FEV1_LEVELS[score],
        findings=tuple(findings),
        rule=LUNG_FEV1_SCORE_RULE,
    )


def _ratio(value: Quantity, uln: Quantity, field: str) -> float:
    require_dimension(value, Dimension.CATALYTIC_CONCENTRATION, field)
    require_dimension(uln, Dimension.CATALYTIC_CONCENTRATION, f"{field}_uln")
    if uln.value <= 0 or value.value < 0:
        raise ValueError(f"{field}={value}, {field}_uln={uln}: expected a value >= 0 and an upper limit > 0")
    return round(value.to("U/L") / uln.to("U/L"), 9)


def liver_score(
    total_bilirubin: Quantity,
    bilirubin_uln: Quantity,
    alt: Quantity,
    alt_uln: Quantity,
    alkaline_phosphatase: Quantity,
    alkaline_phosphatase_uln: Quantity,
    attribution: Attribution | None = None,
) -> ChronicGvhdOrganScore:
    """Liver score from total bilirubin, ALT and alkaline phosphatase, each against its upper limit of normal."""
    concentrations = (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION)
    require_dimension(total_bilirubin, concentrations, "total_bilirubin")
    require_dimension(bilirubin_uln, concentrations, "bilirubin_uln")
    if total_bilirubin.value < 0 or bilirubin_uln.value <= 0:
        raise ValueError(f"total_bilirubin={total_bilirubin}, bilirubin_uln={bilirubin_uln}: expected >= 0 and > 0")

    def mg_dl(q: Quantity) -> float:
        return round(q.concentration_in("mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR), 9)

    bilirubin, upper = mg_dl(total_bilirubin), mg_dl(bilirubin_uln)
    alt_x, ap_x = (
        _ratio(alt, alt_uln, "alt"),
        _ratio(alkaline_phosphatase, alkaline_phosphatase_uln, "alkaline_phosphatase"),
    )
    elevated = bilirubin > upper
    if elevated and bilirubin > 3:
        score, criterion = 3, "elevated total bilirubin > 3 mg/dL"
    elif elevated or alt_x > 5:
        score, criterion = 2, "elevated total bilirubin <= 3 mg/dL, or ALT > 5 x ULN"
    elif alt_x >= 3 or ap_x >= 3:
        score, criterion = 1, "normal total bilirubin with ALT 3-5 x ULN or alkaline phosphatase >= 3 x ULN"
    else:
        score, criterion = 0, "normal total bilirubin, ALT and alkaline phosphatase < 3 x ULN"
    return ChronicGvhdOrganScore(
        organ=ChronicGvhdOrgan.LIVER,
        score=score,
        attribution=attribution if score > 0 else None,
        criterion=criterion,
        findings=(
            Finding(name="total bilirubin", value=total_bilirubin.value, unit=total_bilirubin.unit.value),
            Finding(name="total bilirubin ULN", value=bilirubin_uln.value, unit=bilirubin_uln.unit.value),
            Finding(name="total bilirubin compared", value=bilirubin, unit="mg/dL"),
            Finding(name="ALT / ULN", value=alt_x),
            Finding(name="alkaline phosphatase / ULN", value=ap_x),
        ),
        rule=LIVER_SCORE_RULE,
    )


_RECORDED_LEVELS: Final[Mapping[ChronicGvhdOrgan, tuple[str, str, str, str]]] = MappingProxyType(
    {
        ChronicGvhdOrgan.MOUTH: (
            "no symptoms",
            "mild symptoms with disease signs, oral intake not significantly limited",
            "moderate symptoms with disease signs, oral intake partly limited",
            "severe symptoms with disease signs, oral intake much limited",
        ),
        ChronicGvhdOrgan.EYES: (
            "no symptoms",
            "mild dry-eye symptoms not affecting daily activities (lubricant drops <= 3 times a day)",
            "moderate dry-eye symptoms partly affecting daily activities (drops > 3 times a day or punctal plugs), "
            "no new vision loss from keratoconjunctivitis sicca",
            "severe dry-eye symptoms much affecting daily activities, unable to work for eye symptoms, or vision "
            "loss from keratoconjunctivitis sicca",
        ),
        ChronicGvhdOrgan.GI_TRACT: (
            "no symptoms",
            "symptoms without significant weight loss (< 5% in 3 months)",
            "symptoms with 5-15% weight loss in 3 months, or moderate diarrhoea not much limiting daily living",
            "symptoms with > 15% weight loss in 3 months needing nutritional supplement for most calorie needs, "
            "or oesophageal dilation, or severe diarrhoea much limiting daily living",
        ),
        ChronicGvhdOrgan.JOINTS_FASCIA: (
            "no symptoms",
            "mild tightness of arms or legs, normal or mildly reduced range of motion, daily activities unaffected",
            "tightness of arms or legs or joint contractures, fasciitis erythema, moderately reduced range of "
            "motion, mild to moderate limitation of daily activities",
            "contractures with much reduced range of motion and much limited daily activities",
        ),
        ChronicGvhdOrgan.GENITAL_TRACT: (
            "no signs",
            "mild signs (females: with or without discomfort on examination)",
            "moderate signs, possibly symptoms with discomfort on examination",
            "severe signs with or without symptoms",
        ),
        ChronicGvhdOrgan.LUNGS: (
            "no symptoms",
            "mild: short of breath after climbing one flight of stairs",
            "moderate: short of breath after walking on flat ground",
            "severe: short of breath at rest, or needing oxygen",
        ),
    }
)

RECORDED_SCORE_RULES: Final[Mapping[ChronicGvhdOrgan, GradingRule]] = MappingProxyType(
    {
        organ: _rule(
            f"chronic GVHD {organ.value} score"
            if organ is not ChronicGvhdOrgan.LUNGS
            else "chronic GVHD lung symptom score",
            "; ".join(f"{level}: {text}" for level, text in enumerate(levels)) + ".",
            "The level is recorded by the clinician; Engraft attaches the level's description only.",
        )
        for organ, levels in _RECORDED_LEVELS.items()
    }
)


def recorded_organ_score(
    organ: ChronicGvhdOrgan, score: int, attribution: Attribution | None = None
) -> ChronicGvhdOrganScore:
    """A clinician-recorded level of an organ the form scores by description (for the lungs: the symptom score)."""
    if organ not in _RECORDED_LEVELS:
        raise ValueError(
            f"organ={organ.value!r} is scored from findings, not recorded as a level; expected one of "
            f"{', '.join(o.value for o in _RECORDED_LEVELS)} (skin: skin_score, liver: liver_score)"
        )
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 3:
        raise ValueError(f"{organ.value}: score={score!r}; expected an integer 0-3")
    return ChronicGvhdOrganScore(
        organ=organ,
        score=score,
        attribution=attribution if score > 0 else None,
        scale=OrganScale.LUNG_SYMPTOMS if organ is ChronicGvhdOrgan.LUNGS else OrganScale.ORGAN,
        criterion=_RECORDED_LEVELS[organ][score],
        findings=(Finding(name=f"{organ.value} level recorded", value=score),),
        rule=RECORDED_SCORE_RULES[organ],
    )
