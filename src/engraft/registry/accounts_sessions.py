"""Server-side sign-in sessions: created at sign-in, found by the hash of the cookie's token, ended by
idle time, absolute lifetime, sign-out, password change or reset, or the account being disabled."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from engraft.access import Principal, Role
from engraft.registry.accounts_core import AccountCore, actor_of, principal_of
from engraft.registry.accounts_policy import new_token, token_digest
from engraft.registry.audit import AuditAction
from engraft.registry.models import SignInSession, UserAccount

SESSION_TOKEN_PREFIX = "egs"


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just created: the cookie's token (known to the client only) and the anti-forgery token."""

    session_id: int
    token: str
    csrf_token: str
    expires_at: dt.datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A request's live session: who, its anti-forgery token, and what the person must do before anything else."""

    session_id: int
    principal: Principal
    csrf_token: str
    must_change_password: bool
    needs_second_factor: bool
    """An administrator without a confirmed second factor: must set one up first."""

    @property
    def pending(self) -> bool:
        """Whether the account must change its password or set up a second factor before anything else."""
        return self.must_change_password or self.needs_second_factor


def needs_second_factor(user: UserAccount) -> bool:
    return user.role is Role.ADMIN and not user.totp_enabled


class SessionsMixin(AccountCore):
    """Create, resolve, touch and revoke sign-in sessions."""

    def _open_session(
        self, session: Session, user: UserAccount, client_address: str | None, user_agent: str | None
    ) -> NewSession:
        now = self.now()
        token, csrf = new_token(SESSION_TOKEN_PREFIX), secrets.token_urlsafe(32)
        row = SignInSession(
            token_hash=token_digest(token),
            user_id=user.id,
            csrf_secret=csrf,
            created_at=now,
            last_seen=now,
            expires_at=now + self.policy.session_absolute,
            idle_timeout_s=int(self.policy.session_idle.total_seconds()),
            client_address=client_address,
            user_agent=user_agent,
        )
        session.add(row)
        session.flush()
        return NewSession(row.id, token, csrf, row.expires_at, principal_of(user))

    def resolve_session(self, token: str) -> SignedIn | None:
        """The live session of a cookie's token, touched (at most once per ``touch_interval``); else ``None``.

        A session is over once ``now >= last_seen + idle`` or ``now >= expires_at``, when revoked, or when
        its account is disabled.
        """
        found = self._find(SignInSession.token_hash == token_digest(token))
        if found is None:
            return None
        signed_in, last_seen = found
        if self.now() - last_seen >= self.policy.touch_interval:
            self.touch_session(signed_in.session_id)
        return signed_in

    def resolve_session_by_id(self, session_id: int) -> SignedIn | None:
        """The live session ``session_id`` as it is now (after a change to its account); not touched."""
        found = self._find(SignInSession.id == session_id)
        return None if found is None else found[0]

    def _find(self, condition: ColumnElement[bool]) -> tuple[SignedIn, dt.datetime] | None:
        now = self.now()
        with self.registry.reading() as session:  # one statement: no BEGIN and ROLLBACK round trips on PostgreSQL
            found = session.execute(
                select(SignInSession, UserAccount)
                .join(UserAccount, UserAccount.id == SignInSession.user_id)
                .where(condition)
            ).first()
            if found is None:
                return None
            row, user = found[0], found[1]
            if not self._live(row, user, now):
                return None
            signed_in = SignedIn(
                session_id=row.id,
                principal=principal_of(user),
                csrf_token=row.csrf_secret,
                must_change_password=user.must_change_password,
                needs_second_factor=needs_second_factor(user),
            )
            return signed_in, row.last_seen

    def _live(self, row: SignInSession, user: UserAccount, now: dt.datetime) -> bool:
        idle_end = row.last_seen + dt.timedelta(seconds=row.idle_timeout_s)
        return row.revoked_at is None and not user.disabled and now < row.expires_at and now < idle_end

    def touch_session(self, session_id: int) -> None:
        """Record that the session was used now (keeps it from idling out). Not audited: it is not a change."""
        now = self.now()
        with self.transaction() as session:
            session.execute(
                update(SignInSession)
                .where(SignInSession.id == session_id, SignInSession.revoked_at.is_(None))
                .values(last_seen=now)
            )

    def sign_out(self, session_id: int) -> None:
        """End a session (audited as a sign-out by the session's own account)."""
        now = self.now()
        with self.transaction() as session:
            row = session.get(SignInSession, session_id)
            if row is None or row.revoked_at is not None:
                return
            row.revoked_at = now
            user = self.user_row(session, row.user_id)
            actor = actor_of(user, self.actor.client_address, self.actor.user_agent)
            self.audit(session, AuditAction.SIGN_OUT, "sign-in session", row.id, {}, actor=actor)

    def revoke_sessions_of(self, session: Session, user_id: int, keep: int | None = None) -> int:
        """End every live session of an account (but ``keep``); how many were ended. In the caller's transaction."""
        stmt = update(SignInSession).where(SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(SignInSession.id != keep)
        result = session.execute(stmt.values(revoked_at=self.now()))
        return int(getattr(result, "rowcount", 0) or 0)
