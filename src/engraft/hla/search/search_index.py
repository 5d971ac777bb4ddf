"""Per-locus index of a store dictionary: P-group sets of every distinct typing, for vectorised filtering.

Each dictionary entry (a distinct pair of tokens at one locus) is expanded once per release into its
two *effective* positions (a single null position replaced by the expressing one, Atlas/WMDA) and each
position into its set of P groups, stored as a ragged array (``offsets``, ``values``). Low-resolution
typings (serology, XX codes, MACs) are simply longer sets. For a patient the index answers "which
entries could match at 0/1/2 mismatches" with ``np.isin`` over the flat values plus a prefix sum, i.e.
with no Python loop over entries.

The filter count is a *lower bound* of the exact count of :func:`engraft.hla.matching.locus_match.match_locus`:
a pair of positions "could match" when their P-group sets intersect, which is necessary for an exact
match (``positions_match``; serology adds an antigen check on top) and sufficient for a potential
match. Entries with a null-only position are never excluded (bound 0), nor are ``|`` genotype-list
entries (their union sets give no sound bound) or entries holding a ``NEW`` placeholder (unknown, never
a mismatch: :func:`engraft.hla.matching.grades.positions_unknown`); a ``NEW`` patient position bounds
every entry by 0. A genotype-list *patient* is bounded by the smallest
count over its listed genotypes. Candidates are then scored exactly, so the filter never changes
results, only the amount of exact work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.vocabulary.hla import Locus

#: Filter value of an entry that exceeds the per-locus limit (5 loci x 50 still fits in uint8).
EXCLUDED = 50


@dataclass(frozen=True, slots=True)
class _Ragged:
    """P-group sets of one position of every entry, plus the inverted (P group -> entries) view."""

    offsets: npt.NDArray[np.int64]
    values: npt.NDArray[np.int32]
    sorted_values: npt.NDArray[np.int32]
    entry_of_sorted: npt.NDArray[np.intp]

    @classmethod
    def build(cls, offsets: list[int], values: list[int]) -> _Ragged:
        off = np.asarray(offsets, dtype=np.int64)
        vals = np.asarray(values, dtype=np.int32)
        entry = np.repeat(np.arange(off.size - 1), np.diff(off))
        order = np.argsort(vals, kind="stable")
        return cls(off, vals, vals[order], entry[order])

    def any_in(self, codes: frozenset[int]) -> npt.NDArray[np.bool_]:
        """Entries whose set meets ``codes``: binary search per code in the inverted view."""
        out = np.zeros(self.offsets.size - 1, dtype=bool)
        query = np.fromiter(codes, dtype=np.int32, count=len(codes))
        lo = np.searchsorted(self.sorted_values, query, side="left")
        hi = np.searchsorted(self.sorted_values, query, side="right")
        lengths = hi - lo
        total = int(lengths.sum())
        if total:
            shift = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
            out[self.entry_of_sorted[np.arange(total) + shift]] = True
        return out


@dataclass(frozen=True, slots=True)
class LocusIndex:
    """Typings of one locus dictionary (entry 0 = untyped, ``typings[0] is None``)."""

    locus: Locus
    typings: tuple[LocusTyping | None, ...]
    positions: tuple[_Ragged, _Ragged]
    null_position: npt.NDArray[np.bool_]  # an effective position without P groups (or untyped)
    homozygous: npt.NDArray[np.bool_]  # effective positions carry the same P-group set
    single_p: npt.NDArray[np.bool_]  # both effective positions one P group, molecular: an "exact" typing
    needs_exact: npt.NDArray[np.bool_]  # serology or null position: the filter count is only a bound

    @property
    def size(self) -> int:
        return len(self.typings)

    @classmethod
    def build(
        cls, nom: Nomenclature, locus: Locus, pairs: list[tuple[str, str]], mac: MacDictionary | None = None
    ) -> LocusIndex:
        builder = typing_builder(nom)
        typings: list[LocusTyping | None] = [None]
        offsets: list[list[int]] = [[0], [0]]
        values: list[list[int]] = [[], []]
        n = len(pairs)
        null_pos = np.zeros(n, dtype=bool)
        homo = np.zeros(n, dtype=bool)
        single = np.zeros(n, dtype=bool)
        needs = np.zeros(n, dtype=bool)
        null_pos[0] = True
        for k in (0, 1):
            offsets[k].append(0)
        for e in range(1, n):
            first, second = pairs[e]
            typing = builder.locus_typing(first, second, mac=mac)
            typings.append(typing)
            eff = typing.effective()
            for k in (0, 1):
                values[k].extend(sorted(eff[k].p_groups))
                offsets[k].append(len(values[k]))
            new = eff[0].has_new or eff[1].has_new
            null_pos[e] = eff[0].is_null or eff[1].is_null or typing.is_genotype_list or new
            homo[e] = eff[0].p_groups == eff[1].p_groups
            molecular = all(len(p.p_groups) == 1 and not p.is_serology for p in eff)
            single[e] = not typing.is_genotype_list and not new and molecular
            needs[e] = null_pos[e] or any(p.is_serology or p.is_null for p in typing.positions)
        ragged = tuple(_Ragged.build(offsets[k], values[k]) for k in (0, 1))
        return cls(locus, tuple(typings), (ragged[0], ragged[1]), null_pos, homo, single, needs)

    def counts(
        self, patient: LocusTyping, homozygous_counts: int
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        """Per entry, the filter mismatch count and GvH count (both orientations).

        Both are lower bounds of :func:`match_locus`'s counts, and equal to them for entries without
        ``needs_exact`` when the patient locus has no serology or null position and is no genotype list
        (P-group intersection is then exactly ``positions_match``).
        """
        if patient.is_genotype_list:
            per = [self.counts(alt, homozygous_counts) for alt in patient.alternatives()]
            bound = np.minimum.reduce([b for b, _ in per])
            gvh = np.minimum.reduce([g for _, g in per])
            return bound, gvh
        pe = patient.effective()
        if pe[0].is_null or pe[1].is_null or pe[0].has_new or pe[1].has_new:
            zero = np.zeros(self.size, dtype=np.uint8)
            return zero, zero.copy()
        could = [[self.positions[j].any_in(pe[i].p_groups) for j in (0, 1)] for i in (0, 1)]
        p_distinct = not (homozygous_counts == 1 and pe[0].p_groups == pe[1].p_groups)
        gvh = (~(could[0][0] | could[0][1])).astype(np.uint8)
        if p_distinct:
            gvh += ~(could[1][0] | could[1][1])
        hvg = (~(could[0][0] | could[1][0])).astype(np.uint8)
        second = ~(could[0][1] | could[1][1])
        if homozygous_counts == 1:
            second &= ~self.homozygous
        hvg += second
        bound = np.maximum(gvh, hvg)
        bound[self.null_position] = 0
        gvh[self.null_position] = 0
        return bound, gvh


def capped(bound: npt.NDArray[np.uint8], allowed: int) -> npt.NDArray[np.uint8]:
    """Filter table: the bound where within the per-locus limit, else :data:`EXCLUDED`."""
    return np.where(bound <= allowed, bound, EXCLUDED).astype(np.uint8)


def scan_rows(
    columns: Mapping[str, npt.NDArray[np.generic]], tables: Mapping[Locus, npt.NDArray[np.uint8]], max_total: int
) -> npt.NDArray[np.bool_]:
    """Column-scan filter (segments without a phenotype index): one gather per locus, summed in uint8."""
    total: npt.NDArray[np.uint8] | None = None
    for locus, table in tables.items():
        add = table[columns[f"hla_{locus}"]]
        total = add if total is None else np.add(total, add, out=total)
    n = int(next(iter(columns.values())).shape[0])
    return np.ones(n, dtype=bool) if total is None else np.asarray(total <= max_total)
