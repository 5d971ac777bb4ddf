"""Typings at allele / G-group / P-group level: the unit the matcher and the donor store work with.

A :class:`TypedPosition` is one of the two positions of a locus typed at any resolution, already reduced
to integer-coded allele, G-group and P-group sets (codes index
:class:`~engraft.hla.nomenclature.tables.Nomenclature` tables) and to an
:class:`~engraft.hla.nomenclature.serology.AntigenProfile`. A :class:`LocusTyping` is the pair. They are
built (and memoised per token) by :mod:`engraft.hla.matching.typing_builder`.

Null alleles (``N``) are kept in ``alleles`` but have no P group. A position whose every allele is null
is *null*; WMDA and Atlas treat a locus with one null position as homozygous for the expressing
position (``A*03:01+A*01:11N`` matches like ``A*03:01+A*03:01``), which :meth:`LocusTyping.effective`
implements. Nulls inside an ambiguous position (a MAC containing a null) are ignored for P-group
matching, as in Atlas. A ``NEW`` placeholder (an allele not yet named) keeps its own G and P group,
recorded in ``new_g_groups``/``new_p_groups`` so that the matcher never takes them for an identity: a
``NEW`` allele is a mismatch against anything, ``NEW`` included (:mod:`engraft.hla.matching.grades`).
A null allele stays null whatever its G group holds: ``A*03:129N`` lies in ``A*03:01:01G`` with
expressed alleles, but its position is built from the allele itself (no P group).

Sequence keys (from ``Allele_status.txt``, for the gDNA/cDNA/protein grades of
:mod:`engraft.hla.matching.grades`) are set for single-allele positions only (the grades need one allele
on each side); a genotype list's union positions carry the union of its alternatives' keys.

A ``|`` genotype list (GL String) at one locus is a :class:`LocusTyping` whose ``genotypes`` hold the
listed alternatives; its ``positions`` are then the per-position unions of the alternatives (for the
set-based filter and for display only: matching takes the alternatives one by one).
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.hla.nomenclature.serology import AntigenProfile
from engraft.hla.nomenclature.tables import Resolution


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
    full_gdna: frozenset[int] = frozenset()  # relevant alleles with a full genomic sequence
    full_sequence: frozenset[int] = frozenset()  # relevant alleles with a full (gDNA or cDNA) sequence
    cdna_keys: frozenset[str] = frozenset()  # 3-field names of the relevant full-sequence alleles
    protein_keys: frozenset[str] = frozenset()  # 2-field names (no suffix) of the relevant full-sequence alleles
    new_g_groups: frozenset[int] = frozenset()  # G groups of the ``NEW`` placeholders the position holds
    new_p_groups: frozenset[int] = frozenset()  # their P groups (a subset of ``p_groups``)

    @property
    def is_null(self) -> bool:
        """All alleles non-expressed: the position contributes no protein."""
        return not self.p_groups

    @property
    def has_new(self) -> bool:
        """Holds a ``NEW`` placeholder (an allele not yet named): it matches nothing (WMDA)."""
        return bool(self.new_p_groups)

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
    genotypes: tuple[LocusTyping, ...] = ()  # the alternatives of a '|' genotype list (empty otherwise)
    gl: str | None = None  # the locus's GL String when it is a genotype list

    @property
    def is_genotype_list(self) -> bool:
        return len(self.genotypes) > 1

    def alternatives(self) -> tuple[LocusTyping, ...]:
        """The genotypes this typing may be: the listed ones, or itself."""
        return self.genotypes if self.genotypes else (self,)

    def stored_pair(self) -> tuple[str, str]:
        """The pair of tokens a donor store keeps: a genotype list is kept whole as its GL String."""
        if self.gl is not None:
            return (self.gl, self.gl)
        return (self.positions[0].token, self.positions[1].token)

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
