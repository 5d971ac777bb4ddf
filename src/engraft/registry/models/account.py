"""Accounts: the people who sign in, their server-side sessions, machine clients' API tokens, and the
keys of research projects' pseudonyms.

No secret is stored as given: passwords as argon2id hashes, session tokens and API tokens as SHA-256
hashes of the random values the client holds (a copy of the database does not let anyone sign in); the
secrets Engraft must read back (TOTP secrets, pseudonym keys) sealed with AES-256-GCM under the server key,
which is kept outside the database (engraft.registry.sealed_secrets, engraft.config.server_key).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engraft.access import Role
from engraft.registry.models.base import Base, enum_column, utc_now

LOCALES = ("en", "zh_Hans")
"""The languages an account's pages can be shown in."""


class UserAccount(Base):
    """A person who signs in: one role, a password hash, an optional (for admins required) second factor."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("locale IN ('en', 'zh_Hans')", name="locale"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "account_role"))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Failed sign-ins since the last successful one (wrong password or wrong second-factor code)."""
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    totp_secret: Mapped[str | None] = mapped_column(String(128).with_variant(String(64), "sqlite"), default=None)
    """Base-32 TOTP secret, sealed under the server key (engraft.registry.sealed_secrets); set when set-up
    starts, in force once ``totp_enabled``. 128 characters; SQLite keeps its old declaration of 64, which it
    never enforces (migration 0009 says why)."""
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    """The 30-second time step of the last code accepted: a code is never accepted twice."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class SignInSession(Base):
    """A signed-in browser: found by the SHA-256 hash of its cookie's random token, never by the token."""

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    """The session's anti-forgery token: every state-changing request with the cookie must send it back."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column()
    """The absolute end, however active the session is."""
    idle_timeout_s: Mapped[int] = mapped_column(Integer)
    """Seconds without a request after which the session ends."""
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ApiToken(Base):
    """A machine client's bearer token (e.g. a lab interface): a role below admin, always with an end date."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("role <> 'admin'", name="not_admin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "token_role"))
    issued_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used: Mapped[dt.datetime | None] = mapped_column(default=None)


class ResearchProject(Base):
    """A research project's pseudonym key: the same record has the same pseudonym within one project only."""

    __tablename__ = "research_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym_key: Mapped[bytes] = mapped_column(LargeBinary(128))
    """The 32-byte key, sealed under the server key."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
