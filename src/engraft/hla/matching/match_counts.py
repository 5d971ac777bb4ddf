"""Honest match counts: n/10 and n/12 over typed loci only, with matched/typed/potential per locus.

A donor typed at A, B and DRB1 only and matched there is *6/6 typed*, not 10/10: an untyped position is
neither matched nor mismatched (Atlas reports it as a *potential* match, ``LocusSearchResult``). A count
is called ``n/n`` only when every position of every counted locus is typed on both sides and matched.

Per locus (:class:`LocusCount`): positions typed on both sides, matched, matched only potentially
(confidence *potential*: an ambiguous, serological or genotype-list typing), mismatched and untyped, and
a :class:`LocusStatus`. The loci counted are the search's (10/10: A, B, C, DRB1, DQB1; 12/12 adds DPB1,
a DPB1 mismatch counting whether TCE-permissive or not); DRB3/4/5 and DQA1 get a status, never a count.

Invariants (property-tested): ``matched + mismatched == typed``, ``typed + untyped == total``,
``potential <= matched``, and ``MatchCounts.full_match`` only when ``matched == total``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engraft.hla.matching.grades import MatchConfidence
from engraft.hla.matching.locus_match import LocusMatch
from engraft.vocabulary.hla import Locus
from engraft.vocabulary.phrases import Phrase

#: The count labels with words (phrases, so that the pages can translate them); a plain "9/10" has none.
FULL_COUNT_POTENTIAL: Final = Phrase("{matched}/{total} ({potential} potential)")
TYPED_COUNT: Final = Phrase("{matched}/{typed} typed ({loci} untyped)")
TYPED_COUNT_POTENTIAL: Final = Phrase("{matched}/{typed} typed ({loci} untyped; {potential} potential)")


class LocusStatus(StrEnum):
    MATCHED = "matched"  # typed on both sides, no mismatch, every matched position definite or exact
    POTENTIAL = "potential"  # typed on both sides, no mismatch, but some position matched only potentially
    MISMATCHED = "mismatched"
    DONOR_UNTYPED = "donor_untyped"
    PATIENT_UNTYPED = "patient_untyped"
    UNTYPED = "untyped"  # neither side typed


@dataclass(frozen=True, slots=True)
class LocusCount:
    """One locus: positions typed on both sides, matched, matched only potentially, mismatched, untyped."""

    locus: Locus
    status: LocusStatus
    typed: int
    matched: int
    potential: int
    mismatched: int
    untyped: int


def locus_count(locus: Locus, match: LocusMatch | None, *, patient_typed: bool, donor_typed: bool) -> LocusCount:
    """The count of one locus (``match`` is ``None`` unless both sides are typed)."""
    if match is None or not (patient_typed and donor_typed):
        if patient_typed and not donor_typed:
            status = LocusStatus.DONOR_UNTYPED
        elif donor_typed and not patient_typed:
            status = LocusStatus.PATIENT_UNTYPED
        else:
            status = LocusStatus.UNTYPED
        return LocusCount(locus, status, 0, 0, 0, 0, 2)
    mismatched = match.mismatch_count
    matched = 2 - mismatched
    only_potential = sum(
        1 for p in match.positions if p.mismatch_type is None and p.confidence is MatchConfidence.POTENTIAL
    )
    potential = min(matched, only_potential)
    if mismatched:
        status = LocusStatus.MISMATCHED
    elif potential:
        status = LocusStatus.POTENTIAL
    else:
        status = LocusStatus.MATCHED
    return LocusCount(locus, status, 2, matched, potential, mismatched, 0)


@dataclass(frozen=True, slots=True)
class MatchCounts:
    """Counts over the counted loci (e.g. the five of 10/10), summed from their :class:`LocusCount`.

    ``label``: ``"10/10"``, ``"9/10"``, ``"10/10 (2 potential)"``, or ``"6/6 typed (C, DQB1 untyped)"``;
    ``full_match`` (``n/n``) only when ``complete`` and nothing mismatched.
    """

    loci: tuple[Locus, ...]
    per_locus: Mapping[Locus, LocusCount]
    total: int
    typed: int
    matched: int
    potential: int
    mismatched: int
    untyped: int
    complete: bool  # every position of every counted locus typed on both sides
    full_match: bool
    label: str

    @property
    def untyped_loci(self) -> tuple[Locus, ...]:
        return tuple(locus for locus in self.loci if self.per_locus[locus].untyped)


def _label(counts: list[LocusCount], total: int, typed: int, matched: int, potential: int) -> str:
    if typed == total:
        if potential:
            return FULL_COUNT_POTENTIAL(matched=matched, total=total, potential=potential)
        return f"{matched}/{total}"
    loci = ", ".join(c.locus.value for c in counts if c.untyped)
    if potential:
        return TYPED_COUNT_POTENTIAL(matched=matched, typed=typed, loci=loci, potential=potential)
    return TYPED_COUNT(matched=matched, typed=typed, loci=loci)


def counts_of(loci: Iterable[Locus], per_locus: Mapping[Locus, LocusCount]) -> MatchCounts:
    """Counts over ``loci`` summed from their per-locus counts (every counted locus must be in ``per_locus``)."""
    counted = tuple(loci)
    counts = [per_locus[locus] for locus in counted]
    typed = matched = potential = mismatched = untyped = 0
    for c in counts:
        typed += c.typed
        matched += c.matched
        potential += c.potential
        mismatched += c.mismatched
        untyped += c.untyped
    total = 2 * len(counted)
    return MatchCounts(
        loci=counted,
        per_locus=dict(zip(counted, counts, strict=True)),
        total=total,
        typed=typed,
        matched=matched,
        potential=potential,
        mismatched=mismatched,
        untyped=untyped,
        complete=typed == total,
        full_match=typed == total and mismatched == 0,
        label=_label(counts, total, typed, matched, potential),
    )


def match_counts(
    loci: Iterable[Locus],
    matches: Mapping[Locus, LocusMatch],
    *,
    patient_typed: Iterable[Locus],
    donor_typed: Iterable[Locus],
) -> MatchCounts:
    """Counts over ``loci`` from the per-locus matches of the loci typed on both sides."""
    counted = tuple(loci)
    p_typed, d_typed = set(patient_typed), set(donor_typed)
    per_locus = {
        locus: locus_count(locus, matches.get(locus), patient_typed=locus in p_typed, donor_typed=locus in d_typed)
        for locus in counted
    }
    return counts_of(counted, per_locus)
