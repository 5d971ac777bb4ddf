"""Search request and result models (frozen, picklable: they travel to Dask workers and back).

:class:`SearchCriteria` mirrors an Atlas search request (SearchRequest.cs; README_Integration.md):
donor type, total and per-locus allowed mismatches (0-2; Atlas caps the total at 5), registry filter,
match prediction on/off, plus the non-HLA facts the NMDP/CIBMTR ranking needs (Dehn et al. 2019:
patient CMV, ABO, weight for cord cell dose). Age filters apply to the donor's age in
``reference_year``; donors of unknown age are excluded when an age filter is set. Loci may be given as
:class:`~engraft.vocabulary.hla.Locus` members or names (``"DRB1"``, ``"HLA-DRB1"``); they are stored as
members. Donor kind, sex, CMV serostatus and ABO group are :mod:`engraft.vocabulary` values here and
in :class:`DonorMatch`; only the store's columns hold their codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from engraft.hla.matching.dpb1_tce import Dpb1TceAssessment
from engraft.hla.matching.locus_match import LocusMatch
from engraft.hla.matching.match_counts import LocusCount, MatchCounts
from engraft.hla.prediction.match_prediction import MatchProbabilities
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex
from engraft.vocabulary.hla import MATCH_LOCI, Locus, parse_locus


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """Everything about a search except the patient typing (picklable, for batch search)."""

    loci: tuple[Locus, ...] = MATCH_LOCI
    max_mismatches: int = 0
    max_mismatches_per_locus: Mapping[Locus, int] = field(default_factory=dict)
    donor_type: DonorKind | None = DonorKind.ADULT  # None: adult donors and cord units
    registries: frozenset[str] | None = None
    min_age: int | None = None
    max_age: int | None = None
    reference_year: int = field(default_factory=lambda: datetime.now(UTC).year)  # year ages refer to
    limit: int = 100
    homozygous_mismatch_counts: Literal[1, 2] = 2
    predict_top: int = 0
    patient_cmv: Serostatus = Serostatus.UNKNOWN
    patient_abo: AboGroup | None = None  # None: not known
    patient_weight_kg: float | None = None
    age_band_years: int = 5
    patient_registry: str | None = None  # chooses the patient's HF set for match prediction (Atlas)
    patient_ethnicity: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "loci", tuple(parse_locus(locus) for locus in self.loci))
        per_locus = {parse_locus(locus): limit for locus, limit in self.max_mismatches_per_locus.items()}
        object.__setattr__(self, "max_mismatches_per_locus", per_locus)

    def allowed(self, locus: Locus) -> int:
        return min(2, self.max_mismatches_per_locus.get(locus, 2), self.max_mismatches)


@dataclass(frozen=True, slots=True)
class DonorMatch:
    """One ranked donor with its per-locus match detail and the reason for its rank.

    ``match_label`` is ``counts.label``: ``"10/10"`` only when every requested locus is typed on both sides
    and matched (``"6/6 typed (C, DQB1 untyped)"`` otherwise). ``counts_with_dpb1`` adds DPB1 (12/12 for a
    10/10 search); ``locus_counts`` gives matched/typed/potential for every stored locus, DRB3/4/5 and DQA1
    included; ``reported_loci`` their match detail where both sides are typed (never counted, never filtered).
    """

    rank: int
    donor_id: int
    donor_type: DonorKind
    registry: str
    age: int | None
    sex: Sex
    cmv: Serostatus
    abo: AboGroup | None  # None: not known
    mismatch_count: int
    match_label: str  # e.g. "9/10"
    potential_loci: tuple[Locus, ...]
    loci: Mapping[Locus, LocusMatch]
    untyped_loci: tuple[Locus, ...]
    dpb1: LocusMatch | None
    dpb1_tce: Dpb1TceAssessment | None
    reason: str
    counts: MatchCounts
    counts_with_dpb1: MatchCounts
    locus_counts: Mapping[Locus, LocusCount]
    reported_loci: Mapping[Locus, LocusMatch]
    rank_key: tuple[float, ...] = ()  # the sort keys of engraft.hla.search.ranking, most significant first
    prediction: MatchProbabilities | None = None
    ethnicity: str | None = None  # the donor's population code as its file gave it (chooses its HF set)


@dataclass(frozen=True, slots=True)
class SearchResult:
    donors: tuple[DonorMatch, ...]
    filter_candidates: int  # donors passing the vectorised lower-bound filter and attribute filters
    matching_donors: int  # donors within the limits after exact scoring
    loci: tuple[Locus, ...]
