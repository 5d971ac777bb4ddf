"""What the evaluator returns: detections, and the alert transitions they cause against the alerts on file."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from engraft.monitoring.findings import DetectedEvent
from engraft.monitoring.model import Escalation, RuleKind, Severity
from engraft.provenance import Citation, FrozenModel, VerificationLevel


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Detection(FrozenModel):
    """A rule's condition found in an episode's series, with the rule version that found it."""

    rule_id: str
    rule_version: str
    rule_title: str
    rule_set_hash: str = Field(description="content_hash of the rule set in force for this result.")
    kind: RuleKind
    severity: Severity
    escalation: Escalation | None = None
    dedup_key: str = Field(description="rule id and occurrence: the same ongoing condition keeps its key.")
    triggering: tuple[int, ...]
    detected_at: dt.datetime
    cleared_at: dt.datetime | None
    explanation: str
    reference: str
    verification: VerificationLevel
    citations: tuple[Citation, ...] = ()
    event: DetectedEvent | None = None
    grade: int | None = Field(default=None, description="The graded condition's grade (CRS, ICANS), else None.")

    def severity_at(self, moment: dt.datetime) -> Severity:
        """The severity of this detection's alert, still unacknowledged at ``moment`` (escalation applied)."""
        if self.escalation is None or self.cleared_at is not None:
            return self.severity
        due = self.detected_at + dt.timedelta(minutes=self.escalation.after_minutes)
        if moment >= due and self.escalation.to.rank > self.severity.rank:
            return self.escalation.to
        return self.severity


class PriorAlert(FrozenModel):
    """An alert already on file for the episode (what the evaluator needs of it)."""

    dedup_key: str
    state: AlertState
    severity: Severity


class TransitionKind(StrEnum):
    RAISED = "raised"
    """A new condition, still present: a new open alert."""
    RAISED_CLEARED = "raised and cleared"
    """A condition the series shows began and ended (a replay of past results): stored already resolved."""
    ONGOING = "ongoing"
    """The condition of an alert on file is still present: nothing new (no duplicate)."""
    ESCALATED = "escalated"
    """Still present, open and unacknowledged past the rule's escalation time: raised to a higher severity."""
    CLEARED = "cleared"
    """The condition of an open or acknowledged alert is over, or no longer supported by the series."""


class Transition(FrozenModel):
    kind: TransitionKind
    dedup_key: str
    at: dt.datetime = Field(description="When it happened: detection, clearing, escalation or evaluation time.")
    severity: Severity
    detection: Detection | None = Field(description="None when the series no longer supports the alert.")
    reason: str = ""


class Evaluation(FrozenModel):
    detections: tuple[Detection, ...]
    transitions: tuple[Transition, ...]
