"""What happens after day 0: observations, clinical events, follow-up visits and assessments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engraft.registry.audit import AuditAction
from engraft.registry.models.base import Base, TimestampedMixin, VersionedMixin, enum_column, utc_now
from engraft.vocabulary import (
    DiseaseStatus,
    EventSource,
    EventType,
    ObservationSource,
    PerformanceScale,
    VitalStatus,
)

_IDENTIFIER = String(128).with_variant(String(128, collation="C"), "postgresql")

TRIGGER_ENFORCED_FOREIGN_KEYS = frozenset(
    {"fk_observation_patient_id_patient", "fk_observation_episode_id_transplant_episode"}
)
"""Foreign keys declared in the models but enforced by triggers on PostgreSQL (see :class:`Observation`)."""


class Observation(Base):
    """A lab value or vital sign: LOINC code, value in its UCUM unit and in the canonical unit.

    ``(source_system, source_id)`` is unique, like a FHIR Identifier (system + value): a lab feed
    that re-sends the same result changes nothing, and two systems may number their results
    alike. Both are compared byte by byte (collation "C" on PostgreSQL, BINARY on SQLite). On
    PostgreSQL the two foreign keys are enforced by statement-level triggers instead (migration
    0004, :data:`TRIGGER_ENFORCED_FOREIGN_KEYS`), so a bulk load is checked once per statement.
    """

    __tablename__ = "observation"
    __table_args__ = (
        Index("ix_observation_patient_time", "patient_id", "observed_at"),
        UniqueConstraint("source_system", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"))
    observed_at: Mapped[dt.datetime]
    loinc: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    value_canonical: Mapped[float] = mapped_column(Float)
    source: Mapped[ObservationSource] = mapped_column(enum_column(ObservationSource, "observation_source"))
    source_system: Mapped[str] = mapped_column(_IDENTIFIER, server_default="")
    source_id: Mapped[str] = mapped_column(_IDENTIFIER)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class ClinicalEvent(VersionedMixin, Base):
    """A dated clinical event; ``details`` holds the type-specific fields (grade, stages, cause...)."""

    __tablename__ = "clinical_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"), index=True)
    event_date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[EventSource] = mapped_column(enum_column(EventSource, "event_source"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FollowUpVisit(VersionedMixin, Base):
    """A follow-up contact: vital status, performance score and disease status on that date."""

    __tablename__ = "follow_up_visit"
    __table_args__ = (
        CheckConstraint(
            "performance_score IS NULL OR (performance_score >= 0 AND performance_score <= 100)",
            name="performance_score",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date)
    vital_status: Mapped[VitalStatus] = mapped_column(enum_column(VitalStatus, "vital_status"))
    performance_scale: Mapped[PerformanceScale | None] = mapped_column(
        enum_column(PerformanceScale, "performance_scale")
    )
    performance_score: Mapped[int | None] = mapped_column(Integer)
    disease_status: Mapped[DiseaseStatus | None] = mapped_column(enum_column(DiseaseStatus, "disease_status"))


class Assessment(TimestampedMixin, Base):
    """A stored score or grade result with its inputs, instrument version and citation."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    value: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(120))
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    citation: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only log of every write and every identifying read: who, from where, when, what, which record.

    The database refuses UPDATE and DELETE on this table (triggers on SQLite and PostgreSQL, migration
    0007; on PostgreSQL the privileges are revoked from PUBLIC as well).
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
