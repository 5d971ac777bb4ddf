"""Honest n/10 and n/12 (issue 13, point 2): counted over typed positions, never n/n with an untyped locus."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.hla import LocusStatus, MatchCounts, Nomenclature, locus_typing, match_counts, match_locus
from engraft.hla.matching.locus_match import LocusMatch
from engraft.vocabulary.hla import MATCH_LOCI, TWELVE_LOCI, Locus

FULL = {
    Locus.A: ("A*01:01:01:01", "A*02:01:01:01"),
    Locus.B: ("B*07:02:01:01", "B*08:01:01:01"),
    Locus.C: ("C*07:01:01:01", "C*07:02:01:01"),
    Locus.DRB1: ("DRB1*15:01:01:01", "DRB1*03:01:01:01"),
    Locus.DQB1: ("DQB1*06:02:01:01", "DQB1*02:01:01:01"),
    Locus.DPB1: ("DPB1*04:01:01:01", "DPB1*02:01:02:01"),
}


def _counts(
    nom: Nomenclature,
    donor: dict[Locus, tuple[str, str]],
    loci: tuple[Locus, ...] = MATCH_LOCI,
    patient: dict[Locus, tuple[str, str]] = FULL,
) -> MatchCounts:
    matches: dict[Locus, LocusMatch] = {
        locus: match_locus(locus_typing(nom, *patient[locus]), locus_typing(nom, *donor[locus]))
        for locus in loci
        if locus in patient and locus in donor
    }
    return match_counts(loci, matches, patient_typed=patient, donor_typed=donor)


def test_every_locus_typed_and_matched_is_10_of_10(nom: Nomenclature) -> None:
    counts = _counts(nom, FULL)
    assert counts.label == "10/10"
    assert counts.full_match and counts.complete
    assert (counts.matched, counts.typed, counts.potential, counts.untyped) == (10, 10, 0, 0)
    assert all(c.status is LocusStatus.MATCHED for c in counts.per_locus.values())


def test_donor_typed_at_a_b_drb1_only_is_never_10_of_10(nom: Nomenclature) -> None:
    """The issue's case: 6 typed positions matched used to be shown as 10/10."""
    donor = {locus: FULL[locus] for locus in (Locus.A, Locus.B, Locus.DRB1)}
    counts = _counts(nom, donor)
    assert counts.label == "6/6 typed (C, DQB1 untyped)"
    assert not counts.full_match and not counts.complete
    assert (counts.matched, counts.typed, counts.untyped, counts.total) == (6, 6, 4, 10)
    assert counts.per_locus[Locus.C].status is LocusStatus.DONOR_UNTYPED
    assert counts.untyped_loci == (Locus.C, Locus.DQB1)


def test_one_mismatch_is_9_of_10(nom: Nomenclature) -> None:
    counts = _counts(nom, {**FULL, Locus.A: ("A*01:01:01:01", "A*03:01:01:01")})
    assert counts.label == "9/10" and not counts.full_match
    assert counts.per_locus[Locus.A].status is LocusStatus.MISMATCHED


def test_ambiguous_typings_are_potential_matches(nom: Nomenclature) -> None:
    counts = _counts(nom, {**FULL, Locus.A: ("A*01:XX", "A*02:XX")})
    assert counts.label == "10/10 (2 potential)"
    assert counts.full_match  # every position typed and matched, two only potentially
    assert counts.per_locus[Locus.A].status is LocusStatus.POTENTIAL
    assert counts.per_locus[Locus.A].potential == 2


def test_patient_untyped_locus(nom: Nomenclature) -> None:
    patient = {locus: FULL[locus] for locus in MATCH_LOCI if locus != Locus.DQB1}
    counts = _counts(nom, FULL, patient=patient)
    assert counts.per_locus[Locus.DQB1].status is LocusStatus.PATIENT_UNTYPED
    assert counts.label == "8/8 typed (DQB1 untyped)"


def test_twelve_of_twelve_counts_dpb1(nom: Nomenclature) -> None:
    assert _counts(nom, FULL, TWELVE_LOCI).label == "12/12"
    mismatched = {**FULL, Locus.DPB1: ("DPB1*04:01:01:01", "DPB1*09:01:01:01")}
    assert _counts(nom, mismatched, TWELVE_LOCI).label == "11/12"
    no_dpb1 = {locus: FULL[locus] for locus in MATCH_LOCI}
    assert _counts(nom, no_dpb1, TWELVE_LOCI).label == "10/10 typed (DPB1 untyped)"
    assert _counts(nom, no_dpb1).label == "10/10"


_ALLELES = {
    Locus.A: ["A*01:01:01:01", "A*02:01:01:01", "A*03:01:01:01", "A*01:XX", "A1", "A*03:129N"],
    Locus.B: ["B*07:02:01:01", "B*08:01:01:01", "B*44:02:01:01", "B*07:XX"],
    Locus.C: ["C*07:01:01:01", "C*07:02:01:01", "C*05:01:01:01"],
    Locus.DRB1: ["DRB1*15:01:01:01", "DRB1*03:01:01:01", "DRB1*04:01:01:01"],
    Locus.DQB1: ["DQB1*06:02:01:01", "DQB1*02:01:01:01", "DQB1*03:01:01:01"],
    Locus.DPB1: ["DPB1*04:01:01:01", "DPB1*02:01:02:01", "DPB1*09:01:01:01"],
}


@st.composite
def _typings(draw: st.DrawFn) -> dict[Locus, tuple[str, str]]:
    out: dict[Locus, tuple[str, str]] = {}
    for locus, alleles in _ALLELES.items():
        if draw(st.booleans()) or (locus in (Locus.A, Locus.B, Locus.DRB1) and draw(st.booleans())):
            out[locus] = (draw(st.sampled_from(alleles)), draw(st.sampled_from(alleles)))
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(patient=_typings(), donor=_typings(), twelve=st.booleans())
def test_counts_never_claim_more_than_typed(
    nom: Nomenclature, patient: dict[Locus, tuple[str, str]], donor: dict[Locus, tuple[str, str]], twelve: bool
) -> None:
    loci = TWELVE_LOCI if twelve else MATCH_LOCI
    counts = _counts(nom, donor, loci, patient)
    assert counts.matched + counts.mismatched == counts.typed
    assert counts.typed + counts.untyped == counts.total == 2 * len(loci)
    assert 0 <= counts.potential <= counts.matched
    both = [locus for locus in loci if locus in patient and locus in donor]
    assert counts.typed == 2 * len(both)
    full = f"{counts.total}/{counts.total}"
    # a grade never says n/n unless every locus is typed on both sides and matched
    assert counts.label.startswith(f"{full} ") or counts.label == full or not counts.full_match
    if counts.label.split(" ")[0] == full:
        assert counts.full_match and len(both) == len(loci)
    if counts.full_match:
        assert counts.matched == counts.total
