"""Genotype imputation: a typing at any resolution as P-group genotypes with likelihoods.

Method (Atlas README_MatchPredictionAlgorithm.md; the same model as Hap-E and HapLogic), over the loci
that will be compared only (loci excluded from a search are excluded *before* imputation: they neither
constrain the haplotypes nor split the genotypes, i.e. the HF set is marginalised to the compared loci):

1. *An unambiguous typing is its own genotype.* When every compared locus is typed and each position
   stands for one P group (or is null), the P-group genotype is known: it is returned with certainty
   (:attr:`GenotypeSource.TYPED`), whether or not the HF set holds its haplotypes.
2. *Otherwise, consistency.* A haplotype allele (an HF-set token) is consistent with a typed position
   when its P group is one of the position's P groups (:attr:`Consistency.P_GROUP`, the default, as
   Atlas) or when it shares a G group with it (:attr:`Consistency.G_GROUP`, the option); a null
   position (every allele null, ``A*03:129N``) is consistent with the tokens whose G groups hold its
   alleles, and *stays null* in the genotype even where that G group also holds expressed alleles
   (``A*03:129N`` in ``A*03:01:01G``). Untyped loci constrain nothing.
3. *Pairs.* A haplotype pair explains the typing when, at every typed locus, its two alleles meet the
   two positions in one of the two orientations; its likelihood is ``f_i * f_j``, doubled for
   ``i != j`` (Hardy-Weinberg). Haplotypes that behave alike (same consistency and same P groups at
   the compared loci) are summed into classes first, which changes no likelihood and keeps the pair
   count small. Pairs are collapsed to P-group genotypes and normalised.
4. *Unexplained.* An ambiguous typing no pair explains is :attr:`GenotypeSource.UNEXPLAINED`, with the
   reason (:class:`UnexplainedReason`: a typed allele no haplotype carries, named, or a combination no
   pair gives) and no genotypes: match prediction then reports the matching result only.

Atlas keeps only the 2,000 most likely genotypes per subject (ADR Phase2/006); we allow a cap too, but
never silently: :class:`GenotypeSet` reports the cap, how many genotypes existed and the likelihood mass
left out (kept genotypes are renormalised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, LocusTokens
from engraft.vocabulary.hla import Locus

#: Default cap on P-group genotypes per subject (Atlas ``MaximumExpandedGenotypesPerInput``); None = no cap.
DEFAULT_MAX_GENOTYPES: int | None = 2000
_BLOCK_CELLS = 4_000_000
NULL = -1  # P code of a null allele in a genotype


class Consistency(StrEnum):
    """Level at which a typed position and a haplotype allele must agree."""

    P_GROUP = "p_group"
    G_GROUP = "g_group"


class GenotypeSource(StrEnum):
    """Where a subject's genotypes come from."""

    TYPED = "typed"  # unambiguous at P-group level: its own genotype, with certainty
    IMPUTED = "imputed"  # haplotype pairs of the HF set
    UNEXPLAINED = "unexplained"  # ambiguous, and no haplotype pair of the HF set explains it


class UnexplainedReason(StrEnum):
    """Why the HF set cannot explain an ambiguous typing."""

    ALLELE_NOT_IN_SET = "allele_not_in_set"  # a typed position meets no haplotype of the set
    NO_HAPLOTYPE_PAIR = "no_haplotype_pair"  # every position meets some haplotype, no pair meets all


@dataclass(frozen=True, slots=True)
class GenotypeSet:
    """P-group genotypes of one subject with normalised likelihoods (``p_pairs``: (N, L, 2), -1 = null)."""

    loci: tuple[Locus, ...]
    p_pairs: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float64]
    haplotype_pairs: int  # consistent pairs of haplotype classes found (0 for a typed genotype)
    genotypes_total: int  # distinct P-group genotypes before any cap
    cap: int | None
    mass_left_out: float  # likelihood share of the genotypes dropped by the cap (0.0 if none)
    source: GenotypeSource = GenotypeSource.IMPUTED
    unexplained: UnexplainedReason | None = None
    unexplained_tokens: tuple[str, ...] = ()  # typed tokens no haplotype of the set carries
    frequency_set: str = ""  # HF set used (its description), "" for a typed genotype

    @property
    def unrepresented(self) -> bool:
        """No haplotype pair of the HF set explains the (ambiguous) typing: no probabilities."""
        return self.source is GenotypeSource.UNEXPLAINED

    @property
    def truncated(self) -> bool:
        return self.genotypes_total > int(self.weights.shape[0])


def _row_groups(rows: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Equal rows of an int matrix: the first row of each group and every row's group (``np.unique(axis=0)``
    without sorting whole rows: the columns are folded into one int64 key, renumbered before it overflows)."""
    ids = np.zeros(rows.shape[0], dtype=np.int64)
    card = 1
    for col in rows.T:
        low = int(col.min()) if col.size else 0
        radix = (int(col.max()) - low + 1) if col.size else 1
        if card * radix >= 2**62:
            _, renumbered = np.unique(ids, return_inverse=True)
            ids, card = renumbered.reshape(-1).astype(np.int64), int(renumbered.max()) + 1
        ids = ids * radix + (col.astype(np.int64) - low)
        card *= radix
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def compared_loci(hf: HaplotypeFrequencySet, loci: tuple[Locus, ...] | None) -> tuple[Locus, ...]:
    """The loci of the HF set that are compared (all of them when ``loci`` is None), in the set's order."""
    return hf.loci if loci is None else tuple(locus for locus in hf.loci if locus in loci)


def _single_p(position: TypedPosition) -> int | None:
    if position.is_null:
        return NULL
    return next(iter(position.p_groups)) if len(position.p_groups) == 1 else None


def typed_genotype(typing: Mapping[str, LocusTyping], loci: tuple[Locus, ...]) -> GenotypeSet | None:
    """The certain genotype of a typing unambiguous at P-group level at every one of ``loci``, else None."""
    pairs: list[tuple[int, int]] = []
    for locus in loci:
        t = typing.get(locus)
        if t is None:
            return None
        a, b = (_single_p(p) for p in t.positions)
        if a is None or b is None:
            return None
        pairs.append((min(a, b), max(a, b)))
    p_pairs = np.array([pairs], dtype=np.int32).reshape(1, len(loci), 2)
    return GenotypeSet(loci, p_pairs, np.ones(1), 0, 1, None, 0.0, GenotypeSource.TYPED)


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
    """The haplotypes that can carry the typing at its most selective locus (``rows``), and per compared
    locus their consistency with each position (:class:`LocusView`, aligned with ``rows``); ``missing``:
    typed tokens no haplotype of the set meets."""

    rows: npt.NDArray[np.int32]
    loci: list[LocusView]
    missing: list[str]


def consistency_views(
    hf: HaplotypeFrequencySet, typing: Mapping[str, LocusTyping], loci: tuple[Locus, ...], consistency: Consistency
) -> ConsistencyViews:
    """See :class:`ConsistencyViews`; only haplotypes that pass the most selective typed locus are looked at."""
    token_ok: dict[int, tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]] = {}
    missing: list[str] = []
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
    if token_ok:
        j0 = min(token_ok, key=lambda j: hf.rows_count(j, token_ok[j][0] | token_ok[j][1]))
        rows = hf.rows_of(j0, token_ok[j0][0] | token_ok[j0][1])
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


def _unexplained(loci: tuple[Locus, ...], cap: int | None, label: str, missing: list[str]) -> GenotypeSet:
    reason = UnexplainedReason.ALLELE_NOT_IN_SET if missing else UnexplainedReason.NO_HAPLOTYPE_PAIR
    empty = np.empty((0, len(loci), 2), dtype=np.int32)
    tokens = tuple(dict.fromkeys(missing))
    return GenotypeSet(loci, empty, np.empty(0), 0, 0, cap, 0.0, GenotypeSource.UNEXPLAINED, reason, tokens, label)


def impute(
    hf: HaplotypeFrequencySet,
    typing: Mapping[str, LocusTyping],
    *,
    loci: tuple[Locus, ...] | None = None,
    consistency: Consistency = Consistency.P_GROUP,
    max_genotypes: int | None = DEFAULT_MAX_GENOTYPES,
) -> GenotypeSet:
    """P-group genotypes of ``typing`` at ``loci`` (default: every locus of the set); see the module docstring."""
    use = compared_loci(hf, loci)
    certain = typed_genotype(typing, use)
    if certain is not None:
        return certain
    label = hf.describe()
    found = consistency_views(hf, typing, use, consistency)
    views, missing = found.loci, found.missing
    either = np.ones(found.rows.size, dtype=bool)
    for v in views:
        either &= v.c1 | v.c2
    s = np.flatnonzero(either)
    if s.size == 0:
        return _unexplained(use, max_genotypes, label, missing)
    # classes of haplotypes that behave alike: same consistency bits and P values at every compared locus
    key = np.stack([col for v in views for col in (v.c1[s], v.c2[s], v.v1[s], v.v2[s])], axis=1).astype(np.int64)
    first_of_class, inverse = _row_groups(key)
    classes = key[first_of_class]
    weight = np.bincount(inverse, weights=hf.frequencies[found.rows[s]], minlength=classes.shape[0])
    n_loci = len(use)
    c1 = classes[:, 0::4].astype(bool)
    c2 = classes[:, 1::4].astype(bool)
    v1 = classes[:, 2::4].astype(np.int32)
    v2 = classes[:, 3::4].astype(np.int32)
    k = classes.shape[0]
    genotype_rows: list[npt.NDArray[np.int32]] = []
    likelihoods: list[npt.NDArray[np.float64]] = []
    block = max(1, _BLOCK_CELLS // max(k * max(n_loci, 1), 1))
    for start in range(0, k, block):
        a = np.arange(start, min(k, start + block))
        ok = a[:, None] <= np.arange(k)[None, :]  # unordered pairs of classes
        for j in range(n_loci):
            ok &= (c1[a, j][:, None] & c2[None, :, j]) | (c2[a, j][:, None] & c1[None, :, j])
        ai, bj = np.nonzero(ok)
        if ai.size == 0:
            continue
        ka, kb = a[ai], bj
        direct = c1[ka] & c2[kb]  # (P, L): orientation a->position 1, b->position 2 where possible
        first = np.where(direct, v1[ka], v2[ka])
        second = np.where(direct, v2[kb], v1[kb])
        genotype_rows.append(np.stack([np.minimum(first, second), np.maximum(first, second)], axis=2))
        likelihoods.append((weight[ka] * weight[kb] * np.where(ka == kb, 1.0, 2.0)).astype(np.float64))
    if not genotype_rows:
        return _unexplained(use, max_genotypes, label, missing)
    pairs = np.concatenate(genotype_rows)
    like = np.concatenate(likelihoods)
    rows = pairs.reshape(pairs.shape[0], -1)
    first_of_genotype, inv = _row_groups(rows)
    uniq = rows[first_of_genotype]
    weights = np.bincount(inv.reshape(-1), weights=like, minlength=uniq.shape[0])
    order = np.argsort(-weights, kind="stable")
    total = float(weights.sum())
    keep = order if max_genotypes is None else order[:max_genotypes]
    dropped = order[keep.size :]
    kept_mass = float(weights[keep].sum())
    return GenotypeSet(
        loci=use,
        p_pairs=uniq[keep].reshape(-1, n_loci, 2).astype(np.int32),
        weights=weights[keep] / kept_mass,
        haplotype_pairs=int(like.size),
        genotypes_total=int(uniq.shape[0]),
        cap=max_genotypes,
        mass_left_out=float(weights[dropped].sum()) / total if dropped.size else 0.0,
        source=GenotypeSource.IMPUTED,
        frequency_set=label,
    )
