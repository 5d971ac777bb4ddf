"""GL String: the Genotype List String grammar (Milius et al. 2013, Hum Immunol 74:1313; gl.nmdp.org).

Operators, from loosest to tightest binding:

* ``^`` separates loci (multilocus unphased genotype),
* ``|`` separates alternative genotypes (genotype list),
* ``+`` separates the two chromosomes of a genotype,
* ``~`` joins alleles of different loci in cis (haplotype),
* ``/`` separates alternative alleles (allele list).

:func:`parse_gl_string` builds the typed tree below and :meth:`GlString.__str__` writes it back, so
``str(parse_gl_string(s)) == s`` for every valid ``s``. Tokens are checked for syntax only (allele,
2/3-field, XX, MAC, G or P group, with optional ``HLA-`` prefix); checking them against a release is
:meth:`engraft.hla.nomenclature.tables.Nomenclature.expand`'s job.

Two token kinds that old registry records and WMDA messages carry are accepted beside allele names,
although the GL String specification has no place for them: a serological antigen (``A2``, ``Cw3``,
``DR15``: typings made before DNA typing, expanded through ``rel_dna_ser``) and the ``NEW`` placeholder
of an allele not yet named (``A*NEW`` or ``A*01:NEW``; WMDA nomenclature guideline, Bochtler 2013).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engraft.hla.nomenclature.errors import HlaNomenclatureError

_TOKEN_RE = re.compile(
    r"^(?:HLA-)?(?:"
    r"[A-Z][A-Z0-9]*\*\d{2,4}(?::(?:\d{2,4}|[A-Z]{2,})){0,3}[NLSCAQGP]?"  # allele, group, XX, MAC, A*01:NEW
    r"|[A-Z][A-Z0-9]*\*NEW"  # an allele not yet named
    r"|(?:A|B|Cw|C|DR|DQ|DPw|DP)\d{1,4}"  # serological antigen
    r")$"
)
_ALLOWED_RE = re.compile(r"^[A-Za-z0-9*:\-/~+|^]+$")

EXPECTED_TOKEN = "an allele token such as 'HLA-A*01:01', 'A*01:01:01G', 'A*01:AB', 'A*NEW' or an antigen such as 'A2'"
EXPECTED_GL = (
    "a GL String of allele names joined by '/', '~', '+', '|' and '^', e.g. 'HLA-A*01:01/HLA-A*01:02+HLA-A*24:02'"
)


@dataclass(frozen=True, slots=True)
class AlleleList:
    """Alternative alleles (``/``)."""

    alleles: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join(self.alleles)


@dataclass(frozen=True, slots=True)
class Haplotype:
    """Alleles in cis at different loci (``~``); a single allele list when no ``~`` is used."""

    allele_lists: tuple[AlleleList, ...]

    def __str__(self) -> str:
        return "~".join(str(a) for a in self.allele_lists)


@dataclass(frozen=True, slots=True)
class Genotype:
    """The two chromosomes (``+``); a single haplotype when only one is reported."""

    haplotypes: tuple[Haplotype, ...]

    def __str__(self) -> str:
        return "+".join(str(h) for h in self.haplotypes)


@dataclass(frozen=True, slots=True)
class GenotypeList:
    """Alternative genotypes (``|``)."""

    genotypes: tuple[Genotype, ...]

    def __str__(self) -> str:
        return "|".join(str(g) for g in self.genotypes)


@dataclass(frozen=True, slots=True)
class GlString:
    """A multilocus unphased genotype (``^``): one genotype list per locus (or locus block)."""

    genotype_lists: tuple[GenotypeList, ...]

    def __str__(self) -> str:
        return "^".join(str(g) for g in self.genotype_lists)

    def alleles(self) -> tuple[str, ...]:
        """Every allele token in order of appearance."""
        return tuple(
            allele
            for gl in self.genotype_lists
            for g in gl.genotypes
            for h in g.haplotypes
            for al in h.allele_lists
            for allele in al.alleles
        )


def _parts(text: str, sep: str, whole: str, offset: int) -> list[tuple[str, int]]:
    out = []
    pos = offset
    for piece in text.split(sep):
        if not piece:
            raise HlaNomenclatureError(whole, EXPECTED_GL, detail=f"empty operand around {sep!r} at character {pos}")
        out.append((piece, pos))
        pos += len(piece) + 1
    return out


def parse_gl_string(text: str) -> GlString:
    """Parse ``text`` or raise :class:`HlaNomenclatureError` naming the offending token."""
    if not text:
        raise HlaNomenclatureError(text, EXPECTED_GL, detail="empty GL String")
    if not _ALLOWED_RE.match(text):
        bad = next(ch for ch in text if not re.match(r"[A-Za-z0-9*:\-/~+|^]", ch))
        raise HlaNomenclatureError(text, EXPECTED_GL, detail=f"illegal character {bad!r}")
    lists = []
    for locus_text, p0 in _parts(text, "^", text, 0):
        genotypes = []
        for gt_text, p1 in _parts(locus_text, "|", text, p0):
            haplotypes = []
            for hap_text, p2 in _parts(gt_text, "+", text, p1):
                allele_lists = []
                for al_text, p3 in _parts(hap_text, "~", text, p2):
                    alleles = []
                    for token, p4 in _parts(al_text, "/", text, p3):
                        if not _TOKEN_RE.match(token):
                            raise HlaNomenclatureError(
                                token,
                                EXPECTED_TOKEN,
                                detail=f"malformed token at character {p4} of GL String {text!r}",
                            )
                        alleles.append(token)
                    allele_lists.append(AlleleList(tuple(alleles)))
                haplotypes.append(Haplotype(tuple(allele_lists)))
            if len(haplotypes) > 2:
                raise HlaNomenclatureError(
                    gt_text, EXPECTED_GL, detail=f"genotype with {len(haplotypes)} '+'-joined parts (max 2)"
                )
            genotypes.append(Genotype(tuple(haplotypes)))
        lists.append(GenotypeList(tuple(genotypes)))
    return GlString(tuple(lists))
