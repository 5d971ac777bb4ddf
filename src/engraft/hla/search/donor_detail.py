"""The match detail of one ranked donor beyond the filter's loci: DRB3/4/5 and DQA1, per-locus and n/10, n/12 counts.

:class:`DonorDetail` is made once per search and asked for each ranked donor (its dictionary codes at
every stored locus); donors sharing a dictionary entry share that locus's results, so the cost grows
with the distinct typings among the top donors, not with their number. The counts are
:mod:`engraft.hla.matching.match_counts` (never ``n/n`` with an untyped locus); DRB3/4/5 and DQA1 are
matched where both sides are typed and reported, never counted or filtered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_match import LocusMatch, MatchOptions, match_locus
from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.matching.match_counts import LocusCount, MatchCounts, counts_of, locus_count
from engraft.hla.search.donor_store import hla_column
from engraft.vocabulary.hla import REPORTED_LOCI, STORED_LOCI, Locus

_HLA_COLUMNS = {locus: hla_column(locus) for locus in STORED_LOCI}

TypingOf = Callable[[Locus, int], LocusTyping | None]
"""The donor typing of a dictionary entry of a locus (``None`` for untyped)."""


@dataclass(frozen=True, slots=True)
class Detail:
    """One donor's detail: reported loci, per-locus counts, counts over the search's loci and with DPB1."""

    reported: dict[Locus, LocusMatch]
    locus_counts: dict[Locus, LocusCount]
    counts: MatchCounts
    counts_with_dpb1: MatchCounts


@dataclass(slots=True)
class DonorDetail:
    """Per-search builder of :class:`Detail`, memoised per dictionary entry."""

    patient: Mapping[str, LocusTyping]
    loci: tuple[Locus, ...]
    options: MatchOptions
    typing_of: TypingOf
    _reported: dict[tuple[Locus, int], LocusMatch] = field(default_factory=dict)
    _counts: dict[tuple[Locus, int], LocusCount] = field(default_factory=dict)
    _rows: dict[int, dict[Locus, int]] = field(default_factory=dict)

    def codes_of(self, cand: Mapping[str, npt.NDArray[np.generic]], i: int) -> dict[Locus, int]:
        """The dictionary codes of candidate ``i`` at every stored locus."""
        hit = self._rows.get(i)
        if hit is None:
            hit = self._rows[i] = {locus: int(cand[column][i]) for locus, column in _HLA_COLUMNS.items()}
        return hit

    def reported_loci(self, codes: Mapping[Locus, int]) -> dict[Locus, LocusMatch]:
        """DRB3/4/5 and DQA1 where both sides are typed."""
        out: dict[Locus, LocusMatch] = {}
        for locus in REPORTED_LOCI:
            p = self.patient.get(locus)
            e = codes[locus]
            if p is None or e == 0:
                continue
            hit = self._reported.get((locus, e))
            if hit is None:
                donor = self.typing_of(locus, e)
                if donor is None:
                    continue
                hit = self._reported[(locus, e)] = match_locus(p, donor, self.options)
            out[locus] = hit
        return out

    def detail(self, codes: Mapping[Locus, int], matches: Mapping[Locus, LocusMatch]) -> Detail:
        """The donor's detail from its codes and the matches already made (search loci and DPB1)."""
        reported = self.reported_loci(codes)
        every = {**matches, **reported}
        per_locus: dict[Locus, LocusCount] = {}
        for locus in STORED_LOCI:
            key = (locus, codes[locus])
            count = self._counts.get(key)
            if count is None:
                count = self._counts[key] = locus_count(
                    locus, every.get(locus), patient_typed=locus in self.patient, donor_typed=codes[locus] != 0
                )
            per_locus[locus] = count
        return Detail(
            reported=reported,
            locus_counts=per_locus,
            counts=counts_of(self.loci, per_locus),
            counts_with_dpb1=counts_of((*self.loci, Locus.DPB1), per_locus),
        )
