"""``NEW`` placeholders (issue 13, point 4): an allele not yet named says nothing about identity.

A ``NEW`` position against anything, ``NEW`` included, is *unknown*: neither a match nor a mismatch,
graded ``unknown`` with confidence *potential*, and the counts never call its locus matched (nor the
donor ``n/n``). Both directions (patient ``NEW``, donor ``NEW``) and ``NEW`` against ``NEW``.
"""

from __future__ import annotations

import pytest

from engraft.hla import LocusStatus, MatchCounts, Nomenclature, locus_typing, match_counts, match_locus
from engraft.hla.matching.grades import MatchConfidence, MatchGrade
from engraft.hla.matching.locus_match import LocusMatch
from engraft.hla.matching.match_counts import locus_count
from engraft.vocabulary.hla import MATCH_LOCI, Locus

FULL = {
    Locus.A: ("A*01:01:01:01", "A*02:01:01:01"),
    Locus.B: ("B*07:02:01:01", "B*08:01:01:01"),
    Locus.C: ("C*07:01:01:01", "C*07:02:01:01"),
    Locus.DRB1: ("DRB1*15:01:01:01", "DRB1*03:01:01:01"),
    Locus.DQB1: ("DQB1*06:02:01:01", "DQB1*02:01:01:01"),
}

# (patient A, donor A, mismatches, unknown positions, matched positions)
CASES = [
    pytest.param(("A*01:01", "A*02:01"), ("A*NEW", "A*02:01"), 0, 1, 1, id="donor-new-vs-named"),
    pytest.param(("A*NEW", "A*02:01"), ("A*01:01", "A*02:01"), 0, 1, 1, id="patient-new-vs-named"),
    pytest.param(("A*NEW", "A*02:01"), ("A*NEW", "A*02:01"), 0, 1, 1, id="new-vs-new"),
    pytest.param(("A*NEW", "A*NEW"), ("A*NEW", "A*NEW"), 0, 2, 0, id="new-new-vs-new-new"),
    pytest.param(("A*NEW", "A*NEW"), ("A*01:01", "A*02:01"), 0, 2, 0, id="patient-both-new"),
    pytest.param(("A*01:01", "A*02:01"), ("A*NEW", "A*NEW"), 0, 2, 0, id="donor-both-new"),
    pytest.param(("A*01:01", "A*02:01"), ("A*01:NEW", "A*02:01"), 0, 1, 1, id="donor-new-with-first-field"),
    pytest.param(("A*01:01", "A*02:01"), ("A*01:XX", "A*NEW"), 0, 1, 1, id="donor-new-beside-xx"),
    pytest.param(("A*01:01", "A*02:01"), ("A*NEW", "A*03:01"), 1, 1, 0, id="donor-new-and-a-mismatch"),
    pytest.param(("A*NEW", "A*02:01"), ("A*01:01", "A*03:01"), 1, 1, 0, id="patient-new-and-a-mismatch"),
    pytest.param(("A*01:01", "A*02:01"), ("A*02:01/A*NEW", "A*01:01"), 0, 0, 2, id="new-inside-list-matched"),
    pytest.param(("A*01:01", "A*02:01"), ("A*03:01/A*NEW", "A*01:01"), 0, 1, 1, id="new-inside-list-unknown"),
]


@pytest.mark.parametrize(("patient", "donor", "mismatches", "unknown", "matched"), CASES)
def test_new_is_neither_match_nor_mismatch(
    nom: Nomenclature,
    patient: tuple[str, str],
    donor: tuple[str, str],
    mismatches: int,
    unknown: int,
    matched: int,
) -> None:
    m = match_locus(locus_typing(nom, *patient), locus_typing(nom, *donor))
    assert (m.mismatch_count, m.unknown_count, m.matched_count) == (mismatches, unknown, matched)
    for pos in m.positions:
        if pos.is_unknown:
            assert pos.grade is MatchGrade.UNKNOWN and pos.confidence is MatchConfidence.POTENTIAL
            assert pos.mismatch_type is None and not pos.is_match
            assert "NEW" in pos.patient_token + pos.donor_token
    count = locus_count(Locus.A, m, patient_typed=True, donor_typed=True)
    assert (count.matched, count.unknown, count.mismatched) == (matched, unknown, mismatches)
    assert count.matched + count.unknown + count.mismatched == count.typed == 2
    if unknown:
        assert count.status is not LocusStatus.MATCHED


@pytest.mark.parametrize(
    ("patient", "donor"),
    [
        pytest.param(("A*01:01", "A*02:01"), ("A*NEW", "A*02:01"), id="donor-new"),
        pytest.param(("A*NEW", "A*02:01"), ("A*01:01", "A*02:01"), id="patient-new"),
        pytest.param(("A*NEW", "A*02:01"), ("A*NEW", "A*02:01"), id="new-vs-new"),
    ],
)
def test_the_swap_keeps_the_counts(nom: Nomenclature, patient: tuple[str, str], donor: tuple[str, str]) -> None:
    there = match_locus(locus_typing(nom, *patient), locus_typing(nom, *donor))
    back = match_locus(locus_typing(nom, *donor), locus_typing(nom, *patient))
    assert (there.mismatch_count, there.unknown_count) == (back.mismatch_count, back.unknown_count)
    assert (there.gvh_count, there.hvg_count) == (back.hvg_count, back.gvh_count)


def test_new_vs_new_is_not_graded_as_a_group_match(nom: Nomenclature) -> None:
    """The placeholder's own G and P group are no identity: NEW vs NEW is never a G-/P-group match."""
    m = match_locus(locus_typing(nom, "A*NEW", "A*NEW"), locus_typing(nom, "A*NEW", "A*NEW"))
    assert {p.grade for p in m.positions} == {MatchGrade.UNKNOWN}
    assert m.confidence is MatchConfidence.POTENTIAL


def _counts(
    nom: Nomenclature, patient: dict[Locus, tuple[str, str]], donor: dict[Locus, tuple[str, str]]
) -> MatchCounts:
    matches: dict[Locus, LocusMatch] = {
        locus: match_locus(locus_typing(nom, *patient[locus]), locus_typing(nom, *donor[locus])) for locus in MATCH_LOCI
    }
    return match_counts(MATCH_LOCI, matches, patient_typed=patient, donor_typed=donor)


@pytest.mark.parametrize(
    ("patient_a", "donor_a"),
    [
        pytest.param(FULL[Locus.A], ("A*NEW", "A*02:01:01:01"), id="donor-new"),
        pytest.param(("A*NEW", "A*02:01:01:01"), FULL[Locus.A], id="patient-new"),
        pytest.param(("A*NEW", "A*02:01:01:01"), ("A*NEW", "A*02:01:01:01"), id="new-vs-new"),
    ],
)
def test_a_new_locus_is_never_counted_matched(
    nom: Nomenclature, patient_a: tuple[str, str], donor_a: tuple[str, str]
) -> None:
    counts = _counts(nom, {**FULL, Locus.A: patient_a}, {**FULL, Locus.A: donor_a})
    assert not counts.full_match and counts.complete
    assert (counts.matched, counts.unknown, counts.mismatched, counts.typed) == (9, 1, 0, 10)
    assert counts.label == "9/10 (1 unknown: NEW allele)"
    assert counts.per_locus[Locus.A].status is LocusStatus.POTENTIAL


def test_untyped_and_new_label(nom: Nomenclature) -> None:
    donor = {k: v for k, v in FULL.items() if k != Locus.C}
    matches = {
        locus: match_locus(locus_typing(nom, *FULL[locus]), locus_typing(nom, *donor[locus]))
        for locus in MATCH_LOCI
        if locus in donor
    }
    matches[Locus.A] = match_locus(locus_typing(nom, *FULL[Locus.A]), locus_typing(nom, "A*NEW", "A*NEW"))
    counts = match_counts(MATCH_LOCI, matches, patient_typed=FULL, donor_typed=donor)
    assert counts.label == "6/8 typed (C untyped; 2 unknown: NEW allele)"
    assert not counts.full_match
