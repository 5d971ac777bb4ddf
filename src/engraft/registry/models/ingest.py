"""What lab and clinical feeds deliver besides observations: transfusions, and the messages themselves."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engraft.registry.models.base import Base, enum_column, utc_now
from engraft.vocabulary import InboundProtocol, TransfusionProduct

_IDENTIFIER = String(128).with_variant(String(128, collation="C"), "postgresql")


class Transfusion(Base):
    """A blood product given to a patient (platelets, red cells): the engraftment rule reads platelet days.

    ``(source_system, source_id)`` identifies it as it does an observation (a FHIR MedicationAdministration's
    identifier), so a re-sent administration changes nothing.
    """

    __tablename__ = "transfusion"
    __table_args__ = (
        Index("ix_transfusion_patient_time", "patient_id", "administered_at"),
        UniqueConstraint("source_system", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transplant_episode.id", ondelete="CASCADE"), index=True)
    product: Mapped[TransfusionProduct] = mapped_column(enum_column(TransfusionProduct, "transfusion_product"))
    administered_at: Mapped[dt.datetime]
    source_system: Mapped[str] = mapped_column(_IDENTIFIER, server_default="")
    source_id: Mapped[str] = mapped_column(_IDENTIFIER)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class InboundMessage(Base):
    """A message of results the registry committed: its control id makes a re-sent message change nothing.

    The row is written in the same transaction as the message's observations and transfusions, so a message
    is either stored with its results or not at all; a sender that re-sends it (its connection was cut before
    the acknowledgement) finds the row and is acknowledged again without a second copy. ``sender`` is the
    sending application and facility (HL7 v2 MSH-3 and MSH-4) or a FHIR Bundle identifier's system.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("protocol", "sender", "control_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol: Mapped[InboundProtocol] = mapped_column(enum_column(InboundProtocol, "inbound_protocol"))
    sender: Mapped[str] = mapped_column(String(255).with_variant(String(255, collation="C"), "postgresql"))
    control_id: Mapped[str] = mapped_column(_IDENTIFIER)
    received_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    observations: Mapped[int] = mapped_column(Integer)
    """Observations the message carried (new and already stored alike)."""
    transfusions: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    """Digest of the results the message carried: a control id re-used for other content is refused, not skipped."""
