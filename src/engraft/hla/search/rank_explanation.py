"""Why a donor ranks where it does, as data: its ranking attributes in the order applied, and what decided.

A ranked donor carries its sort keys (``DonorMatch.rank_key``, most significant first, as
:func:`engraft.hla.search.ranking.sort_keys` builds them). :data:`RANK_ATTRIBUTES` names them in that
order; :func:`rank_steps` turns one donor's keys into (attribute, value) steps and :func:`decision` finds
the first attribute on which a donor sorts after the donor ranked just above it ("decided by").

The labels and value words are plain English msgids (no number written into them: a figure is a value of
its own), so that each adapter translates them with its own catalogue: the web pages with theirs, the
coordinator's report with the report catalogue. A value that is a number or a code (a mismatch count, an
age band, a cell dose, a donor id) is shown as it is (``RankStep.words`` is false).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engraft.hla.search.ranking import KNOWN_CMV, RankingOptions
from engraft.vocabulary import AboGroup, DonorKind, Serostatus


class Applies(StrEnum):
    """The donors a ranking attribute sorts."""

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
    RankAttribute("mismatches", "HLA mismatches", Applies.BOTH),
    RankAttribute("potential", "Loci matched only potentially (ambiguous typing)", Applies.BOTH),
    RankAttribute("gvh", "Mismatches in the graft-versus-host direction", Applies.ADULT),
    RankAttribute("grade", "Match grade score (lowest: allele level at every position)", Applies.ADULT),
    RankAttribute("tnc", "Total nucleated cell dose", Applies.CORD),
    RankAttribute("cd34", "CD34+ cell dose", Applies.CORD),
    RankAttribute("age", "Donor age (younger first, in age bands)", Applies.ADULT),
    RankAttribute("dpb1", "DPB1 T-cell epitope match", Applies.ADULT),
    RankAttribute("cmv", "CMV serostatus against the patient's", Applies.ADULT),
    RankAttribute("sex", "Donor sex (male first)", Applies.ADULT),
    RankAttribute("abo", "ABO group against the patient's", Applies.ADULT),
    RankAttribute("donor_id", "Donor id (a stable tie-break)", Applies.BOTH),
)
"""The ranking's sort keys in :func:`engraft.hla.search.ranking.sort_keys` order (a test checks the count)."""

NOT_KNOWN: Final = "not known"
DPB1_TEXT: Final[Mapping[int, str]] = {
    0: "DPB1 allele-matched",
    1: "DPB1 permissive mismatch",
    2: "DPB1 permissiveness unknown",
    3: "DPB1 non-permissive mismatch",
}
SAME_UNKNOWN_DIFFERENT: Final[Mapping[int, str]] = {
    0: "same as the patient's",
    1: NOT_KNOWN,
    2: "differs from the patient's",
}
NOT_COMPARED: Final = "not compared (the patient's is not known)"
SEX_TEXT: Final[Mapping[int, str]] = {0: "male", 1: "other or unknown", 2: "female"}
UNKNOWN_AGE_BAND: Final = 99
_COUNTS: Final = frozenset({"mismatches", "potential", "gvh", "grade", "donor_id"})


@dataclass(frozen=True, slots=True)
class RankContext:
    """What of the search the values depend on: which patient facts were known, the weight, the age bands."""

    patient_cmv_known: bool
    patient_abo_known: bool
    per_kg: bool
    age_band_years: int = 5
    min_age: int = RankingOptions().min_age

    @classmethod
    def of(
        cls,
        *,
        patient_cmv: Serostatus,
        patient_abo: AboGroup | None,
        patient_weight_kg: float | None,
        age_band_years: int = 5,
    ) -> RankContext:
        return cls(
            patient_cmv_known=patient_cmv in KNOWN_CMV,
            patient_abo_known=patient_abo is not None,
            per_kg=bool(patient_weight_kg),
            age_band_years=max(age_band_years, 1),
        )


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


class RankKeyMismatch(ValueError):
    """A donor's sort keys do not have one value per ranking attribute (the ranking changed since)."""


def _applies(attribute: RankAttribute, kind: DonorKind) -> bool:
    if attribute.applies is Applies.BOTH:
        return True
    return (attribute.applies is Applies.CORD) == (kind is DonorKind.CORD)


def _step(attribute: RankAttribute, key: float, context: RankContext) -> RankStep:
    number = int(key)
    name = attribute.key
    if name in _COUNTS:
        return RankStep(name, attribute.label, str(number), False)
    if name in {"tnc", "cd34"}:
        scale = "×10⁷" if name == "tnc" else "×10⁶"
        per = "/kg" if context.per_kg else ""
        return RankStep(name, attribute.label, f"{-key:.2f} {scale}{per}", False)
    if name == "age":
        if number >= UNKNOWN_AGE_BAND:
            return RankStep(name, attribute.label, NOT_KNOWN, True)
        width = context.age_band_years
        low = context.min_age + number * width
        text = f"≤ {low + width - 1}" if number == 0 else f"{low}–{low + width - 1}"
        return RankStep(name, attribute.label, text, False)
    if name == "dpb1":
        return RankStep(name, attribute.label, DPB1_TEXT.get(number, NOT_KNOWN), True)
    if name in {"cmv", "abo"}:
        known = context.patient_cmv_known if name == "cmv" else context.patient_abo_known
        return RankStep(
            name, attribute.label, SAME_UNKNOWN_DIFFERENT.get(number, NOT_KNOWN) if known else NOT_COMPARED, True
        )
    return RankStep(name, attribute.label, SEX_TEXT.get(number, NOT_KNOWN), True)


def _checked(rank_key: Sequence[float], donor_id: object) -> Sequence[float]:
    if len(rank_key) != len(RANK_ATTRIBUTES):
        raise RankKeyMismatch(
            f"donor {donor_id}: rank_key has {len(rank_key)} keys; expected {len(RANK_ATTRIBUTES)} "
            "(engraft.hla.search.ranking.sort_keys changed: update RANK_ATTRIBUTES)"
        )
    return rank_key


def rank_steps(
    rank_key: Sequence[float], kind: DonorKind, context: RankContext, *, donor_id: object = "?"
) -> tuple[RankStep, ...]:
    """The donor's ranking attributes in the order the ranking applies them (those that sort its kind)."""
    keys = _checked(rank_key, donor_id)
    return tuple(
        _step(attribute, key, context)
        for attribute, key in zip(RANK_ATTRIBUTES, keys, strict=True)
        if _applies(attribute, kind)
    )


def decision(
    rank_key: Sequence[float], above_key: Sequence[float] | None, above_rank: int, context: RankContext
) -> Decision | None:
    """The first ranking attribute on which a donor sorts after the one above (None: first, or tied)."""
    if above_key is None:
        return None
    mine_keys, their_keys = _checked(rank_key, "?"), _checked(above_key, "?")
    for attribute, mine, theirs in zip(RANK_ATTRIBUTES, mine_keys, their_keys, strict=True):
        if mine != theirs:
            return Decision(above_rank, _step(attribute, mine, context), _step(attribute, theirs, context))
    return None


def rank_texts() -> tuple[str, ...]:
    """Every msgid this module can give (labels and value words), for the adapters' catalogue checks."""
    texts = [a.label for a in RANK_ATTRIBUTES]
    texts += [NOT_KNOWN, NOT_COMPARED, *DPB1_TEXT.values(), *SAME_UNKNOWN_DIFFERENT.values(), *SEX_TEXT.values()]
    return tuple(dict.fromkeys(texts))
