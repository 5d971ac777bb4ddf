"""ICANS grade 0-4 (immune effector cell-associated neurotoxicity syndrome; ASTCT consensus, Lee 2019).

Five domains, each giving a grade; the ICANS grade is that of the most severe event not attributable to
another cause (a domain the clinician attributes to another cause, e.g. sedation, is left out and named):

=====================  ===================  ==================  =======================  ==========================
domain                 grade 1              grade 2             grade 3                  grade 4
=====================  ===================  ==================  =======================  ==========================
ICE score (>= 12 y)    7-9                  3-6                 0-2                      unarousable, cannot do ICE
depressed              awakens              awakens to voice    awakens only to          unarousable or needs
consciousness          spontaneously                            tactile stimulus         vigorous/repetitive
                                                                                         stimuli; stupor, coma
seizure                                                         clinical seizure that    prolonged (> 5 min) or
                                                                resolves rapidly, or     repetitive without return
                                                                EEG seizures resolving   to baseline
                                                                with intervention
motor findings                                                                           deep focal motor weakness
raised ICP / oedema                                             focal/local oedema on    diffuse oedema, decerebrate
                                                                imaging                  or decorticate posturing,
                                                                                         CN VI palsy, papilloedema,
                                                                                         Cushing's triad
=====================  ===================  ==================  =======================  ==========================

An ICE score of 0 in an awake patient (e.g. global aphasia) is grade 3; grade 4 needs the patient to be
unarousable. Tremor and myoclonus (CTCAE) and intracranial haemorrhage do not count. Children under 12
(or a patient unable to do the ICE) are assessed with the Cornell Assessment of Pediatric Delirium (CAPD)
instead: that path is **unverified** (clinical-scores.md section 8.3 marks the paediatric table [U]) and its
result carries an unverified rule. No verified reproduction of the paediatric table was found: the EBMT
Handbook 8th ed. (2024) chapters on CAR-T cells (60, 93), neurological complications (53) and the other
plausible ones (10, 32, 72, 73, 81, 86), read in full on 2026-12-05, give no ICANS grading table for adults or
children (see the rule's notes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.grading import sources
from engraft.grading.ice_score import IceAssessment, IceScore, ice_score
from engraft.grading.rule import GradingRule
from engraft.provenance import FrozenModel, VerificationLevel

ICE_MIN_AGE_YEARS: Final = 12
CAPD_MAX: Final = 32
"""The CAPD has eight items scored 0-4."""


class EncephalopathyTool(StrEnum):
    ICE = "ICE"
    CAPD = "CAPD"


class IcansDomain(StrEnum):
    ENCEPHALOPATHY = "encephalopathy (ICE or CAPD)"
    CONSCIOUSNESS = "depressed level of consciousness"
    SEIZURE = "seizure"
    MOTOR = "motor findings"
    RAISED_ICP = "raised intracranial pressure / cerebral oedema"


class ConsciousnessLevel(StrEnum):
    NOT_DEPRESSED = "not depressed"
    AWAKENS_SPONTANEOUSLY = "awakens spontaneously"
    AWAKENS_TO_VOICE = "awakens to voice"
    AWAKENS_ONLY_TO_TACTILE_STIMULUS = "awakens only to tactile stimulus"
    UNAROUSABLE = "unarousable, or needs vigorous or repetitive tactile stimuli to arouse; stupor or coma"


class Seizure(StrEnum):
    NONE = "none"
    RAPIDLY_RESOLVING = (
        "clinical seizure (focal or generalised) that resolves rapidly, or non-convulsive seizures on EEG that "
        "resolve with intervention"
    )
    LIFE_THREATENING = (
        "life-threatening prolonged seizure (> 5 min), or repetitive clinical or electrical seizures without "
        "return to baseline in between"
    )


class MotorFinding(StrEnum):
    NONE = "none"
    DEEP_FOCAL_MOTOR_WEAKNESS = "deep focal motor weakness (e.g. hemiparesis, paraparesis)"


class RaisedIcpFinding(StrEnum):
    FOCAL_OEDEMA = "focal/local oedema on neuroimaging"
    DIFFUSE_OEDEMA = "diffuse cerebral oedema on neuroimaging"
    DECEREBRATE_OR_DECORTICATE_POSTURING = "decerebrate or decorticate posturing"
    CRANIAL_NERVE_VI_PALSY = "cranial nerve VI palsy"
    PAPILLOEDEMA = "papilloedema"
    CUSHINGS_TRIAD = "Cushing's triad"


_CONSCIOUSNESS_GRADE: Final = {
    ConsciousnessLevel.NOT_DEPRESSED: 0,
    ConsciousnessLevel.AWAKENS_SPONTANEOUSLY: 1,
    ConsciousnessLevel.AWAKENS_TO_VOICE: 2,
    ConsciousnessLevel.AWAKENS_ONLY_TO_TACTILE_STIMULUS: 3,
    ConsciousnessLevel.UNAROUSABLE: 4,
}
_SEIZURE_GRADE: Final = {Seizure.NONE: 0, Seizure.RAPIDLY_RESOLVING: 3, Seizure.LIFE_THREATENING: 4}
_MOTOR_GRADE: Final = {MotorFinding.NONE: 0, MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS: 4}
_ICP_GRADE: Final = {finding: 3 if finding is RaisedIcpFinding.FOCAL_OEDEMA else 4 for finding in RaisedIcpFinding}

_ICANS_STATEMENT: Final = (
    "ICE 7-9: grade 1; 3-6: 2; 0-2: 3; unarousable and unable to do the ICE: 4. Depressed consciousness: awakens "
    "spontaneously 1, to voice 2, only to tactile stimulus 3, unarousable/stupor/coma 4. Seizure resolving rapidly "
    "(or EEG seizures resolving with intervention) 3; prolonged > 5 min or repetitive without return to baseline 4. "
    "Deep focal motor weakness 4. Focal oedema 3; diffuse oedema, posturing, CN VI palsy, papilloedema or Cushing's "
    "triad 4. The grade is the most severe event not attributable to another cause."
)

ASTCT_ICANS_RULE: Final = GradingRule(
    name="ICANS grade (adults and children >= 12 years, ICE)",
    version="ASTCT consensus (Lee 2019)",
    statement=_ICANS_STATEMENT,
    citations=(sources.LEE_2019,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read in https://pmc.ncbi.nlm.nih.gov/articles/PMC9327779/table/t0002 (adapted from Lee 2019) and the "
        "transcription of PMC8403007 Table 4 and PMC7990806 Table 2 in clinical-scores.md section 8.3; Lee 2019 "
        "itself was not read.",
        "An ICE score of 0 in an awake patient is grade 3; grade 4 needs the patient unarousable.",
        "Tremor, myoclonus (CTCAE) and intracranial haemorrhage do not count towards ICANS.",
    ),
)

ASTCT_ICANS_CAPD_RULE: Final = GradingRule(
    name="ICANS grade (children < 12 years or unable to do the ICE, CAPD)",
    version="ASTCT consensus (Lee 2019), paediatric table",
    statement=(
        "CAPD 1-8: grade 1 or 2 (the table gives 1-8 for both; the other domains decide); CAPD >= 9: grade 3; "
        "unable to perform the CAPD: grade 4. The consciousness, seizure, motor and ICP rows are those of adults."
    ),
    citations=(sources.LEE_2019,),
    verification=VerificationLevel.UNVERIFIED,
    notes=(
        "Unverified: clinical-scores.md section 8.3 marks the paediatric CAPD table [U] (to check in Lee 2019).",
        "No secondary reproduction found (searched 2026-12-05 in the EBMT Handbook 8th ed. copy, htlin222/"
        "ebmt-handbook-skill commit b25e026, every chapter read in full): ch. 60 (Bonini et al.) shows only the "
        "older CRS scales (Table 60.3); ch. 93 (Greco, Farge) reports ICANS only as trial outcomes (Table 93.1); "
        "ch. 53 (Duléry et al.) names CRS but no ICANS grade; ch. 10, 32, 72, 73, 81 and 86 have no ICANS or CAPD "
        "table.",
        "CAPD 1-8 alone is read as grade 1; a CAPD of 0 gives no encephalopathy grade.",
    ),
)


class IcansFindings(FrozenModel):
    """One neurological assessment: the encephalopathy tool's result and the four other domains."""

    age_years: int = Field(ge=0, strict=True, description="Completed years; the ICE is for patients >= 12 years.")
    tool: EncephalopathyTool
    ice: IceAssessment | None = Field(default=None, description="The ten ICE items (tool ICE).")
    capd_score: int | None = Field(default=None, ge=0, le=CAPD_MAX, strict=True, description="CAPD 0-32 (tool CAPD).")
    unable_to_perform: bool = Field(
        default=False, description="Unarousable, so unable to do the ICE or CAPD (instead of a score)."
    )
    consciousness: ConsciousnessLevel = ConsciousnessLevel.NOT_DEPRESSED
    seizure: Seizure = Seizure.NONE
    motor: MotorFinding = MotorFinding.NONE
    raised_icp: frozenset[RaisedIcpFinding] = frozenset()
    attributable_to_other_cause: frozenset[IcansDomain] = Field(
        default=frozenset(), description="Domains whose finding has another cause (e.g. sedation): not graded."
    )

    @model_validator(mode="after")
    def _one_assessment(self) -> IcansFindings:
        if self.tool is EncephalopathyTool.ICE:
            if self.age_years < ICE_MIN_AGE_YEARS:
                raise ValueError(
                    f"tool='ICE' with age_years={self.age_years}; expected the CAPD for children under "
                    f"{ICE_MIN_AGE_YEARS} years"
                )
            if self.capd_score is not None:
                raise ValueError(f"capd_score={self.capd_score} given with tool='ICE'; expected ice (or nothing)")
            if (self.ice is None) == (not self.unable_to_perform):
                raise ValueError(
                    "tool='ICE' needs exactly one of ice (the ten items) or unable_to_perform=True (unarousable)"
                )
        else:
            if self.ice is not None:
                raise ValueError("ice given with tool='CAPD'; expected capd_score (or unable_to_perform)")
            if (self.capd_score is None) == (not self.unable_to_perform):
                raise ValueError("tool='CAPD' needs exactly one of capd_score (0-32) or unable_to_perform=True")
        return self


class IcansGrade(FrozenModel):
    """ICANS grade with the grade of each domain, the domains left out, and the rule applied."""

    value: int = Field(ge=0, le=4)
    tool: EncephalopathyTool
    ice_score: IceScore | None = Field(description="The ICE score, when the ICE was done.")
    by_domain: dict[IcansDomain, int] = Field(description="The grade each domain alone gives (0: none).")
    excluded: tuple[IcansDomain, ...] = Field(description="Domains attributed to another cause, not graded.")
    decisive: tuple[IcansDomain, ...] = Field(description="The domains that set the grade (empty for grade 0).")
    findings: IcansFindings
    rule: GradingRule
    notes: tuple[str, ...] = ()


def ice_grade(score: int) -> int:
    """The ICANS grade an ICE score alone gives (10: 0; 7-9: 1; 3-6: 2; 0-2: 3)."""
    if not 0 <= score <= 10:
        raise ValueError(f"ICE score={score}; expected 0-10")
    if score == 10:
        return 0
    if score >= 7:
        return 1
    if score >= 3:
        return 2
    return 3


def capd_grade(score: int) -> int:
    """The ICANS grade a CAPD score alone gives, as Engraft reads the unverified paediatric table."""
    if not 0 <= score <= CAPD_MAX:
        raise ValueError(f"CAPD score={score}; expected 0-{CAPD_MAX}")
    if score == 0:
        return 0
    return 1 if score <= 8 else 3


def grade_icans(findings: IcansFindings) -> IcansGrade:
    """The ASTCT ICANS grade of ``findings`` (the CAPD path gives a result with an unverified rule)."""
    score = None if findings.ice is None else ice_score(findings.ice)
    if findings.unable_to_perform:
        encephalopathy = 4
    elif score is not None:
        encephalopathy = ice_grade(score.value)
    else:
        assert findings.capd_score is not None  # checked by IcansFindings
        encephalopathy = capd_grade(findings.capd_score)
    by_domain = {
        IcansDomain.ENCEPHALOPATHY: encephalopathy,
        IcansDomain.CONSCIOUSNESS: _CONSCIOUSNESS_GRADE[findings.consciousness],
        IcansDomain.SEIZURE: _SEIZURE_GRADE[findings.seizure],
        IcansDomain.MOTOR: _MOTOR_GRADE[findings.motor],
        IcansDomain.RAISED_ICP: max((_ICP_GRADE[f] for f in findings.raised_icp), default=0),
    }
    excluded = tuple(domain for domain in IcansDomain if domain in findings.attributable_to_other_cause)
    counted = {domain: grade for domain, grade in by_domain.items() if domain not in excluded}
    value = max(counted.values(), default=0)
    decisive = tuple(domain for domain, grade in counted.items() if value > 0 and grade == value)
    rule = ASTCT_ICANS_RULE if findings.tool is EncephalopathyTool.ICE else ASTCT_ICANS_CAPD_RULE
    notes = []
    if findings.tool is EncephalopathyTool.CAPD:
        notes.append("CAPD path: the paediatric table is unverified (clinical-scores.md section 8.3 [U])")
        if findings.age_years >= ICE_MIN_AGE_YEARS:
            notes.append(f"CAPD at {findings.age_years} years: for a patient unable to do the ICE")
    if score is not None and score.value == 0:
        notes.append("ICE 0 in a patient who can be roused is grade 3; grade 4 needs the patient unarousable")
    if excluded:
        notes.append("left out as attributable to another cause: " + ", ".join(d.value for d in excluded))
    return IcansGrade(
        value=value,
        tool=findings.tool,
        ice_score=score,
        by_domain=by_domain,
        excluded=excluded,
        decisive=decisive,
        findings=findings,
        rule=rule,
        notes=tuple(notes),
    )
