"""observation source_system: source_id is unique within its sending system

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 04:40:00

Two laboratories may both number their results 1, 2, 3...; a registry fed by several systems
must not treat one lab's result 12345 as a re-send of another's. Like a FHIR Identifier (system +
value), an observation is now identified by ``(source_system, source_id)``. Existing rows get the
empty system, so nothing already stored changes meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    system_type = sa.String(length=128, collation="C") if postgres else sa.String(length=128)
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_system", system_type, nullable=False, server_default=""))
        batch_op.drop_constraint("uq_observation_source_id", type_="unique")
        batch_op.create_unique_constraint("uq_observation_source_system_source_id", ["source_system", "source_id"])


def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_constraint("uq_observation_source_system_source_id", type_="unique")
        batch_op.create_unique_constraint("uq_observation_source_id", ["source_id"])
        batch_op.drop_column("source_system")
