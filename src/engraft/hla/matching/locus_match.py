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
  (Atlas issue #1002: a user preference, not a rule).

The count equals ``max(gvh_count, hvg_count)``, lies in 0..2 and is symmetric under swapping patient
and donor (which also swaps GvH and HvG); the property tests check these invariants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from engraft.hla.matching.grades import MatchGrade, MismatchType, grade_positions, mismatch_type, positions_match
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

    @property
    def is_match(self) -> bool:
        return self.mismatch_type is None


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
    """Grade the effective pair; a mismatch at a reported-null position is graded expressing-vs-null."""
    grade = grade_positions(pe[i], de[j])
    mtype = mismatch_type(pe[i], de[j], patient.locus)
    if mtype is not None and (patient.positions[i].is_null or donor.positions[j].is_null):
        grade = MatchGrade.EXPRESSING_VS_NULL
        mtype = MismatchType.ANTIGEN
    return PositionMatch(patient.positions[i].token, donor.positions[j].token, grade, mtype)


def match_locus(patient: LocusTyping, donor: LocusTyping, options: MatchOptions | None = None) -> LocusMatch:
    """Compare one locus; see the module docstring for the rules."""
    opts = options or MatchOptions()
    if patient.locus != donor.locus:
        raise ValueError(f"cannot match locus {patient.locus} against locus {donor.locus}")
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

    def grades(pairs: tuple[tuple[int, int], tuple[int, int]]) -> tuple[int, int]:
        misses = sum(0 if m[i][j] else 1 for i, j in pairs)
        return misses, sum(grade_positions(pe[i], de[j]).rank for i, j in pairs)

    direct = ((0, 0), (1, 1))
    cross = ((0, 1), (1, 0))
    crossed = grades(cross) < grades(direct)
    chosen = cross if crossed else direct
    pos = tuple(_position_match(patient, donor, pe, de, i, j) for i, j in chosen)
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
