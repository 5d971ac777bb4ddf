"""What the donor search page shows: each ranked donor's per-locus match, and why it ranks where it does.

The search itself is the API's (:mod:`engraft.api.routes_donor_search`: the same request model, the same
engine). A :class:`~engraft.hla.search.search_models.DonorMatch` carries its sort keys (``rank_key``, most
significant first, as :func:`engraft.hla.search.ranking.sort_keys` builds them); the core's
:mod:`engraft.hla.search.rank_explanation` names them in that order (:data:`RANK_ATTRIBUTES`, plain
msgids the coordinator's report translates too), so the page lists each donor's ranking attributes in the
order they were applied and says which one placed it below the donor ranked just above ("decided by").
The match detail of one donor (confidence, counts, reported loci, prediction sources) is
:mod:`engraft.web.pages.donor_match_view`.

A typing comes as a GL String or as two fields per locus (:func:`gl_from_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.search import rank_explanation
from engraft.hla.search.rank_explanation import RANK_ATTRIBUTES, Decision, RankContext, RankStep
from engraft.hla.search.search_models import DonorMatch, SearchCriteria, SearchResult
from engraft.vocabulary import DonorKind
from engraft.vocabulary.hla import STORED_LOCI, Locus
from engraft.web.i18n import N_
from engraft.web.pages.donor_match_view import (
    LocusCountView,
    LocusView,
    PredictionView,
    locus_counts,
    locus_view,
    prediction_view,
    reported_loci,
)

__all__ = [
    "RANK_ATTRIBUTES",
    "Decision",
    "DonorView",
    "RankStep",
    "SearchView",
    "decision",
    "rank_steps",
    "search_view",
]

DONOR_FACT_WORDS: Final = (
    N_("male"),
    N_("female"),
    N_("other"),
    N_("unknown"),
    N_("positive"),
    N_("negative"),
    N_("equivocal"),
)
"""The donor's sex and CMV serostatus as the table shows them (vocabulary values, translated)."""
TCE_TEXT: Final[Mapping[TcePermissiveness, str]] = {
    TcePermissiveness.PERMISSIVE: N_("Permissive"),
    TcePermissiveness.NON_PERMISSIVE_GVH: N_("Non-permissive (graft-versus-host)"),
    TcePermissiveness.NON_PERMISSIVE_HVG: N_("Non-permissive (host-versus-graft)"),
    TcePermissiveness.UNKNOWN: N_("Unknown"),
}


@dataclass(frozen=True, slots=True)
class DonorView:
    rank: int
    donor_id: int
    kind: DonorKind
    registry: str
    ethnicity: str | None
    """The donor's population code as the registry's file gave it (chooses its HF set); None: not known."""
    age: int | None
    sex: str
    cmv: str
    abo: str
    match_label: str
    match_label_dpb1: str
    """The count with DPB1 (``counts_with_dpb1.label``: 12/12 for a 10/10 search, honest when untyped)."""
    mismatch_count: int
    loci: tuple[LocusView, ...]
    reported: tuple[LocusView, ...]
    """DRB3/4/5 and DQA1 where both sides are typed (reported, never counted)."""
    counts: tuple[LocusCountView, ...]
    untyped: tuple[str, ...]
    tce: str
    tce_key: str
    """The TCE category's value (a CSS modifier), ``""`` when DPB1 was not assessed."""
    tce_groups: str
    prediction: PredictionView | None
    steps: tuple[RankStep, ...]
    decision: Decision | None
    tied_with_above: bool

    @property
    def ambiguous(self) -> bool:
        """Whether any locus was matched from a ``|`` genotype list."""
        return any(locus.ambiguity is not None for locus in (*self.loci, *self.reported))


@dataclass(frozen=True, slots=True)
class SearchView:
    loci: tuple[str, ...]
    shown_loci: tuple[str, ...]
    """The columns of the per-locus table: the match loci, then DPB1."""
    filter_candidates: int
    matching_donors: int
    donors: tuple[DonorView, ...]
    prediction_available: bool
    release: str
    donors_in_registry: int


def rank_context(criteria: SearchCriteria) -> RankContext:
    """What of the search the ranking values depend on."""
    return RankContext.of(
        patient_cmv=criteria.patient_cmv,
        patient_abo=criteria.patient_abo,
        patient_weight_kg=criteria.patient_weight_kg,
        age_band_years=criteria.age_band_years,
    )


def rank_steps(match: DonorMatch, criteria: SearchCriteria) -> tuple[RankStep, ...]:
    """The donor's ranking attributes in the order the ranking applies them (those that sort its kind)."""
    return rank_explanation.rank_steps(
        match.rank_key, match.donor_type, rank_context(criteria), donor_id=match.donor_id
    )


def decision(match: DonorMatch, above: DonorMatch | None, criteria: SearchCriteria) -> Decision | None:
    """The first ranking attribute on which ``match`` sorts after ``above`` (None for the first donor)."""
    if above is None:
        return None
    return rank_explanation.decision(match.rank_key, above.rank_key, above.rank, rank_context(criteria))


def donor_view(match: DonorMatch, above: DonorMatch | None, criteria: SearchCriteria) -> DonorView:
    loci = [locus_view(locus.value, m) for locus, m in match.loci.items()]
    if match.dpb1 is not None and Locus.DPB1 not in match.loci:
        loci.append(locus_view(Locus.DPB1.value, match.dpb1))
    tce = match.dpb1_tce
    groups = ""
    if tce is not None:

        def pair(values: tuple[int | None, int | None]) -> str:
            return "/".join("?" if g is None else str(g) for g in values)

        groups = f"{pair(tce.patient_groups)} → {pair(tce.donor_groups)} ({tce.version.value})"
    decided = decision(match, above, criteria)
    return DonorView(
        rank=match.rank,
        donor_id=match.donor_id,
        kind=match.donor_type,
        registry=match.registry,
        ethnicity=match.ethnicity or None,
        age=match.age,
        sex=match.sex.value,
        cmv=match.cmv.value,
        abo=match.abo.value if match.abo is not None else "",
        match_label=match.match_label,
        match_label_dpb1=match.counts_with_dpb1.label,
        mismatch_count=match.mismatch_count,
        loci=tuple(sorted(loci, key=lambda v: _locus_order(v.locus))),
        reported=reported_loci(match),
        counts=locus_counts(match),
        untyped=tuple(locus.value for locus in match.untyped_loci),
        tce=TCE_TEXT[tce.category] if tce is not None else "",
        tce_key=tce.category.value if tce is not None else "",
        tce_groups=groups,
        prediction=prediction_view(match.prediction),
        steps=rank_steps(match, criteria),
        decision=decided,
        tied_with_above=above is not None and decided is None,
    )


def _locus_order(name: str) -> int:
    order = [locus.value for locus in STORED_LOCI]
    return order.index(name) if name in order else len(order)


def search_view(
    result: SearchResult,
    criteria: SearchCriteria,
    *,
    release: str,
    donors_in_registry: int,
    prediction_available: bool,
) -> SearchView:
    """The page's view of a search result."""
    donors = []
    above: DonorMatch | None = None
    for match in result.donors:
        donors.append(donor_view(match, above, criteria))
        above = match
    loci = tuple(locus.value for locus in result.loci)
    return SearchView(
        loci=loci,
        shown_loci=(*loci, Locus.DPB1.value) if Locus.DPB1.value not in loci else loci,
        filter_candidates=result.filter_candidates,
        matching_donors=result.matching_donors,
        donors=tuple(donors),
        prediction_available=prediction_available,
        release=release,
        donors_in_registry=donors_in_registry,
    )


class TypingFieldsError(ValueError):
    """A per-locus typing field that cannot be part of a GL String (names the field)."""


def gl_from_fields(fields: Mapping[Locus, tuple[str, str]]) -> str:
    """A GL String from two typing fields per locus (``01:01``, ``A*01:01`` or ``HLA-A*01:01``).

    A blank second field repeats the first (a homozygous locus); a locus with both blank is left out.
    """
    loci: list[str] = []
    for locus in STORED_LOCI:
        first, second = (text.strip() for text in fields.get(locus, ("", "")))
        if not first and not second:
            continue
        if not first:
            raise TypingFieldsError(f"{locus.value}: the first typing is blank; give it before the second")
        names = [_allele_name(locus, text) for text in (first, second or first)]
        loci.append("+".join(names))
    return "^".join(loci)


def _allele_name(locus: Locus, text: str) -> str:
    token = text.removeprefix("HLA-")
    if "*" in token:
        prefix, _, rest = token.partition("*")
        if prefix != locus.value:
            raise TypingFieldsError(f"{locus.value}: {text!r} names locus {prefix!r}; expected {locus.value}")
        token = rest
    if not token or any(c in token for c in "+^|~/ "):
        raise TypingFieldsError(f"{locus.value}: {text!r} is not one allele name; expected e.g. 01:01")
    return f"HLA-{locus.value}*{token}"
