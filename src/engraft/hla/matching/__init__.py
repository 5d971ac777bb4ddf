"""HLA matching: locus typings, per-locus matching with grades and direction, DPB1 TCE permissiveness.

Builds on :mod:`engraft.hla.nomenclature` only.

* :mod:`~engraft.hla.matching.locus_typing`: :class:`TypedPosition` and :class:`LocusTyping`;
* :mod:`~engraft.hla.matching.typing_builder`: typings from tokens and GL Strings, memoised per token;
* :mod:`~engraft.hla.matching.grades`: grade of a position pair, antigen vs allele mismatch;
* :mod:`~engraft.hla.matching.locus_match`: 0/1/2 mismatches per locus, GvH/HvG direction;
* :mod:`~engraft.hla.matching.dpb1_tce`: permissiveness of DPB1 mismatches;
* :mod:`~engraft.hla.matching.match_counts`: honest n/10 and n/12 counts, matched/typed/potential per locus.
"""

from engraft.hla.matching.dpb1_tce import (
    Dpb1TceAssessment,
    TcePermissiveness,
    assess_dpb1_tce,
    tce_groups,
    tce_permissiveness,
)
from engraft.hla.matching.grades import (
    MatchConfidence,
    MatchGrade,
    MismatchType,
    grade_positions,
    position_confidence,
)
from engraft.hla.matching.locus_match import (
    Direction,
    GenotypeAmbiguity,
    LocusMatch,
    MatchOptions,
    MatchResult,
    PositionMatch,
    match_locus,
    match_typings,
)
from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.matching.match_counts import LocusCount, LocusStatus, MatchCounts, locus_count, match_counts
from engraft.hla.matching.typing_builder import (
    TypingBuilder,
    locus_typing,
    typed_position,
    typing_builder,
    typings_from_gl,
)

__all__ = [
    "Direction",
    "Dpb1TceAssessment",
    "GenotypeAmbiguity",
    "LocusCount",
    "LocusMatch",
    "LocusStatus",
    "LocusTyping",
    "MatchConfidence",
    "MatchCounts",
    "MatchGrade",
    "MatchOptions",
    "MatchResult",
    "MismatchType",
    "PositionMatch",
    "TcePermissiveness",
    "TypedPosition",
    "TypingBuilder",
    "assess_dpb1_tce",
    "grade_positions",
    "locus_count",
    "locus_typing",
    "match_counts",
    "match_locus",
    "match_typings",
    "position_confidence",
    "tce_groups",
    "tce_permissiveness",
    "typed_position",
    "typing_builder",
    "typings_from_gl",
]
