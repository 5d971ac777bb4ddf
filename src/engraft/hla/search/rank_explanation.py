"""Why a donor ranks where it does, as data: its ranking attributes in the order applied, and what decided.

A ranked donor carries its sort keys (``DonorMatch.rank_key``, most significant first, as
:func:`engraft.hla.search.ranking.sort_keys` builds them). :data:`RANK_ATTRIBUTES` names them in that
order; :func:`rank_steps` turns one donor's keys into (attribute, value) steps and :func:`decision` finds
the first attribute on which a donor sorts after the donor ranked just above it ("decided by").

The labels and value words are plain English msgids (no number written into them: a figure is a value of
its own), so that each adapter translates them with its own catalogue: the web pages with theirs, the
coordinator's report with the report catalogue. A value that is a number or a code (a mismatch count, an
age band, a cell dose, a donor id) is shown as it is (``RankStep.words`` is false).

For clients that translate on their own (the API), each step also carries a stable machine-readable
form: the attribute as :class:`RankAttributeKey`, the value as a :class:`RankValue` code and its
``parameters`` (a count, a cell dose with its UCUM unit, an age band's bounds in years), from which the
English ``value`` is written; :func:`rank_reason` gathers a donor's steps and decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from engraft.hla.search.ranking import KNOWN_CMV, RankingOptions
from engraft.vocabulary import AboGroup, DonorKind, Serostatus


class Applies(StrEnum):
    """The donors a ranking attribute sorts."""

    ADULT = "adult"
    CORD = "cord"
    BOTH = "both"


class RankAttributeKey(StrEnum):
    """A ranking attribute (a sort key of :func:`engraft.hla.search.ranking.sort_keys`), stable for clients."""

    MISMATCHES = "mismatches"
    POTENTIAL = "potential"
    GVH = "gvh"
    GRADE = "grade"
    TNC = "tnc"
    CD34 = "cd34"
    AGE = "age"
    DPB1 = "dpb1"
    CMV = "cmv"
    SEX = "sex"
    ABO = "abo"
    DONOR_ID = "donor_id"


class RankValue(StrEnum):
    """A donor's value of a ranking attribute as a code (parameters: see :class:`RankStep`)."""

    NUMBER = "number"  # {"value": int}: a count, a grade score or the donor id
    CELL_DOSE = "cell_dose"  # {"dose": float, "unit": UCUM code}
    AGE_BAND_UP_TO = "age_band_up_to"  # {"high": years}: the first band (the youngest donors)
    AGE_BAND = "age_band"  # {"low": years, "high": years}
    NOT_KNOWN = "not_known"
    DPB1_ALLELE_MATCHED = "dpb1_allele_matched"
    DPB1_PERMISSIVE_MISMATCH = "dpb1_permissive_mismatch"
    DPB1_PERMISSIVENESS_UNKNOWN = "dpb1_permissiveness_unknown"
    DPB1_NON_PERMISSIVE_MISMATCH = "dpb1_non_permissive_mismatch"
    SAME_AS_PATIENT = "same_as_patient"
    DIFFERS_FROM_PATIENT = "differs_from_patient"
    NOT_COMPARED = "not_compared"
    MALE = "male"
    OTHER_OR_UNKNOWN_SEX = "other_or_unknown_sex"
    FEMALE = "female"


@dataclass(frozen=True, slots=True)
class RankAttribute:
    """One sort key of the ranking: its label (msgid) and the donors it sorts."""

    key: RankAttributeKey
    label: str
    applies: Applies


RANK_ATTRIBUTES: Final[tuple[RankAttribute, ...]] = (
    RankAttribute(RankAttributeKey.MISMATCHES, "HLA mismatches", Applies.BOTH),
    RankAttribute(RankAttributeKey.POTENTIAL, "Loci matched only potentially (ambiguous typing)", Applies.BOTH),
    RankAttribute(RankAttributeKey.GVH, "Mismatches in the graft-versus-host direction", Applies.ADULT),
    RankAttribute(RankAttributeKey.GRADE, "Match grade score (lowest: allele level at every position)", Applies.ADULT),
    RankAttribute(RankAttributeKey.TNC, "Total nucleated cell dose", Applies.CORD),
    RankAttribute(RankAttributeKey.CD34, "CD34+ cell dose", Applies.CORD),
    RankAttribute(RankAttributeKey.AGE, "Donor age (younger first, in age bands)", Applies.ADULT),
    RankAttribute(RankAttributeKey.DPB1, "DPB1 T-cell epitope match", Applies.ADULT),
    RankAttribute(RankAttributeKey.CMV, "CMV serostatus against the patient's", Applies.ADULT),
    RankAttribute(RankAttributeKey.SEX, "Donor sex (male first)", Applies.ADULT),
    RankAttribute(RankAttributeKey.ABO, "ABO group against the patient's", Applies.ADULT),
    RankAttribute(RankAttributeKey.DONOR_ID, "Donor id (a stable tie-break)", Applies.BOTH),
)
"""The ranking's sort keys in :func:`engraft.hla.search.ranking.sort_keys` order (a test checks the count)."""

NOT_KNOWN: Final = "not known"
# each value msgid's code (the parameters-free values)
VALUE_CODES: Final[Mapping[str, RankValue]] = {
    NOT_KNOWN: RankValue.NOT_KNOWN,
    "DPB1 allele-matched": RankValue.DPB1_ALLELE_MATCHED,
    "DPB1 permissive mismatch": RankValue.DPB1_PERMISSIVE_MISMATCH,
    "DPB1 permissiveness unknown": RankValue.DPB1_PERMISSIVENESS_UNKNOWN,
    "DPB1 non-permissive mismatch": RankValue.DPB1_NON_PERMISSIVE_MISMATCH,
    "same as the patient's": RankValue.SAME_AS_PATIENT,
    "differs from the patient's": RankValue.DIFFERS_FROM_PATIENT,
    "not compared (the patient's is not known)": RankValue.NOT_COMPARED,
    "male": RankValue.MALE,
    "other or unknown": RankValue.OTHER_OR_UNKNOWN_SEX,
    "female": RankValue.FEMALE,
}
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

    key: RankAttributeKey
    label: str
    value: str
    words: bool
    """Whether ``value`` is a msgid to translate (else a number or code shown as it is)."""
    code: RankValue = RankValue.NUMBER
    """The value as a code; a word value's code is :data:`VALUE_CODES` of it."""
    parameters: Mapping[str, int | float | str] = field(default_factory=dict)
    """What the code needs: ``value`` (NUMBER), ``dose`` and ``unit`` (CELL_DOSE), ``low``/``high`` (age bands)."""


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


def _words(name: RankAttributeKey, label: str, value: str) -> RankStep:
    return RankStep(name, label, value, True, VALUE_CODES[value])


def _step(attribute: RankAttribute, key: float, context: RankContext) -> RankStep:
    number = int(key)
    name = attribute.key
    if name in _COUNTS:
        return RankStep(name, attribute.label, str(number), False, RankValue.NUMBER, {"value": number})
    if name in {"tnc", "cd34"}:
        scale = "×10⁷" if name == "tnc" else "×10⁶"
        per = "/kg" if context.per_kg else ""
        unit = ("10*7{cells}" if name == "tnc" else "10*6{cells}") + per
        dose: dict[str, int | float | str] = {"dose": round(-key, 2), "unit": unit}
        return RankStep(name, attribute.label, f"{-key:.2f} {scale}{per}", False, RankValue.CELL_DOSE, dose)
    if name == "age":
        if number >= UNKNOWN_AGE_BAND:
            return _words(name, attribute.label, NOT_KNOWN)
        width = context.age_band_years
        low = context.min_age + number * width
        high = low + width - 1
        if number == 0:
            return RankStep(name, attribute.label, f"≤ {high}", False, RankValue.AGE_BAND_UP_TO, {"high": high})
        band = {"low": low, "high": high}
        return RankStep(name, attribute.label, f"{low}–{high}", False, RankValue.AGE_BAND, band)
    if name == "dpb1":
        return _words(name, attribute.label, DPB1_TEXT.get(number, NOT_KNOWN))
    if name in {"cmv", "abo"}:
        known = context.patient_cmv_known if name == "cmv" else context.patient_abo_known
        return _words(name, attribute.label, SAME_UNKNOWN_DIFFERENT.get(number, NOT_KNOWN) if known else NOT_COMPARED)
    return _words(name, attribute.label, SEX_TEXT.get(number, NOT_KNOWN))


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


@dataclass(frozen=True, slots=True)
class RankReason:
    """A donor's rank as data: its attributes in the order applied and what placed it below the donor above."""

    steps: tuple[RankStep, ...]
    decided_by: Decision | None


def rank_reason(
    rank_key: Sequence[float],
    kind: DonorKind,
    above_key: Sequence[float] | None,
    above_rank: int,
    context: RankContext,
    *,
    donor_id: object = "?",
) -> RankReason:
    """:func:`rank_steps` and :func:`decision` of one donor (``above_key`` None: ranked first)."""
    return RankReason(
        rank_steps(rank_key, kind, context, donor_id=donor_id), decision(rank_key, above_key, above_rank, context)
    )


def rank_texts() -> tuple[str, ...]:
    """Every msgid this module can give (labels and value words), for the adapters' catalogue checks."""
    texts = [a.label for a in RANK_ATTRIBUTES]
    texts += [NOT_KNOWN, NOT_COMPARED, *DPB1_TEXT.values(), *SAME_UNKNOWN_DIFFERENT.values(), *SEX_TEXT.values()]
    return tuple(dict.fromkeys(texts))
