"""The reason for each rank in the coordinator's report, from the saved donors' sort keys, in the report's language.

A saved donor carries ``rank_key`` (its ranking attributes' values in the order applied); the core's
:mod:`engraft.hla.search.rank_explanation` turns them into labelled steps and finds the attribute on which
the donor sorts after the one ranked just above, as the web page does. Labels and value words are msgids of
the report catalogue. A search saved before ``rank_key`` was recorded (or whose keys no longer fit the
ranking's attributes) keeps the engine's English sentence (``reason``), marked as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from engraft.hla.search.rank_explanation import RankContext, RankStep, decision, rank_steps, rank_texts
from engraft.reports.messages import N_
from engraft.vocabulary import AboGroup, DonorKind, Serostatus

DEFAULT_AGE_BAND_YEARS: Final = 5

_LABELS: Final = (
    N_("Ranked first."),
    N_("Placed below donor {id} (rank {rank}), decided by {attribute}: this donor {value}, that donor {above}."),
    N_("Tied with donor {id} (rank {rank}) on every ranking attribute."),
    N_("Ranking attributes in the order applied (the first that differs from the donor above decides):"),
    N_("As the engine wrote it, in English (this search was saved before the ranking was kept as data):"),
)


def reason_msgids() -> tuple[str, ...]:
    """The msgids of the reasons: the sentences here and the core's attribute labels and value words."""
    return (*_LABELS, *rank_texts())


@dataclass(frozen=True, slots=True)
class ReasonStep:
    label: str
    value: str
    decisive: bool


@dataclass(frozen=True, slots=True)
class RankReason:
    """One donor's reason in the report's language, or the English sentence of an older saved search."""

    summary: str
    steps: tuple[ReasonStep, ...]
    english: str | None
    """The engine's sentence, shown only when the search was saved without its sort keys."""


def rank_context(criteria: Mapping[str, Any]) -> RankContext:
    """What of the saved request the values depend on (the request as the API took it)."""
    abo = criteria.get("patient_abo")
    return RankContext.of(
        patient_cmv=Serostatus(criteria.get("patient_cmv") or Serostatus.UNKNOWN.value),
        patient_abo=AboGroup(abo) if abo else None,
        patient_weight_kg=criteria.get("patient_weight_kg"),
        age_band_years=int(criteria.get("age_band_years") or DEFAULT_AGE_BAND_YEARS),
    )


def _value(step: RankStep, translate: Callable[[str], str]) -> str:
    return translate(step.value) if step.words else step.value


def _structured(
    donor: Mapping[str, Any], above: Mapping[str, Any] | None, context: RankContext, translate: Callable[[str], str]
) -> RankReason:
    key = donor["rank_key"]
    steps = rank_steps(key, DonorKind(donor["donor_type"]), context, donor_id=donor.get("donor_id"))
    above_key = above.get("rank_key") if above is not None else None
    if above is not None and above_key is None:
        raise ValueError("the donor above has no rank_key")
    found = decision(key, above_key, int(above["rank"]) if above is not None else 0, context)
    if above is None:
        summary = translate("Ranked first.")
    elif found is None:
        summary = translate("Tied with donor {id} (rank {rank}) on every ranking attribute.").format(
            id=above["donor_id"], rank=above["rank"]
        )
    else:
        summary = translate(
            "Placed below donor {id} (rank {rank}), decided by {attribute}: this donor {value}, that donor {above}."
        ).format(
            id=above["donor_id"],
            rank=found.above_rank,
            attribute=translate(found.step.label),
            value=_value(found.step, translate),
            above=_value(found.above, translate),
        )
    decisive = found.step.key if found is not None else None
    shown = tuple(ReasonStep(translate(s.label), _value(s, translate), s.key == decisive) for s in steps)
    return RankReason(summary, shown, None)


def rank_reasons(
    donors: Sequence[Mapping[str, Any]], criteria: Mapping[str, Any], translate: Callable[[str], str]
) -> list[RankReason]:
    """Each saved donor's reason, in ranking order (``translate``: msgid -> the report language's text)."""
    try:
        context: RankContext | None = rank_context(criteria)
    except (TypeError, ValueError):
        context = None
    reasons = []
    above: Mapping[str, Any] | None = None
    for donor in donors:
        reason = None
        if context is not None and donor.get("rank_key") is not None:
            try:
                reason = _structured(donor, above, context, translate)
            except (KeyError, TypeError, ValueError):
                reason = None
        if reason is None:
            reason = RankReason(
                translate(
                    "As the engine wrote it, in English (this search was saved before the ranking was kept as data):"
                ),
                (),
                str(donor.get("reason", "")),
            )
        reasons.append(reason)
        above = donor
    return reasons
