"""Overall acute GVHD grade (0-IV) from the four target-organ stages.

The input is the organ stages (skin 0-4, liver 0-4, upper GI 0-1, lower GI 0-4), as a clinician
records them or as :func:`engraft.grading.acute_gvhd_staging.stage_acute_gvhd` computes them from rash
extent, bilirubin, upper GI symptoms and stool output; either way this module grades an
:class:`OrganStages`.

Grading systems are named (:class:`AcuteGvhdGradingSystem`); MAGIC (Harris et al. 2016) is the
default and, for now, the only one. The 1994 Keystone consensus ("modified Glucksberg") grade table
could not be pinned to a verified reproduction (clinical-scores-verification.md section 1.4 item 5:
the NCBI Bookshelf table usually quoted for it shows the older Glucksberg/Sullivan grade IV rule),
so it is not offered. Re-checked 2026-12-04: clinical-scores.md section 6.2 still marks the Keystone
grade table unverified, clinical-tables-secondary.md does not cover acute GVHD, and the EBMT Handbook
ch. 43 describes the 1994 consensus only in words (its Table 43.4 is the MAGIC staging). Re-checked
2026-12-05, each chapter read in full: ch. 43 (Holler, Greinix, Zeiser) names Glucksberg 1974, the 1994
consensus (performance score dropped, upper GI symptoms added) and the IBMTR index in prose, with Tables
43.1-43.3 on classification, manifestations and histology and no Glucksberg or Keystone stage or grade table;
ch. 50 (Basak) refers gut GVHD grading back to ch. 43 and prints only CTCAE v4.0 nausea, vomiting and
diarrhoea grades; ch. 22 (Suárez-Lledó, Rovira) is a follow-up schedule with no grading; ch. 66 (Greinix)
tabulates ECP outcomes only. An unverified
variant would also need its own staging (one gut organ with a biopsy-confirmed nausea stage 1, "generalised
erythroderma" for skin stage 3), which MAGIC's four organ stages cannot be mapped onto.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from pydantic import Field

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.events import AcuteGvhdGradingSystem


class AcuteGvhdOrgan(StrEnum):
    """The target organs staged for acute GVHD (MAGIC stages the upper and lower GI tract separately)."""

    SKIN = "skin"
    LIVER = "liver"
    UPPER_GI = "upper GI"
    LOWER_GI = "lower GI"


ROMAN_GRADE: Final = ("0", "I", "II", "III", "IV")


class OrganStages(FrozenModel):
    """Stage of each target organ, as recorded by the clinician or computed from findings.

    Every organ must be given: an organ that was not assessed is not the same as stage 0.
    """

    skin: int = Field(ge=0, le=4, strict=True, description="0-4: extent of active erythema.")
    liver: int = Field(ge=0, le=4, strict=True, description="0-4: total bilirubin band.")
    upper_gi: int = Field(ge=0, le=1, strict=True, description="0-1: persistent nausea, vomiting or anorexia.")
    lower_gi: int = Field(ge=0, le=4, strict=True, description="0-4: stool output, severe pain or bloody stool.")

    def stage(self, organ: AcuteGvhdOrgan) -> int:
        return {
            AcuteGvhdOrgan.SKIN: self.skin,
            AcuteGvhdOrgan.LIVER: self.liver,
            AcuteGvhdOrgan.UPPER_GI: self.upper_gi,
            AcuteGvhdOrgan.LOWER_GI: self.lower_gi,
        }[organ]


MAGIC_GRADE_BY_ORGAN_STAGE: Final[Mapping[AcuteGvhdOrgan, tuple[int, ...]]] = MappingProxyType(
    {
        # index = organ stage, value = the lowest overall grade that stage alone gives
        AcuteGvhdOrgan.SKIN: (0, 1, 1, 2, 4),  # stage 1-2: I; stage 3: II; stage 4: IV
        AcuteGvhdOrgan.LIVER: (0, 2, 3, 3, 4),  # stage 1: II; stage 2-3: III; stage 4: IV
        AcuteGvhdOrgan.UPPER_GI: (0, 2),  # stage 1: II (upper GI never gives III or IV)
        AcuteGvhdOrgan.LOWER_GI: (0, 2, 3, 3, 4),  # stage 1: II; stage 2-3: III; stage 4: IV
    }
)
"""MAGIC overall grade, organ by organ. The overall grade is the highest of these: the Handbook's
wording is "based upon most severe target organ involvement", and each grade's conditions ("with stage
0-3 skin and/or stage 0-1 upper GI" for III, "with stage 0-1 upper GI" for IV) only exclude organs that
would give a higher grade."""

MAGIC_RULE: Final = GradingRule(
    name="acute GVHD overall clinical grade",
    version="MAGIC (Harris 2016)",
    statement=(
        "Grade 0: no organ at stage 1-4. I: skin stage 1-2 with no liver, upper GI or lower GI involvement. "
        "II: skin stage 3 and/or liver, upper GI or lower GI stage 1. III: liver and/or lower GI stage 2-3 "
        "(skin 0-3, upper GI 0-1). IV: skin, liver or lower GI stage 4 (upper GI 0-1)."
    ),
    citations=(sources.HARRIS_2016, sources.HOLLER_2024),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read in the EBMT Handbook (8th ed., 2024) chapter 43, below Table 43.4 'according to Harris et al. "
        "2016'; Harris 2016 Table 1 itself was not read.",
    ),
)


class AcuteGvhdGrade(FrozenModel):
    """Overall acute GVHD grade with the stages it was computed from and the rule that was applied."""

    system: AcuteGvhdGradingSystem
    value: int = Field(ge=0, le=4, description="Overall grade 0-4 (0, I, II, III, IV).")
    stages: OrganStages
    decisive_organs: tuple[AcuteGvhdOrgan, ...] = Field(
        description="The organs whose stage alone gives the overall grade (empty for grade 0)."
    )
    rule: GradingRule

    @property
    def roman(self) -> str:
        """The grade as usually written: 0, I, II, III or IV."""
        return ROMAN_GRADE[self.value]


_RULES: Final[Mapping[AcuteGvhdGradingSystem, tuple[GradingRule, Mapping[AcuteGvhdOrgan, tuple[int, ...]]]]] = (
    MappingProxyType({AcuteGvhdGradingSystem.MAGIC: (MAGIC_RULE, MAGIC_GRADE_BY_ORGAN_STAGE)})
)


def grade_acute_gvhd(
    stages: OrganStages, system: AcuteGvhdGradingSystem = AcuteGvhdGradingSystem.MAGIC
) -> AcuteGvhdGrade:
    """The overall grade of ``stages`` under ``system`` (MAGIC by default; other systems are refused)."""
    if system not in _RULES:
        implemented = ", ".join(s.value for s in _RULES)
        raise ValueError(f"acute GVHD grading system {system.value!r} is not implemented; expected {implemented}")
    rule, table = _RULES[system]
    by_organ = {organ: table[organ][stages.stage(organ)] for organ in AcuteGvhdOrgan}
    grade = max(by_organ.values())
    decisive = tuple(organ for organ, value in by_organ.items() if grade > 0 and value == grade)
    return AcuteGvhdGrade(system=system, value=grade, stages=stages, decisive_organs=decisive, rule=rule)
