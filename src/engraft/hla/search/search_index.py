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
entries (their union sets give no sound bound). A genotype-list *patient* is bounded by the smallest
count over its listed genotypes. Candidates are then scored exactly, so the filter never changes
results, only the amount of exact work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.matching.typing_builder import TypingBuilder, is_locus_gl, typing_builder
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
    def from_arrays(cls, off: npt.NDArray[np.int64], vals: npt.NDArray[np.int32]) -> _Ragged:
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


class LazyTypings(Sequence[LocusTyping | None]):
    """The :class:`LocusTyping` of every dictionary entry, built on first access (entry 0: ``None``).

    A search needs the typing objects only for the few entries it scores exactly, so the index holds
    the pairs and builds (and keeps) a typing when asked; two threads building the same entry build
    equal objects, so no lock is needed.
    """

    def __init__(self, builder: TypingBuilder, pairs: list[tuple[str, str]], mac: MacDictionary | None) -> None:
        self._builder = builder
        self._pairs = pairs
        self._mac = mac
        self._built: list[LocusTyping | None] = [None] * len(pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    @overload
    def __getitem__(self, e: int) -> LocusTyping | None: ...
    @overload
    def __getitem__(self, e: slice) -> Sequence[LocusTyping | None]: ...
    def __getitem__(self, e: int | slice) -> LocusTyping | Sequence[LocusTyping | None] | None:
        if isinstance(e, slice):
            return [self[i] for i in range(*e.indices(len(self)))]
        if e < 0:
            e += len(self._pairs)
        if e == 0:
            return None
        hit = self._built[e]
        if hit is None:
            first, second = self._pairs[e]
            hit = self._built[e] = self._builder.locus_typing(first, second, mac=self._mac)
        return hit


@dataclass(slots=True)
class _SetTable:
    """Distinct P-group sets (sorted), numbered; set 0 is the empty set."""

    ids: dict[frozenset[int], int]
    members: list[list[int]]

    @classmethod
    def new(cls) -> _SetTable:
        return cls({frozenset(): 0}, [[]])

    def id_of(self, groups: frozenset[int]) -> int:
        hit = self.ids.get(groups)
        if hit is None:
            hit = self.ids[groups] = len(self.members)
            self.members.append(sorted(groups))
        return hit

    def ragged(self, set_ids: npt.NDArray[np.int64]) -> _Ragged:
        """The sets of ``set_ids`` (one per entry) laid out as a ragged array, without a loop over entries."""
        lengths = np.fromiter((len(m) for m in self.members), dtype=np.int64, count=len(self.members))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        flat = np.fromiter((g for m in self.members for g in m), dtype=np.int32, count=int(lengths.sum()))
        per = lengths[set_ids]
        offsets = np.concatenate(([0], np.cumsum(per))).astype(np.int64)
        total = int(offsets[-1])
        gather = np.repeat(starts[set_ids] - offsets[:-1], per) + np.arange(total, dtype=np.int64)
        return _Ragged.from_arrays(offsets, flat[gather])


@dataclass(frozen=True, slots=True)
class LocusIndex:
    """Typings of one locus dictionary (entry 0 = untyped, ``typings[0] is None``)."""

    locus: Locus
    typings: Sequence[LocusTyping | None]
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
        cls, nom: Nomenclature, locus: Locus, pairs: Sequence[tuple[str, str]], mac: MacDictionary | None = None
    ) -> LocusIndex:
        """The index of ``pairs`` (a snapshot is taken: the store's list may grow meanwhile).

        Vectorised: each *distinct token* is typed once (a registry has thousands of tokens and up to
        hundreds of thousands of pairs), the per-entry arrays are gathers over per-token arrays, and the
        ragged P-group sets are laid out with one ``np.repeat``. Only locus GL-String entries (``+`` or
        ``|`` inside a token, rare) are typed one by one.
        """
        builder = typing_builder(nom)
        snapshot = list(pairs)
        n = len(snapshot)
        encoded = pa.array([p[0] for p in snapshot] + [p[1] for p in snapshot], pa.string()).dictionary_encode()
        vocab: list[str] = encoded.dictionary.to_pylist()
        tok = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        t0, t1 = tok[:n], tok[n:]
        m = len(vocab)
        sets = _SetTable.new()
        tok_set = np.zeros(m, dtype=np.int64)
        tok_null = np.ones(m, dtype=bool)
        tok_new = np.zeros(m, dtype=bool)
        tok_sero = np.zeros(m, dtype=bool)
        tok_exact = np.zeros(m, dtype=bool)  # one P group, molecular
        tok_gl = np.zeros(m, dtype=bool)
        for k, token in enumerate(vocab):
            if not token:
                continue  # entry 0, untyped
            if is_locus_gl(token):
                tok_gl[k] = True
                continue
            pos = builder.position(token, mac=mac)
            tok_set[k] = sets.id_of(pos.p_groups)
            tok_null[k] = pos.is_null
            tok_new[k] = pos.has_new
            tok_sero[k] = pos.is_serology
            tok_exact[k] = len(pos.p_groups) == 1 and not pos.is_serology
        # effective positions: a single null position is replaced by the expressing one (WMDA/Atlas)
        null0, null1 = tok_null[t0], tok_null[t1]
        eff0 = np.where(null0 & ~null1, t1, t0)
        eff1 = np.where(null1 & ~null0, t0, t1)
        s0, s1 = tok_set[eff0], tok_set[eff1]
        gl = tok_gl[t0] | tok_gl[t1]
        new = tok_new[eff0] | tok_new[eff1]
        null_pos = tok_null[eff0] | tok_null[eff1] | gl | new
        homo = s0 == s1
        single = ~gl & ~new & tok_exact[eff0] & tok_exact[eff1]
        needs = null_pos | tok_sero[t0] | tok_sero[t1] | null0 | null1
        for e in np.flatnonzero(gl).tolist():  # locus GL Strings: typed whole
            typing = builder.locus_typing(snapshot[e][0], snapshot[e][1], mac=mac)
            eff = typing.effective()
            s0[e], s1[e] = sets.id_of(eff[0].p_groups), sets.id_of(eff[1].p_groups)
            homo[e] = eff[0].p_groups == eff[1].p_groups
            single[e] = not typing.is_genotype_list and all(len(p.p_groups) == 1 and not p.is_serology for p in eff)
            single[e] &= not (eff[0].has_new or eff[1].has_new)
        if n:  # entry 0: untyped (no sets, never excluded)
            s0[0] = s1[0] = 0
            null_pos[0], homo[0], single[0], needs[0] = True, False, False, False
        return cls(
            locus,
            LazyTypings(builder, snapshot, mac),
            (sets.ragged(s0), sets.ragged(s1)),
            null_pos,
            homo,
            single,
            needs,
        )

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
        if pe[0].is_null or pe[1].is_null:
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
