"""A ranked donor's reason as data in ``POST /api/donor-search`` (``rank_reason``), beside the English text.

The engine writes ``reason`` in English; clients that show it in another language read ``rank_reason``
instead: the ranking attributes in the order applied, each with a stable code for the attribute
(:class:`RankAttributeKey`) and for the donor's value (:class:`RankValue` and its ``parameters``), and
the attribute that placed the donor below the one ranked just above it. It is built from the donor's
saved sort keys (``rank_key``) by :mod:`engraft.hla.search.rank_explanation`, the same data the web
page and the coordinator's report translate; ``label`` and ``value`` give that module's English msgids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engraft.hla.search.rank_explanation import (
    RankAttributeKey,
    RankContext,
    RankKeyMismatch,
    RankReason,
    RankStep,
    RankValue,
    rank_reason,
)
from engraft.hla.search.search_models import SearchCriteria
from engraft.vocabulary import DonorKind


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RankStepOut(_Out):
    """One ranking attribute of a donor: what it is, the donor's value as a code with its parameters."""

    attribute: RankAttributeKey
    code: RankValue = Field(description="the donor's value as a code, to translate")
    parameters: dict[str, int | float | str] = Field(
        description="what the code needs: 'value' (number), 'dose' and 'unit' (UCUM, cell_dose), "
        "'low'/'high' in years (age bands); empty for the other codes"
    )
    label: str = Field(description="the attribute in English")
    value: str = Field(description="the value in English, or the number as written")


class RankDecisionOut(_Out):
    """The attribute on which the donor sorts after the donor ranked just above it."""

    above_rank: int = Field(ge=1)
    step: RankStepOut = Field(description="this donor's value of that attribute")
    above: RankStepOut = Field(description="the donor above's value of it")


class RankReasonOut(_Out):
    steps: list[RankStepOut] = Field(description="the attributes that sort this donor's kind, in the order applied")
    decided_by: RankDecisionOut | None = Field(description="null for the first donor or a tie on every attribute")


def _step(step: RankStep) -> dict[str, Any]:
    return {
        "attribute": step.key,
        "code": step.code,
        "parameters": dict(step.parameters),
        "label": step.label,
        "value": step.value,
    }


def _reason(reason: RankReason) -> dict[str, Any]:
    decided = reason.decided_by
    return {
        "steps": [_step(s) for s in reason.steps],
        "decided_by": None
        if decided is None
        else {"above_rank": decided.above_rank, "step": _step(decided.step), "above": _step(decided.above)},
    }


def with_rank_reasons(donors: Sequence[Mapping[str, Any]], criteria: SearchCriteria) -> list[dict[str, Any]]:
    """Each donor of a search report with ``rank_reason`` (null when it has no sort keys of this ranking)."""
    context = RankContext.of(
        patient_cmv=criteria.patient_cmv,
        patient_abo=criteria.patient_abo,
        patient_weight_kg=criteria.patient_weight_kg,
        age_band_years=criteria.age_band_years,
    )
    out: list[dict[str, Any]] = []
    above: Mapping[str, Any] | None = None
    for donor in donors:
        key = donor.get("rank_key") or None
        above_key = above.get("rank_key") if above is not None else None
        reason = None
        if key is not None:
            try:
                found = rank_reason(
                    key,
                    DonorKind(donor["donor_type"]),
                    above_key or None,
                    int(above["rank"]) if above is not None else 0,
                    context,
                    donor_id=donor.get("donor_id"),
                )
                reason = _reason(found)
            except RankKeyMismatch:
                reason = None
        out.append({**donor, "rank_reason": reason})
        above = donor
    return out
