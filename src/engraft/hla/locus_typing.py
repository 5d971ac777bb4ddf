"""Typings at allele / G-group / P-group level: the unit the matcher and the donor store work with.

A :class:`TypedPosition` is one of the two positions of a locus typed at any resolution, already reduced
to integer-coded allele, G-group and P-group sets (codes index :class:`~engraft.hla.nomenclature.Nomenclature`
tables) and to an :class:`~engraft.hla.serology.AntigenProfile`. A :class:`LocusTyping` is the pair.

Null alleles (``N``) are kept in ``alleles`` but have no P group. A position whose every allele is null
is *null*; WMDA and Atlas treat a locus with one null position as homozygous for the expressing
position (``A*03:01+A*01:11N`` matches like ``A*03:01+A*03:01``), which :meth:`LocusTyping.effective`
implements. Nulls inside an ambiguous position (a MAC containing a null) are ignored for P-group
matching, as in Atlas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engraft.hla.errors import HlaNomenclatureError
from engraft.hla.serology import AntigenProfile

if TYPE_CHECKING:
    from engraft.hla.mac import MacDictionary
    from engraft.hla.nomenclature import Expansion, Nomenclature, Resolution


@dataclass(frozen=True, slots=True)
class TypedPosition:
    """One position of a locus typing, reduced to code sets."""

    token: str
    locus: str
    resolution: Resolution
    alleles: frozenset[int]
    g_groups: frozenset[int]
    p_groups: frozenset[int]  # expressed alleles only
    antigens: AntigenProfile
    serology: str | None = None  # antigen key when typed serologically

    @property
    def is_null(self) -> bool:
        """All alleles non-expressed: the position contributes no protein."""
        return not self.p_groups

    @property
    def is_single_allele(self) -> bool:
        return len(self.alleles) == 1

    @property
    def is_serology(self) -> bool:
        return self.serology is not None


@dataclass(frozen=True, slots=True)
class LocusTyping:
    """The two positions of one locus."""

    locus: str
    positions: tuple[TypedPosition, TypedPosition]

    @property
    def is_homozygous(self) -> bool:
        """Same P groups at both positions (or one position null: only one expressed product)."""
        a, b = self.positions
        return a.p_groups == b.p_groups or a.is_null != b.is_null

    def effective(self) -> tuple[TypedPosition, TypedPosition]:
        """Positions used for matching: a single null position is replaced by the expressing one."""
        a, b = self.positions
        if a.is_null and not b.is_null:
            return (b, b)
        if b.is_null and not a.is_null:
            return (a, a)
        return (a, b)

    def p_groups(self) -> frozenset[int]:
        """Union of P groups over both positions (for set-based candidate retrieval)."""
        return self.positions[0].p_groups | self.positions[1].p_groups

    def g_groups(self) -> frozenset[int]:
        return self.positions[0].g_groups | self.positions[1].g_groups


def build_position(nom: Nomenclature, exp: Expansion) -> TypedPosition:
    codes = exp.alleles
    g = frozenset(int(nom.g_group_of[c]) for c in codes)
    p = frozenset(int(nom.p_group_of[c]) for c in codes if nom.p_group_of[c] >= 0)
    if exp.serology is not None:
        antigens = nom.serology.profile((exp.serology,))
    else:
        antigens = nom.antigen_profile(list(codes))
    return TypedPosition(
        token=exp.token,
        locus=exp.locus,
        resolution=exp.resolution,
        alleles=frozenset(codes),
        g_groups=g,
        p_groups=p,
        antigens=antigens,
        serology=exp.serology,
    )


def type_locus(
    nom: Nomenclature, first: str, second: str | None = None, *, mac: MacDictionary | None = None
) -> LocusTyping:
    """Build a :class:`LocusTyping`; both tokens must name the same locus."""
    a = nom.position(first, mac=mac)
    b = a if second is None or second == first else nom.position(second, mac=mac)
    if a.locus != b.locus:
        raise HlaNomenclatureError(
            second or first,
            f"a typing of locus {a.locus} (same locus as {first!r})",
            release=nom.release,
            detail="the two positions of a locus typing name different loci",
        )
    return LocusTyping(locus=a.locus, positions=(a, b))


def typings_from_gl_string(nom: Nomenclature, text: str, *, mac: MacDictionary | None = None) -> dict[str, LocusTyping]:
    """Per-locus typings from a GL String such as ``A*01:01/01:02+A*24:02^B*07:02+B*08:01``.

    Supported: ``^`` between loci, ``+`` between the two positions, ``/`` allele lists (any token kind
    inside), ``~`` phased haplotypes (split back into loci: phase is not used for matching). A genotype
    with a single haplotype is taken as homozygous. Genotype lists (``|``) are rejected: their
    alternatives are not independent per position, so they cannot be reduced to two position sets
    without losing information.
    """
    from engraft.hla.gl_string import parse_gl_string

    gl = parse_gl_string(text)
    per_locus: dict[str, list[str]] = {}
    for genotype_list in gl.genotype_lists:
        if len(genotype_list.genotypes) != 1:
            raise HlaNomenclatureError(
                str(genotype_list),
                "one genotype per locus ('+'-joined positions); '|' genotype lists need imputation",
                release=nom.release,
                detail="genotype-list ambiguity is not reducible to per-position allele sets",
            )
        genotype = genotype_list.genotypes[0]
        haplotypes = genotype.haplotypes if len(genotype.haplotypes) == 2 else genotype.haplotypes * 2
        for haplotype in haplotypes:
            for allele_list in haplotype.allele_lists:
                token = str(allele_list)
                locus = nom.position(token, mac=mac).locus
                per_locus.setdefault(locus, []).append(token)
    out: dict[str, LocusTyping] = {}
    for locus, tokens in per_locus.items():
        if len(tokens) != 2:
            raise HlaNomenclatureError(
                text,
                "two positions per locus",
                release=nom.release,
                detail=f"locus {locus} appears {len(tokens)} times",
            )
        out[locus] = type_locus(nom, tokens[0], tokens[1], mac=mac)
    return out
