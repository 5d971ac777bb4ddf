"""A published clinical rule as Engraft applies it: what it says, where it comes from, how far it was checked."""

from __future__ import annotations

from pydantic import Field

from engraft.provenance import Citation, FrozenModel, VerificationLevel


class GradingRule(FrozenModel):
    """The provenance every grading result carries.

    ``citations`` lists the rule's own source first, then the text it was actually read in when that
    is a reproduction (``verification`` is then :attr:`VerificationLevel.SECONDARY`).
    """

    name: str
    version: str
    statement: str = Field(description="The rule in one or two sentences (Engraft's wording).")
    citations: tuple[Citation, ...] = Field(min_length=1)
    verification: VerificationLevel
    notes: tuple[str, ...] = ()

    @property
    def citation(self) -> Citation:
        """The rule's own source."""
        return self.citations[0]
