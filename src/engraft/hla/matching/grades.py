"""Match grade and match confidence of one patient position against one donor position; antigen vs allele.

Grades follow the WMDA matching framework (Bochtler et al. 2011, BMT 46:338) as Atlas reports them
(``MatchGrade``, scoring grading calculators), best first:

* expressed vs expressed: **gDNA** (same allele, full genomic sequence), **cDNA** (same allele, or same
  first three fields, both full sequences), **protein** (same first two fields, both full sequences),
  **G group** (same nucleotide sequence of the antigen-binding exons), **P group** (same antigen-binding
  protein, WMDA "AI3", the worst *allele* match). Sequence status comes from the release's
  ``Allele_status.txt``; without it gDNA/cDNA/protein are never claimed;
* null vs null: **null gDNA**, **null cDNA**, **null partial** (same null allele, by sequence status)
  and **null mismatch** (different null alleles: neither side has a product, so it is not counted as an
  HLA mismatch);
* serologically typed positions: **associated** (SI1), **split** (SI2), **broad** (SI3);
* **expressing vs null**: one side expressed, the other a null allele (Atlas: neither match nor
  mismatch; the locus count follows the null rule of :mod:`engraft.hla.matching.locus_match`);
* **mismatch**.

The sequence grades (gDNA, cDNA, protein and the same-null grades) need one allele on each side. An
ambiguous position (allele string, MAC, XX code, G/P group, truncated name such as ``A*01:01``) is graded
at G- or P-group level at best, as Atlas grades its consolidated molecular typings; this is stricter than
Atlas for short allele strings, where Atlas takes the best grade any pair of listed alleles could reach.
Nulls inside an ambiguous position are ignored.

The **confidence** of a pair is Atlas's (``ConfidenceCalculator``): *definite* (both positions one
allele, matched), *exact* (both molecular with one P group each, matched), *potential* (matched only
possibly: an ambiguous or serological typing, or an untyped position) or *mismatch*.

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
    """Best to worst (Atlas order)."""

    GDNA = "gdna"
    CDNA = "cdna"
    PROTEIN = "protein"
    G_GROUP = "g_group"
    P_GROUP = "p_group"
    NULL_GDNA = "null_gdna"
    NULL_CDNA = "null_cdna"
    NULL_PARTIAL = "null_partial"
    NULL_MISMATCH = "null_mismatch"
    ASSOCIATED = "associated"
    SPLIT = "split"
    BROAD = "broad"
    EXPRESSING_VS_NULL = "expressing_vs_null"
    MISMATCH = "mismatch"

    @property
    def rank(self) -> int:
        """0 for the best grade."""
        return _ORDER.index(self)

    @property
    def is_match(self) -> bool:
        """A grade that stands for a matched pair (expressing vs null is neither, as in Atlas)."""
        return self not in (MatchGrade.EXPRESSING_VS_NULL, MatchGrade.MISMATCH)

    @property
    def is_null_grade(self) -> bool:
        return self in _NULL_GRADES


_ORDER = list(MatchGrade)
_NULL_GRADES = frozenset(
    {MatchGrade.NULL_GDNA, MatchGrade.NULL_CDNA, MatchGrade.NULL_PARTIAL, MatchGrade.NULL_MISMATCH}
)


class MatchConfidence(StrEnum):
    """How sure a position's match is (Atlas ``MatchConfidence``), best first."""

    DEFINITE = "definite"
    EXACT = "exact"
    POTENTIAL = "potential"
    MISMATCH = "mismatch"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_ORDER.index(self)


_CONFIDENCE_ORDER = list(MatchConfidence)


class MismatchType(StrEnum):
    ANTIGEN = "antigen"
    ALLELE = "allele"


_SEROLOGY_GRADE = {"associated": MatchGrade.ASSOCIATED, "split": MatchGrade.SPLIT, "broad": MatchGrade.BROAD}


def positions_match(p: TypedPosition, d: TypedPosition) -> bool:
    """P-group match (or null vs null): the unit of counting mismatches (Atlas, WMDA AI3).

    When either position is typed serologically the antigens must also agree (associated, split or
    broad level): a split typing such as B38 also stands for alleles assigned only the broad B16, so
    P groups alone would let B38 match its sibling split B39 (WMDA SD2 mismatch).

    A ``NEW`` placeholder (an allele sequenced but not yet named) is always a mismatch, as the WMDA
    nomenclature guideline says (Bochtler et al. 2013, BMT 48:1387): against a named allele and against
    another ``NEW``, which may be a different unnamed allele.
    """
    if p.is_null or d.is_null:
        return p.is_null and d.is_null
    if (p.p_groups - p.new_p_groups).isdisjoint(d.p_groups - d.new_p_groups):
        return False  # a NEW placeholder's own P group is no identity
    if p.is_serology or d.is_serology:
        return shared_serology_level(p.antigens, d.antigens) is not None
    return True


def _null_grade(p: TypedPosition, d: TypedPosition) -> MatchGrade:
    same = p.alleles & d.alleles
    if not same:
        return MatchGrade.NULL_MISMATCH
    if not (p.is_single_allele and d.is_single_allele):
        return MatchGrade.NULL_PARTIAL
    if same & p.full_gdna & d.full_gdna:
        return MatchGrade.NULL_GDNA
    if same & p.full_sequence & d.full_sequence:
        return MatchGrade.NULL_CDNA
    return MatchGrade.NULL_PARTIAL


def _expressed_grade(p: TypedPosition, d: TypedPosition) -> MatchGrade:
    if p.is_single_allele and d.is_single_allele:
        if p.full_gdna & d.full_gdna:
            return MatchGrade.GDNA
        if p.cdna_keys & d.cdna_keys:
            return MatchGrade.CDNA
        if p.protein_keys & d.protein_keys:
            return MatchGrade.PROTEIN
    if not (p.g_groups - p.new_g_groups).isdisjoint(d.g_groups - d.new_g_groups):
        return MatchGrade.G_GROUP
    if not (p.p_groups - p.new_p_groups).isdisjoint(d.p_groups - d.new_p_groups):
        return MatchGrade.P_GROUP
    return MatchGrade.MISMATCH


def grade_positions(p: TypedPosition, d: TypedPosition) -> MatchGrade:
    """Grade of one position pair as typed; symmetric in its arguments (``NEW``: a mismatch, WMDA)."""
    if p.is_null and d.is_null:
        return _null_grade(p, d)
    if p.is_null or d.is_null:
        return MatchGrade.EXPRESSING_VS_NULL
    if p.is_serology or d.is_serology:
        level = shared_serology_level(p.antigens, d.antigens)
        if level is not None and not p.p_groups.isdisjoint(d.p_groups):
            return _SEROLOGY_GRADE[level]
        return MatchGrade.MISMATCH
    return _expressed_grade(p, d)


def _single_allele(p: TypedPosition) -> bool:
    return not p.is_serology and p.is_single_allele


def position_confidence(p: TypedPosition, d: TypedPosition) -> MatchConfidence:
    """Confidence of a pair (Atlas rule): definite, exact, potential or mismatch; symmetric."""
    if not positions_match(p, d):
        return MatchConfidence.MISMATCH
    if _single_allele(p) and _single_allele(d):
        return MatchConfidence.DEFINITE
    if not p.is_serology and not d.is_serology and len(p.p_groups) == 1 and len(d.p_groups) == 1:
        return MatchConfidence.EXACT
    return MatchConfidence.POTENTIAL


def mismatch_type(p: TypedPosition, d: TypedPosition, locus: str) -> MismatchType | None:
    """``None`` if the positions match, else antigen or allele mismatch (WMDA 2024 rule)."""
    if positions_match(p, d):
        return None
    if locus == Locus.DPB1 or p.is_null or d.is_null:
        return MismatchType.ANTIGEN
    return MismatchType.ALLELE if is_antigen_match(p.antigens, d.antigens) else MismatchType.ANTIGEN
