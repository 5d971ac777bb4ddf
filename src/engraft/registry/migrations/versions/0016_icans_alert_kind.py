"""the ICANS grade alert kind

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:30:00

``monitoring_alert.kind``'s CHECK constraint gains ``ICANS grade`` (without it such an alert is refused when raised).
The column keeps its width (the longest kind is still ``no engraftment by day``).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_KINDS_BEFORE = (
    "neutrophil engraftment",
    "platelet engraftment",
    "no engraftment by day",
    "threshold",
    "rise from baseline",
    "febrile neutropenia",
    "primary graft failure",
    "secondary graft failure",
    "DNAemia",
    "organ toxicity",
    "SOS/VOD",
    "acute GVHD grade",
    "possible CRS",
)
_NEW_KIND = "ICANS grade"
_KINDS_AFTER = (*_KINDS_BEFORE, _NEW_KIND)
_KIND_CHECK = "monitoring_rule_kind"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _recreate() -> Literal["always", "auto"]:
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def _replace_kinds(values: tuple[str, ...]) -> None:
    width = max(map(len, values))
    with op.batch_alter_table("monitoring_alert", recreate=_recreate()) as b:
        b.drop_constraint(op.f(f"ck_monitoring_alert_{_KIND_CHECK}"), type_="check")
        b.alter_column("kind", existing_type=sa.String(), type_=sa.String(length=width), existing_nullable=False)
        b.create_check_constraint(_KIND_CHECK, _in("kind", values))


def upgrade() -> None:
    _replace_kinds(_KINDS_AFTER)


def downgrade() -> None:
    newer = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM monitoring_alert WHERE kind = :kind"), {"kind": _NEW_KIND}
    )
    if newer:
        raise RuntimeError(
            f"{newer} {_NEW_KIND} alert(s); expected none before downgrading below 0016 (they cannot be represented there)"
        )
    _replace_kinds(_KINDS_BEFORE)
