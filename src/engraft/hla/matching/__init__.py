"""HLA matching: locus typings, per-locus matching with grades and direction, DPB1 TCE permissiveness.

Builds on :mod:`engraft.hla.nomenclature` only.

* :mod:`~engraft.hla.matching.locus_typing`: :class:`TypedPosition` and :class:`LocusTyping`;
* :mod:`~engraft.hla.matching.typing_builder`: typings from tokens and GL Strings, memoised per token;
* :mod:`~engraft.hla.matching.grades`: grade of a position pair, antigen vs allele mismatch;
* :mod:`~engraft.hla.matching.locus_match`: 0/1/2 mismatches per locus, GvH/HvG direction;
* :mod:`~engraft.hla.matching.dpb1_tce`: permissiveness of DPB1 mismatches.
"""

from engraft.hla.matching.dpb1_tce import (
    Dpb1TceAssessment,
    TcePermissiveness,
    assess_dpb1_tce,
    tce_groups,
    tce_permissiveness,
)
from engraft.hla.matching.grades import MatchGrade, MismatchType, grade_positions
from engraft.hla.matching.locus_match import (
    Direction,
    LocusMatch,
    MatchOptions,
    MatchResult,
    PositionMatch,
    match_locus,
    match_typings,
)
from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
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
    "LocusMatch",
    "LocusTyping",
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
    "locus_typing",
    "match_locus",
    "match_typings",
    "tce_groups",
    "tce_permissiveness",
    "typed_position",
    "typing_builder",
    "typings_from_gl",
]
