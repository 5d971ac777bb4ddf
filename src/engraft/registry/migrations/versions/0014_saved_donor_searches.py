"""saved donor searches: the search as run (request, ranked donors, release), who ran it and when

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00

One row per saved search (never edited), so the choice of donor can be audited: the patient (when the
search was for a registered patient), the typing searched, the request and the result as JSON, the
IPD-IMGT/HLA release, the registry's size, the SHA-256 of the saved content, who ran it and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_donor_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("patient_typing", sa.Text(), nullable=False),
        sa.Column("criteria", _JSON, nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("hla_release", sa.String(length=16), nullable=False),
        sa.Column("donors_in_registry", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "donors_in_registry >= 0", name=op.f("ck_saved_donor_search_donors_in_registry_not_negative")
        ),
        sa.CheckConstraint("length(content_hash) = 64", name=op.f("ck_saved_donor_search_content_hash_length")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_saved_donor_search_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_donor_search")),
    )
    op.create_index(op.f("ix_saved_donor_search_patient_id"), "saved_donor_search", ["patient_id"], unique=False)
    op.create_index(op.f("ix_saved_donor_search_run_at"), "saved_donor_search", ["run_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_donor_search_run_at"), table_name="saved_donor_search")
    op.drop_index(op.f("ix_saved_donor_search_patient_id"), table_name="saved_donor_search")
    op.drop_table("saved_donor_search")
