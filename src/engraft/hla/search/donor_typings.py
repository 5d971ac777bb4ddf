"""Donor typings on import: allele names the release does not know, and GL Strings split by locus as written.

An allele name the release does not know (a newer allele, a deleted one without successor, a typo in
the fields) does not cost the donor: :class:`UnknownAlleles` replaces the position by the locus's
``NEW`` placeholder (``A*NEW``: a mismatch against every named allele, WMDA's rule for ``NEW``; inside
an allele list, ``A*01:01/A*01:999`` -> ``A*01:01/A*NEW``, the other items keep the position
searchable) and notes a :class:`FlaggedAllele`. Anything else a release refuses (malformed token, other
locus, unknown MAC code or antigen) is left for the batch validation to reject and report.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from engraft.hla.matching.typing_builder import TypingBuilder
from engraft.hla.nomenclature.allele_name import try_parse_allele_name
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.gl_string import parse_gl_string
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import NEW_FIELD
from engraft.vocabulary.hla import STORED_LOCI, Locus, parse_locus


@dataclass(frozen=True, slots=True)
class FlaggedAllele:
    """An allele name the release does not know, stored as the locus's ``NEW`` placeholder (donor kept)."""

    donor_id: int
    locus: Locus
    token: str  # as written in the file
    stored_as: str  # the position as stored, e.g. "A*NEW" or "A*01:01/A*NEW"
    reason: str


@dataclass(frozen=True, slots=True)
class MissingLocus:
    """A donor not stored because a required locus (A, B, DRB1) is untyped."""

    donor_id: int
    loci: tuple[Locus, ...]


class UnknownAlleles:
    """Replaces allele names the release does not know by the locus's ``NEW`` placeholder (memoised per token)."""

    def __init__(self, builder: TypingBuilder, mac: MacDictionary | None) -> None:
        self.builder = builder
        self.mac = mac
        self._seen: dict[tuple[Locus, str], tuple[str, str] | None] = {}

    def flag(
        self, donor_id: int, hla: dict[Locus, tuple[str | None, str | None]] | None, out: list[FlaggedAllele]
    ) -> None:
        """Replace unknown allele names in ``hla`` (in place), noting each in ``out``."""
        if not hla:
            return
        for locus in [locus for locus in STORED_LOCI if locus in hla]:  # one order, whatever the file's
            pair = hla[locus]
            if not any(pair):
                continue
            new_pair = list(pair)
            for k, token in enumerate(pair):
                if not token:
                    continue
                hit = self._replacement(locus, token)
                if hit is not None:
                    new_pair[k] = hit[0]
                    out.append(FlaggedAllele(donor_id, locus, token, hit[0], hit[1]))
            hla[locus] = (new_pair[0], new_pair[1])

    def replacement(self, locus: Locus, token: str) -> tuple[str, str] | None:
        """``(stored token, reason)`` when ``token`` holds allele names the release does not know, else ``None``."""
        return self._replacement(locus, token)

    def _replacement(self, locus: Locus, token: str) -> tuple[str, str] | None:
        key = (locus, token)
        if key not in self._seen:
            self._seen[key] = self._compute(locus, token)
        return self._seen[key]

    def _compute(self, locus: Locus, token: str) -> tuple[str, str] | None:
        """``(stored token, reason)`` when ``token`` holds allele names unknown to the release, else ``None``.

        Only whole allele names of ``locus`` are replaced (also as fully written items of an allele
        list): anything else that fails (malformed, other locus, MAC, antigen) stays for the batch
        validation to reject.
        """
        try:
            self.builder.position(token, mac=self.mac)
            return None
        except HlaNomenclatureError:
            pass
        items = token.split("/")
        placeholder = f"{locus}*{NEW_FIELD}"
        kept: list[str] = []
        reasons: list[str] = []
        for item in items:
            name = try_parse_allele_name(item)
            if name is None or name.locus != locus:
                return None
            try:
                self.builder.position(item, mac=self.mac)
                kept.append(item)
            except HlaNomenclatureError as exc:
                reasons.append(exc.detail or str(exc))
                if placeholder not in kept:
                    kept.append(placeholder)
        if not reasons:
            return None  # each item is valid on its own: the list fails for another reason
        return "/".join(kept), "; ".join(reasons)


def gl_pairs(gl: str) -> dict[Locus, tuple[str | None, str | None]] | None:
    """Stored loci of a GL String by the locus each token names, unchecked; ``None`` if that is not clear.

    Used when the release refuses a token, so that an unknown allele name is flagged (and the donor
    kept) while every other problem is still reported by the batch validation with its locus.
    """
    try:
        parsed = parse_gl_string(gl)
    except HlaNomenclatureError:
        return None
    out: dict[Locus, tuple[str | None, str | None]] = {}
    for genotype_list in parsed.genotype_lists:
        if len(genotype_list.genotypes) != 1:
            return None
        haplotypes = genotype_list.genotypes[0].haplotypes
        per_locus: dict[str, list[str]] = {}
        for haplotype in haplotypes if len(haplotypes) == 2 else haplotypes * 2:
            for allele_list in haplotype.allele_lists:
                allele = try_parse_allele_name(allele_list.alleles[0])
                if allele is None:
                    return None
                per_locus.setdefault(allele.locus, []).append(str(allele_list))
        for name, tokens in per_locus.items():
            locus = stored_locus(name)
            if len(tokens) != 2 or (locus is not None and locus in out):
                return None
            if locus is not None:
                out[locus] = (tokens[0], tokens[1])
    return out


@functools.lru_cache(maxsize=256)
def stored_locus(name: str) -> Locus | None:
    """The stored :class:`Locus` named ``name`` (every locus in ``STORED_LOCI``), ``None`` for any other name."""
    try:
        locus = parse_locus(name)
    except ValueError:
        return None
    return locus if locus in STORED_LOCI else None
