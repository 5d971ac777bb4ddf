"""Match probabilities summed over a donor's consistent haplotype pairs in aggregate: exact, no genotype list, no cap.

What prediction needs from an imputed donor is, for each patient genotype, the likelihood share of the
donor's consistent haplotype pairs that give 0, 1, 2, ... mismatches (overall and per locus). Listing the
pairs as genotypes (:func:`~engraft.hla.prediction.imputation.genotypes_of_classes`) costs time linear in
the pairs (tens to hundreds of thousands for a serology-typed donor and a 100,000-haplotype set), and Atlas's
cap of 2,000 genotypes then drops part of the likelihood (up to half of it for rare donors).

Here, for one patient genotype, each consistent donor haplotype gets a *category* per compared locus: its P
value is the patient's first (effective) allele, the second, a null, or another allele. Against a patient the
mismatch count of a locus depends on the two donor alleles only through those categories (the counting of
:func:`~engraft.hla.prediction.locus_mismatches.locus_mismatches` with a homozygous mismatch counting twice
compares donor alleles with the patient's only; with ``homozygous_counts == 1`` it also compares the two
donor alleles with each other, so that case is not aggregated). Haplotypes with the same consistency
signature (:func:`~engraft.hla.prediction.class_pairs.signature_table`: whether a pair explains the typing
depends on it alone) and the same categories are summed into one *group*; every ordered pair of groups with
compatible signatures contributes ``W_g * W_h`` (summing the ordered pairs gives each unordered pair
``a != b`` twice, ``2 f_a f_b``, and ``a == b`` once, ``f_a^2``: the Hardy-Weinberg likelihoods), with the
mismatches of its categories (a 4 x 4 table per locus, built by the counting function itself). Normalised
by the likelihood of every consistent pair, this is exactly the prediction from the donor's *uncapped*
genotype list, up to the order of floating-point summation (tested against it, relative 1e-12).

It applies when the donor's two orientations of a pair cannot differ (no typed position is null: then
``v1 == v2``), the count is the default (a homozygous mismatch counts twice) and the patient has at most
:data:`MAX_PATIENT_GENOTYPES` genotypes (one for every allele-typed patient); the caller otherwise lists
the genotypes (classes of alike haplotypes paired, capped) as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engraft.hla.prediction.class_pairs import signature_table
from engraft.hla.prediction.code_groups import group_keys
from engraft.hla.prediction.imputation import NULL, ConsistentHaplotypes, GenotypeSet, Pairing, genotypes_of_classes
from engraft.hla.prediction.locus_mismatches import effective, locus_mismatches
from engraft.vocabulary.hla import Locus

#: Patients with more genotypes than this are compared genotype by genotype (the cost grows with them).
MAX_PATIENT_GENOTYPES = 16
_CATEGORIES = 4  # the patient's first allele, its second, a null, another allele


@dataclass(slots=True)
class DonorHaplotypes:
    """An imputed donor ready for aggregated prediction: its consistent haplotypes, their signatures, which
    signature pairs explain the typing and the likelihood of every consistent pair (``total``); its classes
    and genotype list are built only if a prediction needs them (:meth:`genotypes`)."""

    haplotypes: ConsistentHaplotypes
    sig_of: npt.NDArray[np.intp]
    compatible: npt.NDArray[np.bool_]
    total: float
    _genotypes: dict[tuple[int | None, Pairing], GenotypeSet] = field(default_factory=dict)

    @property
    def loci(self) -> tuple[Locus, ...]:
        return self.haplotypes.loci

    def genotypes(self, max_genotypes: int | None, pairing: Pairing = Pairing.SIGNATURE) -> GenotypeSet:
        """The donor's genotype list (imputation steps 3-4), built once per cap."""
        key = (max_genotypes, pairing)
        if key not in self._genotypes:
            self._genotypes[key] = genotypes_of_classes(self.haplotypes.classes(), max_genotypes, pairing)
        return self._genotypes[key]


def donor_haplotypes(haplotypes: ConsistentHaplotypes) -> DonorHaplotypes | None:
    """The donor's haplotypes prepared for aggregation, or None when no pair of them explains the typing."""
    sig_of, compatible = signature_table(haplotypes.c1, haplotypes.c2)
    if not compatible.any():
        return None
    per_sig = np.bincount(sig_of, weights=haplotypes.frequency, minlength=compatible.shape[0])
    # ordered signature pairs: x != y twice (2 W_x W_y), x == y once (W_x^2: the pairs a <= b within x)
    total = float((np.outer(per_sig, per_sig) * compatible).sum())
    return DonorHaplotypes(haplotypes, sig_of, compatible, total)


def aggregation_applies(patient: GenotypeSet, donor: DonorHaplotypes, homozygous_counts: int) -> bool:
    """See the module docstring: default counting, no null donor position, a patient of few genotypes."""
    return (
        homozygous_counts == 2
        and not donor.haplotypes.has_null_position
        and 0 < patient.weights.shape[0] <= MAX_PATIENT_GENOTYPES
    )


@dataclass(frozen=True, slots=True)
class AggregatedProbabilities:
    p_mismatches: tuple[float, float, float]
    p_more: float
    per_locus: dict[Locus, tuple[float, float, float]]


@lru_cache(maxsize=4096)
def _table(
    patient_pair: tuple[int, int], homozygous_counts: int
) -> tuple[tuple[int, int, int, int], npt.NDArray[np.uint8]]:
    """The patient's two effective alleles and the mismatches at one locus for every pair of donor categories
    (4 x 4: first allele, second, null, another), from the counting function itself."""
    pair = np.array([patient_pair], dtype=np.int32)
    pa, pb = (int(x[0]) for x in effective(pair))
    reps = np.array([pa, pb, NULL, max(pa, pb, 0) + 1], dtype=np.int32)
    grid = np.stack(np.meshgrid(reps, reps, indexing="ij"), axis=-1).reshape(-1, 2)
    table = locus_mismatches(pair, grid, homozygous_counts).reshape(_CATEGORIES, _CATEGORIES)
    table.flags.writeable = False
    return (pa, pb, NULL, int(reps[3])), table


def aggregated_probabilities(
    patient: GenotypeSet, donor: DonorHaplotypes, loci: tuple[Locus, ...], homozygous_counts: int = 2
) -> AggregatedProbabilities:
    """P(0/1/2/more mismatches) overall and per locus from the donor's haplotypes (see the module docstring)."""
    haps = donor.haplotypes
    n_use = len(loci)
    donor_cols = [haps.loci.index(locus) for locus in loci]
    patient_cols = [patient.loci.index(locus) for locus in loci]
    n_sigs = donor.compatible.shape[0]
    overall = np.zeros(n_use * 2 + 1)
    per_locus = np.zeros((n_use, 3))
    for i in range(patient.weights.shape[0]):
        key = donor.sig_of.astype(np.int64)
        tables = []
        for dl, pl in zip(donor_cols, patient_cols, strict=True):
            (pa, pb, _, _), table = _table(
                (int(patient.p_pairs[i, pl, 0]), int(patient.p_pairs[i, pl, 1])), homozygous_counts
            )
            v = haps.v1[:, dl]
            cat = np.where(v == NULL, 2, np.where(v == pa, 0, np.where(v == pb, 1, 3)))
            key = key * _CATEGORIES + cat
            tables.append(table)
        groups, inverse = group_keys(key, n_sigs * _CATEGORIES**n_use)
        weight = np.bincount(inverse, weights=haps.frequency, minlength=groups.size)
        rest, cats = groups, []
        for _ in range(n_use):
            rest, c = np.divmod(rest, _CATEGORIES)
            cats.append(c)
        cats.reverse()
        sig = rest
        like = np.outer(weight, weight) * donor.compatible[np.ix_(sig, sig)]
        count = np.zeros(like.shape, dtype=np.int64)
        for j in range(n_use):
            mm = tables[j][np.ix_(cats[j], cats[j])]
            count += mm
            per_locus[j] += patient.weights[i] * np.bincount(mm.ravel(), weights=like.ravel(), minlength=3)[:3]
        overall += patient.weights[i] * np.bincount(count.ravel(), weights=like.ravel(), minlength=overall.size)
    overall /= donor.total
    per_locus /= donor.total
    return AggregatedProbabilities(
        p_mismatches=(float(overall[0]), float(overall[1]), float(overall[2])),
        p_more=float(overall[3:].sum()),
        per_locus={locus: (float(r[0]), float(r[1]), float(r[2])) for locus, r in zip(loci, per_locus, strict=True)},
    )
