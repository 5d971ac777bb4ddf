"""Typings made from a haplotype frequency set's haplotypes at a chosen resolution (tests of match prediction)."""

from __future__ import annotations

from collections.abc import Sequence

from engraft.hla import LocusTyping, Nomenclature, locus_typing
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.vocabulary.hla import MATCH_LOCI


def token_at(nom: Nomenclature, token: str, res: str) -> str:
    """``token`` (a haplotype set's G group) as typed at resolution ``res``: G, 2field, serology, else first field
    with XX."""
    if res == "G":
        return token
    allele = next(c for c in nom.expand(token).alleles if not nom.is_null[c])
    if res == "2field":
        return nom.two_field_names[int(nom.two_field_of[allele])]
    if res == "serology" and int(nom.serology_of[allele]) >= 0:
        ser = nom.serology_names[int(nom.serology_of[allele])]
        if nom.is_valid(ser):
            return ser
    return f"{nom.allele_names[allele].split(':')[0]}:XX"


def typing_at(
    nom: Nomenclature, hf: HaplotypeFrequencySet, h1: int, h2: int, res: Sequence[str]
) -> dict[str, LocusTyping]:
    """The typing of a person with haplotypes ``h1`` and ``h2`` of ``hf``, each match locus at its resolution in
    ``res`` (``untyped``: left out)."""
    out: dict[str, LocusTyping] = {}
    for j, (locus, r) in enumerate(zip(MATCH_LOCI, res, strict=True)):
        if r != "untyped":
            out[locus] = locus_typing(nom, token_at(nom, hf.tokens[h1][j], r), token_at(nom, hf.tokens[h2][j], r))
    return out
