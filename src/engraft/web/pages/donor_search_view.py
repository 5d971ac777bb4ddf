"""What the donor search page shows: each ranked donor's per-locus match, and why it ranks where it does.

The search itself is the API's (:mod:`engraft.api.routes_donor_search`: the same request model, the same
engine). A :class:`~engraft.hla.search.search_models.DonorMatch` carries its sort keys (``rank_key``, most
significant first, as :func:`engraft.hla.search.ranking.sort_keys` builds them); :data:`RANK_ATTRIBUTES` names
them in that order, so the page lists each donor's ranking attributes in the order they were applied and says
which one placed it below the donor ranked just above ("decided by").

A typing comes as a GL String or as two fields per locus (:func:`gl_from_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.matching.locus_match import Direction, LocusMatch
from engraft.hla.search.ranking import KNOWN_CMV, RankingOptions
from engraft.hla.search.search_models import DonorMatch, SearchCriteria, SearchResult
from engraft.vocabulary import DonorKind
from engraft.vocabulary.hla import STORED_LOCI, Locus
from engraft.web.i18n import N_


class Applies(StrEnum):
    ADULT = "adult"
    CORD = "cord"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class RankAttribute:
    """One sort key of the ranking: its label (msgid) and the donors it sorts."""

    key: str
    label: str
    applies: Applies


RANK_ATTRIBUTES: Final[tuple[RankAttribute, ...]] = (
    RankAttribute("mismatches", N_("HLA mismatches"), Applies.BOTH),
    RankAttribute("potential", N_("Loci matched only potentially (ambiguous typing)"), Applies.BOTH),
    RankAttribute("gvh", N_("Mismatches in the graft-versus-host direction"), Applies.ADULT),
    RankAttribute("grade", N_("Match grade score (0: allele level at every position)"), Applies.ADULT),
    RankAttribute("tnc", N_("Total nucleated cell dose"), Applies.CORD),
    RankAttribute("cd34", N_("CD34+ cell dose"), Applies.CORD),
    RankAttribute("age", N_("Donor age (younger first, in 5-year bands)"), Applies.ADULT),
    RankAttribute("dpb1", N_("DPB1 T-cell epitope match"), Applies.ADULT),
    RankAttribute("cmv", N_("CMV serostatus against the patient's"), Applies.ADULT),
    RankAttribute("sex", N_("Donor sex (male first)"), Applies.ADULT),
    RankAttribute("abo", N_("ABO group against the patient's"), Applies.ADULT),
    RankAttribute("donor_id", N_("Donor id (a stable tie-break)"), Applies.BOTH),
)
"""The ranking's sort keys in :func:`engraft.hla.search.ranking.sort_keys` order (a test checks the count)."""

DPB1_TEXT: Final[Mapping[int, str]] = {
    0: N_("DPB1 allele-matched"),
    1: N_("DPB1 permissive mismatch"),
    2: N_("DPB1 permissiveness unknown"),
    3: N_("DPB1 non-permissive mismatch"),
}
SAME_UNKNOWN_DIFFERENT: Final[Mapping[int, str]] = {
    0: N_("same as the patient's"),
    1: N_("not known"),
    2: N_("differs from the patient's"),
}
NOT_COMPARED: Final = N_("not compared (the patient's is not known)")
SEX_TEXT: Final[Mapping[int, str]] = {0: N_("male"), 1: N_("other or unknown"), 2: N_("female")}
UNKNOWN_AGE_BAND: Final = 99
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
DIRECTION_TEXT: Final[Mapping[Direction, str]] = {
    Direction.NONE: N_("matched"),
    Direction.BIDIRECTIONAL: N_("both directions"),
    Direction.GVH_ONLY: N_("graft-versus-host only"),
    Direction.HVG_ONLY: N_("host-versus-graft only"),
}


@dataclass(frozen=True, slots=True)
class RankStep:
    """One ranking attribute of a donor: its label and the donor's value (``value`` a msgid when ``words``)."""

    key: str
    label: str
    value: str
    words: bool
    """Whether ``value`` is a msgid to translate (else a number or code shown as it is)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What placed a donor below the one ranked just above it."""

    above_rank: int
    step: RankStep
    above: RankStep


@dataclass(frozen=True, slots=True)
class PositionView:
    patient: str
    donor: str
    grade: str
    mismatch: str


@dataclass(frozen=True, slots=True)
class LocusView:
    locus: str
    mismatches: int
    direction: str
    positions: tuple[PositionView, ...]
    matched: bool


@dataclass(frozen=True, slots=True)
class PredictionView:
    """Match probabilities, as fractions (0..1), from the haplotype frequencies."""

    p0: float | None
    p1: float | None
    p2: float | None
    p_more: float | None
    unrepresented: bool


@dataclass(frozen=True, slots=True)
class DonorView:
    rank: int
    donor_id: int
    kind: DonorKind
    registry: str
    age: int | None
    sex: str
    cmv: str
    abo: str
    match_label: str
    mismatch_count: int
    loci: tuple[LocusView, ...]
    untyped: tuple[str, ...]
    tce: str
    tce_key: str
    """The TCE category's value (a CSS modifier), ``""`` when DPB1 was not assessed."""
    tce_groups: str
    prediction: PredictionView | None
    steps: tuple[RankStep, ...]
    decision: Decision | None
    tied_with_above: bool


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


def _attribute_applies(attribute: RankAttribute, kind: DonorKind) -> bool:
    if attribute.applies is Applies.BOTH:
        return True
    return (attribute.applies is Applies.CORD) == (kind is DonorKind.CORD)


def _step(attribute: RankAttribute, key: float, criteria: SearchCriteria) -> RankStep:
    number = int(key)
    name = attribute.key
    if name in {"mismatches", "potential", "gvh", "grade", "donor_id"}:
        return RankStep(name, attribute.label, str(number), False)
    if name in {"tnc", "cd34"}:
        scale = "×10⁷" if name == "tnc" else "×10⁶"
        per = "/kg" if criteria.patient_weight_kg else ""
        return RankStep(name, attribute.label, f"{-key:.2f} {scale}{per}", False)
    if name == "age":
        if number >= UNKNOWN_AGE_BAND:
            return RankStep(name, attribute.label, N_("not known"), True)
        low = RankingOptions().min_age + number * criteria.age_band_years
        text = f"≤ {low + criteria.age_band_years - 1}" if number == 0 else f"{low}–{low + criteria.age_band_years - 1}"
        return RankStep(name, attribute.label, text, False)
    if name == "dpb1":
        return RankStep(name, attribute.label, DPB1_TEXT.get(number, N_("not known")), True)
    if name == "cmv":
        known = criteria.patient_cmv in KNOWN_CMV
        return RankStep(name, attribute.label, SAME_UNKNOWN_DIFFERENT[number] if known else NOT_COMPARED, True)
    if name == "abo":
        known = criteria.patient_abo is not None
        return RankStep(name, attribute.label, SAME_UNKNOWN_DIFFERENT[number] if known else NOT_COMPARED, True)
    return RankStep(name, attribute.label, SEX_TEXT.get(number, N_("not known")), True)


def rank_steps(match: DonorMatch, criteria: SearchCriteria) -> tuple[RankStep, ...]:
    """The donor's ranking attributes in the order the ranking applies them (those that sort its kind)."""
    if len(match.rank_key) != len(RANK_ATTRIBUTES):
        raise ValueError(
            f"donor {match.donor_id}: rank_key has {len(match.rank_key)} keys; expected {len(RANK_ATTRIBUTES)} "
            "(engraft.hla.search.ranking.sort_keys changed: update RANK_ATTRIBUTES)"
        )
    return tuple(
        _step(attribute, key, criteria)
        for attribute, key in zip(RANK_ATTRIBUTES, match.rank_key, strict=True)
        if _attribute_applies(attribute, match.donor_type)
    )


def decision(match: DonorMatch, above: DonorMatch | None, criteria: SearchCriteria) -> Decision | None:
    """The first ranking attribute on which ``match`` sorts after ``above`` (None for the first donor)."""
    if above is None:
        return None
    for attribute, mine, theirs in zip(RANK_ATTRIBUTES, match.rank_key, above.rank_key, strict=True):
        if mine != theirs:
            return Decision(above.rank, _step(attribute, mine, criteria), _step(attribute, theirs, criteria))
    return None


def _locus_view(locus: str, match: LocusMatch) -> LocusView:
    positions = tuple(
        PositionView(
            p.patient_token,
            p.donor_token,
            p.grade.value,
            p.mismatch_type.value if p.mismatch_type is not None else "",
        )
        for p in match.positions
    )
    return LocusView(locus, match.mismatch_count, DIRECTION_TEXT[match.direction], positions, match.mismatch_count == 0)


def donor_view(match: DonorMatch, above: DonorMatch | None, criteria: SearchCriteria) -> DonorView:
    loci = [_locus_view(locus.value, m) for locus, m in match.loci.items()]
    if match.dpb1 is not None and Locus.DPB1 not in match.loci:
        loci.append(_locus_view(Locus.DPB1.value, match.dpb1))
    tce = match.dpb1_tce
    groups = ""
    if tce is not None:

        def pair(values: tuple[int | None, int | None]) -> str:
            return "/".join("?" if g is None else str(g) for g in values)

        groups = f"{pair(tce.patient_groups)} → {pair(tce.donor_groups)} ({tce.version.value})"
    p = match.prediction
    prediction = None
    if p is not None:
        p0, p1, p2 = p.p_mismatches if p.p_mismatches is not None else (None, None, None)
        prediction = PredictionView(p0, p1, p2, p.p_more, p.patient_unrepresented or p.donor_unrepresented)
    decided = decision(match, above, criteria)
    return DonorView(
        rank=match.rank,
        donor_id=match.donor_id,
        kind=match.donor_type,
        registry=match.registry,
        age=match.age,
        sex=match.sex.value,
        cmv=match.cmv.value,
        abo=match.abo.value if match.abo is not None else "",
        match_label=match.match_label,
        mismatch_count=match.mismatch_count,
        loci=tuple(sorted(loci, key=lambda v: _locus_order(v.locus))),
        untyped=tuple(locus.value for locus in match.untyped_loci),
        tce=TCE_TEXT[tce.category] if tce is not None else "",
        tce_key=tce.category.value if tce is not None else "",
        tce_groups=groups,
        prediction=prediction,
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
