"""Saved donor searches: what a search coordinator searched for, against which release, what came back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engraft.registry.models.base import Base, JSONDocument, utc_now


class SavedDonorSearch(Base):
    """One donor search as run, kept so the choice of donor can be audited later.

    Never edited: a new search is a new record. ``criteria`` is the search request as given (the API's
    request model, JSON) and ``result`` the ranked donors as returned (the API's result model, JSON),
    so the report made from the record is the search as the coordinator saw it, whatever the donor
    registry holds later. ``run_by`` is the account (or CLI actor) that ran it.
    """

    __tablename__ = "saved_donor_search"
    __table_args__ = (
        CheckConstraint("donors_in_registry >= 0", name="donors_in_registry_not_negative"),
        CheckConstraint("length(content_hash) = 64", name="content_hash_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    patient_typing: Mapped[str] = mapped_column(Text)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    hla_release: Mapped[str] = mapped_column(String(16))
    donors_in_registry: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    run_by: Mapped[str] = mapped_column(String(200))
    run_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
