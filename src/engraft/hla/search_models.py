"""Search request and result models (frozen, picklable: they travel to Dask workers and back).

:class:`SearchCriteria` mirrors an Atlas search request (SearchRequest.cs; README_Integration.md):
donor type, total and per-locus allowed mismatches (0-2; Atlas caps the total at 5), registry filter,
match prediction on/off, plus the non-HLA facts the NMDP/CIBMTR ranking needs (Dehn et al. 2019:
patient CMV, ABO, weight for cord cell dose). Age filters apply to the donor's age in
``reference_year``; donors of unknown age are excluded when an age filter is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from engraft.hla.donor_batch import Abo, Cmv, DonorType
from engraft.hla.dpb1_tce import Dpb1TceAssessment
from engraft.hla.loci import MATCH_LOCI
from engraft.hla.match_prediction import MatchProbabilities
from engraft.hla.matching import LocusMatch


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """Everything about a search except the patient typing (picklable, for batch search)."""

    loci: tuple[str, ...] = tuple(str(locus) for locus in MATCH_LOCI)
    max_mismatches: int = 0
    max_mismatches_per_locus: Mapping[str, int] = field(default_factory=dict)
    donor_type: DonorType | None = DonorType.ADULT
    registries: frozenset[str] | None = None
    min_age: int | None = None
    max_age: int | None = None
    reference_year: int = field(default_factory=lambda: datetime.now(UTC).year)  # year ages refer to
    limit: int = 100
    homozygous_mismatch_counts: Literal[1, 2] = 2
    predict_top: int = 0
    patient_cmv: Cmv = Cmv.UNKNOWN
    patient_abo: Abo = Abo.UNKNOWN
    patient_weight_kg: float | None = None
    age_band_years: int = 5

    def allowed(self, locus: str) -> int:
        return min(2, self.max_mismatches_per_locus.get(locus, 2), self.max_mismatches)


@dataclass(frozen=True, slots=True)
class DonorMatch:
    """One ranked donor with its per-locus match detail and the reason for its rank."""

    rank: int
    donor_id: int
    donor_type: DonorType
    registry: str
    age: int | None
    mismatch_count: int
    match_label: str  # e.g. "9/10"
    potential_loci: tuple[str, ...]
    loci: Mapping[str, LocusMatch]
    untyped_loci: tuple[str, ...]
    dpb1: LocusMatch | None
    dpb1_tce: Dpb1TceAssessment | None
    reason: str
    rank_key: tuple[float, ...] = ()  # the sort keys of engraft.hla.ranking, most significant first
    prediction: MatchProbabilities | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    donors: tuple[DonorMatch, ...]
    filter_candidates: int  # donors passing the vectorised lower-bound filter and attribute filters
    matching_donors: int  # donors within the limits after exact scoring
    loci: tuple[str, ...]
