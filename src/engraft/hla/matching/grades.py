"""Match grade of one patient position against one donor position, and antigen vs allele mismatch.

Grades follow the WMDA matching framework (Bochtler et al. 2011, BMT 46:338) as implemented by Atlas:
identity at allele, G-group (same nucleotide sequence of the antigen-binding exons) and P-group (same
antigen-binding protein, WMDA "AI3", the worst *allele* match) level; for serologically typed positions
associated (SI1), split (SI2) or broad (SI3) antigen agreement; otherwise a mismatch. A position pair
*matches* (counts as 0 mismatches) when the P groups intersect, or when both positions are null.

Mismatches are classified per the WMDA Bioinformatics & Innovation Committee rule (2024): an *antigen*
mismatch when the serological (split-level) equivalents differ, an *allele* mismatch when the antigen is
the same but the protein differs. Every DPB1 mismatch is an antigen mismatch; a mismatch involving a
null position (expressed vs absent product) is an antigen mismatch.
"""

from __future__ import annotations

from enum import StrEnum

from engraft.hla.matching.locus_typing import TypedPosition
from engraft.hla.nomenclature.serology import is_antigen_match, shared_serology_level
from engraft.vocabulary.hla import Locus


class MatchGrade(StrEnum):
    """Best to worst."""

    ALLELE = "allele"
    G_GROUP = "g_group"
    P_GROUP = "p_group"
    ASSOCIATED = "associated"
    SPLIT = "split"
    BROAD = "broad"
    NULL_MATCH = "null_match"
    EXPRESSING_VS_NULL = "expressing_vs_null"
    MISMATCH = "mismatch"

    @property
    def rank(self) -> int:
        """0 for the best grade."""
        return _ORDER.index(self)

    @property
    def is_match(self) -> bool:
        return self not in (MatchGrade.EXPRESSING_VS_NULL, MatchGrade.MISMATCH)


_ORDER = list(MatchGrade)


class MismatchType(StrEnum):
    ANTIGEN = "antigen"
    ALLELE = "allele"


_SEROLOGY_GRADE = {"associated": MatchGrade.ASSOCIATED, "split": MatchGrade.SPLIT, "broad": MatchGrade.BROAD}


def positions_match(p: TypedPosition, d: TypedPosition) -> bool:
    """P-group match (or null vs null): the unit of counting mismatches (Atlas, WMDA AI3).

    When either position is typed serologically the antigens must also agree (associated, split or
    broad level): a split typing such as B38 also stands for alleles assigned only the broad B16, so
    P groups alone would let B38 match its sibling split B39 (WMDA SD2 mismatch).
    """
    if p.is_null or d.is_null:
        return p.is_null and d.is_null
    if p.p_groups.isdisjoint(d.p_groups):
        return False
    if p.is_serology or d.is_serology:
        return shared_serology_level(p.antigens, d.antigens) is not None
    return True


def grade_positions(p: TypedPosition, d: TypedPosition) -> MatchGrade:
    """Grade of one position pair; symmetric in its arguments."""
    if p.is_null and d.is_null:
        return MatchGrade.NULL_MATCH
    if p.is_null or d.is_null:
        return MatchGrade.EXPRESSING_VS_NULL
    p_match = not p.p_groups.isdisjoint(d.p_groups)
    if p.is_serology or d.is_serology:
        level = shared_serology_level(p.antigens, d.antigens)
        if level is not None and p_match:
            return _SEROLOGY_GRADE[level]
        return MatchGrade.MISMATCH
    if p.is_single_allele and p.alleles == d.alleles:
        return MatchGrade.ALLELE
    if not p.g_groups.isdisjoint(d.g_groups):
        return MatchGrade.G_GROUP
    if p_match:
        return MatchGrade.P_GROUP
    return MatchGrade.MISMATCH


def mismatch_type(p: TypedPosition, d: TypedPosition, locus: str) -> MismatchType | None:
    """``None`` if the positions match, else antigen or allele mismatch (WMDA 2024 rule)."""
    if positions_match(p, d):
        return None
    if locus == Locus.DPB1 or p.is_null or d.is_null:
        return MismatchType.ANTIGEN
    return MismatchType.ALLELE if is_antigen_match(p.antigens, d.antigens) else MismatchType.ANTIGEN
