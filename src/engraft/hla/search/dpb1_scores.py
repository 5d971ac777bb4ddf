"""DPB1 in donor search: scored per dictionary entry (match, TCE permissiveness, rank category), never filtered.

The donor side of the TCE assessment is computed once per DPB1 dictionary entry and kept for later
searches; the rule is :func:`engraft.hla.matching.dpb1_tce.assess_dpb1_tce` (null position ->
homozygous for the expressed one; V2 groups, as Atlas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.dpb1_tce import Dpb1TceAssessment, TcePermissiveness, tce_groups, tce_permissiveness
from engraft.hla.matching.locus_match import LocusMatch, match_locus
from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.nomenclature.tce_table import TceTable, TceVersion
from engraft.hla.search.ranking import DPB1_MATCH, DPB1_NON_PERMISSIVE, DPB1_PERMISSIVE, DPB1_UNKNOWN
from engraft.hla.search.search_index import LocusIndex


@dataclass(frozen=True, slots=True)
class Dpb1Score:
    """One DPB1 dictionary entry against the patient."""

    match: LocusMatch
    tce: Dpb1TceAssessment
    category: int  # a DPB1_* ranking category of engraft.hla.search.ranking


class Dpb1Scorer:
    """DPB1 scores of dictionary entries, with the donors' TCE groups cached per entry."""

    def __init__(self, table: TceTable) -> None:
        self.table = table
        self._donor_groups: dict[int, tuple[int | None, int | None]] = {}

    def forget_donors(self) -> None:
        """Drop the cached donor groups (the DPB1 dictionary was rebuilt: entry numbers changed)."""
        self._donor_groups.clear()

    def scores(self, patient: LocusTyping, index: LocusIndex, codes: npt.NDArray[np.generic]) -> dict[int, Dpb1Score]:
        """Scores of the entries in ``codes`` (untyped entries are left out)."""
        out: dict[int, Dpb1Score] = {}
        patient_groups = tce_groups(patient, self.table, TceVersion.V2)
        for e in np.unique(codes).tolist():
            donor = index.typings[e]
            if donor is None:
                continue
            groups = self._donor_groups.get(e)
            if groups is None:
                groups = self._donor_groups[e] = tce_groups(donor, self.table, TceVersion.V2)
            tce = Dpb1TceAssessment(tce_permissiveness(patient_groups, groups), patient_groups, groups, TceVersion.V2)
            match = match_locus(patient, donor)
            out[e] = Dpb1Score(match, tce, _category(match, tce))
        return out


def _category(match: LocusMatch, tce: Dpb1TceAssessment) -> int:
    if match.mismatch_count == 0:
        return DPB1_MATCH
    if tce.category is TcePermissiveness.PERMISSIVE:
        return DPB1_PERMISSIVE
    if tce.category is TcePermissiveness.UNKNOWN:
        return DPB1_UNKNOWN
    return DPB1_NON_PERMISSIVE
