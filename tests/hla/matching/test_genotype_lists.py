"""'|' genotype lists (GL String, Milius 2013): kept as alternatives, matched one by one, best reported.

Issue 13 point 4 (matching): a typing listing several genotypes is searchable, not refused; the best
listed pair is reported with the ambiguity (how many pairs, best and worst counts).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import (
    HlaNomenclatureError,
    MatchConfidence,
    Nomenclature,
    locus_typing,
    match_locus,
    typings_from_gl,
)

PATIENT_LIST = "A*01:01+A*02:01|A*01:02+A*02:01"


def test_a_genotype_list_is_kept_as_its_alternatives(nom: Nomenclature) -> None:
    typings = typings_from_gl(nom, f"{PATIENT_LIST}^B*08:01+B*07:02")
    a = typings["A"]
    assert a.is_genotype_list and len(a.genotypes) == 2
    assert a.gl == PATIENT_LIST
    assert [tuple(p.token for p in g.positions) for g in a.genotypes] == [
        ("A*01:01", "A*02:01"),
        ("A*01:02", "A*02:01"),
    ]
    assert not typings["B"].is_genotype_list
    # the store keeps the list whole, and reads it back as the same alternatives
    assert a.stored_pair() == (PATIENT_LIST, PATIENT_LIST)
    again = locus_typing(nom, *a.stored_pair())
    assert again.genotypes == a.genotypes


def test_a_list_of_one_distinct_genotype_is_that_genotype(nom: Nomenclature) -> None:
    a = typings_from_gl(nom, "A*01:01+A*02:01|A*02:01+A*01:01")["A"]
    assert not a.is_genotype_list and a.gl is None


@pytest.mark.parametrize(
    ("patient", "donor", "best", "worst", "pairs", "at_best"),
    [
        pytest.param(PATIENT_LIST, "A*01:02+A*02:01", 0, 1, 2, 1, id="patient-list-second-genotype-matches"),
        pytest.param("A*01:02+A*02:01", PATIENT_LIST, 0, 1, 2, 1, id="donor-list-reverse-direction"),
        pytest.param(PATIENT_LIST, "A*03:01+A*02:01", 1, 1, 2, 2, id="every-listed-genotype-one-mismatch"),
        pytest.param(PATIENT_LIST, "A*01:01+A*02:01|A*11:01+A*24:02", 0, 2, 4, 1, id="both-lists"),
    ],
)
def test_best_listed_pair_and_ambiguity(
    nom: Nomenclature, patient: str, donor: str, best: int, worst: int, pairs: int, at_best: int
) -> None:
    p = locus_typing(nom, patient)
    d = locus_typing(nom, donor)
    result = match_locus(p, d)
    assert result.mismatch_count == best
    assert result.ambiguity is not None
    assert (result.ambiguity.best_mismatches, result.ambiguity.worst_mismatches) == (best, worst)
    assert (result.ambiguity.pairs, result.ambiguity.pairs_at_best) == (pairs, at_best)
    assert result.ambiguity.certain == (best == worst)
    # no position of a listed genotype is more than potential: which genotype is true is not known
    assert all(pos.confidence in (MatchConfidence.POTENTIAL, MatchConfidence.MISMATCH) for pos in result.positions)


def test_the_reported_tokens_are_those_of_the_best_genotype(nom: Nomenclature) -> None:
    result = match_locus(locus_typing(nom, PATIENT_LIST), locus_typing(nom, "A*01:02", "A*02:01"))
    assert result.ambiguity is not None and result.ambiguity.patient_genotype == 1
    assert sorted(p.patient_token for p in result.positions) == ["A*01:02", "A*02:01"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("A*01:01~B*08:01+A*02:01~B*07:02|A*01:02~B*08:01+A*02:01~B*07:02", "span", id="several-loci"),
        pytest.param("A*01:01+A*02:01|B*08:01+B*07:02", "loci", id="different-loci-in-one-list"),
        pytest.param(f"{PATIENT_LIST}^A*03:01+A*11:01", "more than once", id="locus-twice"),
        pytest.param("A*01:01+A*02:01|A*01:02+A*99:99", "A*99:99", id="unknown-allele-in-a-genotype"),
    ],
)
def test_genotype_lists_that_cannot_be_matched_are_refused_clearly(nom: Nomenclature, text: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as caught:
        typings_from_gl(nom, text)
    assert fragment in str(caught.value)


_GENOTYPES = [
    "A*01:01+A*02:01",
    "A*01:02+A*02:01",
    "A*03:01+A*11:01",
    "A*02:01+A*02:01",
    "A*24:02+A*01:01",
    "A*03:01+A*03:129N",
]


@settings(max_examples=150, deadline=None, database=None)
@given(
    patient=st.lists(st.sampled_from(_GENOTYPES), min_size=1, max_size=3, unique=True),
    donor=st.lists(st.sampled_from(_GENOTYPES), min_size=1, max_size=3, unique=True),
)
def test_list_match_is_the_best_of_its_genotypes(nom: Nomenclature, patient: list[str], donor: list[str]) -> None:
    """The count is the minimum over listed pairs, the worst the maximum; swapping sides keeps both."""
    p, d = locus_typing(nom, "|".join(patient)), locus_typing(nom, "|".join(donor))
    each = [
        match_locus(locus_typing(nom, *a.split("+")), locus_typing(nom, *b.split("+"))).mismatch_count
        for a in patient
        for b in donor
    ]
    result = match_locus(p, d)
    assert result.mismatch_count == min(each)
    if result.ambiguity is not None:
        assert result.ambiguity.worst_mismatches == max(each)
        assert result.ambiguity.pairs_at_best == each.count(min(each))
    swapped = match_locus(d, p)
    assert swapped.mismatch_count == result.mismatch_count
