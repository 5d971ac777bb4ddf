"""inbound messages and transfusions: idempotent lab-feed messages, platelet and red cell transfusion days

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 14:30:00

``inbound_message`` holds the control id of every HL7 v2 or FHIR message of results the registry
committed, unique per protocol and sender, written in the same transaction as the results: a message
re-sent after a lost acknowledgement is recognised and acknowledged again, never stored twice.
``transfusion`` holds blood products given (platelets, red cells) with their time, identified like an
observation by ``(source_system, source_id)``; the platelet engraftment rule needs the transfusion days.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _text(length: int, postgres: bool) -> sa.String:
    return sa.String(length=length, collation="C") if postgres else sa.String(length=length)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "transfusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column(
            "product",
            sa.Enum(
                "platelets",
                "red cells",
                name="transfusion_product",
                native_enum=False,
                length=9,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("administered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_system", _text(128, postgres), server_default="", nullable=False),
        sa.Column("source_id", _text(128, postgres), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_transfusion_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_transfusion_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfusion")),
        sa.UniqueConstraint("source_system", "source_id", name=op.f("uq_transfusion_source_system_source_id")),
    )
    op.create_index(op.f("ix_transfusion_episode_id"), "transfusion", ["episode_id"], unique=False)
    op.create_index("ix_transfusion_patient_time", "transfusion", ["patient_id", "administered_at"], unique=False)
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "protocol",
            sa.Enum("hl7v2", "fhir", name="inbound_protocol", native_enum=False, length=5, create_constraint=True),
            nullable=False,
        ),
        sa.Column("sender", _text(255, postgres), nullable=False),
        sa.Column("control_id", _text(128, postgres), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("transfusions", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint(
            "protocol", "sender", "control_id", name=op.f("uq_inbound_message_protocol_sender_control_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("inbound_message")
    op.drop_index("ix_transfusion_patient_time", table_name="transfusion")
    op.drop_index(op.f("ix_transfusion_episode_id"), table_name="transfusion")
    op.drop_table("transfusion")
