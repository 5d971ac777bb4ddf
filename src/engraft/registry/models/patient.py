"""Recipients: a pseudonymous record, identifying fields apart, and their diagnoses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engraft.registry.models.base import Base, TimestampedMixin, VersionedMixin, enum_column
from engraft.vocabulary import AboGroup, DiseaseStatus, RhD, Serostatus, Sex


class Centre(TimestampedMixin, Base):
    """A transplant centre (CIC in CIBMTR terms); outcomes are benchmarked per centre."""

    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))


class Patient(VersionedMixin, Base):
    """A transplant recipient, known to research only by ``registry_id``."""

    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint("height_cm IS NULL OR (height_cm > 0 AND height_cm < 260)", name="height_range"),
        CheckConstraint("weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 400)", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(32), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    abo: Mapped[AboGroup | None] = mapped_column(enum_column(AboGroup, "abo_group"))
    rh: Mapped[RhD | None] = mapped_column(enum_column(RhD, "rhd"))
    cmv_serostatus: Mapped[Serostatus] = mapped_column(enum_column(Serostatus, "serostatus"))
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    hla_gl_string: Mapped[str | None] = mapped_column(Text)

    centre: Mapped[Centre] = relationship(lazy="joined")
    identity: Mapped[PatientIdentity | None] = relationship(back_populates="patient", uselist=False)


class PatientIdentity(VersionedMixin, Base):
    """Identifying fields, kept in their own table so research exports can leave them out."""

    __tablename__ = "patient_identity"
    __table_args__ = (UniqueConstraint("centre_id", "mrn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    mrn: Mapped[str] = mapped_column(String(64))

    patient: Mapped[Patient] = relationship(back_populates="identity")


class Diagnosis(VersionedMixin, Base):
    """A disease (WHO classification name, ICD-10 code) and its status at transplant."""

    __tablename__ = "diagnosis"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    who_name: Mapped[str] = mapped_column(String(300))
    icd10: Mapped[str] = mapped_column(String(8))
    diagnosis_date: Mapped[dt.date] = mapped_column(Date)
    status_at_transplant: Mapped[DiseaseStatus | None] = mapped_column(enum_column(DiseaseStatus, "disease_status"))
