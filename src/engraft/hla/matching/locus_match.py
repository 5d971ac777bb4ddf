"""Per-locus matching of a patient and a donor typing: 0/1/2 mismatches, direction and grades.

Rules (Atlas matching algorithm; WMDA framework, Bochtler 2011; NMDP/CIBMTR guidelines, Dehn et al.
2019, Blood 134:924):

* the unit of matching is the P group; a position pair matches when its P-group sets intersect;
* both orientations are tried (P1-D1/P2-D2 and P1-D2/P2-D1) and the one with fewer mismatches (then
  better grades, then the direct one) is reported;
* a null position is replaced by the other, expressing position (locus treated as homozygous);
* direction: a *GvH* mismatch is a patient product absent in the donor (target of donor T cells), an
  *HvG* mismatch a donor product absent in the patient. A heterozygous patient with a homozygous donor
  sharing one allele has a GvH-only mismatch; the reverse is HvG-only;
* ``homozygous_mismatch_counts``: with 2 (default) a homozygous donor/patient mismatched at both
  positions by the same product counts 2; with 1 identical positions are counted once
  (Atlas issue #1002: a user preference, not a rule);
* grades are given to the positions *as typed* (:func:`engraft.hla.matching.grades.grade_positions`):
  a null position paired with an expressed one is graded *expressing vs null* even when the locus
  counts as matched (``A*03:01+A*01:11N`` against ``A*03:01+A*03:01``), and keeps its null token;
  confidences (definite/exact/potential/mismatch) are those of the effective pairs that were counted;
* a ``|`` genotype list on either side is matched genotype by genotype; the best pair (fewest
  mismatches, then best grades, then first listed) is reported with :class:`GenotypeAmbiguity`, and
  no position of it is more than *potential* when either side lists more than one genotype.

The count equals ``max(gvh_count, hvg_count)``, lies in 0..2 and is symmetric under swapping patient
and donor (which also swaps GvH and HvG); the property tests check these invariants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from engraft.hla.matching.grades import (
    MatchConfidence,
    MatchGrade,
    MismatchType,
    grade_positions,
    mismatch_type,
    position_confidence,
    positions_match,
)
from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.vocabulary.hla import MATCH_LOCI, Locus, parse_locus


class Direction(StrEnum):
    NONE = "none"
    BIDIRECTIONAL = "bidirectional"
    GVH_ONLY = "gvh_only"
    HVG_ONLY = "hvg_only"


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Matching preferences."""

    homozygous_mismatch_counts: Literal[1, 2] = 2


@dataclass(frozen=True, slots=True)
class PositionMatch:
    """One patient position compared with the donor position it was paired with."""

    patient_token: str
    donor_token: str
    grade: MatchGrade
    mismatch_type: MismatchType | None
    confidence: MatchConfidence = MatchConfidence.POTENTIAL

    @property
    def is_match(self) -> bool:
        return self.mismatch_type is None


@dataclass(frozen=True, slots=True)
class GenotypeAmbiguity:
    """How a ``|`` genotype list was matched: every listed pair tried, the best reported."""

    patient_genotypes: int
    donor_genotypes: int
    best_mismatches: int
    worst_mismatches: int
    pairs_at_best: int  # pairs of listed genotypes with the best mismatch count
    pairs: int  # pairs tried (patient genotypes x donor genotypes)
    patient_genotype: int  # 0-based index of the listed genotype reported
    donor_genotype: int

    @property
    def certain(self) -> bool:
        """Every listed pair gives the same count."""
        return self.best_mismatches == self.worst_mismatches


@dataclass(frozen=True, slots=True)
class LocusMatch:
    locus: str
    mismatch_count: int
    gvh_count: int
    hvg_count: int
    direction: Direction
    antigen_mismatch_count: int
    allele_mismatch_count: int
    positions: tuple[PositionMatch, PositionMatch]
    crossed: bool  # True if patient position 1 was paired with donor position 2
    ambiguity: GenotypeAmbiguity | None = None  # set when either side is a '|' genotype list

    @property
    def confidence(self) -> MatchConfidence:
        """The locus's confidence: the worse of its two positions'."""
        return max((p.confidence for p in self.positions), key=lambda c: c.rank)

    @property
    def grade_score(self) -> int:
        """Sum of the two positions' grade ranks (0: both best)."""
        return sum(p.grade.rank for p in self.positions)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Per-locus results for the loci typed in both patient and donor."""

    loci: Mapping[Locus, LocusMatch]
    untyped_loci: tuple[Locus, ...] = field(default=())

    @property
    def mismatch_count(self) -> int:
        return sum(m.mismatch_count for m in self.loci.values())

    @property
    def match_count(self) -> int:
        """Matched positions, e.g. 9 for a 9/10 donor."""
        return 2 * len(self.loci) - self.mismatch_count


def _distinct(positions: tuple[TypedPosition, TypedPosition]) -> list[TypedPosition]:
    a, b = positions
    same = a.p_groups == b.p_groups and a.is_null == b.is_null
    return [a] if same else [a, b]


def _position_match(
    patient: LocusTyping,
    donor: LocusTyping,
    pe: tuple[TypedPosition, TypedPosition],
    de: tuple[TypedPosition, TypedPosition],
    i: int,
    j: int,
) -> PositionMatch:
    """Grade the positions as typed; count and confidence from the effective pair.

    A reported-null position keeps its null grade (expressing vs null, or a null grade against a null),
    and a mismatch at it is an antigen mismatch.
    """
    raw_p, raw_d = patient.positions[i], donor.positions[j]
    mtype = mismatch_type(pe[i], de[j], patient.locus)
    if mtype is not None and (raw_p.is_null or raw_d.is_null):
        mtype = MismatchType.ANTIGEN
    grade = _reported_grade(raw_p, raw_d, mtype is None)
    return PositionMatch(raw_p.token, raw_d.token, grade, mtype, position_confidence(pe[i], de[j]))


def _reported_grade(raw_p: TypedPosition, raw_d: TypedPosition, counted_match: bool) -> MatchGrade:
    """Grade of the positions as typed; a counted mismatch between expressed positions is a mismatch."""
    if counted_match or raw_p.is_null or raw_d.is_null:
        return grade_positions(raw_p, raw_d)
    return MatchGrade.MISMATCH


def match_locus(patient: LocusTyping, donor: LocusTyping, options: MatchOptions | None = None) -> LocusMatch:
    """Compare one locus; see the module docstring for the rules."""
    if patient.locus != donor.locus:
        raise ValueError(f"cannot match locus {patient.locus} against locus {donor.locus}")
    if patient.genotypes or donor.genotypes:
        return _match_genotype_lists(patient, donor, options)
    return _match_genotypes(patient, donor, options)


def _match_genotype_lists(patient: LocusTyping, donor: LocusTyping, options: MatchOptions | None) -> LocusMatch:
    ps, ds = patient.alternatives(), donor.alternatives()
    best: tuple[tuple[int, int, int, int], LocusMatch] | None = None
    counts: list[int] = []
    for a, p in enumerate(ps):
        for b, d in enumerate(ds):
            m = _match_genotypes(p, d, options)
            counts.append(m.mismatch_count)
            key = (m.mismatch_count, m.grade_score, a, b)
            if best is None or key < best[0]:
                best = (key, m)
    assert best is not None
    (low, _, a, b), chosen = best
    ambiguity = GenotypeAmbiguity(
        patient_genotypes=len(ps),
        donor_genotypes=len(ds),
        best_mismatches=low,
        worst_mismatches=max(counts),
        pairs_at_best=counts.count(low),
        pairs=len(counts),
        patient_genotype=a,
        donor_genotype=b,
    )
    positions = chosen.positions
    if len(ps) > 1 or len(ds) > 1:
        positions = (_at_most_potential(positions[0]), _at_most_potential(positions[1]))
    return replace(chosen, positions=positions, ambiguity=ambiguity)


def _at_most_potential(position: PositionMatch) -> PositionMatch:
    if position.confidence.rank < MatchConfidence.POTENTIAL.rank:
        return replace(position, confidence=MatchConfidence.POTENTIAL)
    return position


def _match_genotypes(patient: LocusTyping, donor: LocusTyping, options: MatchOptions | None) -> LocusMatch:
    opts = options or MatchOptions()
    pe = patient.effective()
    de = donor.effective()
    m = [[positions_match(pe[i], de[j]) for j in (0, 1)] for i in (0, 1)]
    if opts.homozygous_mismatch_counts == 1:
        p_src, d_src = _distinct(pe), _distinct(de)
    else:
        p_src, d_src = list(pe), list(de)
    # a null position carries no antigen: it cannot be a GvH (patient) or HvG (donor) target
    gvh = sum(1 for p in p_src if not p.is_null and not any(positions_match(p, d) for d in de))
    hvg = sum(1 for d in d_src if not d.is_null and not any(positions_match(p, d) for p in pe))
    count = max(gvh, hvg)

    direct = ((0, 0), (1, 1))
    cross = ((0, 1), (1, 0))
    raw_p, raw_d = patient.positions, donor.positions

    def order(pairs: tuple[tuple[int, int], tuple[int, int]]) -> tuple[int, int]:
        """Mismatched pairs, then the grade ranks of the positions as typed (a mismatch ranks last)."""
        misses = sum(0 if m[i][j] else 1 for i, j in pairs)
        return misses, sum(_reported_grade(raw_p[i], raw_d[j], m[i][j]).rank for i, j in pairs)

    crossed = order(cross) < order(direct)
    pos = tuple(_position_match(patient, donor, pe, de, i, j) for i, j in (cross if crossed else direct))
    antigen = min(sum(1 for p in pos if p.mismatch_type is MismatchType.ANTIGEN), count)
    if count == 0:
        direction = Direction.NONE
    elif gvh and hvg:
        direction = Direction.BIDIRECTIONAL
    elif gvh:
        direction = Direction.GVH_ONLY
    else:
        direction = Direction.HVG_ONLY
    return LocusMatch(
        locus=patient.locus,
        mismatch_count=count,
        gvh_count=gvh,
        hvg_count=hvg,
        direction=direction,
        antigen_mismatch_count=antigen,
        allele_mismatch_count=count - antigen,
        positions=(pos[0], pos[1]),
        crossed=crossed,
    )


def match_typings(
    patient: Mapping[str, LocusTyping],
    donor: Mapping[str, LocusTyping],
    *,
    loci: Iterable[Locus | str] = MATCH_LOCI,
    options: MatchOptions | None = None,
) -> MatchResult:
    """Match every requested locus typed in both; the others are listed in ``untyped_loci``."""
    results: dict[Locus, LocusMatch] = {}
    untyped: list[Locus] = []
    for name in loci:
        locus = parse_locus(name)
        if locus in patient and locus in donor:
            results[locus] = match_locus(patient[locus], donor[locus], options)
        else:
            untyped.append(locus)
    return MatchResult(loci=results, untyped_loci=tuple(untyped))
