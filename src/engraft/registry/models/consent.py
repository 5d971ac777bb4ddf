"""Informed-consent records: which risk explanation was gone through, by whom, with whom, and the decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engraft.registry.models.base import Base, JSONDocument, enum_column, utc_now
from engraft.reports.consent import ConsentDecision
from engraft.reports.languages import ReportLanguage


class ConsentRecord(Base):
    """One explanation of a risk document to a patient and family, and what they decided.

    Records are not edited: a later explanation is a new record. ``participants`` holds each person's role
    (patient, parent, ...) without names; ``questions`` the questions raised, as written by the clinician.
    """

    __tablename__ = "consent_record"
    __table_args__ = (
        CheckConstraint("length(document_hash) = 64", name="document_hash_length"),
        CheckConstraint(
            "(interpreter_used AND interpreter_language IS NOT NULL) OR "
            "(NOT interpreter_used AND interpreter_language IS NULL)",
            name="interpreter_language_given",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    document_hash: Mapped[str] = mapped_column(String(64))
    document_version: Mapped[str] = mapped_column(String(32))
    document_language: Mapped[ReportLanguage] = mapped_column(enum_column(ReportLanguage, "report_language"))
    explained_by: Mapped[str] = mapped_column(String(200))
    explained_at: Mapped[dt.datetime]
    participants: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    interpreter_used: Mapped[bool] = mapped_column(Boolean)
    interpreter_language: Mapped[str | None] = mapped_column(String(64))
    questions: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    decision: Mapped[ConsentDecision] = mapped_column(enum_column(ConsentDecision, "consent_decision"))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
