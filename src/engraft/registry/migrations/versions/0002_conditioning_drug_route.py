"""conditioning drug route (oral / iv), needed to grade busulfan doses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 01:05:04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conditioning_agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=4), nullable=True))
        batch_op.create_check_constraint("drug_route", "route IN ('oral', 'iv')")


def downgrade() -> None:
    with op.batch_alter_table("conditioning_agent", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_conditioning_agent_drug_route"), type_="check")
        batch_op.drop_column("route")
