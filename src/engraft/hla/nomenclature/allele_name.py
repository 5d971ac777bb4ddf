"""Syntax of HLA allele names (WHO nomenclature, Marsh et al. 2010, Tissue Antigens 75:291).

A name is ``[HLA-]LOCUS*F1[:F2[:F3[:F4]]][suffix]`` where each field is 2-4 digits and the optional
expression suffix is one of

* ``N`` null (not expressed), ``L`` low cell-surface expression, ``S`` secreted (soluble) only,
* ``C`` cytoplasmic only, ``A`` aberrant (expression doubtful), ``Q`` questionable.

This module checks syntax only; whether a name exists in a release is decided by
:class:`engraft.hla.nomenclature.tables.Nomenclature`. Only ``N`` is treated as non-expressed for matching,
as Atlas and the WMDA null-allele rules do: ``L``/``S``/``C``/``A``/``Q`` alleles are kept as expressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engraft.hla.nomenclature.errors import HlaNomenclatureError

EXPRESSION_SUFFIXES = frozenset("NLSCAQ")

_ALLELE_RE = re.compile(r"^(?:HLA-)?([A-Z][A-Z0-9]*)\*(\d{2,4}(?::\d{2,4}){0,3})([NLSCAQ])?$")

_EXPECTED = "an allele name such as 'A*01:01', 'A*01:01:01:02N' or 'DRB1*15:01' (fields of 2-4 digits)"


@dataclass(frozen=True, slots=True)
class AlleleName:
    """A syntactically valid allele name split into its parts."""

    locus: str
    fields: tuple[str, ...]
    suffix: str = ""

    @property
    def name(self) -> str:
        """Canonical name without the ``HLA-`` prefix, e.g. ``"A*01:01:01:02N"``."""
        return f"{self.locus}*{':'.join(self.fields)}{self.suffix}"

    @property
    def is_null(self) -> bool:
        """True for ``N`` alleles (no protein product)."""
        return self.suffix == "N"

    def truncate(self, n_fields: int) -> AlleleName:
        """The name reduced to ``n_fields`` fields, keeping the expression suffix (``A*01:04N``)."""
        return AlleleName(self.locus, self.fields[:n_fields], self.suffix)

    def __str__(self) -> str:
        return self.name


def parse_allele_name(token: str, *, release: str | None = None) -> AlleleName:
    """Parse ``token`` into an :class:`AlleleName` or raise :class:`HlaNomenclatureError`."""
    m = _ALLELE_RE.match(token.strip())
    if m is None:
        raise HlaNomenclatureError(token, _EXPECTED, release=release, detail="malformed allele name")
    return AlleleName(m.group(1), tuple(m.group(2).split(":")), m.group(3) or "")


def try_parse_allele_name(token: str) -> AlleleName | None:
    """Like :func:`parse_allele_name` but returns ``None`` instead of raising."""
    m = _ALLELE_RE.match(token.strip())
    if m is None:
        return None
    return AlleleName(m.group(1), tuple(m.group(2).split(":")), m.group(3) or "")
