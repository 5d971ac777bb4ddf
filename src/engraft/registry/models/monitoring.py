"""Monitoring: the rule-file versions that were in force, and the alerts the rules raised.

A rule file version is stored once per content hash with who loaded it and when; an alert names the rule
id and version and the rule file it was judged by, the observations that triggered it, and its state
(open, acknowledged by whom and when, resolved by whom — ``None``: automatically, the condition over —
and when). ``(episode_id, dedup_key)`` is unique: one alert per occurrence of a condition.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engraft.monitoring import AlertState, RuleKind, Severity
from engraft.registry.models.base import Base, JSONDocument, VersionedMixin, enum_column, utc_now


class MonitoringRuleFile(Base):
    """One version of the rule files (shipped text and centre text), identified by its content hash."""

    __tablename__ = "monitoring_rule_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    default_text: Mapped[str] = mapped_column(Text)
    centre_text: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    loaded_by: Mapped[str] = mapped_column(String(120))


class MonitoringAlert(VersionedMixin, Base):
    """An alert: the rule that raised it, its evidence and its state."""

    __tablename__ = "monitoring_alert"
    __table_args__ = (
        UniqueConstraint("episode_id", "dedup_key"),
        Index("ix_monitoring_alert_state_severity", "state", "severity"),
        CheckConstraint(
            "(state = 'open') OR (state = 'acknowledged' AND acknowledged_at IS NOT NULL) "
            "OR (state = 'resolved' AND resolved_at IS NOT NULL)",
            name="state_dates",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_version: Mapped[str] = mapped_column(String(32))
    rule_file_id: Mapped[int] = mapped_column(ForeignKey("monitoring_rule_file.id"))
    kind: Mapped[RuleKind] = mapped_column(enum_column(RuleKind, "monitoring_rule_kind"))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, "alert_severity"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    triggering_observation_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    detected_at: Mapped[dt.datetime]
    explanation: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The rule's source (reference, verification, citations) and any detected event."""
    state: Mapped[AlertState] = mapped_column(enum_column(AlertState, "alert_state"))
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    """Who resolved it; None for a resolved alert: resolved automatically (the condition ended)."""
    resolved_at: Mapped[dt.datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("clinical_event.id", ondelete="SET NULL"))
