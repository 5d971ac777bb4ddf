"""sealed secrets: TOTP secrets and research pseudonym keys encrypted at rest under the server key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:30:00

``user_account.totp_secret`` widens to 128 characters on PostgreSQL, room for a sealed value
(engraft.registry.sealed_secrets: AES-256-GCM under the server key, with a version prefix). SQLite never
enforces a declared length, and rebuilding ``user_account`` there would have to drop a table that sessions and
tokens reference, so its declaration stays. ``research_project.pseudonym_key`` is a length-free BYTEA / BLOB
on both: the model's larger length needs no change here.

Every stored plaintext value is sealed in the same transaction; the server key (``ENGRAFT_SECRET_KEY``, else
the key file in the Engraft home, made now) is loaded only when there is something to seal, so migrating an
empty database needs none. Downgrading opens them again (it needs the same key) and narrows the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engraft.registry.sealed_secrets import SecretBox, is_sealed, pseudonym_context, totp_context

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))
_projects = sa.table(
    "research_project", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("pseudonym_key")
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        op.alter_column("user_account", "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=128))
    box = SecretBox()
    users = connection.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None)))
    for user_id, secret in users.all():
        if not is_sealed(secret):
            sealed = box.seal_text(secret, totp_context(user_id))
            connection.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=sealed))
    projects = connection.execute(sa.select(_projects.c.id, _projects.c.name, _projects.c.pseudonym_key))
    for project_id, name, key in projects.all():
        if not is_sealed(bytes(key)):
            sealed_key = box.seal_bytes(box.open_bytes(bytes(key), pseudonym_context(name)), pseudonym_context(name))
            connection.execute(
                sa.update(_projects).where(_projects.c.id == project_id).values(pseudonym_key=sealed_key)
            )


def downgrade() -> None:
    connection = op.get_bind()
    box = SecretBox()
    users = connection.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None)))
    for user_id, secret in users.all():
        if is_sealed(secret):
            plain = box.open_text(secret, totp_context(user_id))
            connection.execute(sa.update(_users).where(_users.c.id == user_id).values(totp_secret=plain))
    projects = connection.execute(sa.select(_projects.c.id, _projects.c.name, _projects.c.pseudonym_key))
    for project_id, name, key in projects.all():
        if is_sealed(bytes(key)):
            plain_key = box.open_bytes(bytes(key), pseudonym_context(name))
            connection.execute(sa.update(_projects).where(_projects.c.id == project_id).values(pseudonym_key=plain_key))
    if connection.dialect.name != "sqlite":
        op.alter_column("user_account", "totp_secret", existing_type=sa.String(length=128), type_=sa.String(length=64))
