"""Locus typings built from typing tokens and GL Strings, memoised per token for each nomenclature.

:class:`TypingBuilder` turns one token (any resolution :meth:`Nomenclature.expand
<engraft.hla.nomenclature.tables.Nomenclature.expand>` accepts) into a :class:`TypedPosition`, two
tokens into a :class:`LocusTyping`, and a GL String into one typing per locus. Registries repeat a
few thousand tokens millions of times, so positions are memoised per ``(token, MAC dictionary)``.

The nomenclature holds tables only; the typings built from it, and their cache, live here. One builder
per :class:`Nomenclature` is shared by the process (:func:`typing_builder`); the functions
:func:`typed_position`, :func:`locus_typing` and :func:`typings_from_gl` use it.
"""

from __future__ import annotations

import threading
import weakref

from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.gl_string import parse_gl_string
from engraft.hla.nomenclature.mac import MacDictionary, mentions_mac
from engraft.hla.nomenclature.tables import Expansion, Nomenclature

_CACHE_LIMIT = 500_000


def build_position(nom: Nomenclature, exp: Expansion) -> TypedPosition:
    """Reduce an expansion to allele, G-group and P-group code sets and an antigen profile."""
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


class TypingBuilder:
    """Typings of one nomenclature, with typed positions memoised per token."""

    def __init__(self, nomenclature: Nomenclature) -> None:
        self.nomenclature = nomenclature
        self._positions: dict[tuple[str, MacDictionary | None], TypedPosition] = {}

    def position(self, token: str, *, mac: MacDictionary | None = None) -> TypedPosition:
        """One typed position (half a locus typing) at allele, G-group and P-group level."""
        key = (token, mac if mac is not None and mentions_mac(token) else None)
        hit = self._positions.get(key)
        if hit is None:
            hit = build_position(self.nomenclature, self.nomenclature.expand(token, mac=mac))
            if len(self._positions) < _CACHE_LIMIT:
                self._positions[key] = hit
        return hit

    def locus_typing(self, first: str, second: str | None = None, *, mac: MacDictionary | None = None) -> LocusTyping:
        """Typing of one locus from two tokens (``second=None``: reported homozygous); same locus for both."""
        a = self.position(first, mac=mac)
        b = a if second is None or second == first else self.position(second, mac=mac)
        if a.locus != b.locus:
            raise HlaNomenclatureError(
                second or first,
                f"a typing of locus {a.locus} (same locus as {first!r})",
                release=self.nomenclature.release,
                detail="the two positions of a locus typing name different loci",
            )
        return LocusTyping(locus=a.locus, positions=(a, b))

    def typings_from_gl(self, text: str, *, mac: MacDictionary | None = None) -> dict[str, LocusTyping]:
        """Per-locus typings from a GL String such as ``A*01:01/01:02+A*24:02^B*07:02+B*08:01``.

        Keys are the molecular locus names of the release. Supported: ``^`` between loci, ``+`` between
        the two positions, ``/`` allele lists (any token kind inside), ``~`` phased haplotypes (split
        back into loci: phase is not used for matching). A genotype with a single haplotype is taken as
        homozygous. Genotype lists (``|``) are rejected: their alternatives are not independent per
        position, so they cannot be reduced to two position sets without losing information.
        """
        release = self.nomenclature.release
        gl = parse_gl_string(text)
        per_locus: dict[str, list[str]] = {}
        for genotype_list in gl.genotype_lists:
            if len(genotype_list.genotypes) != 1:
                raise HlaNomenclatureError(
                    str(genotype_list),
                    "one genotype per locus ('+'-joined positions); '|' genotype lists need imputation",
                    release=release,
                    detail="genotype-list ambiguity is not reducible to per-position allele sets",
                )
            genotype = genotype_list.genotypes[0]
            haplotypes = genotype.haplotypes if len(genotype.haplotypes) == 2 else genotype.haplotypes * 2
            for haplotype in haplotypes:
                for allele_list in haplotype.allele_lists:
                    token = str(allele_list)
                    locus = self.position(token, mac=mac).locus
                    per_locus.setdefault(locus, []).append(token)
        out: dict[str, LocusTyping] = {}
        for locus, tokens in per_locus.items():
            if len(tokens) != 2:
                raise HlaNomenclatureError(
                    text,
                    "two positions per locus",
                    release=release,
                    detail=f"locus {locus} appears {len(tokens)} times",
                )
            out[locus] = self.locus_typing(tokens[0], tokens[1], mac=mac)
        return out


_BUILDERS: weakref.WeakKeyDictionary[Nomenclature, TypingBuilder] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def typing_builder(nom: Nomenclature) -> TypingBuilder:
    """The process-wide builder of ``nom`` (created on first use, dropped with the nomenclature)."""
    with _LOCK:
        builder = _BUILDERS.get(nom)
        if builder is None:
            builder = _BUILDERS[nom] = TypingBuilder(nom)
    return builder


def typed_position(nom: Nomenclature, token: str, *, mac: MacDictionary | None = None) -> TypedPosition:
    """:meth:`TypingBuilder.position` of the shared builder of ``nom``."""
    return typing_builder(nom).position(token, mac=mac)


def locus_typing(
    nom: Nomenclature, first: str, second: str | None = None, *, mac: MacDictionary | None = None
) -> LocusTyping:
    """:meth:`TypingBuilder.locus_typing` of the shared builder of ``nom``."""
    return typing_builder(nom).locus_typing(first, second, mac=mac)


def typings_from_gl(nom: Nomenclature, text: str, *, mac: MacDictionary | None = None) -> dict[str, LocusTyping]:
    """:meth:`TypingBuilder.typings_from_gl` of the shared builder of ``nom``."""
    return typing_builder(nom).typings_from_gl(text, mac=mac)
