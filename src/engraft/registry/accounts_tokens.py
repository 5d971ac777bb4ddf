"""API tokens for machine clients: issued by an administrator with a role below admin and an end date,
shown once, stored as a SHA-256 hash, revocable; every issue and revocation is audited."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from engraft.access import Principal, PrincipalKind, Role
from engraft.registry.accounts_core import AccountCore
from engraft.registry.accounts_policy import new_token, token_digest
from engraft.registry.accounts_schemas import IssuedToken, NewToken, TokenOut
from engraft.registry.audit import AuditAction
from engraft.registry.errors import DuplicateRecord, InvalidRecord, RecordNotFound
from engraft.registry.models import ApiToken

API_TOKEN_PREFIX = "egt"
TOKEN_ACTOR_PREFIX = "token:"
"""Audit entries of a token's requests name it as ``token:<name>`` (and the issuing account's id)."""


_TOKEN_BY_DIGEST = select(
    ApiToken.id,
    ApiToken.name,
    ApiToken.role,
    ApiToken.issued_by,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    ApiToken.last_used,
).where(ApiToken.token_hash == bindparam("digest"))
"""The token a bearer secret's digest names (what resolving a request's principal reads)."""


class TokensMixin(AccountCore):
    """Issue, list, resolve and revoke API tokens."""

    def issue_token(self, data: NewToken, issued_by: int) -> IssuedToken:
        """A new token for ``data.role`` (never admin) until ``data.expires_at``; its secret is returned once."""
        now = self.now()
        if data.role is Role.ADMIN:
            raise InvalidRecord.single("role", data.role.value, "any role except admin (tokens never administer)")
        if data.expires_at <= now:
            raise InvalidRecord.single("expires_at", data.expires_at.isoformat(), "a time in the future")
        if data.expires_at > now + self.policy.token_max_lifetime:
            days = self.policy.token_max_lifetime.days
            raise InvalidRecord.single("expires_at", data.expires_at.isoformat(), f"at most {days} days ahead")
        secret = new_token(API_TOKEN_PREFIX)
        with self.transaction() as session:
            self.user_row(session, issued_by)
            if session.scalars(select(ApiToken.id).where(ApiToken.name == data.name)).first() is not None:
                raise DuplicateRecord("API token", "name", data.name)
            row = ApiToken(
                name=data.name,
                token_hash=token_digest(secret),
                role=data.role,
                issued_by=issued_by,
                created_at=now,
                expires_at=data.expires_at,
            )
            session.add(row)
            session.flush()
            changes = {"issued": data.name, "role": data.role.value, "expires_at": data.expires_at.isoformat()}
            self.audit(session, AuditAction.TOKEN_CHANGE, "api token", row.id, changes)
            return IssuedToken(token=TokenOut.model_validate(row), secret=secret)

    def list_tokens(self) -> list[TokenOut]:
        with self.registry.read_snapshot() as session:
            return [TokenOut.model_validate(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]

    def revoke_token(self, token_id: int) -> TokenOut:
        """Stop a token from working (idempotent: revoking a revoked token changes nothing)."""
        with self.transaction() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise RecordNotFound("API token", token_id)
            if row.revoked_at is None:
                row.revoked_at = self.now()
                session.flush()
                self.audit(session, AuditAction.TOKEN_CHANGE, "api token", row.id, {"revoked": row.name})
            return TokenOut.model_validate(row)

    def resolve_token(self, secret: str) -> Principal | None:
        """The principal of a bearer secret: unrevoked and ``now < expires_at``; else ``None``."""
        now = self.now()
        with self.registry.reading() as session:  # one statement: no BEGIN and ROLLBACK round trips on PostgreSQL
            # the columns on the session's connection, not an ORM entity: this runs on every API request
            row = session.connection().execute(_TOKEN_BY_DIGEST, {"digest": token_digest(secret)}).first()
            if row is None or row.revoked_at is not None or now >= row.expires_at:
                return None
            principal = Principal(
                user_id=row.issued_by,
                username=f"{TOKEN_ACTOR_PREFIX}{row.name}",
                role=row.role,
                kind=PrincipalKind.API_TOKEN,
                display_name=row.name,
                token_id=row.id,
            )
            stale = row.last_used is None or now - row.last_used >= self.policy.touch_interval
        if stale:
            with self.transaction() as session:
                session.execute(update(ApiToken).where(ApiToken.id == principal.token_id).values(last_used=now))
        return principal
