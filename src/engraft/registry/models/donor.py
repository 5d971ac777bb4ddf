"""Donors (including autologous 'donors' and cord blood units) and their marker results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engraft.registry.models.base import Base, TimestampedMixin, VersionedMixin, enum_column
from engraft.vocabulary import (
    AboGroup,
    DonorEligibility,
    DonorRelation,
    MarkerResult,
    MarkerTest,
    RhD,
    Serostatus,
    Sex,
)


class Donor(VersionedMixin, Base):
    """A donor or cord blood unit; HLA typing is kept as GL String text (validated by engraft.hla)."""

    __tablename__ = "donor"
    __table_args__ = (CheckConstraint("age_years IS NULL OR (age_years >= 0 AND age_years < 100)", name="age"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_code: Mapped[str] = mapped_column(String(64), unique=True)
    relation: Mapped[DonorRelation] = mapped_column(enum_column(DonorRelation, "donor_relation"))
    age_years: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, "sex"))
    abo: Mapped[AboGroup | None] = mapped_column(enum_column(AboGroup, "abo_group"))
    rh: Mapped[RhD | None] = mapped_column(enum_column(RhD, "rhd"))
    cmv_serostatus: Mapped[Serostatus] = mapped_column(enum_column(Serostatus, "serostatus"))
    hla_gl_string: Mapped[str | None] = mapped_column(Text)
    eligibility: Mapped[DonorEligibility] = mapped_column(enum_column(DonorEligibility, "donor_eligibility"))
    consent_date: Mapped[dt.date | None] = mapped_column(Date)

    markers: Mapped[list[DonorMarker]] = relationship(
        back_populates="donor", cascade="all, delete-orphan", order_by="DonorMarker.id"
    )


class DonorMarker(TimestampedMixin, Base):
    """One infectious-disease marker result of a donor, with its date."""

    __tablename__ = "donor_marker"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id", ondelete="CASCADE"), index=True)
    test: Mapped[MarkerTest] = mapped_column(enum_column(MarkerTest, "marker_test"))
    result: Mapped[MarkerResult] = mapped_column(enum_column(MarkerResult, "marker_result"))
    result_date: Mapped[dt.date] = mapped_column(Date)

    donor: Mapped[Donor] = relationship(back_populates="markers")
