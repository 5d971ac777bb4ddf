"""Schemas of monitoring alerts and rule-file versions, and the inputs that acknowledge or resolve an alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from engraft.monitoring import AlertState, RuleKind, Severity
from engraft.registry.schemas.common import InputModel, OutputModel, Text, UpdateModel, VersionedOutput


class AlertOut(VersionedOutput):
    patient_id: int
    episode_id: int
    rule_id: str
    rule_version: str
    rule_file_id: int
    kind: RuleKind
    severity: Severity
    dedup_key: str
    triggering_observation_ids: list[int]
    detected_at: dt.datetime
    explanation: str
    details: dict[str, Any]
    state: AlertState
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    resolved_by: str | None = Field(description="None on a resolved alert: resolved automatically (condition over).")
    resolved_at: dt.datetime | None
    resolution: str | None
    event_id: int | None


class AlertAcknowledge(UpdateModel):
    """Acknowledge an open alert: ``version`` as read."""


class AlertResolve(UpdateModel):
    note: Text | None = Field(default=None, min_length=1, max_length=1000, description="why it is resolved")


class AlertFilter(InputModel):
    state: AlertState | None = None
    severity: Severity | None = None
    patient_id: int | None = Field(default=None, ge=1)
    episode_id: int | None = Field(default=None, ge=1)
    rule_id: str | None = Field(default=None, max_length=64)


class RuleFileOut(OutputModel):
    id: int
    content_hash: str
    name: str
    version: str
    loaded_at: dt.datetime
    loaded_by: str


class EpisodeEvaluationOut(BaseModel):
    """What one evaluation of an episode changed."""

    episode_id: int
    rule_file: RuleFileOut
    observations: int
    raised: list[int]
    cleared: list[int]
    escalated: list[int]
    updated: list[int] = Field(
        description="alerts whose ongoing condition has a new finding at the same severity (explanation rewritten)"
    )
    ongoing: int
    events_written: list[int]
