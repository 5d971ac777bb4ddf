"""The mapping between molecular and serological locus names (the loci themselves: :mod:`engraft.vocabulary.hla`).

Matching follows the WMDA framework (Bochtler et al. 2011, BMT 46:338): A, B, C, DRB1 and DQB1 count
towards n/10 matching, DPB1 is scored (T-cell-epitope permissiveness) but never a match criterion.
"""

from __future__ import annotations

from engraft.vocabulary.hla import MATCH_LOCI, Locus, parse_locus

__all__ = ["LOCUS_TO_SEROLOGY_PREFIX", "MATCH_LOCI", "SEROLOGY_PREFIX_TO_LOCUS", "Locus", "parse_locus"]

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
