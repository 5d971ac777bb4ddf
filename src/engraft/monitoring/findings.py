"""What a rule kind adapter reports (:class:`Finding`) and what every adapter provides (:class:`RuleKindAdapter`).

An adapter names its typed parameters (validated when the rule file is loaded), the published grading rule
it applies (``None`` for a centre threshold kind), checks the parameters against the units module at load
time, and evaluates. To plug in a new definition from :mod:`engraft.grading` (SOS/VOD, CRS, graft
failure...): add a :class:`RuleKind` member and one module with its adapter, and list it in
:data:`engraft.monitoring.kinds.ADAPTERS`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import Field

from engraft.grading import GradingRule
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters, Severity
from engraft.monitoring.series import EpisodeContext
from engraft.provenance import FrozenModel
from engraft.vocabulary import EventType


class DetectedEvent(FrozenModel):
    """A clinical event a rule established (e.g. the neutrophil engraftment day), for the registry's events."""

    event_type: EventType
    day: int = Field(description="Days from day 0.")
    date: dt.date
    details: tuple[tuple[str, int | str], ...] = Field(
        default=(),
        description="What the rule found, stored as the event's details (e.g. the aGVHD grade, the kind of "
        "graft failure).",
    )


class Finding(FrozenModel):
    """One occurrence of a rule's condition in a series, as an adapter reports it.

    ``key`` tells this occurrence from others of the same rule in the episode (the same condition found
    again on a later evaluation has the same key); ``cleared_at`` is when the series shows it ended.
    """

    key: str = Field(min_length=1, max_length=80)
    triggering: tuple[int, ...] = Field(description="Ids of the observations the finding rests on.")
    detected_at: dt.datetime = Field(description="When the condition was met (observation or deadline time).")
    result_time: dt.datetime = Field(description="When the result that met it became known (rule-set choice).")
    cleared_at: dt.datetime | None = None
    explanation: str
    event: DetectedEvent | None = None
    severity: Severity | None = Field(
        default=None,
        description="The finding's own severity where its rule grades it (e.g. possible CRS with hypotension); "
        "None: the rule's. A higher one on a later evaluation escalates the open alert of the same key.",
    )
    grade: int | None = Field(
        default=None,
        ge=0,
        description="The grade of a graded condition (CRS, ICANS: the published grade the findings reach); None "
        "for other kinds. Another grade at the same severity on a later evaluation rewrites the alert's evidence.",
    )


class RuleKindAdapter(Protocol):
    """What each rule kind provides."""

    @property
    def kind(self) -> RuleKind: ...

    @property
    def parameters(self) -> type[RuleParameters]:
        """The kind's typed parameters, validated when the rule file is read."""

    @property
    def published(self) -> GradingRule | None:
        """The grading rule applied (its citations become the rule's); ``None`` for centre threshold kinds."""

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        """Raise ``ValueError`` naming the rule and field when the parameters cannot be applied (units...)."""

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        """Findings of ``rule`` in ``series`` (the episode's results up to ``as_of``, time-ordered, as columns)."""
        ...


def published_rule(adapter: RuleKindAdapter, parameters: RuleParameters) -> GradingRule | None:
    """The grading rule a rule of ``adapter``'s kind applies with ``parameters``: the adapter's ``published``, or,
    for a kind whose parameters choose among several definitions, its ``published_for(parameters)``."""
    chooser = getattr(adapter, "published_for", None)
    if chooser is None:
        return adapter.published
    chosen = chooser(parameters)
    assert chosen is None or isinstance(chosen, GradingRule)
    return chosen
