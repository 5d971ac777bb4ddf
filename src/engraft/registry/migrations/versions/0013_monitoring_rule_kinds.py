"""monitoring: the rule kinds added after 0011 (graft failure, DNAemia, organ toxicity, SOS/VOD, acute GVHD grade)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:20:00

``monitoring_alert.kind`` is stored as text with a CHECK constraint listing ``engraft.monitoring.RuleKind``;
without this an alert of a new kind is refused by the database when it is raised.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BEFORE = (
    "neutrophil engraftment",
    "platelet engraftment",
    "no engraftment by day",
    "threshold",
    "rise from baseline",
    "febrile neutropenia",
)
_AFTER = (
    *_BEFORE,
    "primary graft failure",
    "secondary graft failure",
    "DNAemia",
    "organ toxicity",
    "SOS/VOD",
    "acute GVHD grade",
)
_NAME = "monitoring_rule_kind"


def _in(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    width = max(map(len, values))
    recreate: Literal["always", "auto"] = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("monitoring_alert", recreate=recreate) as b:
        b.drop_constraint(op.f(f"ck_monitoring_alert_{_NAME}"), type_="check")
        b.alter_column("kind", existing_type=sa.String(), type_=sa.String(length=width), existing_nullable=False)
        b.create_check_constraint(_NAME, _in(values))


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    newer = bind.scalar(sa.text("SELECT count(*) FROM monitoring_alert WHERE NOT (" + _in(_BEFORE) + ")"))
    if newer:
        raise RuntimeError(
            f"{newer} monitoring alert(s) of a rule kind added in 0013; expected none before downgrading "
            "(resolve and delete them, or stay at 0013)"
        )
    _replace(_BEFORE)
