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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_typing import LocusTyping, TypedPosition
from engraft.hla.prediction.class_pairs import consistent_class_pairs, consistent_class_pairs_square
from engraft.hla.prediction.code_groups import row_groups as _row_groups
from engraft.hla.prediction.consistent_haplotypes import NULL as NULL
from engraft.hla.prediction.consistent_haplotypes import Consistency as Consistency
from engraft.hla.prediction.consistent_haplotypes import ConsistentHaplotypes as ConsistentHaplotypes
from engraft.hla.prediction.consistent_haplotypes import HaplotypeClassSet as HaplotypeClassSet
from engraft.hla.prediction.consistent_haplotypes import LocusView as LocusView
from engraft.hla.prediction.consistent_haplotypes import consistent_haplotypes
from engraft.hla.prediction.consistent_haplotypes import token_consistency as token_consistency
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.pair_genotypes import group_pair_genotypes
from engraft.vocabulary.hla import Locus

#: Default cap on P-group genotypes per subject (Atlas ``MaximumExpandedGenotypesPerInput``); None = no cap.
DEFAULT_MAX_GENOTYPES: int | None = 2000


class Pairing(StrEnum):
    """How imputation finds the class pairs that explain a typing (:mod:`engraft.hla.prediction.class_pairs`)."""

    SIGNATURE = "signature"  # pairs generated from compatible consistency signatures (default)
    SQUARE = "square"  # every class tested against every other (the earlier method: reference and peer)


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


def unexplained_set(loci: tuple[Locus, ...], cap: int | None, label: str, missing: list[str]) -> GenotypeSet:
    reason = UnexplainedReason.ALLELE_NOT_IN_SET if missing else UnexplainedReason.NO_HAPLOTYPE_PAIR
    empty = np.empty((0, len(loci), 2), dtype=np.int32)
    tokens = tuple(dict.fromkeys(missing))
    return GenotypeSet(loci, empty, np.empty(0), 0, 0, cap, 0.0, GenotypeSource.UNEXPLAINED, reason, tokens, label)


def _most_likely(
    weights: npt.NDArray[np.float64], cap: int | None, keys: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.intp], float]:
    """The ``cap`` most likely genotypes, most likely first (ties: the genotype with the smaller key first,
    as a stable sort of the genotypes in key order gives), found without sorting the whole array, and the
    summed weight of the others (added in genotype order; the earlier code added them in descending order:
    the same sum up to rounding, about 1e-16 relative)."""
    if cap is None or weights.size <= cap:
        return np.lexsort((keys, -weights)).astype(np.intp), 0.0
    threshold = np.partition(weights, weights.size - cap)[weights.size - cap]  # the cap-th largest
    candidates = np.flatnonzero(weights >= threshold)
    keep = candidates[np.lexsort((keys[candidates], -weights[candidates]))][:cap]
    dropped = np.ones(weights.size, dtype=bool)
    dropped[keep] = False
    return keep, float(weights[dropped].sum())


def consistent_set(
    hf: HaplotypeFrequencySet,
    typing: Mapping[str, LocusTyping],
    loci: tuple[Locus, ...],
    consistency: Consistency,
    max_genotypes: int | None,
) -> GenotypeSet | ConsistentHaplotypes:
    """A typing's certain genotype, its unexplained result (no haplotype meets every typed locus), or the
    haplotypes that can carry it (whether a pair of them explains the typing is decided by the caller)."""
    certain = typed_genotype(typing, loci)
    if certain is not None:
        return certain
    found = consistent_haplotypes(hf, typing, loci, consistency)
    if found.frequency.size == 0:
        return unexplained_set(loci, max_genotypes, found.frequency_set, list(found.missing))
    return found


def impute(
    hf: HaplotypeFrequencySet,
    typing: Mapping[str, LocusTyping],
    *,
    loci: tuple[Locus, ...] | None = None,
    consistency: Consistency = Consistency.P_GROUP,
    max_genotypes: int | None = DEFAULT_MAX_GENOTYPES,
    pairing: Pairing = Pairing.SIGNATURE,
) -> GenotypeSet:
    """P-group genotypes of ``typing`` at ``loci`` (default: every locus of the set); see the module docstring.

    ``pairing``: how the consistent class pairs are found (:class:`Pairing`; the result is the same)."""
    found = consistent_set(hf, typing, compared_loci(hf, loci), consistency, max_genotypes)
    if isinstance(found, GenotypeSet):
        return found
    return genotypes_of_classes(found.classes(), max_genotypes, pairing)


def genotypes_of_classes(
    classes: HaplotypeClassSet, max_genotypes: int | None, pairing: Pairing = Pairing.SIGNATURE
) -> GenotypeSet:
    """Imputation steps 3-4 from the classes: the consistent class pairs collapsed to P-group genotypes."""
    use, label = classes.loci, classes.frequency_set
    c1, c2, v1, v2, weight = classes.c1, classes.c2, classes.v1, classes.v2, classes.weight
    n_loci = len(use)
    if pairing is Pairing.SIGNATURE:
        ka, kb = consistent_class_pairs(c1, c2)
    else:
        ka, kb = consistent_class_pairs_square(c1, c2)
    if ka.size == 0:
        return unexplained_set(use, max_genotypes, label, list(classes.missing))
    like = (weight[ka] * weight[kb] * np.where(ka == kb, 1.0, 2.0)).astype(np.float64)
    if pairing is Pairing.SIGNATURE:
        grouped = group_pair_genotypes(c1, c2, v1, v2, ka, kb, _row_groups)
        n_genotypes, inv, genotype_keys = grouped.count, grouped.inverse, grouped.keys
        p_pairs_of: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.int32]] = grouped.p_pairs
    else:  # the earlier way: a (pairs, loci, 2) matrix whose rows are grouped
        direct = c1[ka] & c2[kb]  # (P, L): orientation a->position 1, b->position 2 where possible
        first = np.where(direct, v1[ka], v2[ka])
        second = np.where(direct, v2[kb], v1[kb])
        rows = np.stack([np.minimum(first, second), np.maximum(first, second)], axis=2).reshape(ka.size, -1)
        first_of_genotype, inv = _row_groups(rows)
        uniq = rows[first_of_genotype]
        n_genotypes = int(uniq.shape[0])
        genotype_keys = np.arange(n_genotypes, dtype=np.int64)  # row groups come in lexicographic order

        def p_pairs_of(chosen: npt.NDArray[np.intp]) -> npt.NDArray[np.int32]:
            return uniq[chosen].reshape(-1, n_loci, 2).astype(np.int32)

    weights = np.asarray(np.bincount(inv, weights=like, minlength=n_genotypes), dtype=np.float64)
    total = float(weights.sum())
    keep, left_out = _most_likely(weights, max_genotypes, genotype_keys)
    kept_mass = float(weights[keep].sum())
    return GenotypeSet(
        loci=use,
        p_pairs=p_pairs_of(keep),
        weights=weights[keep] / kept_mass,
        haplotype_pairs=int(like.size),
        genotypes_total=n_genotypes,
        cap=max_genotypes,
        mass_left_out=left_out / total,
        source=GenotypeSource.IMPUTED,
        frequency_set=label,
    )
