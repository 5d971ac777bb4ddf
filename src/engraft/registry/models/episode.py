"""Transplant episodes: day 0, donors, conditioning, GVHD prophylaxis and product quality."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engraft.measurements import Ucum
from engraft.registry.models.base import Base, JSONDocument, UcumCode, VersionedMixin, enum_column
from engraft.registry.models.patient import Centre
from engraft.vocabulary import CellTherapy, ConditioningDrug, DrugRoute, GraftSource, TransplantType


class TransplantEpisode(VersionedMixin, Base):
    """One transplant (HCT) or immune effector cell infusion (CAR-T) of a patient; ``sequence_number`` 1: the first."""

    __tablename__ = "transplant_episode"
    __table_args__ = (
        UniqueConstraint("patient_id", "sequence_number"),
        CheckConstraint("sequence_number >= 1", name="sequence_number"),
        CheckConstraint("tbi_dose_gy IS NULL OR (tbi_dose_gy >= 0 AND tbi_dose_gy <= 20)", name="tbi_dose"),
        CheckConstraint("tbi_fractions IS NULL OR tbi_fractions >= 1", name="tbi_fractions"),
        CheckConstraint("cd34_per_kg IS NULL OR cd34_per_kg >= 0", name="cd34"),
        CheckConstraint("tnc_per_kg IS NULL OR tnc_per_kg >= 0", name="tnc"),
        CheckConstraint("viability_pct IS NULL OR (viability_pct >= 0 AND viability_pct <= 100)", name="viab"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    diagnosis_id: Mapped[int | None] = mapped_column(ForeignKey("diagnosis.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    sequence_number: Mapped[int] = mapped_column(Integer)
    transplant_type: Mapped[TransplantType] = mapped_column(enum_column(TransplantType, "transplant_type"))
    graft_source: Mapped[GraftSource] = mapped_column(enum_column(GraftSource, "graft_source"))
    cell_therapy: Mapped[CellTherapy] = mapped_column(
        enum_column(CellTherapy, "cell_therapy"),
        default=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT,
        server_default=CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT.value,
        comment="haematopoietic cell transplant, or immune effector cells (CAR-T: day 0 is the infusion)",
    )
    day0: Mapped[dt.date] = mapped_column(Date, index=True)
    tbi_dose_gy: Mapped[float | None] = mapped_column(Float)
    tbi_fractions: Mapped[int | None] = mapped_column(Integer)
    gvhd_prophylaxis: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    cd34_per_kg: Mapped[float | None] = mapped_column(Float, comment="CD34+ cells x10^6/kg recipient weight")
    tnc_per_kg: Mapped[float | None] = mapped_column(Float, comment="total nucleated cells per kg, see tnc_unit")
    tnc_unit: Mapped[Ucum | None] = mapped_column(UcumCode(16), comment="10*8/kg, or 10*7/kg for cord blood")
    viability_pct: Mapped[float | None] = mapped_column(Float)

    centre: Mapped[Centre] = relationship(lazy="joined")
    conditioning: Mapped[list[ConditioningAgent]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="ConditioningAgent.position"
    )
    donor_links: Mapped[list[EpisodeDonor]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="EpisodeDonor.position"
    )

    @property
    def donor_ids(self) -> list[int]:
        return [link.donor_id for link in self.donor_links]


class EpisodeDonor(Base):
    """Donor(s) of an episode, in order (two rows for a double cord blood transplant)."""

    __tablename__ = "episode_donor"
    __table_args__ = (UniqueConstraint("episode_id", "donor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)

    episode: Mapped[TransplantEpisode] = relationship(back_populates="donor_links")


class ConditioningAgent(Base):
    """One drug of the preparative regimen with its total dose and UCUM unit."""

    __tablename__ = "conditioning_agent"
    __table_args__ = (CheckConstraint("total_dose > 0", name="total_dose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    drug: Mapped[ConditioningDrug] = mapped_column(enum_column(ConditioningDrug, "conditioning_drug"))
    total_dose: Mapped[float] = mapped_column(Float)
    unit: Mapped[Ucum] = mapped_column(UcumCode(16))
    route: Mapped[DrugRoute | None] = mapped_column(enum_column(DrugRoute, "drug_route"))

    episode: Mapped[TransplantEpisode] = relationship(back_populates="conditioning")
