"""Input and output of informed-consent records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from engraft.registry.schemas.common import AwareDatetime, InputModel, OutputModel, Text
from engraft.reports.consent import ConsentDecision, ConsentParticipantRole
from engraft.reports.languages import ReportLanguage

Question = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]


class ConsentParticipant(InputModel):
    """A person present at the explanation, by role (no name)."""

    role: ConsentParticipantRole


class ConsentRecordIn(InputModel):
    document_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 content hash of the document explained (its fingerprint)"
    )
    document_version: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    document_language: ReportLanguage
    explained_by: Text = Field(min_length=1, max_length=200, description="who explained it (name and role)")
    explained_at: AwareDatetime
    participants: list[ConsentParticipant] = Field(min_length=1, max_length=20)
    interpreter_used: bool
    interpreter_language: Text | None = Field(default=None, min_length=1, max_length=64)
    questions: list[Question] = Field(default_factory=list, max_length=50)
    decision: ConsentDecision
    notes: Text | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _interpreter(self) -> ConsentRecordIn:
        if self.interpreter_used and self.interpreter_language is None:
            raise ValueError("interpreter_language is required when interpreter_used is true")
        if not self.interpreter_used and self.interpreter_language is not None:
            raise ValueError("interpreter_language must be left out when interpreter_used is false")
        if self.explained_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
            raise ValueError(f"explained_at={self.explained_at.isoformat()} is in the future; expected a past time")
        return self


class ConsentRecordOut(OutputModel):
    id: int
    patient_id: int
    episode_id: int
    document_hash: str
    document_version: str
    document_language: ReportLanguage
    explained_by: str
    explained_at: dt.datetime
    participants: list[ConsentParticipant]
    interpreter_used: bool
    interpreter_language: str | None
    questions: list[str]
    decision: ConsentDecision
    notes: str | None
    recorded_at: dt.datetime
