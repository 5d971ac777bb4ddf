"""immune effector cell episodes and the possible CRS alert kind

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 20:10:00

``transplant_episode.cell_therapy`` says what day 0 infused: a haematopoietic cell transplant (every existing
episode, the server default) or immune effector cells (CAR-T), so monitoring rules can apply to one or the other.
``monitoring_alert.kind``'s CHECK constraint gains ``possible CRS`` (without it such an alert is refused when raised).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_THERAPIES = ("haematopoietic cell transplant", "immune effector cell therapy")
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
)
_KINDS_AFTER = (*_KINDS_BEFORE, "possible CRS")
_KIND_CHECK = "monitoring_rule_kind"
_COMMENT = "haematopoietic cell transplant, or immune effector cells (CAR-T: day 0 is the infusion)"


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


def _therapy_column_sql() -> str:
    width = max(map(len, _THERAPIES))
    return (
        f"cell_therapy VARCHAR({width}) DEFAULT '{_THERAPIES[0]}' NOT NULL "
        f"CONSTRAINT ck_transplant_episode_cell_therapy CHECK ({_in('cell_therapy', _THERAPIES)})"
    )


def upgrade() -> None:
    # Added in place (no table copy): on SQLite, re-creating transplant_episode would drop the table its
    # children reference (ON DELETE CASCADE with foreign keys on).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE transplant_episode ADD COLUMN {_therapy_column_sql()}")
    else:
        op.add_column(
            "transplant_episode",
            sa.Column(
                "cell_therapy",
                sa.String(length=max(map(len, _THERAPIES))),
                nullable=False,
                server_default=_THERAPIES[0],
                comment=_COMMENT,
            ),
        )
        op.create_check_constraint("cell_therapy", "transplant_episode", _in("cell_therapy", _THERAPIES))
    _replace_kinds(_KINDS_AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    newer = bind.scalar(sa.text("SELECT count(*) FROM monitoring_alert WHERE kind = 'possible CRS'"))
    cells = bind.scalar(
        sa.text("SELECT count(*) FROM transplant_episode WHERE cell_therapy <> :hct"), {"hct": _THERAPIES[0]}
    )
    if newer or cells:
        raise RuntimeError(
            f"{newer} possible CRS alert(s) and {cells} immune effector cell episode(s); expected none before "
            "downgrading below 0015 (they cannot be represented there)"
        )
    _replace_kinds(_KINDS_BEFORE)
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE transplant_episode DROP COLUMN cell_therapy")  # its column CHECK goes with it
    else:
        op.drop_constraint(op.f("ck_transplant_episode_cell_therapy"), "transplant_episode", type_="check")
        op.drop_column("transplant_episode", "cell_therapy")
