"""Refined Disease Risk Index (Armand 2014): disease risk x stage risk -> risk group.

Every rule here is UNVERIFIED. The disease-risk assignments and the combination matrix are the
structure "as commonly reproduced" in clinical-scores.md section 3.2, which the verification notes
say must be checked row by row against Armand 2014 Table 2/3 before clinical use; all components
therefore carry the level ``unverified``. Stage risk differs by disease and its definitions were not
verified either, so the caller states it (``low`` or ``high``) rather than this module deriving it.
ALL and Burkitt lymphoma have no verified placement and are refused.

No per-group outcome is attached: the refined-DRI 2-year OS/PFS were not verified, and the verified
64/51/34/24% 2-year OS figures belong to the original DRI, not the refined one.

Primary-source check (2026-11-26): the Armand 2014 abstract on the publisher page confirms only the
cohort (13,131; training 9,849; validation 3,282), the original-DRI 2-year OS range of 64% to 24%
and use "as a 4- or 3-group index"; it does not say which groups the 3-group index merges. The
assignment tables and per-group outcomes were not available, so nothing here is marked verified.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, ScoreResult, VerificationLevel
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "refined-dri"
DISEASE_RISK_RULE: Final = Phrase("disease risk {risk} (UNVERIFIED assignment, check Armand 2014 Table 2)")
COMBINATION_RULE: Final = Phrase("{disease} disease x {stage} stage -> {group} (UNVERIFIED combination rule)")
"""The components' rules (English; the pages translate them)."""


class RdriDisease(StrEnum):
    AML_FAVOURABLE_CYTOGENETICS = "aml_favourable_cytogenetics"
    AML_INTERMEDIATE_CYTOGENETICS = "aml_intermediate_cytogenetics"
    AML_ADVERSE_CYTOGENETICS = "aml_adverse_cytogenetics"
    MDS_INTERMEDIATE_CYTOGENETICS = "mds_intermediate_cytogenetics"
    MDS_ADVERSE_CYTOGENETICS = "mds_adverse_cytogenetics"
    CLL = "cll"
    CML = "cml"
    INDOLENT_B_CELL_NHL = "indolent_b_cell_nhl"
    MPN = "mpn"
    MULTIPLE_MYELOMA = "multiple_myeloma"
    HODGKIN_LYMPHOMA = "hodgkin_lymphoma"
    DLBCL_OR_TRANSFORMED_INDOLENT = "dlbcl_or_transformed_indolent"
    MANTLE_CELL_LYMPHOMA = "mantle_cell_lymphoma"
    T_CELL_NHL_NODAL = "t_cell_nhl_nodal"
    T_CELL_NHL_EXTRANODAL = "t_cell_nhl_extranodal"


class RiskLevel(StrEnum):
    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


class StageRisk(StrEnum):
    LOW = "low"
    HIGH = "high"


DISEASE_RISK: Final[dict[RdriDisease, RiskLevel]] = {
    RdriDisease.AML_FAVOURABLE_CYTOGENETICS: RiskLevel.LOW,
    RdriDisease.CLL: RiskLevel.LOW,
    RdriDisease.CML: RiskLevel.LOW,
    RdriDisease.INDOLENT_B_CELL_NHL: RiskLevel.LOW,
    RdriDisease.AML_INTERMEDIATE_CYTOGENETICS: RiskLevel.INTERMEDIATE,
    RdriDisease.MDS_INTERMEDIATE_CYTOGENETICS: RiskLevel.INTERMEDIATE,
    RdriDisease.MPN: RiskLevel.INTERMEDIATE,
    RdriDisease.MULTIPLE_MYELOMA: RiskLevel.INTERMEDIATE,
    RdriDisease.HODGKIN_LYMPHOMA: RiskLevel.INTERMEDIATE,
    RdriDisease.DLBCL_OR_TRANSFORMED_INDOLENT: RiskLevel.INTERMEDIATE,
    RdriDisease.MANTLE_CELL_LYMPHOMA: RiskLevel.INTERMEDIATE,
    RdriDisease.T_CELL_NHL_NODAL: RiskLevel.INTERMEDIATE,
    RdriDisease.AML_ADVERSE_CYTOGENETICS: RiskLevel.HIGH,
    RdriDisease.MDS_ADVERSE_CYTOGENETICS: RiskLevel.HIGH,
    RdriDisease.T_CELL_NHL_EXTRANODAL: RiskLevel.HIGH,
}

MATRIX: Final[dict[tuple[RiskLevel, StageRisk], str]] = {
    (RiskLevel.LOW, StageRisk.LOW): "low",
    (RiskLevel.LOW, StageRisk.HIGH): "intermediate",
    (RiskLevel.INTERMEDIATE, StageRisk.LOW): "intermediate",
    (RiskLevel.INTERMEDIATE, StageRisk.HIGH): "high",
    (RiskLevel.HIGH, StageRisk.LOW): "high",
    (RiskLevel.HIGH, StageRisk.HIGH): "very high",
}


class RefinedDriInput(FrozenModel):
    disease: RdriDisease
    stage_risk: StageRisk = Field(
        description="Caller-assessed stage risk: low (e.g. CR, PR for lymphoma/myeloma, CML chronic phase) or high "
        "(e.g. induction failure, active relapse); definitions unverified."
    )
    groups: int = Field(
        default=4, ge=3, le=4, strict=True, description="4-group index, or 3 with high and very high merged."
    )


class RefinedDriResult(ScoreResult):
    value: str


def refined_dri(data: RefinedDriInput) -> RefinedDriResult:
    """Combine disease risk and stage risk into the refined-DRI group (unverified rule table)."""
    disease_risk = DISEASE_RISK[data.disease]
    four_group = MATRIX[(disease_risk, data.stage_risk)]
    group = four_group
    if data.groups == 3 and group in ("high", "very high"):
        group = "high/very high"
    components = (
        Component(
            item="disease_risk",
            input=f"disease={data.disease.value}",
            points=0,
            rule=DISEASE_RISK_RULE(risk=disease_risk.value),
            verification=VerificationLevel.UNVERIFIED,
        ),
        Component(
            item="stage_risk",
            input=f"stage_risk={data.stage_risk.value}",
            points=0,
            rule=COMBINATION_RULE(disease=disease_risk.value, stage=data.stage_risk.value, group=four_group),
            verification=VerificationLevel.UNVERIFIED,
        ),
    )
    return RefinedDriResult(
        instrument=INSTRUMENT,
        version=f"armand-2014-{data.groups}-group-unverified",
        value=group,
        band=group,
        components=components,
        citation=sources.ARMAND_2014,
        notes=(
            "Rule table not verified against Armand 2014; do not use clinically until checked.",
            "No refined-DRI outcome figures attached (not verified).",
        ),
    )
