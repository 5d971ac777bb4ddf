"""consent records: which risk explanation was gone through with a patient and family, and the decision

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 14:40:00

One row per explanation (never edited): the document's SHA-256 content hash, version and language, who
explained it and when, the roles of the people present (no names), the interpreter, the questions raised
and the decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("document_version", sa.String(length=32), nullable=False),
        sa.Column(
            "document_language",
            sa.Enum("en", "zh", name="report_language", native_enum=False, length=2, create_constraint=True),
            nullable=False,
        ),
        sa.Column("explained_by", sa.String(length=200), nullable=False),
        sa.Column("explained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("participants", _JSON, nullable=False),
        sa.Column("interpreter_used", sa.Boolean(), nullable=False),
        sa.Column("interpreter_language", sa.String(length=64), nullable=True),
        sa.Column("questions", _JSON, nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "consented",
                "declined",
                "wants more time",
                name="consent_decision",
                native_enum=False,
                length=15,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(interpreter_used AND interpreter_language IS NOT NULL) OR "
            "(NOT interpreter_used AND interpreter_language IS NULL)",
            name=op.f("ck_consent_record_interpreter_language_given"),
        ),
        sa.CheckConstraint("length(document_hash) = 64", name=op.f("ck_consent_record_document_hash_length")),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["transplant_episode.id"],
            name=op.f("fk_consent_record_episode_id_transplant_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_consent_record_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    op.create_index(op.f("ix_consent_record_episode_id"), "consent_record", ["episode_id"], unique=False)
    op.create_index(op.f("ix_consent_record_patient_id"), "consent_record", ["patient_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_record_patient_id"), table_name="consent_record")
    op.drop_index(op.f("ix_consent_record_episode_id"), table_name="consent_record")
    op.drop_table("consent_record")
