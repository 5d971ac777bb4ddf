"""Match grades and confidences as Atlas defines them (MatchGrade, ConfidenceCalculator; WMDA framework).

Sequence status from the release's Allele_status.txt (3.58.0): A*01:01:01:01 and A*01:01:01:03 full gDNA,
A*01:01:02 full, A*01:01:04 and A*01:01:51 partial; nulls A*01:11N full gDNA, A*03:03N full cDNA, A*03:129N
partial cDNA.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import MatchConfidence, MatchGrade, Nomenclature, locus_typing, match_locus, typed_position
from engraft.hla.matching.grades import grade_positions, position_confidence, positions_match
from engraft.hla.matching.typing_builder import TypingBuilder
from engraft.hla.nomenclature.release_files import open_release_dir, read_release_tables

GRADE_CASES = [
    # expressed vs expressed, single alleles: gDNA > cDNA > protein > G group > P group
    pytest.param("A*01:01:01:01", "A*01:01:01:01", MatchGrade.GDNA, id="gdna-same-allele-full-genomic"),
    pytest.param("A*01:01:01:01", "A*01:01:01:03", MatchGrade.CDNA, id="cdna-same-three-fields-both-full"),
    pytest.param("A*01:01:01:01", "A*01:01:02", MatchGrade.PROTEIN, id="protein-same-two-fields-both-full"),
    pytest.param("A*01:01:01:01", "A*01:01:51", MatchGrade.G_GROUP, id="g-group-partial-sequence"),
    pytest.param("A*01:01:01:01", "A*01:01:04", MatchGrade.P_GROUP, id="p-group-only"),
    pytest.param("A*01:01:01:01", "A*02:01:01:01", MatchGrade.MISMATCH, id="mismatch"),
    # ambiguous typings: G or P group at best (consolidated molecular)
    pytest.param("A*01:01", "A*01:01", MatchGrade.G_GROUP, id="two-field-names-consolidated"),
    pytest.param("A*01:01:01G", "A*01:01:01:01", MatchGrade.G_GROUP, id="g-group-name-vs-allele"),
    pytest.param("A*01:01:01G", "A*01:01:04", MatchGrade.P_GROUP, id="g-group-name-vs-allele-outside-it"),
    pytest.param("A*01:01P", "A*01:01:04", MatchGrade.G_GROUP, id="p-group-name-holds-the-allele"),
    pytest.param("A*01:XX", "A*01:01:01:01", MatchGrade.G_GROUP, id="xx-code-vs-allele"),
    # null vs null: same allele by sequence status, or different nulls
    pytest.param("A*01:11N", "A*01:11N", MatchGrade.NULL_GDNA, id="null-gdna"),
    pytest.param("A*03:03N", "A*03:03N", MatchGrade.NULL_CDNA, id="null-cdna"),
    pytest.param("A*03:129N", "A*03:129N", MatchGrade.NULL_PARTIAL, id="null-partial"),
    pytest.param("A*01:11N", "A*03:129N", MatchGrade.NULL_MISMATCH, id="null-mismatch-different-nulls"),
    # expressing vs null
    pytest.param("A*03:01:01:01", "A*03:129N", MatchGrade.EXPRESSING_VS_NULL, id="expressing-vs-null-same-g-group"),
    pytest.param("A*03:129N", "A*03:01:01G", MatchGrade.EXPRESSING_VS_NULL, id="null-vs-its-g-group"),
    # serology
    pytest.param("A*02:01:01:01", "A2", MatchGrade.SPLIT, id="serology-split"),
    pytest.param("A*23:01:01:01", "A9", MatchGrade.BROAD, id="serology-broad"),
]


@pytest.mark.parametrize(("a", "b", "grade"), GRADE_CASES)
def test_grade_of_a_position_pair(nom: Nomenclature, a: str, b: str, grade: MatchGrade) -> None:
    p, d = typed_position(nom, a), typed_position(nom, b)
    assert grade_positions(p, d) is grade
    assert grade_positions(d, p) is grade


def test_grades_are_ordered_as_atlas_orders_them() -> None:
    order = list(MatchGrade)
    assert order.index(MatchGrade.GDNA) < order.index(MatchGrade.CDNA) < order.index(MatchGrade.PROTEIN)
    assert order.index(MatchGrade.PROTEIN) < order.index(MatchGrade.G_GROUP) < order.index(MatchGrade.P_GROUP)
    assert order.index(MatchGrade.P_GROUP) < order.index(MatchGrade.NULL_GDNA) < order.index(MatchGrade.ASSOCIATED)
    assert order.index(MatchGrade.BROAD) < order.index(MatchGrade.EXPRESSING_VS_NULL) < order.index(MatchGrade.MISMATCH)
    assert not MatchGrade.EXPRESSING_VS_NULL.is_match and not MatchGrade.MISMATCH.is_match


CONFIDENCE_CASES = [
    pytest.param("A*01:01:01:01", "A*01:01:01:01", MatchConfidence.DEFINITE, id="definite-both-single-alleles"),
    pytest.param("A*01:01:01:01", "A*01:01:04", MatchConfidence.DEFINITE, id="definite-p-group-level"),
    pytest.param("A*01:01", "A*01:01:01:01", MatchConfidence.EXACT, id="exact-one-p-group-each"),
    pytest.param("A*01:01:01G", "A*01:01P", MatchConfidence.EXACT, id="exact-group-names"),
    pytest.param("A*01:XX", "A*01:01:01:01", MatchConfidence.POTENTIAL, id="potential-xx-code"),
    pytest.param("A*01:01/01:02", "A*01:01:01:01", MatchConfidence.POTENTIAL, id="potential-allele-string"),
    pytest.param("A1", "A*01:01:01:01", MatchConfidence.POTENTIAL, id="potential-serology"),
    pytest.param("A*01:01:01:01", "A*02:01:01:01", MatchConfidence.MISMATCH, id="mismatch"),
    pytest.param("A*01:11N", "A*03:129N", MatchConfidence.DEFINITE, id="null-vs-null-single-alleles"),
    pytest.param("A*03:01:01:01", "A*03:129N", MatchConfidence.MISMATCH, id="expressing-vs-null-as-typed"),
]


@pytest.mark.parametrize(("a", "b", "confidence"), CONFIDENCE_CASES)
def test_confidence_of_a_position_pair(nom: Nomenclature, a: str, b: str, confidence: MatchConfidence) -> None:
    p, d = typed_position(nom, a), typed_position(nom, b)
    assert position_confidence(p, d) is confidence
    assert position_confidence(d, p) is confidence


def test_locus_reports_grade_and_confidence_per_position(nom: Nomenclature) -> None:
    result = match_locus(locus_typing(nom, "A*01:01:01:01", "A*02:01"), locus_typing(nom, "A*01:01:01:01", "A*02:XX"))
    assert [p.grade for p in result.positions] == [MatchGrade.GDNA, MatchGrade.G_GROUP]
    assert [p.confidence for p in result.positions] == [MatchConfidence.DEFINITE, MatchConfidence.POTENTIAL]
    assert result.confidence is MatchConfidence.POTENTIAL  # the worse of the two


def test_without_allele_status_no_sequence_grade_is_claimed(imgt_dir: Path) -> None:
    """A release without Allele_status.txt: the same allele is a G-group match, never gDNA."""
    tables = read_release_tables(open_release_dir(imgt_dir))
    bare = Nomenclature(replace(tables, allele_status=()))
    assert not bare.has_sequence_status
    builder = TypingBuilder(bare)
    same = builder.position("A*01:01:01:01")
    assert grade_positions(same, same) is MatchGrade.G_GROUP
    null = builder.position("A*01:11N")
    assert grade_positions(null, null) is MatchGrade.NULL_PARTIAL


_TOKENS = [
    "A*01:01:01:01",
    "A*01:01:01:03",
    "A*01:01:02",
    "A*01:01:04",
    "A*01:01:51",
    "A*01:01",
    "A*01:01:01G",
    "A*01:01P",
    "A*01:XX",
    "A*02:01",
    "A*02:01:01:01",
    "A*03:01:01G",
    "A*03:01:01:01",
    "A*01:11N",
    "A*03:129N",
    "A*03:03N",
    "A1",
    "A2",
    "A9",
    "A23",
]


@settings(max_examples=300, deadline=None, database=None)
@given(a=st.sampled_from(_TOKENS), b=st.sampled_from(_TOKENS))
def test_grade_and_confidence_agree(nom: Nomenclature, a: str, b: str) -> None:
    """Symmetric; a confidence short of mismatch exactly when the pair matches; sequence grades are definite."""
    p, d = typed_position(nom, a), typed_position(nom, b)
    grade, confidence = grade_positions(p, d), position_confidence(p, d)
    assert grade is grade_positions(d, p)
    assert confidence is position_confidence(d, p)
    assert (confidence is MatchConfidence.MISMATCH) == (not positions_match(p, d))
    if grade in (MatchGrade.GDNA, MatchGrade.CDNA, MatchGrade.PROTEIN):
        assert confidence is MatchConfidence.DEFINITE
    if grade is MatchGrade.MISMATCH:
        assert confidence is MatchConfidence.MISMATCH
    if grade.is_null_grade or grade is MatchGrade.EXPRESSING_VS_NULL:
        assert p.is_null or d.is_null
