"""MAGIC acute GVHD organ stages computed from the findings they are defined on (Harris et al. 2016).

The stages are read from the MAGIC staging table as the EBMT Handbook reproduces it (ch. 43, Table 43.4,
"according to Harris et al. 2016"), with the footnotes of the NCI PDQ reproduction of the same table
(weight cut-off, stool mixed with urine, severe abdominal pain, no liver downgrade). The result is the
:class:`~engraft.grading.acute_gvhd.OrganStages` that :func:`~engraft.grading.acute_gvhd.grade_acute_gvhd`
grades, and one :class:`OrganStageResult` per organ naming the findings (value and unit) and the band used.

How the table is read where it leaves room (each also in the rule's ``notes``):

* Continuous values between printed bands go to the higher band: bilirubin above 3.0 mg/dL is stage 2
  (the table prints "3.1-6"), above 6.0 stage 3, above 15 stage 4; adult stool 500 to below 1,000 mL/day
  is stage 1 ("500-999"), child 10 to below 20 mL/kg/day stage 1 ("10-19.9").
* Bilirubin in a substance unit (umol/L) is converted to mg/dL with the clinical factor 17.1 umol/L per
  mg/dL (:data:`engraft.measurements.CLINICAL_FACTORS`) and compared with the mg/dL cut-points, as
  clinical-scores-verification.md section 1.4 item 4 prescribes; no rounded umol/L band is hard-coded.
  The converted value is rounded to 1e-9 mg/dL to remove binary floating-point residue (51.3 umol/L is
  exactly 3.0 mg/dL, stage 1).
* Child or adult stool thresholds: the table's footnote uses the adult values "for patients weighing > 50
  kg", so the patient's weight decides (exactly 50 kg uses the per-kg values), never an age. The weight must
  be given whenever stool output or episodes are staged; it is not needed for skin, liver, upper GI, or a
  lower GI stage 4, which has no child/adult split.
* Stool volume, when measured, is used; the episode count only where volume is not measured (both given:
  volume used, the count named in the notes). A volume in mL/day is divided by the weight for the per-kg
  thresholds, and a volume in mL/kg/day multiplied by it for the adult ones.
* The caller chooses the day's figure: MAGIC uses the highest daily output of the 3 days before diagnosis
  for the onset stage and a 3-day average afterwards (ASH 2015 abstract;
  :func:`engraft.grading.stool_output.stool_output_for_staging` computes either); formed stools are
  excluded and a non-GVHD rectal bleed (flecks or streaks) is not "grossly bloody stool".

The 1994 Keystone (modified Glucksberg) staging is not offered: its overall grade table has no verified
reproduction (see :mod:`engraft.grading.acute_gvhd`), and its single gut organ does not map onto MAGIC's
separate upper and lower GI stages.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.grading import sources
from engraft.grading.acute_gvhd import AcuteGvhdGrade, AcuteGvhdOrgan, OrganStages, grade_acute_gvhd
from engraft.grading.findings import Finding
from engraft.grading.rule import GradingRule
from engraft.measurements import Analyte, ConversionBasis, Dimension, Quantity, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.events import AcuteGvhdGradingSystem

ADULT_STOOL_WEIGHT_KG: Final = 50.0
"""The adult stool values apply to patients weighing more than this (kg); at or below it, the per-kg values."""
COMPARISON_DECIMALS: Final = 9
"""Decimal places a converted or derived value is rounded to before comparison (removes float residue only)."""

_HANDBOOK_READ = "Read in the EBMT Handbook (8th ed., 2024) ch. 43, Table 43.4 'according to Harris et al. 2016'."
_BETWEEN_BANDS = "A value between two printed bands is given the higher band (e.g. 3.05 mg/dL is stage 2)."

SKIN_STAGE_RULE: Final = GradingRule(
    name="acute GVHD skin stage",
    version="MAGIC (Harris 2016)",
    statement=(
        "Active erythematous rash only. 0: none; 1: maculopapular rash < 25% BSA; 2: 25-50% BSA; 3: > 50% BSA; "
        "4: generalised erythroderma (> 50% BSA) plus bullous formation and desquamation > 5% BSA."
    ),
    citations=(sources.HARRIS_2016, sources.HOLLER_2024, sources.HARRIS_2015_ASH_ABSTRACT),
    verification=VerificationLevel.SECONDARY,
    notes=(
        _HANDBOOK_READ,
        "25% and 50% BSA are stage 2; stage 4 needs both the > 50% erythroderma and bullae/desquamation > 5%.",
        "Only erythema, bullae and desquamation are quantified (MAGIC data-collection rules, ASH 2015 abstract).",
    ),
)

LIVER_STAGE_RULE: Final = GradingRule(
    name="acute GVHD liver stage",
    version="MAGIC (Harris 2016)",
    statement=(
        "Total bilirubin. 0: < 2 mg/dL; 1: 2-3 mg/dL; 2: 3.1-6 mg/dL; 3: 6.1-15 mg/dL; 4: > 15 mg/dL. No "
        "modification of the liver stage for other causes of hyperbilirubinaemia."
    ),
    citations=(sources.HARRIS_2016, sources.HOLLER_2024, sources.NCI_PDQ_PEDIATRIC_AGVHD_STAGING),
    verification=VerificationLevel.SECONDARY,
    notes=(
        _HANDBOOK_READ,
        _BETWEEN_BANDS + " Cut-points: < 2, <= 3, <= 6, <= 15, > 15 mg/dL.",
        "umol/L is converted to mg/dL with the clinical factor 17.1 (engraft.measurements CLINICAL_FACTORS) and "
        "rounded to 1e-9 mg/dL before comparison.",
        "No liver downgrade for other causes (NCI PDQ footnote).",
    ),
)

UPPER_GI_STAGE_RULE: Final = GradingRule(
    name="acute GVHD upper GI stage",
    version="MAGIC (Harris 2016)",
    statement="0: no or intermittent nausea, vomiting or anorexia; 1: persistent nausea, vomiting or anorexia.",
    citations=(sources.HARRIS_2016, sources.HOLLER_2024, sources.HARRIS_2015_ASH_ABSTRACT),
    verification=VerificationLevel.SECONDARY,
    notes=(
        _HANDBOOK_READ,
        "MAGIC needs no upper GI biopsy (the COG/PDQ tables do; that variant is not this rule).",
        "Persistent, per the MAGIC data-collection rules: anorexia with weight loss, nausea, and/or 2 or more "
        "vomiting episodes a day for 3 or more days; the clinician records whether this is met.",
    ),
)

LOWER_GI_STAGE_RULE: Final = GradingRule(
    name="acute GVHD lower GI stage",
    version="MAGIC (Harris 2016)",
    statement=(
        "Stool output a day. Adult: 0 < 500 mL or < 3 episodes; 1 500-999 mL or 3-4; 2 1,000-1,500 mL or 5-7; "
        "3 > 1,500 mL or > 7. Child: 0 < 10 mL/kg or < 4 episodes; 1 10-19.9 mL/kg or 4-6; 2 20-30 mL/kg or "
        "7-10; 3 > 30 mL/kg or > 10. 4: severe abdominal pain with or without ileus, or grossly bloody stool "
        "(regardless of stool volume). Adult values for patients weighing > 50 kg."
    ),
    citations=(
        sources.HARRIS_2016,
        sources.HOLLER_2024,
        sources.NCI_PDQ_PEDIATRIC_AGVHD_STAGING,
        sources.HARRIS_2015_ASH_ABSTRACT,
    ),
    verification=VerificationLevel.SECONDARY,
    notes=(
        _HANDBOOK_READ,
        "Adult values for a weight > 50 kg; at or below 50 kg the per-kg values (NCI PDQ footnote). The weight "
        "is an input, never inferred.",
        "Adult cut-points: 500 <= stage 1 < 1,000 <= stage 2 <= 1,500 < stage 3 (mL/day); child: 10 <= stage 1 "
        "< 20 <= stage 2 <= 30 < stage 3 (mL/kg/day).",
        "Severe abdominal pain means both opioid treatment (or an increased dose) and a significant impact on "
        "performance status, as the treating physician judges (NCI PDQ footnote).",
        "Volume is used when measured; episodes only where it is not. Stool mixed with urine counts as 50% "
        "stool (NCI PDQ footnote).",
        "The caller gives the day's figure: onset stage from the highest of the 3 days before diagnosis, later "
        "stages from a 3-day average (ASH 2015 abstract; PDQ: 3-day averages).",
    ),
)


class OrganStageResult(FrozenModel):
    """One organ's stage, the findings it was computed from, the band met and the rule applied."""

    organ: AcuteGvhdOrgan
    stage: int = Field(ge=0, le=4)
    findings: tuple[Finding, ...]
    criterion: str = Field(description="The band of the table the findings fall in.")
    rule: GradingRule
    notes: tuple[str, ...] = ()


class SkinFindings(FrozenModel):
    """Extent of active acute GVHD rash (erythema), in % of body surface area (rule of nines or burn chart)."""

    rash_bsa_percent: float = Field(ge=0, le=100, description="Active erythematous (maculopapular) rash, % BSA.")
    bullae_desquamation_bsa_percent: float = Field(
        default=0.0, ge=0, le=100, description="Bullous formation and desquamation, % BSA."
    )


class LiverFindings(FrozenModel):
    """Total serum bilirubin, in a mass (mg/dL) or substance (umol/L) concentration unit."""

    total_bilirubin: Quantity

    @field_validator("total_bilirubin")
    @classmethod
    def _concentration(cls, value: Quantity) -> Quantity:
        require_dimension(
            value, (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION), "liver.total_bilirubin"
        )
        if value.value < 0:
            raise ValueError(f"liver.total_bilirubin={value}: a concentration cannot be negative; expected >= 0")
        return value


class UpperGiFindings(FrozenModel):
    """Whether nausea, vomiting or anorexia is persistent (MAGIC: anorexia with weight loss, nausea, and/or
    2 or more vomiting episodes a day, for 3 or more days)."""

    persistent_nausea_vomiting_or_anorexia: bool = Field(strict=True)


class LowerGiFindings(FrozenModel):
    """Diarrhoea (stool output or, where not measured, episodes a day) and the stage 4 findings."""

    stool_output: Quantity | None = Field(
        default=None, description="Non-formed stool a day: mL/d, L/d or mL/kg/d (the day's figure, see module)."
    )
    stool_mixed_with_urine: bool = Field(default=False, strict=True, description="Output measured with urine.")
    stool_episodes_per_day: int | None = Field(
        default=None, ge=0, strict=True, description="Where volume is not measured: episodes a day."
    )
    severe_abdominal_pain: bool = Field(
        default=False, strict=True, description="Needing opioids (or more) and significantly limiting performance."
    )
    grossly_bloody_stool: bool = Field(default=False, strict=True)

    @field_validator("stool_output")
    @classmethod
    def _volume_rate(cls, value: Quantity | None) -> Quantity | None:
        if value is None:
            return None
        require_dimension(value, (Dimension.VOLUME_RATE, Dimension.VOLUME_RATE_PER_BODY_MASS), "lower_gi.stool_output")
        if value.value < 0:
            raise ValueError(f"lower_gi.stool_output={value}: a volume cannot be negative; expected >= 0")
        return value

    @model_validator(mode="after")
    def _mixed_needs_a_volume(self) -> LowerGiFindings:
        if self.stool_mixed_with_urine and self.stool_output is None:
            raise ValueError(
                "lower_gi.stool_mixed_with_urine=True without stool_output; expected the measured stool/urine "
                "volume (counted 50% stool)"
            )
        return self


class AcuteGvhdFindings(FrozenModel):
    """Findings for all four target organs (an organ not assessed is not stage 0), and the body weight
    the lower GI stool thresholds need."""

    skin: SkinFindings
    liver: LiverFindings
    upper_gi: UpperGiFindings
    lower_gi: LowerGiFindings
    body_weight: Quantity | None = Field(default=None, description="Needed to stage stool output or episodes.")

    @field_validator("body_weight")
    @classmethod
    def _mass(cls, value: Quantity | None) -> Quantity | None:
        if value is None:
            return None
        require_dimension(value, Dimension.MASS, "body_weight")
        if value.value <= 0:
            raise ValueError(f"body_weight={value} is not a body weight; expected a mass > 0")
        return value


class AcuteGvhdStaging(FrozenModel):
    """The four organ stages computed from findings, each with its evidence."""

    stages: OrganStages
    organs: tuple[OrganStageResult, ...]

    def organ(self, organ: AcuteGvhdOrgan) -> OrganStageResult:
        return next(result for result in self.organs if result.organ is organ)

    def grade(self, system: AcuteGvhdGradingSystem = AcuteGvhdGradingSystem.MAGIC) -> AcuteGvhdGrade:
        """The overall grade of these stages (:func:`~engraft.grading.acute_gvhd.grade_acute_gvhd`)."""
        return grade_acute_gvhd(self.stages, system)


def stage_skin(skin: SkinFindings) -> OrganStageResult:
    rash, bullae = skin.rash_bsa_percent, skin.bullae_desquamation_bsa_percent
    if rash > 50 and bullae > 5:
        stage, criterion = 4, "generalised erythroderma (> 50% BSA) plus bullae and desquamation > 5% BSA"
    elif rash > 50:
        stage, criterion = 3, "maculopapular rash > 50% BSA"
    elif rash >= 25:
        stage, criterion = 2, "maculopapular rash 25-50% BSA"
    elif rash > 0:
        stage, criterion = 1, "maculopapular rash < 25% BSA"
    else:
        stage, criterion = 0, "no active (erythematous) GVHD rash"
    findings = [Finding(name="active rash", value=rash, unit="%")]
    if bullae > 0 or stage == 4:
        findings.append(Finding(name="bullae and desquamation", value=bullae, unit="%"))
    return OrganStageResult(
        organ=AcuteGvhdOrgan.SKIN, stage=stage, findings=tuple(findings), criterion=criterion, rule=SKIN_STAGE_RULE
    )


def stage_liver(liver: LiverFindings) -> OrganStageResult:
    bilirubin = liver.total_bilirubin
    mg_dl = round(
        bilirubin.concentration_in("mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR),
        COMPARISON_DECIMALS,
    )
    if mg_dl > 15:
        stage, criterion = 4, "> 15 mg/dL"
    elif mg_dl > 6:
        stage, criterion = 3, "6.1-15 mg/dL"
    elif mg_dl > 3:
        stage, criterion = 2, "3.1-6 mg/dL"
    elif mg_dl >= 2:
        stage, criterion = 1, "2-3 mg/dL"
    else:
        stage, criterion = 0, "< 2 mg/dL"
    findings = [Finding(name="total bilirubin", value=bilirubin.value, unit=bilirubin.unit.value)]
    notes: tuple[str, ...] = ()
    if bilirubin.unit.value != "mg/dL":
        findings.append(Finding(name="total bilirubin compared", value=mg_dl, unit="mg/dL"))
        if bilirubin.dimension is Dimension.SUBSTANCE_CONCENTRATION:
            notes = ("converted to mg/dL with the clinical factor 17.1 umol/L per mg/dL",)
    return OrganStageResult(
        organ=AcuteGvhdOrgan.LIVER,
        stage=stage,
        findings=tuple(findings),
        criterion=criterion,
        rule=LIVER_STAGE_RULE,
        notes=notes,
    )


def stage_upper_gi(upper_gi: UpperGiFindings) -> OrganStageResult:
    persistent = upper_gi.persistent_nausea_vomiting_or_anorexia
    return OrganStageResult(
        organ=AcuteGvhdOrgan.UPPER_GI,
        stage=1 if persistent else 0,
        findings=(Finding(name="persistent nausea, vomiting or anorexia", value=persistent),),
        criterion="persistent nausea, vomiting or anorexia"
        if persistent
        else "no or intermittent nausea, vomiting or anorexia",
        rule=UPPER_GI_STAGE_RULE,
    )


_ADULT_ML: Final = (500.0, 1000.0, 1500.0)
_CHILD_ML_KG: Final = (10.0, 20.0, 30.0)
_ADULT_EPISODES: Final = (3, 5, 7)
_CHILD_EPISODES: Final = (4, 7, 10)
_ADULT_ML_BANDS: Final = ("< 500 mL/day", "500-999 mL/day", "1,000-1,500 mL/day", "> 1,500 mL/day")
_CHILD_ML_KG_BANDS: Final = ("< 10 mL/kg/day", "10-19.9 mL/kg/day", "20-30 mL/kg/day", "> 30 mL/kg/day")
_ADULT_EPISODE_BANDS: Final = ("< 3 episodes/day", "3-4 episodes/day", "5-7 episodes/day", "> 7 episodes/day")
_CHILD_EPISODE_BANDS: Final = ("< 4 episodes/day", "4-6 episodes/day", "7-10 episodes/day", "> 10 episodes/day")


def _band(value: float, cuts: tuple[float, float, float]) -> int:
    """Stage 0-3: below the first cut 0; up to below the second 1; up to and including the third 2; above 3."""
    low, middle, high = cuts
    if value > high:
        return 3
    if value >= middle:
        return 2
    if value >= low:
        return 1
    return 0


def stage_lower_gi(lower_gi: LowerGiFindings, body_weight: Quantity | None) -> OrganStageResult:
    """The lower GI stage; ``body_weight`` is needed unless a stage 4 finding is present."""
    findings: list[Finding] = []
    notes: list[str] = []
    if lower_gi.severe_abdominal_pain or lower_gi.grossly_bloody_stool:
        if lower_gi.severe_abdominal_pain:
            findings.append(Finding(name="severe abdominal pain", value=True))
        if lower_gi.grossly_bloody_stool:
            findings.append(Finding(name="grossly bloody stool", value=True))
        return OrganStageResult(
            organ=AcuteGvhdOrgan.LOWER_GI,
            stage=4,
            findings=tuple(findings),
            criterion="severe abdominal pain with or without ileus, or grossly bloody stool (regardless of volume)",
            rule=LOWER_GI_STAGE_RULE,
        )
    output, episodes = lower_gi.stool_output, lower_gi.stool_episodes_per_day
    if output is None and episodes is None:
        raise ValueError(
            "lower_gi: no stool_output, no stool_episodes_per_day and no stage 4 finding; expected the stool "
            "output (mL/d, L/d or mL/kg/d) or, where volume is not measured, the episodes a day (0 if none)"
        )
    if body_weight is None:
        raise ValueError(
            "body_weight: missing; the MAGIC stool thresholds are adult (mL/day) for patients weighing > 50 kg "
            "and per kg (mL/kg/day) otherwise, so the weight is needed to stage stool output or episodes; "
            "expected a mass such as 62 kg"
        )
    weight_kg = body_weight.to("kg")
    adult = weight_kg > ADULT_STOOL_WEIGHT_KG
    findings.append(Finding(name="body weight", value=body_weight.value, unit=body_weight.unit.value))
    group = "adult values (weight > 50 kg)" if adult else "child values (weight <= 50 kg)"
    if output is not None:
        findings.append(Finding(name="stool output", value=output.value, unit=output.unit.value))
        if output.dimension is Dimension.VOLUME_RATE:
            per_day = output.to("mL/d")
        else:
            per_day = output.to("mL/kg/d") * weight_kg
        if lower_gi.stool_mixed_with_urine:
            per_day *= 0.5
            findings.append(Finding(name="stool mixed with urine", value=True))
            notes.append("stool output mixed with urine: 50% counted as stool")
        if episodes is not None:
            notes.append(f"stool_episodes_per_day={episodes} not used: volume was measured")
        if adult:
            per_day = round(per_day, COMPARISON_DECIMALS)
            stage = _band(per_day, _ADULT_ML)
            findings.append(Finding(name="stool output compared", value=per_day, unit="mL/d"))
            criterion = _ADULT_ML_BANDS[stage]
        else:
            per_kg = round(per_day / weight_kg, COMPARISON_DECIMALS)
            stage = _band(per_kg, _CHILD_ML_KG)
            findings.append(Finding(name="stool output compared", value=per_kg, unit="mL/kg/d"))
            criterion = _CHILD_ML_KG_BANDS[stage]
    elif episodes is not None:
        findings.append(Finding(name="stool episodes a day", value=episodes))
        cuts = _ADULT_EPISODES if adult else _CHILD_EPISODES
        stage = _band(float(episodes), (float(cuts[0]), float(cuts[1]), float(cuts[2])))
        criterion = (_ADULT_EPISODE_BANDS if adult else _CHILD_EPISODE_BANDS)[stage]
    return OrganStageResult(
        organ=AcuteGvhdOrgan.LOWER_GI,
        stage=stage,
        findings=tuple(findings),
        criterion=f"{criterion} ({group})",
        rule=LOWER_GI_STAGE_RULE,
        notes=tuple(notes),
    )


def stage_acute_gvhd(findings: AcuteGvhdFindings) -> AcuteGvhdStaging:
    """MAGIC stages of all four organs from ``findings``, ready for :func:`grade_acute_gvhd`."""
    skin = stage_skin(findings.skin)
    liver = stage_liver(findings.liver)
    upper_gi = stage_upper_gi(findings.upper_gi)
    lower_gi = stage_lower_gi(findings.lower_gi, findings.body_weight)
    stages = OrganStages(skin=skin.stage, liver=liver.stage, upper_gi=upper_gi.stage, lower_gi=lower_gi.stage)
    return AcuteGvhdStaging(stages=stages, organs=(skin, liver, upper_gi, lower_gi))
