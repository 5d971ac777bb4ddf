"""Chronic GVHD global severity (NIH 2014, Jagasia et al. 2015) from the eight organ scores and their attribution.

The input is one score 0-3 for each of the eight organs or sites (skin, mouth, eyes, GI tract, liver,
lungs, joints and fascia, genital tract), each with its attribution when above 0: to chronic GVHD, to a
documented other cause only, or to both. :mod:`engraft.grading.chronic_gvhd_organs` computes organ scores
from findings (its band values are unverified); a clinician-recorded score is accepted as well.

What is verified (secondary, clinical-scores-verification.md section 2.2 and the EBMT Handbook ch. 44):

* An organ whose whole abnormality is unequivocally explained by a documented non-GVHD cause does not
  count; a multifactorial abnormality (GVHD and another cause) counts at its score, not downgraded.
* Skin uses the higher of its two scores (body surface area, sclerotic features); the lungs use the
  FEV1-based lung score, not the symptom score. Performance status is not part of global severity.
* Mild: 1-2 organs involved, none above score 1, and lung score 0. Moderate: 3 or more organs involved
  with none above 1, or any organ other than the lungs at score 2, or lung score 1. Severe: any organ at
  score 3, or lung score 2-3.

With no organ counted, there is no severity (``severity`` is None): the NIH categories grade chronic GVHD
once diagnosed; the diagnosis itself (diagnostic and distinctive signs) is not computed here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.grading import sources
from engraft.grading.findings import Finding
from engraft.grading.rule import GradingRule
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.events import ChronicGvhdSeverity


class ChronicGvhdOrgan(StrEnum):
    """The eight organs or sites the NIH 2014 criteria score 0-3."""

    SKIN = "skin"
    MOUTH = "mouth"
    EYES = "eyes"
    GI_TRACT = "GI tract"
    LIVER = "liver"
    LUNGS = "lungs"
    JOINTS_FASCIA = "joints and fascia"
    GENITAL_TRACT = "genital tract"


class Attribution(StrEnum):
    """What an organ abnormality is attributed to (NIH 2014)."""

    GVHD = "chronic GVHD"
    OTHER_CAUSE = "other cause only"
    """Entirely and unequivocally explained by a documented non-GVHD cause: the organ does not count."""
    BOTH = "chronic GVHD and other cause"
    """Multifactorial: the organ counts at its score, without downgrading."""


class OrganScale(StrEnum):
    """Which scale an organ score is on (two organs have two)."""

    ORGAN = "organ score"
    """The organ's single 0-3 scale (mouth, eyes, GI tract, liver, joints and fascia, genital tract)."""
    SKIN_HIGHER_OF_TWO = "skin: higher of body surface area and sclerotic features scores"
    LUNG_FEV1 = "lung score from FEV1 % predicted"
    LUNG_SYMPTOMS = "lung symptom score"


class ChronicGvhdOrganScore(FrozenModel):
    """One organ's score 0-3, its attribution, the findings and rule it came from."""

    organ: ChronicGvhdOrgan
    score: int = Field(ge=0, le=3, strict=True)
    attribution: Attribution | None = Field(
        default=None, description="Required when the score is above 0; None for score 0."
    )
    scale: OrganScale = OrganScale.ORGAN
    criterion: str = Field(description="The level of the scoring form the findings meet.")
    findings: tuple[Finding, ...] = ()
    rule: GradingRule

    @model_validator(mode="after")
    def _attributed(self) -> ChronicGvhdOrganScore:
        if self.score > 0 and self.attribution is None:
            raise ValueError(
                f"{self.organ.value}: score {self.score} has no attribution; expected chronic GVHD, other cause "
                "only, or both (an abnormality entirely explained by another cause does not count)"
            )
        lung_scales = (OrganScale.LUNG_FEV1, OrganScale.LUNG_SYMPTOMS)
        if (self.organ is ChronicGvhdOrgan.LUNGS) != (self.scale in lung_scales) or (
            self.organ is ChronicGvhdOrgan.SKIN
        ) != (self.scale is OrganScale.SKIN_HIGHER_OF_TWO):
            raise ValueError(f"{self.organ.value}: scale {self.scale.value!r} is not a scale of this organ")
        return self

    @property
    def counts(self) -> bool:
        """Whether this organ counts toward global severity: scored above 0 and not entirely another cause."""
        return self.score > 0 and self.attribution is not Attribution.OTHER_CAUSE


class ChronicGvhdOrganScores(FrozenModel):
    """All eight organ scores (an organ not assessed is not score 0). The lungs must be FEV1-based."""

    skin: ChronicGvhdOrganScore
    mouth: ChronicGvhdOrganScore
    eyes: ChronicGvhdOrganScore
    gi_tract: ChronicGvhdOrganScore
    liver: ChronicGvhdOrganScore
    lungs: ChronicGvhdOrganScore
    joints_fascia: ChronicGvhdOrganScore
    genital_tract: ChronicGvhdOrganScore

    @model_validator(mode="after")
    def _organs_in_place(self) -> ChronicGvhdOrganScores:
        for name, organ in _FIELDS.items():
            given: ChronicGvhdOrganScore = getattr(self, name)
            if given.organ is not organ:
                raise ValueError(f"{name}: got the score of {given.organ.value!r}; expected the {organ.value} score")
        if self.lungs.scale is not OrganScale.LUNG_FEV1:
            raise ValueError(
                f"lungs: got the {self.lungs.scale.value}; the NIH 2014 global severity uses the FEV1-based lung "
                "score instead of the symptom score; expected a lung score from FEV1 % predicted"
            )
        return self

    def all(self) -> tuple[ChronicGvhdOrganScore, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)


_FIELDS: Final = {
    "skin": ChronicGvhdOrgan.SKIN,
    "mouth": ChronicGvhdOrgan.MOUTH,
    "eyes": ChronicGvhdOrgan.EYES,
    "gi_tract": ChronicGvhdOrgan.GI_TRACT,
    "liver": ChronicGvhdOrgan.LIVER,
    "lungs": ChronicGvhdOrgan.LUNGS,
    "joints_fascia": ChronicGvhdOrgan.JOINTS_FASCIA,
    "genital_tract": ChronicGvhdOrgan.GENITAL_TRACT,
}

GLOBAL_SEVERITY_RULE: Final = GradingRule(
    name="chronic GVHD global severity",
    version="NIH 2014 (Jagasia 2015)",
    statement=(
        "Mild: 1-2 organs involved, each score <= 1, lung score 0. Moderate: 3 or more organs with score <= 1, "
        "or any non-lung organ score 2, or lung score 1. Severe: any organ score 3, or lung score 2-3. An organ "
        "whose abnormality is entirely explained by a documented non-GVHD cause is not counted; a "
        "multifactorial one is counted without downgrading. Skin: the higher of its two scores; lungs: the "
        "FEV1-based score."
    ),
    citations=(
        sources.JAGASIA_2015,
        sources.WOLFF_2024,
        sources.NCIT_NIH_GLOBAL_CGVHD_SEVERITY,
        sources.ARORA_2010_ASH_ABSTRACT,
    ),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Thresholds confirmed in the 2005 wording (Arora, ASH 2010 abstract) and kept by the 2014 report; the "
        "EBMT Handbook ch. 44 (44.3.1.1) reproduces the same table. Attribution, skin and lung rules as in "
        "the NCI Thesaurus definition of the NIH global severity (clinical-scores-verification.md 2.2).",
        "The Handbook table prints '> 3' organs for moderate; read as 3 or more, as in the NIH wording.",
        "No organ counted: no severity (None); the diagnosis of chronic GVHD is not computed here.",
    ),
)


class ChronicGvhdGlobalSeverity(FrozenModel):
    """NIH 2014 global severity with the organ scores it rests on and the rule applied."""

    severity: ChronicGvhdSeverity | None = Field(description="None when no organ counts.")
    scores: ChronicGvhdOrganScores
    counted: tuple[ChronicGvhdOrgan, ...] = Field(description="Organs scored above 0 and not entirely another cause.")
    excluded: tuple[ChronicGvhdOrgan, ...] = Field(
        description="Organs scored above 0 whose abnormality is entirely explained by another cause."
    )
    decisive: tuple[ChronicGvhdOrgan, ...] = Field(description="The organs that set the severity.")
    reason: str
    rule: GradingRule = GLOBAL_SEVERITY_RULE


def chronic_gvhd_global_severity(scores: ChronicGvhdOrganScores) -> ChronicGvhdGlobalSeverity:
    """The NIH 2014 global severity of ``scores``."""
    organs = scores.all()
    counted = tuple(o for o in organs if o.counts)
    excluded = tuple(o.organ for o in organs if o.score > 0 and not o.counts)
    lungs = scores.lungs.score if scores.lungs.counts else 0

    def of(pred: tuple[ChronicGvhdOrganScore, ...]) -> tuple[ChronicGvhdOrgan, ...]:
        return tuple(o.organ for o in pred)

    severity: ChronicGvhdSeverity | None
    decisive: tuple[ChronicGvhdOrgan, ...]
    if not counted:
        severity, decisive, reason = None, (), "no organ scored above 0 and attributed to chronic GVHD"
    elif any(o.score == 3 for o in counted) or lungs >= 2:
        severity = ChronicGvhdSeverity.SEVERE
        decisive = of(tuple(o for o in counted if o.score == 3 or (o.organ is ChronicGvhdOrgan.LUNGS and o.score >= 2)))
        reason = "an organ at score 3, or lung score 2-3"
    elif len(counted) >= 3 or lungs == 1 or any(o.score == 2 for o in counted):
        severity = ChronicGvhdSeverity.MODERATE
        raised = tuple(o for o in counted if o.score == 2 or o.organ is ChronicGvhdOrgan.LUNGS)
        decisive = of(raised) if raised else of(counted)
        reason = "3 or more organs involved, a non-lung organ at score 2, or lung score 1"
    else:
        severity, decisive = ChronicGvhdSeverity.MILD, of(counted)
        reason = "1-2 organs involved, each at score 1, lung score 0"
    return ChronicGvhdGlobalSeverity(
        severity=severity,
        scores=scores,
        counted=of(counted),
        excluded=excluded,
        decisive=decisive,
        reason=reason,
    )
