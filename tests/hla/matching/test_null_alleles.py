"""Null alleles stay null through matching, whatever their G group holds (issue 13, point 3).

A*03:129N (IPD-IMGT/HLA 3.58.0) lies in G group A*03:01:01G, whose other members are expressed: a
position typed A*03:129N has no product; against A*03:01:01G it is graded expressing vs null, and counted
with the null rule (the locus homozygous for its expressed allele; WMDA/Atlas). Both directions.
"""

from __future__ import annotations

import pytest

from engraft.hla import (
    Direction,
    LocusTyping,
    MatchConfidence,
    MatchGrade,
    MismatchType,
    Nomenclature,
    locus_typing,
    match_locus,
    typed_position,
)


def _typing(nom: Nomenclature, pair: str) -> LocusTyping:
    first, _, second = pair.partition("+")
    return locus_typing(nom, first, second or None)


def test_the_null_allele_shares_its_g_group_with_expressed_alleles(nom: Nomenclature) -> None:
    """The premise: A*03:129N is in A*03:01:01G, which also holds expressed alleles."""
    null = typed_position(nom, "A*03:129N")
    group = typed_position(nom, "A*03:01:01G")
    assert null.is_null and not null.p_groups
    assert null.g_groups <= group.g_groups
    assert not group.is_null
    assert null.alleles <= group.alleles  # the group typing includes the null allele, yet is expressed


NULL_CASES = [
    # id, patient, donor, count, gvh, hvg, direction
    pytest.param(
        "A*03:01:01G+A*02:01",
        "A*03:129N+A*02:01",
        1,
        1,
        0,
        Direction.GVH_ONLY,
        id="donor-null-in-patients-g-group-gvh-only",
    ),
    pytest.param(
        "A*03:129N+A*02:01",
        "A*03:01:01G+A*02:01",
        1,
        0,
        1,
        Direction.HVG_ONLY,
        id="patient-null-in-donors-g-group-hvg-only",
    ),
    pytest.param(
        "A*03:01:01:01+A*02:01", "A*03:129N+A*02:01", 1, 1, 0, Direction.GVH_ONLY, id="donor-null-vs-expressed-allele"
    ),
    pytest.param(
        "A*03:129N+A*02:01", "A*03:01:01:01+A*02:01", 1, 0, 1, Direction.HVG_ONLY, id="patient-null-vs-expressed-allele"
    ),
    pytest.param("A*03:129N+A*02:01", "A*03:129N+A*02:01", 0, 0, 0, Direction.NONE, id="same-null-both-sides"),
    pytest.param("A*03:129N+A*02:01", "A*02:01+A*02:01", 0, 0, 0, Direction.NONE, id="null-vs-homozygous-expressed"),
    pytest.param("A*02:01+A*02:01", "A*03:129N+A*02:01", 0, 0, 0, Direction.NONE, id="homozygous-vs-null-reverse"),
]


@pytest.mark.parametrize(("patient", "donor", "count", "gvh", "hvg", "direction"), NULL_CASES)
def test_null_counts_and_direction(
    nom: Nomenclature, patient: str, donor: str, count: int, gvh: int, hvg: int, direction: Direction
) -> None:
    result = match_locus(_typing(nom, patient), _typing(nom, donor))
    assert (result.mismatch_count, result.gvh_count, result.hvg_count) == (count, gvh, hvg)
    assert result.direction is direction


@pytest.mark.parametrize(
    ("patient", "donor", "null_side"),
    [
        pytest.param("A*03:01:01G+A*02:01", "A*03:129N+A*02:01", "donor", id="donor-null"),
        pytest.param("A*03:129N+A*02:01", "A*03:01:01G+A*02:01", "patient", id="patient-null"),
    ],
)
def test_expressing_vs_null_pair_is_graded_as_such(nom: Nomenclature, patient: str, donor: str, null_side: str) -> None:
    result = match_locus(_typing(nom, patient), _typing(nom, donor))
    null_pos = next(p for p in result.positions if "A*03:129N" in (p.patient_token, p.donor_token))
    assert (null_pos.donor_token if null_side == "donor" else null_pos.patient_token) == "A*03:129N"
    assert null_pos.grade is MatchGrade.EXPRESSING_VS_NULL
    assert null_pos.mismatch_type is MismatchType.ANTIGEN
    assert null_pos.confidence is MatchConfidence.MISMATCH
    other = next(p for p in result.positions if p is not null_pos)
    assert other.grade.is_match and other.mismatch_type is None


@pytest.mark.parametrize(
    ("patient", "donor"),
    [
        pytest.param("A*03:01:01:01+A*03:129N", "A*03:01:01:01+A*03:01:01:01", id="patient-null"),
        pytest.param("A*03:01:01:01+A*03:01:01:01", "A*03:01:01:01+A*03:129N", id="donor-null"),
    ],
)
def test_null_position_keeps_its_grade_when_the_locus_matches(nom: Nomenclature, patient: str, donor: str) -> None:
    """Counted matched (homozygous for the expressed allele), yet the null position is not called a match."""
    result = match_locus(_typing(nom, patient), _typing(nom, donor))
    assert result.mismatch_count == 0
    assert {p.grade for p in result.positions} == {MatchGrade.GDNA, MatchGrade.EXPRESSING_VS_NULL}
    null_pos = next(p for p in result.positions if p.grade is MatchGrade.EXPRESSING_VS_NULL)
    assert "A*03:129N" in (null_pos.patient_token, null_pos.donor_token)
    assert null_pos.mismatch_type is None


def test_null_inside_an_ambiguous_typing_is_ignored(nom: Nomenclature) -> None:
    """A*03:01:01G stands for expressed alleles and A*03:129N: against A*03:01:01:01 it matches (Atlas)."""
    result = match_locus(_typing(nom, "A*03:01:01G+A*02:01"), _typing(nom, "A*03:01:01:01+A*02:01"))
    assert result.mismatch_count == 0
    assert {p.grade for p in result.positions} <= {MatchGrade.G_GROUP, MatchGrade.GDNA, MatchGrade.CDNA}
