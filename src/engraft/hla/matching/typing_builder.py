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
from engraft.hla.nomenclature.allele_name import parse_allele_name
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.gl_string import Genotype, GenotypeList, parse_gl_string
from engraft.hla.nomenclature.mac import MacDictionary, mentions_mac
from engraft.hla.nomenclature.serology import AntigenProfile
from engraft.hla.nomenclature.tables import Expansion, Nomenclature, Resolution

_CACHE_LIMIT = 500_000


def _sequence_keys(
    nom: Nomenclature, codes: tuple[int, ...], null: bool
) -> tuple[frozenset[int], frozenset[int], frozenset[str], frozenset[str]]:
    """Full-gDNA and full-sequence alleles and their 3-/2-field keys, for a single-allele position.

    Relevant: the expressed alleles of an expressed position, every allele of a null one (so a null
    allele inside an ambiguous typing never lends it a grade). Ambiguous positions get empty keys.
    """
    if len(codes) != 1:  # sequence grades need one allele on each side (grades.py): nothing to key
        return frozenset(), frozenset(), frozenset(), frozenset()
    relevant = [c for c in codes if bool(nom.is_null[c]) == null]
    full = [c for c in relevant if nom.sequence_full[c]]
    gdna = frozenset(c for c in full if nom.sequence_gdna[c])
    names = [parse_allele_name(nom.allele_names[c]) for c in full]
    cdna = frozenset(n.truncate(3).name for n in names)
    protein = frozenset(f"{n.locus}*{':'.join(n.fields[:2])}" for n in names)
    return gdna, frozenset(full), cdna, protein


def build_position(nom: Nomenclature, exp: Expansion) -> TypedPosition:
    """Reduce an expansion to allele, G-group and P-group code sets, sequence keys and an antigen profile.

    A position is null when every allele it stands for is null (``A*03:129N``), whatever the other
    members of that allele's G group (``A*03:01:01G``): P groups come from the alleles themselves.
    """
    codes = exp.alleles
    g = frozenset(int(nom.g_group_of[c]) for c in codes)
    p = frozenset(int(nom.p_group_of[c]) for c in codes if nom.p_group_of[c] >= 0)
    new = [c for c in codes if nom.is_new(c)]
    if exp.serology is not None:
        antigens = nom.serology.profile((exp.serology,))
        gdna: frozenset[int] = frozenset()
        full: frozenset[int] = frozenset()
        cdna: frozenset[str] = frozenset()
        protein: frozenset[str] = frozenset()
    else:
        antigens = nom.antigen_profile(list(codes))
        gdna, full, cdna, protein = _sequence_keys(nom, codes, null=not p)
    return TypedPosition(
        token=exp.token,
        locus=exp.locus,
        resolution=exp.resolution,
        alleles=frozenset(codes),
        g_groups=g,
        p_groups=p,
        antigens=antigens,
        serology=exp.serology,
        full_gdna=gdna,
        full_sequence=full,
        cdna_keys=cdna,
        protein_keys=protein,
        new_g_groups=frozenset(int(nom.g_group_of[c]) for c in new),
        new_p_groups=frozenset(int(nom.p_group_of[c]) for c in new),
    )


def union_position(positions: list[TypedPosition], token: str) -> TypedPosition:
    """One position standing for any of ``positions`` (a genotype list's alternatives at that position).

    Used to filter and to display; matching takes the alternatives one by one. A union of null and
    expressed positions is expressed (its P groups are the expressed ones).
    """
    first = positions[0]
    sero = {p.serology for p in positions}
    return TypedPosition(
        token=token,
        locus=first.locus,
        resolution=first.resolution if len({p.resolution for p in positions}) == 1 else Resolution.ALLELE_STRING,
        alleles=frozenset().union(*(p.alleles for p in positions)),
        g_groups=frozenset().union(*(p.g_groups for p in positions)),
        p_groups=frozenset().union(*(p.p_groups for p in positions)),
        antigens=first.antigens if len(positions) == 1 else _merged_profile(positions),
        serology=first.serology if len(sero) == 1 else None,
        full_gdna=frozenset().union(*(p.full_gdna for p in positions)),
        full_sequence=frozenset().union(*(p.full_sequence for p in positions)),
        cdna_keys=frozenset().union(*(p.cdna_keys for p in positions)),
        protein_keys=frozenset().union(*(p.protein_keys for p in positions)),
        new_g_groups=frozenset().union(*(p.new_g_groups for p in positions)),
        new_p_groups=frozenset().union(*(p.new_p_groups for p in positions)),
    )


def _merged_profile(positions: list[TypedPosition]) -> AntigenProfile:
    return AntigenProfile(
        exact=frozenset().union(*(p.antigens.exact for p in positions)),
        split_level=frozenset().union(*(p.antigens.split_level for p in positions)),
        broad_level=frozenset().union(*(p.antigens.broad_level for p in positions)),
        broads=frozenset().union(*(p.antigens.broads for p in positions)),
        associated=frozenset().union(*(p.antigens.associated for p in positions)),
    )


class TypingBuilder:
    """Typings of one nomenclature, with typed positions memoised per token."""

    def __init__(self, nomenclature: Nomenclature) -> None:
        self.nomenclature = nomenclature
        self._positions: dict[tuple[str, MacDictionary | None], TypedPosition] = {}
        # a locus typed as a GL String (a donor store's '|' genotype lists), read once per text
        self._locus_gls: dict[tuple[str, MacDictionary | None], LocusTyping] = {}

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
        """Typing of one locus from two tokens (``second=None``: reported homozygous); same locus for both.

        ``first`` may also be one locus's GL String with ``+`` or a ``|`` genotype list (as a donor store
        keeps it, :meth:`LocusTyping.stored_pair`); ``second`` is then ``None`` or the same text.
        """
        if is_locus_gl(first):
            return self._locus_gl(first, second, mac)
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

    def _locus_gl(self, text: str, second: str | None, mac: MacDictionary | None) -> LocusTyping:
        release = self.nomenclature.release
        if second not in (None, "", text):
            raise HlaNomenclatureError(
                second or "",
                f"nothing beside the locus GL String {text!r}",
                release=release,
                detail="a locus typed as a GL String holds both positions",
            )
        key = (text, mac if mac is not None and mentions_mac(text) else None)
        hit = self._locus_gls.get(key)
        if hit is not None:
            return hit
        typings = self.typings_from_gl(text, mac=mac)
        if len(typings) != 1:
            raise HlaNomenclatureError(
                text, "the GL String of one locus", release=release, detail=f"it names loci {', '.join(typings)}"
            )
        hit = next(iter(typings.values()))
        if len(self._locus_gls) < _CACHE_LIMIT:
            self._locus_gls[key] = hit
        return hit

    def _genotype(self, genotype: Genotype, mac: MacDictionary | None) -> LocusTyping:
        """One genotype of a single locus (``A*01:01+A*02:01``; one haplotype -> homozygous)."""
        tokens: list[str] = []
        for haplotype in genotype.haplotypes:
            if len(haplotype.allele_lists) != 1:
                raise HlaNomenclatureError(
                    str(genotype),
                    "one genotype list per locus ('^' between loci)",
                    release=self.nomenclature.release,
                    detail="a '|' genotype list whose genotypes span several loci ('~') is not supported",
                )
            tokens.append(str(haplotype.allele_lists[0]))
        return self.locus_typing(tokens[0], tokens[1] if len(tokens) == 2 else None, mac=mac)

    def genotype_list(self, genotype_list: GenotypeList, *, mac: MacDictionary | None = None) -> LocusTyping:
        """A ``|`` genotype list of one locus: its distinct genotypes as alternatives (one -> that genotype)."""
        alternatives: dict[tuple[str, str], LocusTyping] = {}
        for genotype in genotype_list.genotypes:
            typing = self._genotype(genotype, mac)
            key = tuple(sorted(p.token for p in typing.positions))
            alternatives.setdefault((key[0], key[1]), typing)
        alts = list(alternatives.values())
        loci = {t.locus for t in alts}
        if len(loci) != 1:
            raise HlaNomenclatureError(
                str(genotype_list),
                "genotypes of one locus between '|'",
                release=self.nomenclature.release,
                detail=f"the genotype list names loci {', '.join(sorted(loci))}",
            )
        if len(alts) == 1:
            return alts[0]
        positions = tuple(
            union_position([t.positions[k] for t in alts], "/".join(dict.fromkeys(t.positions[k].token for t in alts)))
            for k in (0, 1)
        )
        return LocusTyping(alts[0].locus, (positions[0], positions[1]), genotypes=tuple(alts), gl=str(genotype_list))

    def typings_from_gl(self, text: str, *, mac: MacDictionary | None = None) -> dict[str, LocusTyping]:
        """Per-locus typings from a GL String such as ``A*01:01/01:02+A*24:02^B*07:02+B*08:01``.

        Keys are the molecular locus names of the release. Supported: ``^`` between loci, ``+`` between
        the two positions, ``/`` allele lists (any token kind inside), ``~`` phased haplotypes (split
        back into loci: phase is not used for matching), and ``|`` genotype lists of one locus, kept as
        alternatives (:meth:`genotype_list`; matching takes the best and reports the ambiguity). A
        genotype with a single haplotype is taken as homozygous.
        """
        release = self.nomenclature.release
        gl = parse_gl_string(text)
        per_locus: dict[str, list[str]] = {}
        lists: list[LocusTyping] = []
        for genotype_list in gl.genotype_lists:
            if len(genotype_list.genotypes) != 1:
                lists.append(self.genotype_list(genotype_list, mac=mac))
                continue
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
        for typing in lists:
            if typing.locus in out:
                raise HlaNomenclatureError(
                    text, "each locus once", release=release, detail=f"locus {typing.locus} appears more than once"
                )
            out[typing.locus] = typing
        return out


def is_locus_gl(token: str) -> bool:
    """A locus typed as a GL String (``+`` or ``|`` inside) rather than one position's token."""
    return "+" in token or "|" in token


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
