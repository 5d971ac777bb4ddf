"""The answer of ``POST /api/donor-search`` as typed models, so the OpenAPI document shows what is sent.

They mirror the JSON view of :class:`engraft.hla.search.search_models.SearchResult` built by
:func:`engraft.hla.search.search_report.search_report` (enums by value: the donor's kind, sex, CMV
serostatus and ABO group are :mod:`engraft.vocabulary` values, never the store's codes), and are
validated from it, so a change there that these models do not follow fails loudly instead of being sent
undocumented.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engraft.api.donor_rank_reasons import RankReasonOut
from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.matching.grades import MatchConfidence, MatchGrade, MismatchType
from engraft.hla.matching.locus_match import Direction
from engraft.hla.matching.match_counts import LocusStatus
from engraft.hla.nomenclature.tce_table import TceVersion
from engraft.hla.prediction.imputation import GenotypeSource, UnexplainedReason
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionMatchOut(_Report):
    """One patient position compared with the donor position it was paired with."""

    patient_token: str
    donor_token: str
    grade: MatchGrade = Field(description="match grade of the positions as typed (gDNA ... mismatch, as Atlas)")
    mismatch_type: MismatchType | None = Field(description="None when the positions match")
    confidence: MatchConfidence = Field(description="definite, exact, potential or mismatch (Atlas confidence)")


class GenotypeAmbiguityOut(_Report):
    """How a '|' genotype list was matched: every listed pair of genotypes tried, the best reported."""

    patient_genotypes: int = Field(ge=1)
    donor_genotypes: int = Field(ge=1)
    best_mismatches: int = Field(ge=0, le=2)
    worst_mismatches: int = Field(ge=0, le=2)
    pairs_at_best: int = Field(ge=1)
    pairs: int = Field(ge=1)
    patient_genotype: int = Field(ge=0, description="0-based index of the patient genotype reported")
    donor_genotype: int = Field(ge=0, description="0-based index of the donor genotype reported")


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
    ambiguity: GenotypeAmbiguityOut | None = Field(description="set when either side is a '|' genotype list")


class LocusCountOut(_Report):
    """Positions of one locus typed on both sides, matched, matched only potentially, mismatched, untyped."""

    locus: str
    status: LocusStatus
    typed: int = Field(ge=0, le=2)
    matched: int = Field(ge=0, le=2)
    potential: int = Field(ge=0, le=2)
    mismatched: int = Field(ge=0, le=2)
    untyped: int = Field(ge=0, le=2)


class MatchCountsOut(_Report):
    """n/10 (or n/12) over typed positions only: full_match only when every position is typed and matched."""

    loci: list[str]
    per_locus: dict[str, LocusCountOut]
    total: int = Field(ge=0)
    typed: int = Field(ge=0)
    matched: int = Field(ge=0)
    potential: int = Field(ge=0)
    mismatched: int = Field(ge=0)
    untyped: int = Field(ge=0)
    complete: bool = Field(description="every position of every counted locus typed on both sides")
    full_match: bool = Field(description="complete and nothing mismatched (e.g. 10/10)")
    label: str = Field(description='"10/10", "9/10", or "6/6 typed (C, DQB1 untyped)"')


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
    match_label: str = Field(
        description='matches out of the requested positions, e.g. "9/10"; "6/6 typed (C, DQB1 untyped)" when '
        "a requested locus is untyped (never 10/10 then)"
    )
    potential_loci: list[str]
    loci: dict[str, LocusMatchOut]
    untyped_loci: list[str]
    dpb1: LocusMatchOut | None
    dpb1_tce: Dpb1TceOut | None
    reason: str = Field(description="why the donor has this rank, in words (English)")
    rank_key: list[float] | None = Field(
        default=None,
        description="the donor's ranking attributes' values in the order applied, most significant first "
        "(engraft.hla.search.rank_explanation.RANK_ATTRIBUTES names them): the reason as data; "
        "absent in searches saved before it was recorded",
    )
    rank_reason: RankReasonOut | None = Field(
        default=None,
        description="the reason as codes with parameters, for clients that translate it (reason is English): "
        "the ranking attributes in the order applied and what placed the donor below the one above; "
        "null when the donor has no rank_key",
    )
    counts: MatchCountsOut = Field(description="counts over the requested loci (10/10)")
    counts_with_dpb1: MatchCountsOut = Field(description="counts over the requested loci and DPB1 (12/12)")
    locus_counts: dict[str, LocusCountOut] = Field(description="every stored locus, DRB3/4/5 and DQA1 included")
    reported_loci: dict[str, LocusMatchOut] = Field(
        description="DRB3, DRB4, DRB5 and DQA1 where both sides are typed (reported, never counted)"
    )
    prediction: MatchPredictionOut | None
    ethnicity: str | None = Field(
        default=None,
        description="the donor's ethnicity (population code) as the registry's file gave it, which chooses the "
        "donor's haplotype-frequency set for match prediction; null: not known (or a search saved before it "
        "was reported)",
    )


class DonorSearchResult(_Report):
    loci: list[str] = Field(description="the loci compared")
    filter_candidates: int = Field(ge=0, description="donors passing the lower-bound and attribute filters")
    matching_donors: int = Field(ge=0, description="donors within the allowed mismatches after exact scoring")
    donors: list[DonorMatchOut]
    release: str = Field(description="the IPD-IMGT/HLA release used")
    donors_in_registry: int = Field(ge=0)
    prediction_available: bool = Field(description="true when haplotype frequencies are loaded")
