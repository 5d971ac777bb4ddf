"""Provenance vocabulary shared by every instrument: citations, published outcomes, result shape.

Clinical rules are data. Each rule, threshold and outcome figure carries the source it was taken
from and whether that figure was checked against the primary publication (``verified``). Figures
seen only in secondary reproductions are kept, but with ``verified=False`` so that callers can show
them with a caveat and tests never assert them as published facts.
"""

from __future__ import annotations

from pydantic import Field

from engraft.provenance import Citation, FrozenModel, VerificationLevel

__all__ = ["Citation", "Component", "FrozenModel", "PublishedOutcome", "ScoreResult", "VerificationLevel"]


class PublishedOutcome(FrozenModel):
    """One published outcome figure for a band of an instrument.

    ``value`` is a percentage unless ``unit`` says otherwise (e.g. a c-statistic).
    ``verified`` is True only when the figure was seen in the primary paper's abstract or table,
    or in a faithful reproduction of it.
    """

    band: str
    endpoint: str
    time_point: str
    value: float
    unit: str = "%"
    ci_low: float | None = None
    ci_high: float | None = None
    cohort: str
    n: int | None = Field(default=None, description="Cohort size the figure comes from.")
    verified: bool
    source: Citation
    note: str | None = None


class Component(FrozenModel):
    """Which input produced which points, under which rule."""

    item: str
    input: str
    points: float
    rule: str
    verified: bool = True


class ScoreResult(FrozenModel):
    """Common result shape for every instrument."""

    instrument: str
    version: str
    value: int | float | str
    band: str
    components: tuple[Component, ...]
    outcomes: tuple[PublishedOutcome, ...] = ()
    citation: Citation
    notes: tuple[str, ...] = ()

    @property
    def all_outcomes_verified(self) -> bool:
        """True when every outcome figure attached to this result was verified."""
        return all(outcome.verified for outcome in self.outcomes)
