"""The haplotypes of an HF set that can carry a typing (imputation step 2), and their classes (step 3).

A haplotype allele (an HF-set token) is consistent with a typed position when its P group is one of the
position's P groups (:attr:`Consistency.P_GROUP`, the default, as Atlas) or when it shares a G group with it
(:attr:`Consistency.G_GROUP`); a null position is consistent with the tokens whose G groups hold its
alleles and stays null (its value is :data:`NULL`). :func:`consistency_views` finds the haplotypes whose
allele meets one of the two positions at every typed locus (:class:`ConsistentHaplotypes` holds them with
their bits and values per locus); :func:`haplotype_classes` sums haplotypes that behave alike into classes
(:class:`HaplotypeClassSet`), which imputation pairs into genotypes. Match prediction sums the consistent
haplotypes in aggregate instead (:mod:`engraft.hla.prediction.haplotype_aggregation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.prediction.code_groups import group_keys, group_ranked, ranks, row_groups, unfold
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, LocusTokens
from engraft.hla.prediction.pair_genotypes import RowGroups
from engraft.vocabulary.hla import Locus

NULL = -1  # P code of a null allele in a genotype


class Consistency(StrEnum):
    """Level at which a typed position and a haplotype allele must agree."""

    P_GROUP = "p_group"
    G_GROUP = "g_group"


def token_consistency(tokens: LocusTokens, position: TypedPosition, consistency: Consistency) -> npt.NDArray[np.bool_]:
    """Per token of a locus: can this haplotype allele be the typed position?"""
    if position.is_null or consistency is Consistency.G_GROUP:
        return np.fromiter((not g.isdisjoint(position.g_groups) for g in tokens.g_groups), bool, tokens.size)
    wanted = position.p_groups
    return np.fromiter((p in wanted for p in tokens.p_list), bool, tokens.size)


@dataclass(frozen=True, slots=True)
class LocusView:
    """Per candidate haplotype at one compared locus: consistency with each position and the P value it gives."""

    c1: npt.NDArray[np.bool_]
    c2: npt.NDArray[np.bool_]
    v1: npt.NDArray[np.int32]
    v2: npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class ConsistencyViews:
    """The haplotypes that can carry the typing (``rows``: at every typed locus their allele meets one of the
    two positions), and per compared locus their consistency with each position (:class:`LocusView`,
    aligned with ``rows``); ``missing``: typed tokens no haplotype of the set meets."""

    rows: npt.NDArray[np.int32]
    loci: list[LocusView]
    missing: list[str]


def consistency_views(
    hf: HaplotypeFrequencySet, typing: Mapping[str, LocusTyping], loci: tuple[Locus, ...], consistency: Consistency
) -> ConsistencyViews:
    """See :class:`ConsistencyViews`. The rows are found locus by locus, most selective typed locus first
    (its posting lists), each further typed locus keeping the rows whose allele meets one of its positions,
    so the views are built for the surviving haplotypes only (rows stay in increasing order)."""
    token_ok: dict[int, tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]] = {}
    missing: list[str] = []
    counts: dict[int, int] = {}
    for locus in loci:
        t = typing.get(locus)
        if t is None:
            continue
        j = hf.loci.index(locus)
        pair = tuple(token_consistency(hf.locus_tokens[j], p, consistency) for p in t.positions)
        for ok, position in zip(pair, t.positions, strict=True):
            if hf.rows_count(j, ok) == 0:
                missing.append(position.token)
        token_ok[j] = (pair[0], pair[1])
        counts[j] = hf.rows_count(j, pair[0] | pair[1])
    order = sorted(token_ok, key=lambda j: counts[j])
    if order:
        rows = hf.rows_of(order[0], token_ok[order[0]][0] | token_ok[order[0]][1])
        for j in order[1:]:
            if rows.size == 0:
                break
            rows = rows[(token_ok[j][0] | token_ok[j][1])[hf.codes[rows, j]]]
    else:
        rows = np.arange(hf.size, dtype=np.int32)
    views: list[LocusView] = []
    for locus in loci:
        j = hf.loci.index(locus)
        codes = hf.codes[rows, j]
        p = hf.p_codes[rows, j]
        if j not in token_ok:
            ones = np.ones(rows.size, dtype=bool)
            views.append(LocusView(ones, ones, p, p))
            continue
        positions = typing[locus].positions
        values = [np.full(rows.size, NULL, np.int32) if pos.is_null else p for pos in positions]
        ok1, ok2 = token_ok[j]
        views.append(LocusView(ok1[codes], ok2[codes], values[0], values[1]))
    return ConsistencyViews(rows, views, missing)


def haplotype_classes(
    views: list[LocusView], s: npt.NDArray[np.intp], row_groups: RowGroups
) -> tuple[
    npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.intp]
]:
    """Classes of the haplotypes ``s`` (rows of the views): per class ``c1, c2, v1, v2`` (k, L), and each
    haplotype's class. Classes come in the lexicographic order of ``(c1, c2, v1, v2)`` locus by locus (as
    ``np.unique(axis=0)`` of those columns would give); per locus one ranked code, folded and counted
    (:mod:`engraft.hla.prediction.code_groups`), the row grouping when the key would overflow."""
    codes: list[npt.NDArray[np.int64]] = []
    used: list[npt.NDArray[np.int64]] = []
    values_of: list[npt.NDArray[np.int64]] = []
    for v in views:
        both, values = ranks(np.concatenate([v.v1[s], v.v2[s]]))
        m = int(values.size)
        bits = v.c1[s].astype(np.int64) * 2 + v.c2[s]
        present, ranked = group_keys((bits * m + both[: s.size]) * m + both[s.size :], 4 * m * m)
        codes.append(ranked)
        used.append(present)
        values_of.append(values)
    radices = [int(u.size) for u in used]
    grouped = group_ranked(codes, radices, int(s.size))
    if grouped is None:
        key = np.stack([col for v in views for col in (v.c1[s], v.c2[s], v.v1[s], v.v2[s])], axis=1)
        first, inverse = row_groups(key.astype(np.int64))
        classes = key[first]
        return (
            classes[:, 0::4].astype(bool),
            classes[:, 1::4].astype(bool),
            classes[:, 2::4].astype(np.int32),
            classes[:, 3::4].astype(np.int32),
            inverse,
        )
    uniq, inverse_keys = grouped
    k, n_loci = int(uniq.size), len(views)
    c1 = np.empty((k, n_loci), dtype=bool)
    c2 = np.empty((k, n_loci), dtype=bool)
    v1 = np.empty((k, n_loci), dtype=np.int32)
    v2 = np.empty((k, n_loci), dtype=np.int32)
    for j, ranked in enumerate(unfold(uniq, radices)):
        m = int(values_of[j].size)
        rest, r2 = np.divmod(used[j][ranked], m)
        bits, r1 = np.divmod(rest, m)
        c1[:, j], c2[:, j] = bits >= 2, (bits & 1) == 1
        v1[:, j], v2[:, j] = values_of[j][r1], values_of[j][r2]
    return c1, c2, v1, v2, inverse_keys.astype(np.intp)


@dataclass(frozen=True, slots=True)
class HaplotypeClassSet:
    """An ambiguous typing's consistent haplotypes summed into classes (imputation steps 2-3, before pairing):
    per class its consistency bits ``c1, c2`` and P values ``v1, v2`` at each compared locus (k, L; ``v1``
    and ``v2`` differ only at a null position) and its summed frequency ``weight`` (k,); imputation pairs
    them into genotypes (:func:`engraft.hla.prediction.imputation.genotypes_of_classes`)."""

    loci: tuple[Locus, ...]
    c1: npt.NDArray[np.bool_]
    c2: npt.NDArray[np.bool_]
    v1: npt.NDArray[np.int32]
    v2: npt.NDArray[np.int32]
    weight: npt.NDArray[np.float64]
    missing: tuple[str, ...]  # typed tokens no haplotype of the set carries
    frequency_set: str


@dataclass(frozen=True, slots=True)
class ConsistentHaplotypes:
    """The haplotypes that can carry an ambiguous typing, at least one per typed position found (rows of
    the HF set, increasing): per haplotype its consistency bits ``c1, c2`` and P values ``v1, v2`` at each
    compared locus (n, L; ``v1`` and ``v2`` differ only at a null position) and its ``frequency`` (n,)."""

    loci: tuple[Locus, ...]
    c1: npt.NDArray[np.bool_]
    c2: npt.NDArray[np.bool_]
    v1: npt.NDArray[np.int32]
    v2: npt.NDArray[np.int32]
    frequency: npt.NDArray[np.float64]
    missing: tuple[str, ...]  # typed tokens no haplotype of the set carries
    frequency_set: str

    @property
    def has_null_position(self) -> bool:
        """A typed position is null at some locus (the two orientations of a pair can then differ)."""
        return self.v1 is not self.v2 and not np.array_equal(self.v1, self.v2)

    def classes(self) -> HaplotypeClassSet:
        """The haplotypes summed into classes of alike ones (same bits and P values at every locus)."""
        views = [LocusView(self.c1[:, j], self.c2[:, j], self.v1[:, j], self.v2[:, j]) for j in range(len(self.loci))]
        every = np.arange(self.frequency.size, dtype=np.intp)
        c1, c2, v1, v2, inverse = haplotype_classes(views, every, row_groups)
        weight = np.bincount(inverse, weights=self.frequency, minlength=c1.shape[0]).astype(np.float64)
        return HaplotypeClassSet(self.loci, c1, c2, v1, v2, weight, self.missing, self.frequency_set)


def consistent_haplotypes(
    hf: HaplotypeFrequencySet, typing: Mapping[str, LocusTyping], loci: tuple[Locus, ...], consistency: Consistency
) -> ConsistentHaplotypes:
    """The haplotypes of ``hf`` that can carry ``typing`` at ``loci`` (none: an empty set, ``missing`` naming
    the typed tokens no haplotype carries)."""
    found = consistency_views(hf, typing, loci, consistency)
    if found.loci:
        c1 = np.stack([v.c1 for v in found.loci], axis=1)
        c2 = np.stack([v.c2 for v in found.loci], axis=1)
        v1 = np.stack([v.v1 for v in found.loci], axis=1).astype(np.int32)
        same = all(v.v1 is v.v2 for v in found.loci)  # no null position: one array serves both
        v2 = v1 if same else np.stack([v.v2 for v in found.loci], axis=1).astype(np.int32)
    else:
        c1 = c2 = np.ones((found.rows.size, 0), dtype=bool)
        v1 = v2 = np.zeros((found.rows.size, 0), dtype=np.int32)
    frequency = hf.frequencies[found.rows].astype(np.float64)
    return ConsistentHaplotypes(loci, c1, c2, v1, v2, frequency, tuple(found.missing), hf.describe())
