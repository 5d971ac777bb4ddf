"""HLA loci: one :class:`Locus` for matching, search, storage, the API and the registry.

Names are the molecular locus names of IPD-IMGT/HLA (``Allelelist.txt``). Matching follows the WMDA
framework (Bochtler et al. 2011, BMT 46:338): A, B, C, DRB1 and DQB1 count towards n/10 matching;
DPB1 is scored (T-cell-epitope permissiveness) and counted in 12/12. DRB3, DRB4, DRB5 and DQA1 are
stored and reported (NMDP/CIBMTR, Dehn et al. 2019: minimise DRB3/4/5 mismatches; DQA1 as a possible
donor-specific antibody target), never counted in n/10 or n/12.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Locus(StrEnum):
    """An HLA locus by its molecular name."""

    A = "A"
    B = "B"
    C = "C"
    DRB1 = "DRB1"
    DQB1 = "DQB1"
    DPB1 = "DPB1"
    DRB3 = "DRB3"
    DRB4 = "DRB4"
    DRB5 = "DRB5"
    DQA1 = "DQA1"


#: Loci counted in n/10 matching (Dehn et al. 2019; WMDA), in the conventional order.
MATCH_LOCI: Final[tuple[Locus, ...]] = (Locus.A, Locus.B, Locus.C, Locus.DRB1, Locus.DQB1)

#: Loci counted in n/12 matching: the match loci plus DPB1 (scored, never a filter).
TWELVE_LOCI: Final[tuple[Locus, ...]] = (*MATCH_LOCI, Locus.DPB1)

#: Loci reported beside the counts (their match status), never counted in n/10 or n/12.
REPORTED_LOCI: Final[tuple[Locus, ...]] = (Locus.DRB3, Locus.DRB4, Locus.DRB5, Locus.DQA1)

#: Loci a donor registry stores and a search scores: every locus above (only MATCH_LOCI filter).
STORED_LOCI: Final[tuple[Locus, ...]] = (*TWELVE_LOCI, *REPORTED_LOCI)


def parse_locus(name: str) -> Locus:
    """Return the :class:`Locus` for ``name`` (``"HLA-A"``, ``"A"``, ``"A*"`` are accepted)."""
    key = name.removeprefix("HLA-").rstrip("*")
    try:
        return Locus(key)
    except ValueError:
        raise ValueError(f"unsupported locus {name!r}; expected one of {[m.value for m in Locus]}") from None
