"""audit trail: who acted from where, identifying reads and account events, append-only in the database

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:30:00

Every entry now records the actor's user id and role and the request's client address and user agent;
the action list gains reads of identifying data, exports and account events. The table is append-only:
triggers refuse UPDATE and DELETE on both databases (and TRUNCATE on PostgreSQL), and on PostgreSQL those
privileges are revoked from PUBLIC.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACTIONS_BEFORE = ("create", "update", "bulk insert", "import")
_ACTIONS_AFTER = (
    *_ACTIONS_BEFORE,
    "read",
    "export",
    "sign in",
    "sign in failed",
    "sign out",
    "account change",
    "token change",
)
_REFUSAL = "audit_entry is append-only: entries cannot be changed or removed"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_entry") as b:
        b.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("actor_role", sa.String(length=32), nullable=True))
        b.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("user_agent", sa.String(length=300), nullable=True))
        b.drop_constraint(op.f("ck_audit_entry_audit_action"), type_="check")
        b.alter_column(
            "action", type_=sa.String(length=14), existing_type=sa.String(length=11), existing_nullable=False
        )
        b.create_check_constraint("audit_action", _in("action", _ACTIONS_AFTER))
        b.create_index(b.f("ix_audit_entry_actor"), ["actor"], unique=False)
        b.create_index(b.f("ix_audit_entry_action"), ["action"], unique=False)
        b.create_index("ix_audit_entry_entity", ["entity", "entity_id"], unique=False)
    if postgres:
        op.execute(
            f"""
            CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
        )
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER audit_entry_no_change ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entry_no_update")
        op.execute("DROP TRIGGER audit_entry_no_delete")
    # entries of the new kinds have no place in the old schema: they stay readable only at 0007 and later
    op.execute(sa.text(f"DELETE FROM audit_entry WHERE NOT ({_in('action', _ACTIONS_BEFORE)})"))
    with op.batch_alter_table("audit_entry") as b:
        b.drop_index("ix_audit_entry_entity")
        b.drop_index(b.f("ix_audit_entry_action"))
        b.drop_index(b.f("ix_audit_entry_actor"))
        b.drop_constraint(op.f("ck_audit_entry_audit_action"), type_="check")
        b.alter_column(
            "action", type_=sa.String(length=11), existing_type=sa.String(length=14), existing_nullable=False
        )
        b.create_check_constraint("audit_action", _in("action", _ACTIONS_BEFORE))
        b.drop_column("user_agent")
        b.drop_column("client_address")
        b.drop_column("actor_role")
        b.drop_column("actor_id")
