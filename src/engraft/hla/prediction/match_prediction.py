"""Match prediction: P(0), P(1), P(2) mismatches for typings at low or mixed resolution.

Method (Atlas README_MatchPredictionAlgorithm.md; the same model as Hap-E and HapLogic):

1. *Genotype imputation.* A typing is expanded into the unordered haplotype pairs of the HF set that
   are consistent with it: at every typed locus the two haplotype G groups must meet the two typed
   positions' allele sets in one of the two orientations; untyped loci constrain nothing. A pair's
   likelihood is ``f_i * f_j``, doubled for ``i != j`` (Hardy-Weinberg). Pairs are then collapsed to
   P-group genotypes (the unit of matching) and normalised.
2. *Matching.* Every patient genotype is compared with every donor genotype at P-group level, per
   locus both orientations, counting ``max(GvH, HvG)`` like :func:`engraft.hla.matching.locus_match.match_locus`.
   ``P(k) = sum of w_patient * w_donor over pairs with k mismatches``.

A typing the HF set cannot explain is flagged ``unrepresented`` and gets no probabilities (Atlas
issue #890), rather than a misleading number. Atlas keeps only the 2,000 most likely genotypes per
subject (ADR Phase2/006); we allow a cap too, but never silently: :class:`GenotypeSet` reports the cap,
how many genotypes existed and the likelihood mass left out, and :class:`MatchProbabilities` carries
both subjects' left-out mass (probabilities are renormalised over the kept genotypes).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.vocabulary.hla import Locus

#: Default cap on P-group genotypes per subject (Atlas ``MaximumExpandedGenotypesPerInput``); None = no cap.
DEFAULT_MAX_GENOTYPES: int | None = 2000
_BLOCK_CELLS = 4_000_000
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class GenotypeSet:
    """P-group genotypes of one subject with normalised likelihoods (``p_pairs``: (N, L, 2))."""

    loci: tuple[Locus, ...]
    p_pairs: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float64]
    haplotype_pairs: int  # consistent haplotype pairs found
    genotypes_total: int  # distinct P-group genotypes before any cap
    cap: int | None
    mass_left_out: float  # likelihood share of the genotypes dropped by the cap (0.0 if none)

    @property
    def unrepresented(self) -> bool:
        """No haplotype pair of the HF set explains the typing."""
        return self.haplotype_pairs == 0

    @property
    def truncated(self) -> bool:
        return self.genotypes_total > int(self.weights.shape[0])


@dataclass(frozen=True, slots=True)
class MatchProbabilities:
    """Probabilities of 0/1/2 mismatches overall (and > 2) and per locus; ``None`` when unrepresented."""

    loci: tuple[Locus, ...]
    p_mismatches: tuple[float, float, float] | None
    p_more: float | None
    per_locus: Mapping[Locus, tuple[float, float, float]] | None
    patient_unrepresented: bool
    donor_unrepresented: bool
    patient_mass_left_out: float
    donor_mass_left_out: float
    genotype_cap: int | None


def _consistency(
    hf: HaplotypeFrequencySet, typing: Mapping[str, LocusTyping]
) -> list[tuple[npt.NDArray[np.bool_], ...]]:
    out: list[tuple[npt.NDArray[np.bool_], ...]] = []
    for j, locus in enumerate(hf.loci):
        t = typing.get(locus)
        if t is None:
            ones = np.ones(hf.size, dtype=bool)
            out.append((ones, ones))
            continue
        g = hf.g_codes[:, j]
        out.append(tuple(np.isin(g, np.fromiter(p.g_groups, np.int32, len(p.g_groups))) for p in t.positions))
    return out


def impute(
    hf: HaplotypeFrequencySet, typing: Mapping[str, LocusTyping], *, max_genotypes: int | None = DEFAULT_MAX_GENOTYPES
) -> GenotypeSet:
    """Expand a typing into P-group genotypes (see the module docstring)."""
    cons = _consistency(hf, typing)
    either = np.ones(hf.size, dtype=bool)
    for c1, c2 in cons:
        either &= c1 | c2
    s = np.flatnonzero(either)
    rows_i: list[npt.NDArray[np.intp]] = []
    rows_j: list[npt.NDArray[np.intp]] = []
    block = max(1, _BLOCK_CELLS // max(s.size, 1))
    for start in range(0, s.size, block):
        si = s[start : start + block]
        ok = np.arange(start, start + si.size)[:, None] <= np.arange(s.size)[None, :]  # unordered pairs
        for c1, c2 in cons:
            a1, a2 = c1[si][:, None], c2[si][:, None]
            b1, b2 = c1[s][None, :], c2[s][None, :]
            ok &= (a1 & b2) | (a2 & b1)
        bi, bj = np.nonzero(ok)
        rows_i.append(si[bi])
        rows_j.append(s[bj])
    n_loci = len(hf.loci)
    if not rows_i or sum(r.size for r in rows_i) == 0:
        empty = np.empty((0, n_loci, 2), dtype=np.int32)
        return GenotypeSet(hf.loci, empty, np.empty(0), 0, 0, max_genotypes, 0.0)
    hi = np.concatenate(rows_i)
    hj = np.concatenate(rows_j)
    f = hf.frequencies
    like = f[hi] * f[hj] * np.where(hi == hj, 1.0, 2.0)
    p1 = hf.p_codes[hi].copy()
    p2 = hf.p_codes[hj].copy()
    p1 = np.where(p1 < 0, p2, p1)  # a null haplotype allele: locus homozygous for the expressed one
    p2 = np.where(p2 < 0, p1, p2)
    pairs = np.stack([np.minimum(p1, p2), np.maximum(p1, p2)], axis=2)  # (N, L, 2), canonical order
    uniq, inverse = np.unique(pairs.reshape(pairs.shape[0], -1), axis=0, return_inverse=True)
    weights = np.bincount(inverse.reshape(-1), weights=like, minlength=uniq.shape[0])
    order = np.argsort(-weights, kind="stable")
    total = float(weights.sum())
    keep = order if max_genotypes is None else order[:max_genotypes]
    dropped = order[keep.size :]
    kept_mass = float(weights[keep].sum())
    left_out = float(weights[dropped].sum()) / total if dropped.size else 0.0
    return GenotypeSet(
        loci=hf.loci,
        p_pairs=uniq[keep].reshape(-1, n_loci, 2).astype(np.int32),
        weights=weights[keep] / kept_mass,
        haplotype_pairs=int(hi.size),
        genotypes_total=int(uniq.shape[0]),
        cap=max_genotypes,
        mass_left_out=left_out,
    )


def _locus_mismatches(
    p: npt.NDArray[np.int32], d: npt.NDArray[np.int32], homozygous_counts: int
) -> npt.NDArray[np.uint8]:
    """(Np, Nd) mismatch counts at one locus from P-group pairs (Np, 2) and (Nd, 2)."""
    eq = [[p[:, a][:, None] == d[:, b][None, :] for b in (0, 1)] for a in (0, 1)]
    gvh = (~(eq[0][0] | eq[0][1])).astype(np.uint8)
    second_p = ~(eq[1][0] | eq[1][1])
    if homozygous_counts == 1:
        second_p &= (p[:, 0] != p[:, 1])[:, None]
    gvh += second_p
    hvg = (~(eq[0][0] | eq[1][0])).astype(np.uint8)
    second_d = ~(eq[0][1] | eq[1][1])
    if homozygous_counts == 1:
        second_d &= (d[:, 0] != d[:, 1])[None, :]
    hvg += second_d
    out: npt.NDArray[np.uint8] = np.maximum(gvh, hvg)
    return out


def predict(
    patient: GenotypeSet, donor: GenotypeSet, *, loci: tuple[Locus, ...] | None = None, homozygous_counts: int = 2
) -> MatchProbabilities:
    """Match probabilities of a patient/donor pair from their imputed genotypes."""
    use = loci or patient.loci
    if patient.unrepresented or donor.unrepresented:
        return MatchProbabilities(
            use,
            None,
            None,
            None,
            patient.unrepresented,
            donor.unrepresented,
            patient.mass_left_out,
            donor.mass_left_out,
            patient.cap,
        )
    w = np.outer(patient.weights, donor.weights)
    total = np.zeros(w.shape, dtype=np.uint8)
    per_locus: dict[Locus, tuple[float, float, float]] = {}
    for locus in use:
        j = patient.loci.index(locus)
        mm = _locus_mismatches(patient.p_pairs[:, j, :], donor.p_pairs[:, j, :], homozygous_counts)
        total += mm
        per_locus[locus] = (float(w[mm == 0].sum()), float(w[mm == 1].sum()), float(w[mm == 2].sum()))
    p = (float(w[total == 0].sum()), float(w[total == 1].sum()), float(w[total == 2].sum()))
    return MatchProbabilities(
        use,
        p,
        float(w[total > 2].sum()),
        per_locus,
        False,
        False,
        patient.mass_left_out,
        donor.mass_left_out,
        patient.cap,
    )


class MatchPredictor:
    """An HF set with a bounded cache of donor imputations (many donors share one typing)."""

    def __init__(self, hf: HaplotypeFrequencySet, *, max_genotypes: int | None = DEFAULT_MAX_GENOTYPES) -> None:
        self.hf = hf
        self.max_genotypes = max_genotypes
        self._cache: dict[Hashable, GenotypeSet] = {}

    def impute(self, typing: Mapping[str, LocusTyping]) -> GenotypeSet:
        return impute(self.hf, typing, max_genotypes=self.max_genotypes)

    def impute_cached(self, key: Hashable, typing: Callable[[], Mapping[str, LocusTyping]]) -> GenotypeSet:
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            hit = self.impute(typing())
            self._cache[key] = hit
        return hit

    def predict(
        self,
        patient: GenotypeSet,
        donor: GenotypeSet,
        *,
        loci: tuple[Locus, ...] | None = None,
        homozygous_counts: int = 2,
    ) -> MatchProbabilities:
        return predict(patient, donor, loci=loci, homozygous_counts=homozygous_counts)
