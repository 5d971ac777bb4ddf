"""Loci used for matching and the mapping between molecular and serological locus names.

Matching follows the WMDA framework (Bochtler et al. 2011, BMT 46:338): A, B, C, DRB1 and DQB1 count
towards n/10 matching, DPB1 is scored (T-cell-epitope permissiveness) but never a match criterion.
"""

from __future__ import annotations

from enum import StrEnum


class Locus(StrEnum):
    """Loci handled by the matcher (molecular names, as in IPD-IMGT/HLA ``Allelelist.txt``)."""

    A = "A"
    B = "B"
    C = "C"
    DRB1 = "DRB1"
    DQB1 = "DQB1"
    DPB1 = "DPB1"


#: Loci counted in n/10 matching (Dehn et al. 2019; WMDA).
MATCH_LOCI: tuple[Locus, ...] = (Locus.A, Locus.B, Locus.C, Locus.DRB1, Locus.DQB1)

#: Serological locus prefix (as written in ``rel_ser_ser.txt`` / typings such as ``Cw3``) -> molecular locus.
SEROLOGY_PREFIX_TO_LOCUS: dict[str, str] = {
    "A": "A",
    "B": "B",
    "Cw": "C",
    "C": "C",
    "DR": "DRB1",
    "DQ": "DQB1",
    "DP": "DPB1",
    "DPw": "DPB1",
}

#: Molecular locus -> canonical serology prefix used in antigen keys such as ``"Cw9"`` or ``"DR15"``.
LOCUS_TO_SEROLOGY_PREFIX: dict[str, str] = {
    "A": "A",
    "B": "B",
    "C": "Cw",
    "DRB1": "DR",
    "DQB1": "DQ",
    "DPB1": "DP",
}


def parse_locus(name: str) -> Locus:
    """Return the :class:`Locus` for ``name`` (``"HLA-A"``, ``"A"``, ``"A*"`` are accepted)."""
    key = name.removeprefix("HLA-").rstrip("*")
    try:
        return Locus(key)
    except ValueError:
        raise ValueError(f"unsupported locus {name!r}; expected one of {[m.value for m in Locus]}") from None
