"""The monitoring rule model: what a rule watches, for which patients, how loud, and on whose authority.

A :class:`MonitoringRule` is data: an id and version, a title, the :class:`RuleKind` that evaluates it (a
published definition from :mod:`engraft.grading`, or a centre threshold), the kind's typed parameters, the
patients it applies to (:class:`Applicability`), its :class:`Severity` and :class:`Escalation`, and its
:class:`RuleSource` (published with citations and verification level, or a centre policy). Rules are
loaded from a versioned TOML file (:mod:`engraft.monitoring.rule_file`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from engraft.provenance import Citation, FrozenModel, VerificationLevel
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType

ADULT_AGE_YEARS = 18
"""Age at day 0 from which a patient counts as an adult for :class:`AgeGroup` (paediatric: younger)."""


class Severity(StrEnum):
    """How urgently an alert asks for attention, lowest first."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class RuleKind(StrEnum):
    """How a rule is evaluated: one adapter each (:mod:`engraft.monitoring.kinds`).

    A new grading definition (SOS/VOD, CRS, graft failure...) plugs in as one new member and one adapter.
    """

    NEUTROPHIL_ENGRAFTMENT = "neutrophil engraftment"
    PLATELET_ENGRAFTMENT = "platelet engraftment"
    NO_ENGRAFTMENT_BY_DAY = "no engraftment by day"
    THRESHOLD = "threshold"
    RISE_FROM_BASELINE = "rise from baseline"
    FEBRILE_NEUTROPENIA = "febrile neutropenia"
    PRIMARY_GRAFT_FAILURE = "primary graft failure"
    SECONDARY_GRAFT_FAILURE = "secondary graft failure"
    DNAEMIA = "DNAemia"
    ORGAN_TOXICITY = "organ toxicity"
    SOS_VOD = "SOS/VOD"
    ACUTE_GVHD_GRADE = "acute GVHD grade"
    POSSIBLE_CRS = "possible CRS"
    ICANS_GRADE = "ICANS grade"


class RuleOrigin(StrEnum):
    """Whose rule it is."""

    PUBLISHED = "published"
    """A published definition, applied as :mod:`engraft.grading` implements it (citations from there)."""
    CENTRE = "centre"
    """A threshold a centre set for itself: its policy, not a published fact."""


class AgeGroup(StrEnum):
    """Which patients by age at day 0 (adults: :data:`ADULT_AGE_YEARS` and over)."""

    ANY = "any"
    ADULT = "adult"
    CHILD = "child"


class Applicability(FrozenModel):
    """Which patients and which days (from day 0, inclusive) a rule watches."""

    day_from: int = Field(default=0, ge=-365, le=3650, strict=True)
    day_to: int = Field(default=100, ge=-365, le=3650, strict=True)
    age_group: AgeGroup = AgeGroup.ANY
    graft_sources: tuple[GraftSource, ...] = Field(default=(), description="Empty: every graft source.")
    transplant_types: tuple[TransplantType, ...] = Field(default=(), description="Empty: both types.")
    cell_therapies: tuple[CellTherapy, ...] = Field(
        default=(), description="Empty: every episode; e.g. immune effector cells (CAR-T) only."
    )

    @model_validator(mode="after")
    def _ordered_window(self) -> Applicability:
        if self.day_to < self.day_from:
            raise ValueError(f"day_to={self.day_to} is before day_from={self.day_from}; expected day_to >= day_from")
        return self

    def covers_day(self, day: int) -> bool:
        return self.day_from <= day <= self.day_to


class Escalation(FrozenModel):
    """An alert still open (not acknowledged) ``after_minutes`` after detection is raised to ``to``."""

    after_minutes: int = Field(ge=1, le=60 * 24 * 30, strict=True)
    to: Severity


class RuleSource(FrozenModel):
    """Where a rule comes from, as the rule file states it.

    A published rule names its definition and verification level (its citations come from the grading rule
    the kind applies); a centre rule names the centre policy it implements and is never more than
    ``unverified`` as a published fact.
    """

    origin: RuleOrigin
    reference: str = Field(min_length=3, max_length=500, description="The definition or centre policy applied.")
    verification: VerificationLevel
    citations: tuple[Citation, ...] = ()

    @model_validator(mode="after")
    def _centre_is_policy(self) -> RuleSource:
        if self.origin is RuleOrigin.CENTRE and self.verification is not VerificationLevel.UNVERIFIED:
            raise ValueError(
                f"verification={self.verification.value!r} for a centre rule; expected 'unverified' "
                "(a centre threshold is policy, not a published definition)"
            )
        return self


class RuleParameters(FrozenModel):
    """Base of each kind's typed parameters."""


class MonitoringRule(FrozenModel):
    """One rule of a rule set."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    version: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=3, max_length=200)
    kind: RuleKind
    parameters: RuleParameters
    applies: Applicability = Applicability()
    severity: Severity
    escalation: Escalation | None = None
    source: RuleSource

    def applies_to(
        self,
        context_age: int | None,
        graft: GraftSource | None,
        kind: TransplantType | None,
        therapy: CellTherapy | None = None,
    ) -> bool:
        """Whether the patient-level conditions hold (unknown age, graft, type or therapy never matches a
        restriction)."""
        a = self.applies
        if a.age_group is not AgeGroup.ANY:
            if context_age is None:
                return False
            adult = context_age >= ADULT_AGE_YEARS
            if adult != (a.age_group is AgeGroup.ADULT):
                return False
        if a.graft_sources and graft not in a.graft_sources:
            return False
        if a.cell_therapies and therapy not in a.cell_therapies:
            return False
        return not (a.transplant_types and kind not in a.transplant_types)


class RuleSet(FrozenModel):
    """The rules in force: a name and version, the content hash of the files they were read from."""

    name: str
    version: str
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the rule file texts.")
    rules: tuple[MonitoringRule, ...]

    def rule(self, rule_id: str) -> MonitoringRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"rule_id={rule_id!r} is not in rule set {self.name} {self.version}")


class RuleSetInForce(FrozenModel):
    """A rule set and the moment it came into force (results recorded from then on are judged by it)."""

    in_force_from: dt.datetime
    rule_set: RuleSet
