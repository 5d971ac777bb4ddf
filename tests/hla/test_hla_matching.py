"""Per-locus matching: counts, direction, homozygous and null rules, grades, antigen vs allele."""

from __future__ import annotations

import pytest

from engraft.hla import (
    Direction,
    LocusTyping,
    MatchGrade,
    MatchOptions,
    MismatchType,
    Nomenclature,
    locus_typing,
    match_locus,
    match_typings,
)


def _typing(nom: Nomenclature, pair: str) -> LocusTyping:
    first, _, second = pair.partition("+")
    return locus_typing(nom, first, second or None)


COUNT_CASES = [
    # id, patient, donor, count, gvh, hvg, direction
    pytest.param("A*01:01+A*02:01", "A*01:01+A*02:01", 0, 0, 0, Direction.NONE, id="identical"),
    pytest.param("A*01:01+A*02:01", "A*02:01+A*01:01", 0, 0, 0, Direction.NONE, id="identical-crossed"),
    pytest.param("A*01:01+A*02:01", "A*01:01+A*03:01", 1, 1, 1, Direction.BIDIRECTIONAL, id="one-mm-both-het"),
    pytest.param("A*01:01+A*02:01", "A*03:01+A*11:01", 2, 2, 2, Direction.BIDIRECTIONAL, id="two-mm"),
    pytest.param("A*01:01+A*02:01", "A*01:01+A*01:01", 1, 1, 0, Direction.GVH_ONLY, id="homozygous-donor-gvh-only"),
    pytest.param("A*01:01+A*01:01", "A*01:01+A*02:01", 1, 0, 1, Direction.HVG_ONLY, id="homozygous-patient-hvg-only"),
    pytest.param("A*01:01", "A*01:01", 0, 0, 0, Direction.NONE, id="homozygous-both-matched"),
    pytest.param("A*01:01+A*01:01", "A*02:01+A*02:01", 2, 2, 2, Direction.BIDIRECTIONAL, id="homozygous-mm-counts-2"),
    pytest.param("A*01:01+A*01:01", "A*02:01+A*03:01", 2, 2, 2, Direction.BIDIRECTIONAL, id="hom-patient-two-donor-mm"),
    # null alleles: a single null position -> homozygous for the expressing one (WMDA, Atlas)
    pytest.param("A*03:01+A*01:11N", "A*03:01+A*03:01", 0, 0, 0, Direction.NONE, id="patient-null-vs-hom-donor"),
    pytest.param("A*03:01+A*01:11N", "A*03:01+A*01:04N", 0, 0, 0, Direction.NONE, id="null-both-sides"),
    pytest.param("A*01:01+A*02:01", "A*01:01+A*01:11N", 1, 1, 0, Direction.GVH_ONLY, id="donor-null-gvh-only"),
    pytest.param("A*01:01+A*01:11N", "A*01:01+A*02:01", 1, 0, 1, Direction.HVG_ONLY, id="patient-null-hvg-only"),
    pytest.param(
        "A*01:01:01:01+A*02:01", "A*01:01:01:02N+A*02:01", 1, 1, 0, Direction.GVH_ONLY, id="null-same-2-field"
    ),
    pytest.param("A*01:04N+A*01:11N", "A*01:04N+A*01:11N", 0, 0, 0, Direction.NONE, id="both-positions-null"),
    pytest.param("A*01:04N+A*01:11N", "A*01:01+A*02:01", 2, 0, 2, Direction.HVG_ONLY, id="all-null-vs-expressed"),
    # ambiguous typings: potential match when P groups intersect
    pytest.param("A*01:01+A*02:01", "A*01:XX+A*02:XX", 0, 0, 0, Direction.NONE, id="xx-codes-potential-match"),
    pytest.param("A*01:01+A*02:01", "A1+A2", 0, 0, 0, Direction.NONE, id="serology-donor"),
    pytest.param("A*23:01+A*02:01", "A9+A2", 0, 0, 0, Direction.NONE, id="broad-serology-donor"),
    pytest.param("A*24:02+A*02:01", "A23+A2", 1, 1, 1, Direction.BIDIRECTIONAL, id="sibling-split-serology"),
]


@pytest.mark.parametrize(("patient", "donor", "count", "gvh", "hvg", "direction"), COUNT_CASES)
def test_counts_and_direction(
    nom: Nomenclature, patient: str, donor: str, count: int, gvh: int, hvg: int, direction: Direction
) -> None:
    result = match_locus(_typing(nom, patient), _typing(nom, donor))
    assert (result.mismatch_count, result.gvh_count, result.hvg_count) == (count, gvh, hvg)
    assert result.direction is direction


@pytest.mark.parametrize(
    ("patient", "donor", "as_two", "as_one"),
    [
        pytest.param("A*01:01+A*01:01", "A*02:01+A*02:01", 2, 1, id="homozygous-vs-homozygous"),
        pytest.param("A*01:01+A*01:11N", "A*02:01+A*02:01", 2, 1, id="null-makes-homozygous"),
        pytest.param("A*01:01+A*01:01", "A*02:01+A*03:01", 2, 2, id="two-distinct-donor-products"),
        pytest.param("A*01:01+A*02:01", "A*03:01+A*03:01", 2, 2, id="two-distinct-patient-products"),
        pytest.param("A*01:01+A*01:01", "A*01:01+A*02:01", 1, 1, id="single-mismatch-unchanged"),
    ],
)
def test_homozygous_mismatch_switch(nom: Nomenclature, patient: str, donor: str, as_two: int, as_one: int) -> None:
    p, d = _typing(nom, patient), _typing(nom, donor)
    assert match_locus(p, d, MatchOptions(homozygous_mismatch_counts=2)).mismatch_count == as_two
    assert match_locus(p, d, MatchOptions(homozygous_mismatch_counts=1)).mismatch_count == as_one
    assert match_locus(d, p, MatchOptions(homozygous_mismatch_counts=1)).mismatch_count == as_one


GRADE_CASES = [
    pytest.param("A*01:01:01:01", "A*01:01:01:01", MatchGrade.GDNA, id="same-allele-full-gdna"),
    pytest.param("A*01:01:01:01", "A*01:01:01:03", MatchGrade.CDNA, id="same-3-fields-full-sequences"),
    pytest.param("A*01:01:01:01", "A*01:01:02", MatchGrade.PROTEIN, id="same-2-fields-full-sequences"),
    pytest.param("A*01:01:01:01", "A*01:01P", MatchGrade.G_GROUP, id="allele-vs-p-group-name"),
    pytest.param("A*02:01:01:01", "A2", MatchGrade.SPLIT, id="serology-split"),
    pytest.param("A*02:03:01:01", "A2", MatchGrade.ASSOCIATED, id="serology-associated-vs-parent"),
    pytest.param("A*23:01:01:01", "A9", MatchGrade.BROAD, id="serology-broad"),
    pytest.param("B*39:01:01:01", "B3901", MatchGrade.ASSOCIATED, id="serology-associated-exact"),
    pytest.param("A*01:01:01:01", "A*02:01:01:01", MatchGrade.MISMATCH, id="mismatch"),
    pytest.param("A*24:02:01:01", "A23", MatchGrade.MISMATCH, id="serology-sibling-split-mismatch"),
    pytest.param("A23", "A24", MatchGrade.MISMATCH, id="serology-vs-serology-sibling-splits"),
    pytest.param("B38", "B39", MatchGrade.MISMATCH, id="serology-B38-vs-B39-SD2"),
    pytest.param("Cw9", "Cw10", MatchGrade.MISMATCH, id="serology-Cw9-vs-Cw10"),
    pytest.param("DR15", "DR16", MatchGrade.MISMATCH, id="serology-DR15-vs-DR16"),
    pytest.param("A23", "A9", MatchGrade.BROAD, id="serology-split-vs-its-broad"),
    pytest.param("B39", "B3901", MatchGrade.ASSOCIATED, id="serology-split-vs-associated"),
    pytest.param("A2", "A2", MatchGrade.SPLIT, id="serology-same-antigen"),
]


@pytest.mark.parametrize(("patient", "donor", "grade"), GRADE_CASES)
def test_grades(nom: Nomenclature, patient: str, donor: str, grade: MatchGrade) -> None:
    result = match_locus(locus_typing(nom, patient), locus_typing(nom, donor))
    assert result.positions[0].grade is grade
    assert result.positions[1].grade is grade
    assert grade.is_match == (result.mismatch_count == 0)


def test_null_position_graded_expressing_vs_null(nom: Nomenclature) -> None:
    result = match_locus(_typing(nom, "A*01:01+A*02:01"), _typing(nom, "A*01:01+A*01:11N"))
    grades = sorted(p.grade for p in result.positions)
    assert MatchGrade.EXPRESSING_VS_NULL in grades
    null_pos = next(p for p in result.positions if p.grade is MatchGrade.EXPRESSING_VS_NULL)
    assert null_pos.donor_token == "A*01:11N"
    assert null_pos.mismatch_type is MismatchType.ANTIGEN


def test_both_null_graded_with_a_null_grade(nom: Nomenclature) -> None:
    result = match_locus(_typing(nom, "A*01:04N+A*01:11N"), _typing(nom, "A*01:04N+A*01:11N"))
    assert all(p.grade.is_null_grade and p.grade is not MatchGrade.NULL_MISMATCH for p in result.positions)


ANTIGEN_ALLELE_CASES = [
    pytest.param("A*02:01", "A*02:05", MismatchType.ALLELE, id="A2-same-antigen-allele-mm"),
    pytest.param("A*01:01", "A*02:01", MismatchType.ANTIGEN, id="A1-vs-A2-antigen-mm"),
    pytest.param("A*23:01", "A*24:02", MismatchType.ANTIGEN, id="sibling-splits-A23-A24"),
    pytest.param("A*02:01", "A*02:03", MismatchType.ALLELE, id="associated-A203-vs-A2"),
    pytest.param("B*39:01", "B*39:02", MismatchType.ALLELE, id="associated-B3901-vs-B3902"),
    pytest.param("B*15:01", "B*15:02", MismatchType.ANTIGEN, id="B62-vs-B75"),
    pytest.param("C*03:03", "C*03:04", MismatchType.ANTIGEN, id="Cw9-vs-Cw10"),
    pytest.param("C*12:02", "C*12:03", MismatchType.ALLELE, id="C-first-field-over-10"),
    pytest.param("DQB1*03:01", "DQB1*03:02", MismatchType.ANTIGEN, id="DQ7-vs-DQ8"),
    pytest.param("DPB1*04:01", "DPB1*04:02", MismatchType.ANTIGEN, id="DPB1-always-antigen"),
]


@pytest.mark.parametrize(("patient", "donor", "kind"), ANTIGEN_ALLELE_CASES)
def test_antigen_vs_allele_mismatch(nom: Nomenclature, patient: str, donor: str, kind: MismatchType) -> None:
    result = match_locus(locus_typing(nom, patient), locus_typing(nom, donor))
    assert result.mismatch_count == 2
    assert {p.mismatch_type for p in result.positions} == {kind}
    expected_antigen = 2 if kind is MismatchType.ANTIGEN else 0
    assert result.antigen_mismatch_count == expected_antigen
    assert result.allele_mismatch_count == 2 - expected_antigen


def test_crossed_orientation_reported(nom: Nomenclature) -> None:
    result = match_locus(_typing(nom, "A*01:01+A*02:01"), _typing(nom, "A*02:01+A*01:01"))
    assert result.crossed
    assert [p.donor_token for p in result.positions] == ["A*01:01", "A*02:01"]


def test_match_typings_ten_of_ten_and_untyped(nom: Nomenclature) -> None:
    patient = {
        "A": _typing(nom, "A*01:01+A*02:01"),
        "B": _typing(nom, "B*07:02+B*08:01"),
        "C": _typing(nom, "C*07:01+C*07:02"),
        "DRB1": _typing(nom, "DRB1*15:01+DRB1*03:01"),
        "DQB1": _typing(nom, "DQB1*06:02+DQB1*02:01"),
    }
    donor = dict(patient)
    donor["A"] = _typing(nom, "A*01:01+A*03:01")
    del donor["DQB1"]
    result = match_typings(patient, donor)
    assert result.mismatch_count == 1
    assert result.match_count == 7
    assert result.untyped_loci == ("DQB1",)


def test_locus_mismatch_rejected(nom: Nomenclature) -> None:
    with pytest.raises(ValueError, match="locus A against locus B"):
        match_locus(locus_typing(nom, "A*01:01"), locus_typing(nom, "B*07:02"))


def test_locus_typing_rejects_mixed_loci(nom: Nomenclature) -> None:
    with pytest.raises(ValueError, match="different loci"):
        locus_typing(nom, "A*01:01", "B*07:02")
