"""A donor's GL String read into the token pairs a donor store keeps, one rule for every import path.

:func:`read_gl` is the rule (the per-record import applies it to each donor): the GL String's typings
by :meth:`TypingBuilder.typings_from_gl`, each stored locus kept as :meth:`LocusTyping.stored_pair`
(a ``|`` genotype list whole); when the release refuses a token, the tokens by the locus each names as
written (:func:`gl_pairs`), so that an allele name the release does not know is flagged on import and
the donor kept; when even that is not clear, the token and the reason the donor is rejected with.

:class:`GlReader` gives the same answer for a million donors: a registry file holds a few thousand
distinct locus blocks (the ``^``-separated parts) but nearly one distinct GL String per donor, so each
block is parsed and its tokens placed once, each pair of tokens typed once, and a whole GL String is
assembled from them as :meth:`TypingBuilder.typings_from_gl` assembles it. Whatever that assembly
would refuse (a block the parser or the release refuses, a locus not written exactly twice, a locus in
two blocks) goes to :func:`read_gl` whole, so every refusal and fallback is the rule's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.gl_string import parse_gl_string
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_typings import gl_pairs, stored_locus
from engraft.vocabulary.hla import Locus

Pairs = dict[Locus, tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class GlReading:
    """A donor's GL String as stored token pairs per locus, or the token and reason it is refused for."""

    pairs: Pairs | None
    token: str = ""
    reason: str = ""


def read_gl(nom: Nomenclature, text: str, mac: MacDictionary | None = None) -> GlReading:
    """The stored pairs of the GL String ``text`` (module docstring), or why the donor is rejected."""
    try:
        typings = typing_builder(nom).typings_from_gl(text, mac=mac)
    except HlaNomenclatureError as exc:
        pairs = gl_pairs(text)  # tokens by locus as written: unknown alleles are flagged on import
        if pairs is None:
            return GlReading(None, exc.token, exc.detail or str(exc))
        return GlReading(pairs)
    out: Pairs = {}
    for name, typing in typings.items():
        if (locus := stored_locus(name)) is not None:
            out[locus] = typing.stored_pair()  # a '|' genotype list is kept whole
    return GlReading(out)


# a block's tokens with the molecular locus each names, or its one '|' genotype list; None: refused
_Block = tuple[tuple[tuple[str, str], ...], LocusTyping | None] | None


class GlReader:
    """:func:`read_gl` for many donors, each locus block and token pair worked out once (module docstring)."""

    def __init__(self, nom: Nomenclature, mac: MacDictionary | None = None) -> None:
        self.nom = nom
        self.mac = mac
        self.builder = typing_builder(nom)
        self._blocks: dict[str, _Block] = {}
        self._typings: dict[tuple[str, str], LocusTyping | None] = {}

    def read(self, text: str) -> GlReading:
        """What :func:`read_gl` answers for ``text``."""
        pairs = self._assembled(text)
        return GlReading(pairs) if pairs is not None else read_gl(self.nom, text, self.mac)

    def _assembled(self, text: str) -> Pairs | None:
        """The stored pairs assembled from cached blocks, ``None`` when the whole String must be read."""
        per_locus: dict[str, list[str]] = {}
        lists: list[LocusTyping] = []
        for part in text.split("^"):
            if part not in self._blocks:
                self._blocks[part] = self._block(part)
            block = self._blocks[part]
            if block is None:
                return None
            tokens, genotype_list = block
            for name, token in tokens:
                per_locus.setdefault(name, []).append(token)
            if genotype_list is not None:
                lists.append(genotype_list)
        out: Pairs = {}
        for name, written in per_locus.items():
            if len(written) != 2:
                return None
            typing = self._typing(written[0], written[1])
            if typing is None:
                return None
            if (locus := stored_locus(name)) is not None:
                out[locus] = typing.stored_pair()
        names = set(per_locus)
        for typing in lists:
            if typing.locus in names:
                return None
            names.add(typing.locus)
            if (locus := stored_locus(typing.locus)) is not None:
                out[locus] = typing.stored_pair()
        return out

    def _block(self, part: str) -> _Block:
        """One ``^``-part as :meth:`TypingBuilder.typings_from_gl` reads it, ``None`` on any refusal."""
        try:
            parsed = parse_gl_string(part)
            if len(parsed.genotype_lists) != 1:
                return None
            genotype_list = parsed.genotype_lists[0]
            if len(genotype_list.genotypes) != 1:  # read as the store's validation reads it again (cached)
                return ((), self.builder.locus_typing(part, mac=self.mac))
            haplotypes = genotype_list.genotypes[0].haplotypes
            tokens = []
            for haplotype in haplotypes if len(haplotypes) == 2 else haplotypes * 2:
                for allele_list in haplotype.allele_lists:
                    token = str(allele_list)
                    tokens.append((self.builder.position(token, mac=self.mac).locus, token))
            return (tuple(tokens), None)
        except HlaNomenclatureError:
            return None

    def _typing(self, first: str, second: str) -> LocusTyping | None:
        key = (first, second)
        if key not in self._typings:
            try:
                self._typings[key] = self.builder.locus_typing(first, second, mac=self.mac)
            except HlaNomenclatureError:
                self._typings[key] = None
        return self._typings[key]
