"""Match prediction: P(0), P(1), P(2) mismatches for typings at low or mixed resolution.

Each subject's typing becomes P-group genotypes with likelihoods (:mod:`engraft.hla.prediction.imputation`:
an unambiguous typing is its own genotype with certainty, an ambiguous one is imputed from the HF set
chosen for the subject, :mod:`engraft.hla.prediction.set_selection`). Every patient genotype is then
compared with every donor genotype at P-group level, per locus both orientations, counting
``max(GvH, HvG)`` like :func:`engraft.hla.matching.locus_match.match_locus`; a null allele makes its locus
homozygous for the expressed one (WMDA, Atlas). ``P(k) = sum of w_patient * w_donor over pairs with k
mismatches``. :class:`MatchPredictor` keeps an imputed donor as its consistent haplotypes instead and sums
their pairs in aggregate (:mod:`engraft.hla.prediction.haplotype_aggregation`): the same probabilities as the
donor's uncapped genotype list, up to summation order, without listing it and without the 2,000-genotype
cap (whose renormalisation moved rare donors' probabilities by up to 0.16 on the long-tailed benchmark).

Every donor gets an answer: probabilities whenever both subjects have genotypes; for an ambiguous typing
the HF set cannot explain, no probabilities (Atlas issue #890) but the reason
(:class:`~engraft.hla.prediction.imputation.UnexplainedReason`) and the search's matching result stand.
:class:`MatchProbabilities` also carries each subject's genotype source, HF set and the likelihood mass a
genotype cap left out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.prediction.haplotype_aggregation import (
    AggregatedProbabilities,
    DonorHaplotypes,
    aggregated_probabilities,
    aggregation_applies,
    donor_haplotypes,
)
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.imputation import (
    DEFAULT_MAX_GENOTYPES,
    Consistency,
    GenotypeSet,
    GenotypeSource,
    Pairing,
    UnexplainedReason,
    compared_loci,
    consistent_set,
    impute,
    unexplained_set,
)
from engraft.hla.prediction.locus_mismatches import locus_mismatches
from engraft.hla.prediction.set_selection import FrequencySetCatalogue, Population
from engraft.vocabulary.hla import Locus

__all__ = [
    "DEFAULT_MAX_GENOTYPES",
    "GenotypeSet",
    "MatchPredictor",
    "MatchProbabilities",
    "impute",
    "predict",
]

_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class MatchProbabilities:
    """Probabilities of 0/1/2 mismatches overall (and > 2) and per locus; ``None`` when a typing is unexplained."""

    loci: tuple[Locus, ...]
    p_mismatches: tuple[float, float, float] | None
    p_more: float | None
    per_locus: Mapping[Locus, tuple[float, float, float]] | None
    patient_unrepresented: bool
    donor_unrepresented: bool
    patient_mass_left_out: float
    donor_mass_left_out: float
    genotype_cap: int | None
    patient_genotype: GenotypeSource = GenotypeSource.IMPUTED
    donor_genotype: GenotypeSource = GenotypeSource.IMPUTED
    patient_unexplained: UnexplainedReason | None = None
    donor_unexplained: UnexplainedReason | None = None
    patient_unexplained_tokens: tuple[str, ...] = ()
    donor_unexplained_tokens: tuple[str, ...] = ()
    patient_frequency_set: str = ""
    donor_frequency_set: str = ""


def predict(
    patient: GenotypeSet, donor: GenotypeSet, *, loci: tuple[Locus, ...] | None = None, homozygous_counts: int = 2
) -> MatchProbabilities:
    """Match probabilities of a patient/donor pair from their genotypes, over ``loci`` (default: the patient's)."""
    use = _use(patient, donor, loci)
    if patient.unrepresented or donor.unrepresented:
        return _result(use, patient, donor, None, None, None)
    w = np.outer(patient.weights, donor.weights)
    total = np.zeros(w.shape, dtype=np.uint8)
    per_locus: dict[Locus, tuple[float, float, float]] = {}
    for locus in use:
        mm = locus_mismatches(
            patient.p_pairs[:, patient.loci.index(locus), :],
            donor.p_pairs[:, donor.loci.index(locus), :],
            homozygous_counts,
        )
        total += mm
        per_locus[locus] = (float(w[mm == 0].sum()), float(w[mm == 1].sum()), float(w[mm == 2].sum()))
    p = (float(w[total == 0].sum()), float(w[total == 1].sum()), float(w[total == 2].sum()))
    return _result(use, patient, donor, p, float(w[total > 2].sum()), per_locus)


def _use(
    patient: GenotypeSet, donor: GenotypeSet | DonorHaplotypes, loci: tuple[Locus, ...] | None
) -> tuple[Locus, ...]:
    use = loci or patient.loci
    absent = [locus for locus in use if locus not in patient.loci or locus not in donor.loci]
    if absent:
        raise ValueError(f"loci {', '.join(absent)} were not imputed for both subjects")
    return use


def predict_from_haplotypes(
    patient: GenotypeSet,
    donor: DonorHaplotypes,
    *,
    loci: tuple[Locus, ...] | None = None,
    homozygous_counts: int = 2,
    max_genotypes: int | None = DEFAULT_MAX_GENOTYPES,
    pairing: Pairing = Pairing.SIGNATURE,
) -> MatchProbabilities:
    """Match probabilities of a patient and an imputed donor given as its consistent haplotypes: summed over
    the haplotype pairs in aggregate, exactly and with no cap on the donor's genotypes
    (:mod:`engraft.hla.prediction.haplotype_aggregation`), where that applies; otherwise from the donor's genotype
    list capped at ``max_genotypes`` (:func:`predict`)."""
    use = _use(patient, donor, loci)
    if not aggregation_applies(patient, donor, homozygous_counts) and not patient.unrepresented:
        return predict(patient, donor.genotypes(max_genotypes, pairing), loci=loci, homozygous_counts=homozygous_counts)
    found = None if patient.unrepresented else aggregated_probabilities(patient, donor, use, homozygous_counts)
    return _aggregated_result(use, patient, donor, found)


def _aggregated_result(
    loci: tuple[Locus, ...], patient: GenotypeSet, donor: DonorHaplotypes, found: AggregatedProbabilities | None
) -> MatchProbabilities:
    return MatchProbabilities(
        loci=loci,
        p_mismatches=found.p_mismatches if found else None,
        p_more=found.p_more if found else None,
        per_locus=found.per_locus if found else None,
        patient_unrepresented=patient.unrepresented,
        donor_unrepresented=False,
        patient_mass_left_out=patient.mass_left_out,
        donor_mass_left_out=0.0,
        genotype_cap=patient.cap,
        patient_genotype=patient.source,
        donor_genotype=GenotypeSource.IMPUTED,
        patient_unexplained=patient.unexplained,
        patient_unexplained_tokens=patient.unexplained_tokens,
        patient_frequency_set=patient.frequency_set,
        donor_frequency_set=donor.haplotypes.frequency_set,
    )


def _result(
    loci: tuple[Locus, ...],
    patient: GenotypeSet,
    donor: GenotypeSet,
    p: tuple[float, float, float] | None,
    p_more: float | None,
    per_locus: Mapping[Locus, tuple[float, float, float]] | None,
) -> MatchProbabilities:
    return MatchProbabilities(
        loci=loci,
        p_mismatches=p,
        p_more=p_more,
        per_locus=per_locus,
        patient_unrepresented=patient.unrepresented,
        donor_unrepresented=donor.unrepresented,
        patient_mass_left_out=patient.mass_left_out,
        donor_mass_left_out=donor.mass_left_out,
        genotype_cap=patient.cap if patient.cap is not None else donor.cap,
        patient_genotype=patient.source,
        donor_genotype=donor.source,
        patient_unexplained=patient.unexplained,
        donor_unexplained=donor.unexplained,
        patient_unexplained_tokens=patient.unexplained_tokens,
        donor_unexplained_tokens=donor.unexplained_tokens,
        patient_frequency_set=patient.frequency_set,
        donor_frequency_set=donor.frequency_set,
    )


class MatchPredictor:
    """HF sets (one, or a catalogue per registry and ethnicity) with a bounded cache of imputations.

    ``consistency`` is the level at which typings must agree with haplotypes (P group by default, as
    Atlas; G group as an option); ``max_genotypes`` caps the genotypes kept per subject; ``pairing``
    chooses how imputation finds the haplotype pairs (:class:`~engraft.hla.prediction.imputation.Pairing`,
    the same result either way; the earlier all-pairs method is kept for comparison). With ``aggregate``
    (the default) an imputed donor is kept as its consistent haplotypes and compared with the patient by
    summing class pairs in aggregate (:mod:`engraft.hla.prediction.haplotype_aggregation`): exact, no cap on the
    donor's genotypes; without it (the earlier way) as its genotype list, capped at ``max_genotypes``.
    """

    def __init__(
        self,
        hf: HaplotypeFrequencySet | FrequencySetCatalogue,
        *,
        max_genotypes: int | None = DEFAULT_MAX_GENOTYPES,
        consistency: Consistency = Consistency.P_GROUP,
        pairing: Pairing = Pairing.SIGNATURE,
        aggregate: bool = True,
    ) -> None:
        self.pairing = pairing
        self.aggregate = aggregate
        self.catalogue = hf if isinstance(hf, FrequencySetCatalogue) else FrequencySetCatalogue([hf])
        self.max_genotypes = max_genotypes
        self.consistency = consistency
        self._cache: dict[Hashable, GenotypeSet | DonorHaplotypes] = {}
        # predictions of cached genotype pairs (donors sharing a typing share them); the genotype sets are
        # kept in the value so that the ids in the key stay theirs
        self._pairs: dict[
            Hashable, tuple[GenotypeSet | DonorHaplotypes, GenotypeSet | DonorHaplotypes, MatchProbabilities]
        ] = {}

    def clear_cache(self) -> None:
        """Forget every cached imputation and prediction."""
        self._cache.clear()
        self._pairs.clear()

    @property
    def hf(self) -> HaplotypeFrequencySet:
        """The default (global) set."""
        return self.catalogue.default

    def compared_loci(self, loci: tuple[Locus, ...] | None = None) -> tuple[Locus, ...]:
        return compared_loci(self.hf, loci)

    def impute(
        self,
        typing: Mapping[str, LocusTyping],
        *,
        loci: tuple[Locus, ...] | None = None,
        population: Population | None = None,
        hf: HaplotypeFrequencySet | None = None,
    ) -> GenotypeSet:
        """Genotypes of a typing with ``hf``, else the set chosen for ``population``, else the global set."""
        chosen = hf or (self.catalogue.select(population) if population else self.hf)
        return impute(
            chosen,
            typing,
            loci=loci,
            consistency=self.consistency,
            max_genotypes=self.max_genotypes,
            pairing=self.pairing,
        )

    def impute_cached(
        self,
        key: Hashable,
        typing: Callable[[], Mapping[str, LocusTyping]],
        *,
        loci: tuple[Locus, ...] | None = None,
        hf: HaplotypeFrequencySet | None = None,
    ) -> GenotypeSet | DonorHaplotypes:
        """A donor's imputation memoised on ``key`` (a typing's identity), the loci and the set: its
        :meth:`impute` genotypes, or with ``aggregate`` its consistent haplotypes when the typing is ambiguous
        and explained (:class:`~engraft.hla.prediction.haplotype_aggregation.DonorHaplotypes`)."""
        chosen = hf or self.hf
        full_key = (key, loci, id(chosen))
        hit = self._cache.get(full_key)
        if hit is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            hit = self._donor(typing(), loci, chosen) if self.aggregate else self.impute(typing(), loci=loci, hf=chosen)
            self._cache[full_key] = hit
        return hit

    def _donor(
        self, typing: Mapping[str, LocusTyping], loci: tuple[Locus, ...] | None, hf: HaplotypeFrequencySet
    ) -> GenotypeSet | DonorHaplotypes:
        use = compared_loci(hf, loci)
        found = consistent_set(hf, typing, use, self.consistency, self.max_genotypes)
        if isinstance(found, GenotypeSet):
            return found
        prepared = donor_haplotypes(found)
        if prepared is None:
            return unexplained_set(use, self.max_genotypes, found.frequency_set, list(found.missing))
        return prepared

    def predict(
        self,
        patient: GenotypeSet | DonorHaplotypes,
        donor: GenotypeSet | DonorHaplotypes,
        *,
        loci: tuple[Locus, ...] | None = None,
        homozygous_counts: int = 2,
    ) -> MatchProbabilities:
        """:func:`predict` (:func:`predict_from_haplotypes` for a donor's haplotypes), memoised per pair of
        subjects (objects, as :meth:`impute_cached` returns them; a patient given as haplotypes is compared by
        its genotype list, capped at ``max_genotypes``)."""
        key = (id(patient), id(donor), loci, homozygous_counts)
        hit = self._pairs.get(key)
        if hit is not None and hit[0] is patient and hit[1] is donor:
            return hit[2]
        if len(self._pairs) >= _CACHE_LIMIT:
            self._pairs.clear()
        patient_g = (
            patient.genotypes(self.max_genotypes, self.pairing) if isinstance(patient, DonorHaplotypes) else patient
        )
        if isinstance(donor, DonorHaplotypes):
            result = predict_from_haplotypes(
                patient_g,
                donor,
                loci=loci,
                homozygous_counts=homozygous_counts,
                max_genotypes=self.max_genotypes,
                pairing=self.pairing,
            )
        else:
            result = predict(patient_g, donor, loci=loci, homozygous_counts=homozygous_counts)
        self._pairs[key] = (patient, donor, result)
        return result
