"""Provenance vocabulary shared by every instrument: citations, published outcomes, result shape.

Clinical rules are data. Each rule, threshold and outcome figure carries the source it was taken
from and a :class:`~engraft.provenance.VerificationLevel` saying how far it was checked: ``primary``
(the paper's full text), ``primary-abstract`` (its abstract), ``secondary`` (an authoritative text
reproducing the primary table, such as the EBMT Handbook, cited beside the primary source in
``reproduced_in``) or ``unverified`` (kept, shown with a caveat, never asserted by a test as a
published fact). A result's own ``verification`` is the weakest level among its components: the rule
is only as checked as its least-checked part.

Results stored before the levels existed carry ``verified: true/false`` and no citation of the text a
figure was read in; they are read as ``unverified`` either way (the old ``true`` also covered
reproductions, which ``secondary`` now requires to be cited), until the assessment is computed again.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from engraft.provenance import Citation, FrozenModel, VerificationLevel, weakest

__all__ = [
    "Citation",
    "Component",
    "FrozenModel",
    "PublishedOutcome",
    "ScoreResult",
    "VerificationLevel",
    "legacy_verification",
]


def legacy_verification(data: Any) -> Any:
    """A stored payload with the old ``verified`` flag, given the only level it can claim: unverified."""
    if isinstance(data, dict) and "verified" in data and "verification" not in data:
        data = {key: value for key, value in data.items() if key != "verified"}
        data["verification"] = VerificationLevel.UNVERIFIED
    return data


class _Evidenced(FrozenModel):
    """A figure or rule with its verification level and, when secondary, the text it was read in."""

    verification: VerificationLevel
    reproduced_in: tuple[Citation, ...] = Field(
        default=(),
        description="The secondary text(s) the figure or rule was read in (EBMT Handbook table, NCI PDQ, ...), "
        "cited beside its own source; required when verification is 'secondary'.",
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        return legacy_verification(data)

    @model_validator(mode="after")
    def _secondary_cites_its_reproduction(self) -> _Evidenced:
        if self.verification is VerificationLevel.SECONDARY and not self.reproduced_in:
            raise ValueError("verification='secondary' needs reproduced_in: the secondary text the figure was read in")
        return self

    @property
    def verified(self) -> bool:
        """Whether the figure was read in its primary source (full text or abstract)."""
        return self.verification.checked_in_primary


class PublishedOutcome(_Evidenced):
    """One published outcome figure for a band of an instrument.

    ``value`` is a percentage unless ``unit`` says otherwise (e.g. a c-statistic). ``source`` is the
    study the figure belongs to; ``reproduced_in`` the text it was read in when that is a reproduction.
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
    source: Citation
    note: str | None = None


class Component(_Evidenced):
    """Which input produced which points, under which rule, from which source.

    ``source`` is the rule's own source when it is not the result's citation (a rule set whose
    thresholds come from different papers cites each one).
    """

    item: str
    input: str
    points: float
    rule: str
    source: Citation | None = None


class ScoreResult(FrozenModel):
    """Common result shape for every instrument.

    ``verification`` is the weakest level among the components (the rule as applied); given
    explicitly only by a result without components.
    """

    instrument: str
    version: str
    value: int | float | str
    band: str
    components: tuple[Component, ...]
    outcomes: tuple[PublishedOutcome, ...] = ()
    citation: Citation
    verification: VerificationLevel = Field(
        default=VerificationLevel.UNVERIFIED,
        description="How far the rule as applied was checked: the weakest level among the components.",
    )
    notes: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _rule_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("verification") is None:
            components = data.get("components") or ()
            levels = [
                c.verification if isinstance(c, Component) else Component.model_validate(c).verification
                for c in components
            ]
            data = {**data, "verification": weakest(levels)}
        return data

    @model_validator(mode="after")
    def _no_stronger_than_its_rule(self) -> ScoreResult:
        if self.components:
            rule_level = weakest(c.verification for c in self.components)
            if self.verification is not rule_level:
                raise ValueError(
                    f"verification={self.verification.value!r} differs from the weakest component level "
                    f"{rule_level.value!r}; a result is only as checked as its least-checked rule"
                )
        return self

    @property
    def all_outcomes_verified(self) -> bool:
        """True when every outcome figure attached to this result was read in its primary source."""
        return all(outcome.verified for outcome in self.outcomes)
