"""The answer of ``POST /api/donor-search`` as typed models, so the OpenAPI document shows what is sent.

They mirror the JSON view of :class:`engraft.hla.search.search_models.SearchResult` built by
:func:`engraft.hla.search.search_report.search_report` (enums by value: the donor's kind, sex, CMV
serostatus and ABO group are :mod:`engraft.vocabulary` values, never the store's codes), and are
validated from it, so a change there that these models do not follow fails loudly instead of being sent
undocumented.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.matching.grades import MatchGrade, MismatchType
from engraft.hla.matching.locus_match import Direction
from engraft.hla.nomenclature.tce_table import TceVersion
from engraft.hla.prediction.imputation import GenotypeSource, UnexplainedReason
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionMatchOut(_Report):
    """One patient position compared with the donor position it was paired with."""

    patient_token: str
    donor_token: str
    grade: MatchGrade
    mismatch_type: MismatchType | None = Field(description="None when the positions match")


class LocusMatchOut(_Report):
    locus: str
    mismatch_count: int = Field(ge=0, le=2)
    gvh_count: int = Field(ge=0, le=2, description="mismatches in the graft-versus-host direction")
    hvg_count: int = Field(ge=0, le=2, description="mismatches in the host-versus-graft direction")
    direction: Direction
    antigen_mismatch_count: int = Field(ge=0, le=2)
    allele_mismatch_count: int = Field(ge=0, le=2)
    positions: tuple[PositionMatchOut, PositionMatchOut]
    crossed: bool = Field(description="true if patient position 1 was paired with donor position 2")


class Dpb1TceOut(_Report):
    """HLA-DPB1 T-cell epitope permissiveness (Crivello/Fleischhauer TCE groups)."""

    category: TcePermissiveness
    patient_groups: tuple[int | None, int | None]
    donor_groups: tuple[int | None, int | None]
    version: TceVersion


class MatchPredictionOut(_Report):
    """Probabilities of 0, 1 and 2 mismatches (and of more) from haplotype frequencies."""

    loci: list[str]
    p_mismatches: tuple[float, float, float] | None
    p_more: float | None
    per_locus: dict[str, tuple[float, float, float]] | None
    patient_unrepresented: bool
    donor_unrepresented: bool
    patient_mass_left_out: float
    donor_mass_left_out: float
    genotype_cap: int | None
    patient_genotype: GenotypeSource = Field(
        description="typed: unambiguous, its own genotype; imputed: from the HF set; unexplained: no probabilities"
    )
    donor_genotype: GenotypeSource
    patient_unexplained: UnexplainedReason | None = Field(description="why the HF set cannot explain the typing")
    donor_unexplained: UnexplainedReason | None
    patient_unexplained_tokens: list[str] = Field(description="typed alleles no haplotype of the HF set carries")
    donor_unexplained_tokens: list[str]
    patient_frequency_set: str = Field(description="the HF set the patient was imputed with")
    donor_frequency_set: str


class DonorMatchOut(_Report):
    rank: int = Field(ge=1)
    donor_id: int
    donor_type: DonorKind
    registry: str
    age: int | None
    sex: Sex
    cmv: Serostatus = Field(description="the donor's CMV serostatus")
    abo: AboGroup | None = Field(description="the donor's ABO group (null: not known)")
    mismatch_count: int = Field(ge=0)
    match_label: str = Field(description='matches out of the compared positions, e.g. "9/10"')
    potential_loci: list[str]
    loci: dict[str, LocusMatchOut]
    untyped_loci: list[str]
    dpb1: LocusMatchOut | None
    dpb1_tce: Dpb1TceOut | None
    reason: str = Field(description="why the donor has this rank, in words")
    prediction: MatchPredictionOut | None


class DonorSearchResult(_Report):
    loci: list[str] = Field(description="the loci compared")
    filter_candidates: int = Field(ge=0, description="donors passing the lower-bound and attribute filters")
    matching_donors: int = Field(ge=0, description="donors within the allowed mismatches after exact scoring")
    donors: list[DonorMatchOut]
    release: str = Field(description="the IPD-IMGT/HLA release used")
    donors_in_registry: int = Field(ge=0)
    prediction_available: bool = Field(description="true when haplotype frequencies are loaded")
