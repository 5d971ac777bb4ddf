"""Input and output of saved donor searches (the request and result are the API's JSON, kept as sent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from engraft.registry.schemas.common import InputModel, OutputModel, RecordId, Text

RELEASE_PATTERN = r"^\d+\.\d+\.\d+$"


class SavedDonorSearchIn(InputModel):
    """A search as run: typing, request, ranked donors, the release and registry size they came from."""

    patient_id: RecordId | None = Field(default=None, description="the registered patient searched for, if any")
    patient_typing: Text = Field(min_length=3, max_length=2000, description="the typing searched, a GL String")
    criteria: dict[str, Any] = Field(description="the search request as given")
    result: dict[str, Any] = Field(description="the ranked donors as returned")
    hla_release: str = Field(pattern=RELEASE_PATTERN, description="IPD-IMGT/HLA release the search used")
    donors_in_registry: int = Field(ge=0)
    note: Text | None = Field(default=None, max_length=2000, description="the coordinator's note")


class SavedDonorSearchSummary(OutputModel):
    """One saved search in a list (without its donors)."""

    id: int
    patient_id: int | None
    patient_typing: str
    hla_release: str
    donors_in_registry: int
    content_hash: str = Field(description="SHA-256 of the saved typing, request, result, release and registry size")
    note: str | None
    run_by: str = Field(description="who ran and saved the search")
    run_at: dt.datetime


class SavedDonorSearchRecord(SavedDonorSearchSummary):
    """A saved search with its request and result as stored."""

    criteria: dict[str, Any]
    result: dict[str, Any]
