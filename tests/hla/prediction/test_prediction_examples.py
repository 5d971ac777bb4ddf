"""Worked examples of match prediction, computed by hand on a three-haplotype set.

The set (frequencies 0.5, 0.3, 0.2; G groups)::

    H1  A*01:01:01G  B*08:01:01G  C*07:01:01G  DRB1*03:01:01G  DQB1*02:01:01G   0.5
    H2  A*02:01:01G  B*07:02:01G  C*07:02:01G  DRB1*15:01:01G  DQB1*06:02:01G   0.3
    H3  A*02:05:01G  B*07:02:01G  C*07:02:01G  DRB1*15:01:01G  DQB1*06:02:01G   0.2

A patient typed ``A*01:01+A*02:XX`` and two-field elsewhere (``B*08:01+B*07:02`` ...) is explained by
H1+H2 (likelihood 2 x 0.5 x 0.3 = 0.30) and H1+H3 (2 x 0.5 x 0.2 = 0.20): A*02:01 with 0.30/0.50 = 0.6,
A*02:05 with 0.4. Against a donor typed ``A*01:01+A*02:01`` (unambiguous, so certain) P(0) = 0.6 and
P(1) = 0.4, all at HLA-A.
"""

from __future__ import annotations

import numpy as np
import pytest

from engraft.hla import LocusTyping, Nomenclature, locus_typing
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.hla.prediction.imputation import NULL, Consistency, GenotypeSource, UnexplainedReason, impute
from engraft.hla.prediction.match_prediction import MatchPredictor, predict
from engraft.vocabulary.hla import MATCH_LOCI, Locus

H1 = {"A": "01:01:01G", "B": "08:01:01G", "C": "07:01:01G", "DRB1": "03:01:01G", "DQB1": "02:01:01G"}
H2 = {"A": "02:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"}
H3 = {**H2, "A": "02:05:01G"}
H4 = {"A": "03:01:01G", "B": "07:02:01G", "C": "07:02:01G", "DRB1": "15:01:01G", "DQB1": "06:02:01G"}
REST = {"B": ("B*08:01", "B*07:02"), "C": ("C*07:01", "C*07:02"), "DRB1": ("DRB1*03:01", "DRB1*15:01")}
REST_DQ = {**REST, "DQB1": ("DQB1*02:01", "DQB1*06:02")}


@pytest.fixture(scope="module")
def hf(nom: Nomenclature) -> HaplotypeFrequencySet:
    return build_hf_set(nom, [H1, H2, H3], [0.5, 0.3, 0.2])


def _typing(
    nom: Nomenclature, a: tuple[str, str], rest: dict[str, tuple[str, str]] = REST_DQ
) -> dict[str, LocusTyping]:
    return {"A": locus_typing(nom, *a), **{locus: locus_typing(nom, *pair) for locus, pair in rest.items()}}


@pytest.mark.parametrize(
    ("donor_a", "p_mismatches", "p_locus_a"),
    [
        pytest.param(("A*01:01", "A*02:01"), (0.6, 0.4, 0.0), (0.6, 0.4, 0.0), id="donor-a0201-in-set"),
        pytest.param(("A*01:01", "A*02:05"), (0.4, 0.6, 0.0), (0.4, 0.6, 0.0), id="donor-a0205-in-set"),
        pytest.param(("A*01:01", "A*80:01"), (0.0, 1.0, 0.0), (0.0, 1.0, 0.0), id="donor-a8001-not-in-set"),
        pytest.param(("A*24:02", "A*80:01"), (0.0, 0.0, 1.0), (0.0, 0.0, 1.0), id="donor-two-a-not-in-set"),
    ],
)
def test_hand_computed_probabilities(
    nom: Nomenclature,
    hf: HaplotypeFrequencySet,
    donor_a: tuple[str, str],
    p_mismatches: tuple[float, float, float],
    p_locus_a: tuple[float, float, float],
) -> None:
    patient = impute(hf, _typing(nom, ("A*01:01", "A*02:XX")))
    assert patient.source is GenotypeSource.IMPUTED
    assert sorted(patient.weights.tolist()) == pytest.approx([0.4, 0.6])
    donor = impute(hf, _typing(nom, donor_a))
    assert donor.source is GenotypeSource.TYPED and donor.weights.tolist() == [1.0]
    got = predict(patient, donor)
    assert got.p_mismatches == pytest.approx(p_mismatches) and got.p_more == pytest.approx(0.0)
    assert got.per_locus is not None and got.per_locus[Locus.A] == pytest.approx(p_locus_a)
    assert all(got.per_locus[locus] == pytest.approx((1.0, 0.0, 0.0)) for locus in MATCH_LOCI[1:])
    assert got.donor_genotype is GenotypeSource.TYPED and not got.donor_unrepresented


def test_ambiguous_typing_outside_the_set_reports_the_allele(nom: Nomenclature, hf: HaplotypeFrequencySet) -> None:
    donor = impute(hf, _typing(nom, ("A*01:01", "A*80:XX")))
    assert donor.source is GenotypeSource.UNEXPLAINED and donor.unrepresented
    assert donor.unexplained is UnexplainedReason.ALLELE_NOT_IN_SET and donor.unexplained_tokens == ("A*80:XX",)
    got = predict(impute(hf, _typing(nom, ("A*01:01", "A*02:01"))), donor)
    assert got.p_mismatches is None and got.per_locus is None
    assert got.donor_unexplained is UnexplainedReason.ALLELE_NOT_IN_SET and got.donor_unexplained_tokens == ("A*80:XX",)
    assert got.patient_genotype is GenotypeSource.TYPED and not got.patient_unrepresented


def test_combination_no_haplotype_pair_gives(nom: Nomenclature, hf: HaplotypeFrequencySet) -> None:
    """A*01 comes only with B*08 in the set: A*01:XX+A*02:XX with B*07:02 homozygous has no pair."""
    rest = {**REST_DQ, "B": ("B*07:02", "B*07:02")}
    donor = impute(hf, _typing(nom, ("A*01:XX", "A*02:XX"), rest))
    assert donor.unexplained is UnexplainedReason.NO_HAPLOTYPE_PAIR and donor.unexplained_tokens == ()


def test_excluded_locus_is_excluded_before_imputation(nom: Nomenclature, hf: HaplotypeFrequencySet) -> None:
    """DQB1 typed outside the set: the 10-locus imputation cannot explain the donor, the 8/8 one can."""
    rest = {**REST, "DQB1": ("DQB1*05:XX", "DQB1*06:02")}
    typing = _typing(nom, ("A*01:01", "A*02:XX"), rest)
    assert impute(hf, typing).unexplained is UnexplainedReason.ALLELE_NOT_IN_SET
    eight = (Locus.A, Locus.B, Locus.C, Locus.DRB1)
    got = impute(hf, typing, loci=eight)
    assert got.source is GenotypeSource.IMPUTED and got.loci == eight
    assert sorted(got.weights.tolist()) == pytest.approx([0.4, 0.6])


def test_untyped_excluded_locus_leaves_an_unambiguous_typing_certain(
    nom: Nomenclature, hf: HaplotypeFrequencySet
) -> None:
    typing = _typing(nom, ("A*24:02", "A*80:01"), REST)  # no DQB1
    assert impute(hf, typing).unrepresented  # DQB1 must be imputed, and A*24/A*80 are not in the set
    eight = (Locus.A, Locus.B, Locus.C, Locus.DRB1)
    got = impute(hf, typing, loci=eight)
    assert got.source is GenotypeSource.TYPED and got.loci == eight and got.p_pairs.shape == (1, 4, 2)


def test_g_group_option_is_stricter_than_p_group(nom: Nomenclature) -> None:
    """A*68:01:01:02 (G group A*68:01:01G) shares P group A*68:01P with the set's A*68:01:02G, not its G group."""
    hf = build_hf_set(nom, [{**H1, "A": "68:01:02G"}, H2], [0.6, 0.4])
    typing = _typing(nom, ("A*68:01:01:02", "A*02:01"), {**REST_DQ, "B": ("B*08:XX", "B*07:02")})
    assert impute(hf, typing, consistency=Consistency.P_GROUP).source is GenotypeSource.IMPUTED
    strict = impute(hf, typing, consistency=Consistency.G_GROUP)
    assert strict.unexplained is UnexplainedReason.ALLELE_NOT_IN_SET
    assert strict.unexplained_tokens == ("A*68:01:01:02",)


@pytest.mark.parametrize(
    ("patient_a", "donor_a", "p_a"),
    [
        pytest.param(
            ("A*01:01", "A*03:129N"), ("A*01:01", "A*03:01"), (0.0, 1.0, 0.0), id="patient-null-donor-expressed"
        ),
        pytest.param(
            ("A*01:01", "A*03:01"), ("A*01:01", "A*03:129N"), (0.0, 1.0, 0.0), id="patient-expressed-donor-null"
        ),
        pytest.param(("A*01:01", "A*03:129N"), ("A*01:01", "A*03:129N"), (1.0, 0.0, 0.0), id="null-both"),
    ],
)
def test_null_allele_stays_null_through_imputation(
    nom: Nomenclature, patient_a: tuple[str, str], donor_a: tuple[str, str], p_a: tuple[float, float, float]
) -> None:
    """A*03:129N lies in G group A*03:01:01G with expressed alleles; imputed with H4 it must stay null."""
    hf = build_hf_set(nom, [H1, H4], [0.5, 0.5])
    ambiguous_b = {**REST_DQ, "B": ("B*08:XX", "B*07:XX")}
    patient = impute(hf, _typing(nom, patient_a, ambiguous_b))
    donor = impute(hf, _typing(nom, donor_a, ambiguous_b))
    assert patient.source is donor.source is GenotypeSource.IMPUTED
    for g, a in ((patient, patient_a), (donor, donor_a)):
        has_null = bool(np.any(g.p_pairs[:, 0, :] == NULL))
        assert has_null == a[1].endswith("N")
    got = predict(patient, donor)
    assert got.per_locus is not None and got.per_locus[Locus.A] == pytest.approx(p_a)


def test_predictor_caches_per_typing_loci_and_set(nom: Nomenclature, hf: HaplotypeFrequencySet) -> None:
    predictor = MatchPredictor(hf)
    typing = _typing(nom, ("A*01:01", "A*02:XX"))
    eight = (Locus.A, Locus.B, Locus.C, Locus.DRB1)
    full = predictor.impute_cached("k", lambda: typing)
    part = predictor.impute_cached("k", lambda: typing, loci=eight)
    assert full.loci == MATCH_LOCI and part.loci == eight
    assert predictor.impute_cached("k", lambda: {}) is full  # the cache answers without the typing
    with pytest.raises(ValueError, match="DQB1"):
        predict(full, part)  # DQB1 was not imputed for the donor


def test_predictor_reuses_the_prediction_of_a_genotype_pair(nom: Nomenclature, hf: HaplotypeFrequencySet) -> None:
    predictor = MatchPredictor(hf)
    patient = predictor.impute_cached("p", lambda: _typing(nom, ("A*01:01", "A*02:XX")))
    donor = predictor.impute_cached("d", lambda: _typing(nom, ("A*01:01", "A*02:05")))
    first = predictor.predict(patient, donor)
    assert predictor.predict(patient, donor) is first
    assert first.p_mismatches == pytest.approx((0.4, 0.6, 0.0))
    one_mismatch_per_homozygous = predictor.predict(patient, donor, homozygous_counts=1)
    assert one_mismatch_per_homozygous is not first
    eight = (Locus.A, Locus.B, Locus.C, Locus.DRB1)
    assert predictor.predict(patient, donor, loci=eight).loci == eight


def test_a_haplotype_of_frequency_zero_explains_nothing(nom: Nomenclature) -> None:
    """Boundary: frequency 0 leaves H3 out, so A*02:05 is carried by no haplotype; the smallest positive one counts."""
    zero = build_hf_set(nom, [H1, H2, H3], [0.5, 0.5, 0.0])
    assert zero.size == 2
    typing = _typing(nom, ("A*01:01", "A*02:05"), {**REST_DQ, "B": ("B*08:XX", "B*07:XX")})
    assert impute(zero, typing).unexplained is UnexplainedReason.ALLELE_NOT_IN_SET
    tiny = build_hf_set(nom, [H1, H2, H3], [0.5, 0.5, 1e-12])
    got = impute(tiny, typing)
    assert got.source is GenotypeSource.IMPUTED and got.weights.tolist() == [1.0]
