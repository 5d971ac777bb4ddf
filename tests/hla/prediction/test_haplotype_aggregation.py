"""Aggregated prediction (class pairs summed by match category) against the genotype list it replaces.

``predict_from_haplotypes`` must give what :func:`predict` gives from the donor's *uncapped* genotype list
(:func:`impute` with ``max_genotypes=None``): the same P(0/1/2), P(> 2) and per-locus probabilities up to
the order of floating-point summation (relative and absolute 1e-12; the observed differences are ~1e-15).
Where it does not apply (a null donor position, ``homozygous_counts == 1``, a patient of more than 16
genotypes) it is the genotype path itself. Typings are drawn from the Atlas 301-haplotype sample set with
a recombined tail (1,947 haplotypes) at mixed resolutions, per locus; a genotype cap on the earlier donor
path is shown to drop likelihood that the aggregated path keeps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import LocusTyping, Nomenclature, locus_typing
from engraft.hla.prediction.consistent_haplotypes import consistent_haplotypes, token_consistency
from engraft.hla.prediction.haplotype_aggregation import (
    MAX_PATIENT_GENOTYPES,
    DonorHaplotypes,
    aggregation_applies,
    donor_haplotypes,
)
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.hla.prediction.imputation import (
    Consistency,
    ConsistentHaplotypes,
    GenotypeSet,
    GenotypeSource,
    UnexplainedReason,
    compared_loci,
    consistent_set,
    impute,
)
from engraft.hla.prediction.match_prediction import (
    MatchPredictor,
    MatchProbabilities,
    predict,
    predict_from_haplotypes,
)
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary.hla import MATCH_LOCI, Locus
from tests.hla.prediction.haplotype_typings import typing_at

RESOLUTIONS = ("G", "2field", "XX", "serology", "untyped")
TAIL = 1700
SEROLOGY_ABDR = ("serology", "serology", "untyped", "serology", "untyped")


@pytest.fixture(scope="module")
def sample(nom: Nomenclature, atlas_samples_dir: Path) -> HaplotypeFrequencySet:
    return load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")


@pytest.fixture(scope="module")
def atlas(nom: Nomenclature, sample: HaplotypeFrequencySet) -> HaplotypeFrequencySet:
    """The Atlas sample (rows 0-300, 90 % of the mass) plus 1,700 recombined haplotypes (each locus from an
    independently drawn sample haplotype; 10 %, Zipf-like; duplicates merge): typings with thousands of
    genotypes, so that a cap truncates."""
    rng = np.random.default_rng(13)
    picks = rng.choice(sample.size, size=(TAIL, len(sample.loci)), p=sample.frequencies)
    haplotypes = [dict(zip(sample.loci, row, strict=True)) for row in sample.tokens]
    haplotypes += [
        {locus: sample.tokens[h][j] for j, (locus, h) in enumerate(zip(sample.loci, row, strict=True))}
        for row in picks.tolist()
    ]
    zipf = 1.0 / np.arange(1, TAIL + 1) ** 0.8
    frequencies = np.concatenate([sample.frequencies * 0.9, 0.1 * zipf / zipf.sum()])
    return build_hf_set(nom, haplotypes, frequencies.tolist(), name="sample + tail")


def _classes(
    hf: HaplotypeFrequencySet,
    typing: dict[str, LocusTyping],
    loci: tuple[Locus, ...],
    consistency: Consistency = Consistency.P_GROUP,
) -> GenotypeSet | DonorHaplotypes:
    found = consistent_set(hf, typing, loci, consistency, None)
    if isinstance(found, GenotypeSet):
        return found
    prepared = donor_haplotypes(found)
    return prepared if prepared is not None else impute(hf, typing, loci=loci, consistency=consistency)


def _assert_close(got: MatchProbabilities, want: MatchProbabilities) -> None:
    assert (got.p_mismatches is None) == (want.p_mismatches is None)
    assert got.loci == want.loci
    if got.p_mismatches is None or want.p_mismatches is None:
        return
    assert got.p_mismatches == pytest.approx(want.p_mismatches, rel=1e-12, abs=1e-12)
    assert got.p_more == pytest.approx(want.p_more, rel=1e-12, abs=1e-12)
    assert got.per_locus is not None and want.per_locus is not None
    assert got.per_locus.keys() == want.per_locus.keys()
    for locus, values in want.per_locus.items():
        assert got.per_locus[locus] == pytest.approx(values, rel=1e-12, abs=1e-12)
    # probabilities of a complete answer: P(0) + P(1) + P(2) + P(> 2) = 1
    assert sum(got.p_mismatches) + (got.p_more or 0.0) == pytest.approx(1.0, abs=1e-12)


def _resolutions(typed: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """Per locus a resolution: A, B and DRB1 always typed (a registry's required loci), C and DQB1 may be
    untyped; this bounds the uncapped genotype lists the reference path builds (memory: Np x Nd)."""
    required, optional = st.sampled_from(typed), st.sampled_from((*typed, "untyped"))
    return st.tuples(required, required, optional, required, optional).map(list)


@settings(max_examples=80, deadline=None, database=None)
@given(
    patient_h=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    patient_res=_resolutions(("G", "G", "2field", "XX")),
    donor_h=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    donor_res=_resolutions(("G", "2field", "XX", "serology")),
    homozygous_counts=st.sampled_from([1, 2]),
    consistency=st.sampled_from(list(Consistency)),
    loci=st.sampled_from([None, tuple(MATCH_LOCI[:4]), (MATCH_LOCI[0], MATCH_LOCI[1], MATCH_LOCI[3])]),
    patient_cap=st.sampled_from([1, 3, MAX_PATIENT_GENOTYPES, 40]),
)
def test_aggregated_prediction_equals_the_uncapped_genotype_list(
    nom: Nomenclature,
    atlas: HaplotypeFrequencySet,
    patient_h: tuple[int, int],
    patient_res: list[str],
    donor_h: tuple[int, int],
    donor_res: list[str],
    homozygous_counts: int,
    consistency: Consistency,
    loci: tuple[Locus, ...] | None,
    patient_cap: int,
) -> None:
    use = compared_loci(atlas, loci)
    patient = impute(
        atlas,
        typing_at(nom, atlas, *patient_h, patient_res),
        loci=use,
        consistency=consistency,
        max_genotypes=patient_cap,
    )
    donor_typing = typing_at(nom, atlas, *donor_h, donor_res)
    donor = _classes(atlas, donor_typing, use, consistency)
    listed = impute(atlas, donor_typing, loci=use, consistency=consistency, max_genotypes=None)
    want = predict(patient, listed, homozygous_counts=homozygous_counts)
    if isinstance(donor, GenotypeSet):  # typed or unexplained: the genotype path, as before
        assert donor.source is listed.source and donor.source is not GenotypeSource.IMPUTED
        return
    got = predict_from_haplotypes(patient, donor, homozygous_counts=homozygous_counts, max_genotypes=None)
    _assert_close(got, want)
    if aggregation_applies(patient, donor, homozygous_counts) and not patient.unrepresented:
        assert got.donor_mass_left_out == 0.0 and got.donor_genotype is GenotypeSource.IMPUTED
        assert got.donor_frequency_set == listed.frequency_set


@pytest.mark.parametrize(
    ("patient_h", "donor_h"),
    [
        pytest.param((0, 1), (0, 1), id="donor-shares-both-haplotypes"),
        pytest.param((0, 1), (2, 5), id="donor-shares-none"),
        pytest.param((4, 4), (0, 2), id="homozygous-patient"),
    ],
)
def test_serology_donor_the_cap_truncates(
    nom: Nomenclature, atlas: HaplotypeFrequencySet, patient_h: tuple[int, int], donor_h: tuple[int, int]
) -> None:
    """A donor typed by serology at A, B and DR: the cap (here 30 genotypes) leaves likelihood out and
    renormalises; the aggregated answer is the uncapped one and leaves nothing out."""
    patient = impute(atlas, typing_at(nom, atlas, *patient_h, ("G",) * 5))
    assert patient.source is GenotypeSource.TYPED
    typing = typing_at(nom, atlas, *donor_h, SEROLOGY_ABDR)
    capped = impute(atlas, typing, max_genotypes=30)
    assert capped.truncated and capped.mass_left_out > 0.0
    donor = _classes(atlas, typing, atlas.loci)
    assert isinstance(donor, DonorHaplotypes) and aggregation_applies(patient, donor, 2)
    got = predict_from_haplotypes(patient, donor, max_genotypes=30)
    _assert_close(got, predict(patient, impute(atlas, typing, max_genotypes=None)))
    assert got.donor_mass_left_out == 0.0 and got.genotype_cap is None
    assert predict(patient, capped).donor_mass_left_out == capped.mass_left_out


def test_a_null_donor_position_is_compared_by_its_genotype_list(
    nom: Nomenclature, atlas: HaplotypeFrequencySet
) -> None:
    """Boundary: with a null position the two orientations of a pair can differ, so the genotype list
    (capped as before) is used, and gives exactly the earlier answer."""
    typing = {
        "A": locus_typing(nom, "A*03:129N", "A*01:XX"),
        "B": locus_typing(nom, "B*07:XX", "B*08:XX"),
        "DRB1": locus_typing(nom, "DRB1*15:XX", "DRB1*03:XX"),
    }
    patient = impute(atlas, typing_at(nom, atlas, 0, 1, ("G",) * 5))
    found = consistent_set(atlas, typing, atlas.loci, Consistency.P_GROUP, 2000)
    assert isinstance(found, ConsistentHaplotypes) and found.has_null_position
    donor = donor_haplotypes(found)
    assert donor is not None and not aggregation_applies(patient, donor, 2)
    got = predict_from_haplotypes(patient, donor, max_genotypes=50)
    assert got == predict(patient, impute(atlas, typing, max_genotypes=50))


@pytest.mark.parametrize(
    ("cap", "applies"),
    [
        pytest.param(MAX_PATIENT_GENOTYPES, True, id="patient-at-the-limit"),
        pytest.param(MAX_PATIENT_GENOTYPES + 1, False, id="patient-one-above"),
    ],
)
def test_patient_genotype_limit(nom: Nomenclature, atlas: HaplotypeFrequencySet, cap: int, applies: bool) -> None:
    patient = impute(atlas, typing_at(nom, atlas, 0, 1, SEROLOGY_ABDR), max_genotypes=cap)
    assert patient.weights.shape[0] == cap
    typing = typing_at(nom, atlas, 2, 3, ("XX",) * 5)
    donor = _classes(atlas, typing, atlas.loci)
    assert isinstance(donor, DonorHaplotypes)
    assert aggregation_applies(patient, donor, 2) is applies
    assert not aggregation_applies(patient, donor, 1)  # one mismatch per homozygous pair: the genotype list
    got = predict_from_haplotypes(patient, donor, max_genotypes=None)
    _assert_close(got, predict(patient, impute(atlas, typing, max_genotypes=None)))


def test_predictor_keeps_classes_and_answers_like_the_uncapped_list(
    nom: Nomenclature, atlas: HaplotypeFrequencySet
) -> None:
    aggregated = MatchPredictor(atlas)
    listed = MatchPredictor(atlas, aggregate=False, max_genotypes=None)
    patient = aggregated.impute(typing_at(nom, atlas, 0, 1, ("G",) * 5))
    for key, (h1, h2) in enumerate([(0, 1), (2, 5), (0, 2)]):
        typing = typing_at(nom, atlas, h1, h2, SEROLOGY_ABDR)
        donor = aggregated.impute_cached(key, lambda typing=typing: typing)  # type: ignore[misc]
        assert isinstance(donor, DonorHaplotypes)
        assert aggregated.impute_cached(key, lambda: {}) is donor  # memoised on the key
        got = aggregated.predict(patient, donor)
        assert aggregated.predict(patient, donor) is got
        _assert_close(got, listed.predict(patient, listed.impute_cached(key, lambda typing=typing: typing)))  # type: ignore[misc]
    typed = typing_at(nom, atlas, 0, 1, ("G",) * 5)
    assert aggregated.impute_cached("typed", lambda: typed).source is GenotypeSource.TYPED  # type: ignore[union-attr]


def test_predictor_reports_a_typing_no_pair_explains(nom: Nomenclature) -> None:
    """Every position meets a haplotype, no pair meets all: unexplained with the reason, as before."""
    h1 = {"A": "01:01:01G", "B": "08:01:01G", "C": "07:01:01G", "DRB1": "03:01:01G", "DQB1": "02:01:01G"}
    h2 = {"A": "02:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"}
    hf = build_hf_set(nom, [h1, h2], [0.6, 0.4])
    typing = {
        "A": locus_typing(nom, "A*01:XX", "A*01:XX"),
        "B": locus_typing(nom, "B*07:XX", "B*07:XX"),
    }
    predictor = MatchPredictor(hf)
    donor = predictor.impute_cached("d", lambda: typing)
    assert isinstance(donor, GenotypeSet)
    assert donor.unexplained is UnexplainedReason.NO_HAPLOTYPE_PAIR
    assert donor.unexplained == impute(hf, typing).unexplained
    patient = predictor.impute(
        {locus: locus_typing(nom, f"{locus}*{h1[locus]}", f"{locus}*{h2[locus]}") for locus in h1}
    )
    assert predictor.predict(patient, donor).p_mismatches is None


def test_the_donor_genotype_list_is_built_once_per_cap(nom: Nomenclature, atlas: HaplotypeFrequencySet) -> None:
    donor = _classes(atlas, typing_at(nom, atlas, 0, 1, SEROLOGY_ABDR), atlas.loci)
    assert isinstance(donor, DonorHaplotypes)
    assert donor.genotypes(30) is donor.genotypes(30)
    assert donor.genotypes(30).weights.shape[0] == 30
    assert np.isclose(donor.genotypes(None).weights.sum(), 1.0)


def test_a_null_allele_on_a_haplotype_makes_its_locus_homozygous(nom: Nomenclature) -> None:
    """A haplotype whose A allele is null (P code -1, the null category): the donor's locus is homozygous for
    the other allele, as in the genotype path; typed positions are not null, so the pairs are aggregated."""
    h1 = {"A": "01:01:01G", "B": "08:01:01G", "C": "07:01:01G", "DRB1": "03:01:01G", "DQB1": "02:01:01G"}
    h2 = {"A": "02:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"}
    h_null = {**h2, "A": "01:11N"}
    hf = build_hf_set(nom, [h1, h2, h_null], [0.5, 0.3, 0.2])
    assert int(hf.p_codes[2, 0]) == -1
    donor_typing = {"B": locus_typing(nom, "B*08:XX", "B*07:XX"), "DRB1": locus_typing(nom, "DRB1*03:XX", "DRB1*15:XX")}
    donor = _classes(hf, donor_typing, hf.loci)
    assert isinstance(donor, DonorHaplotypes) and not donor.haplotypes.has_null_position
    for a in (("A*01:01", "A*02:01"), ("A*01:01", "A*01:01")):
        patient = impute(
            hf,
            {
                **donor_typing,
                "A": locus_typing(nom, *a),
                **{locus: locus_typing(nom, f"{locus}*{h1[locus]}", f"{locus}*{h2[locus]}") for locus in ("C", "DQB1")},
            },
        )
        got = predict_from_haplotypes(patient, donor, max_genotypes=None)
        _assert_close(got, predict(patient, impute(hf, donor_typing, max_genotypes=None)))


@settings(max_examples=60, deadline=None, database=None)
@given(
    h=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    res=st.lists(st.sampled_from(RESOLUTIONS), min_size=5, max_size=5),
    consistency=st.sampled_from(list(Consistency)),
)
def test_consistent_haplotypes_are_those_meeting_every_typed_locus(
    nom: Nomenclature, atlas: HaplotypeFrequencySet, h: tuple[int, int], res: list[str], consistency: Consistency
) -> None:
    """The rows found locus by locus (most selective first) against a brute-force test of every haplotype."""
    typing = typing_at(nom, atlas, *h, res)
    found = consistent_haplotypes(atlas, typing, atlas.loci, consistency)
    keep = np.ones(atlas.size, dtype=bool)
    for j, locus in enumerate(atlas.loci):
        if locus in typing:
            ok = [token_consistency(atlas.locus_tokens[j], p, consistency) for p in typing[locus].positions]
            keep &= (ok[0] | ok[1])[atlas.codes[:, j]]
    rows = np.flatnonzero(keep)
    assert np.array_equal(found.frequency, atlas.frequencies[rows])
    assert np.array_equal(found.v1, atlas.p_codes[rows][:, [atlas.loci.index(x) for x in found.loci]])
    assert not found.has_null_position
