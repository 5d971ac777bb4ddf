"""The account service: people's accounts, signing in and out, second factors, sessions and API tokens.

Each method runs in its own transaction and writes its audit entry in it (``account change``,
``token change``, ``sign in``, ``sign in failed``, ``sign out``); a failed sign-in is recorded even though
the call then raises. Passwords are argon2id hashes; five failures in a row lock an account for a minute,
each further failure doubles the lock (capped). Administrators must confirm a TOTP second factor before
they can do anything else; for other roles it is optional.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

import pyotp
from sqlalchemy import select

from engraft.access import Role
from engraft.registry.accounts_core import actor_of
from engraft.registry.accounts_policy import (
    AccountLocked,
    AccountPolicy,
    Clock,
    SignInRefused,
    WrongPassword,
    check_password,
    hash_password,
    one_time_password,
    utc_clock,
    verify_password,
)
from engraft.registry.accounts_schemas import NewUser, TotpSetup, UserChange, UserOut, UserWithPassword
from engraft.registry.accounts_sessions import NewSession, SessionsMixin, SignedIn
from engraft.registry.accounts_tokens import TokensMixin
from engraft.registry.audit import Actor, AuditAction
from engraft.registry.errors import DuplicateRecord, InvalidRecord
from engraft.registry.models import UserAccount
from engraft.registry.sealed_secrets import SecretBox, is_sealed, totp_context
from engraft.registry.service import RegistryService

TOTP_ISSUER = "Engraft"


class AccountService(SessionsMixin, TokensMixin):
    """Accounts, sign-in, second factors, sessions and API tokens, acting for (and audited as) ``actor``."""

    def __init__(
        self,
        registry: RegistryService,
        policy: AccountPolicy | None = None,
        clock: Clock = utc_clock,
        secrets: SecretBox | None = None,
    ) -> None:
        super().__init__(registry, policy, clock, secrets)

    def for_actor(self, actor: Actor) -> AccountService:
        """The same service acting for ``actor`` (an administrator's request, a CLI command)."""
        return AccountService(self.registry.for_actor(actor), self.policy, self.clock, self.secrets)

    # ---- accounts --------------------------------------------------------------------------
    def create_user(self, data: NewUser, password: str | None = None) -> UserWithPassword:
        """A new account. Without ``password`` a one-time password is made and must be changed at first sign-in."""
        given = password is not None
        secret = password if password is not None else one_time_password()
        check_password(secret, data.username)
        hashed = hash_password(self.policy, secret)
        now = self.now()
        with self.transaction() as session:
            if self.user_by_name(session, data.username) is not None:
                raise DuplicateRecord("user account", "username", data.username)
            user = UserAccount(
                username=data.username,
                display_name=data.display_name,
                role=data.role,
                locale=data.locale,
                disabled=False,
                password_hash=hashed,
                must_change_password=not given,
                failed_attempts=0,
                totp_enabled=False,
                created_at=now,
                changed_at=now,
            )
            session.add(user)
            session.flush()
            logged = {**data.model_dump(mode="json"), "created": True}
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, logged)
            return UserWithPassword(user=UserOut.model_validate(user), one_time_password="" if given else secret)

    def list_users(self) -> list[UserOut]:
        with self.registry.read_snapshot() as session:
            return [UserOut.model_validate(u) for u in session.scalars(select(UserAccount).order_by(UserAccount.id))]

    def get_user(self, user_id: int) -> UserOut:
        with self.registry.read_snapshot() as session:
            return UserOut.model_validate(self.user_row(session, user_id))

    def find_user(self, username: str) -> UserOut | None:
        with self.registry.read_snapshot() as session:
            user = self.user_by_name(session, username)
            return None if user is None else UserOut.model_validate(user)

    def update_user(self, user_id: int, change: UserChange) -> UserOut:
        """An administrator's change: display name, role, language, disabled. Disabling ends every session.

        An account cannot take away its own administrator role or disable itself (there would be no one left
        to undo it).
        """
        changes = change.model_dump(mode="json", exclude_none=True)
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            if self.actor.user_id == user.id:
                if change.role is not None and change.role is not Role.ADMIN and user.role is Role.ADMIN:
                    raise InvalidRecord.single("role", change.role.value, "another administrator to change your role")
                if change.disabled:
                    raise InvalidRecord.single("disabled", True, "another administrator to disable your account")
            for field in ("display_name", "role", "locale", "disabled"):
                value = getattr(change, field)
                if value is not None:
                    setattr(user, field, value)
            user.changed_at = self.now()
            if change.disabled:
                changes["sessions_ended"] = self.revoke_sessions_of(session, user.id)
            session.flush()
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, changes)
            return UserOut.model_validate(user)

    def disable_user(self, user_id: int) -> UserOut:
        return self.update_user(user_id, UserChange(disabled=True))

    def reset_password(self, user_id: int) -> UserWithPassword:
        """A new one-time password (to be changed at next sign-in); unlocks the account and ends its sessions."""
        secret = one_time_password()
        hashed = hash_password(self.policy, secret)
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            user.password_hash, user.must_change_password = hashed, True
            user.failed_attempts, user.locked_until = 0, None
            user.changed_at = self.now()
            ended = self.revoke_sessions_of(session, user.id)
            session.flush()
            changes = {"password": "reset", "sessions_ended": ended}
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, changes)
            return UserWithPassword(user=UserOut.model_validate(user), one_time_password=secret)

    def reset_second_factor(self, user_id: int) -> UserOut:
        """An administrator's reset of an account's second factor (a lost phone): the TOTP secret is removed,
        any set-up in progress too, and every session of the account ends.

        The account signs in next with its password alone; an administrator's account (whoever reset it, itself
        included) must then set up a new second factor before doing anything else. Resetting an account that has
        none still ends its sessions and is audited.
        """
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            was_enabled = user.totp_enabled
            user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
            user.changed_at = self.now()
            ended = self.revoke_sessions_of(session, user.id)
            session.flush()
            changes = {"second_factor": "reset", "was_enabled": was_enabled, "sessions_ended": ended}
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, changes)
            return UserOut.model_validate(user)

    def change_password(self, user_id: int, current: str, new: str, keep_session: int | None = None) -> UserOut:
        """The account's own change: the current password, then a new one by the policy (and not the same).

        Every other session of the account ends.
        """
        with self.registry.read_snapshot() as session:
            user = self.user_row(session, user_id)
            username, stored = user.username, user.password_hash
        if not verify_password(self.policy, stored, current):
            raise WrongPassword()
        check_password(new, username, "new_password")
        if new == current:
            raise InvalidRecord.single("new_password", "(the current one)", "a password other than the current one")
        hashed = hash_password(self.policy, new)
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            user.password_hash, user.must_change_password = hashed, False
            user.changed_at = self.now()
            ended = self.revoke_sessions_of(session, user.id, keep=keep_session)
            session.flush()
            changes = {"password": "changed", "sessions_ended": ended}
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, changes)
            return UserOut.model_validate(user)

    # ---- signing in ------------------------------------------------------------------------
    def sign_in(
        self,
        username: str,
        password: str,
        code: str | None = None,
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> NewSession:
        """Check name, password and (once set up) the TOTP code, and open a session.

        Raises :class:`SignInRefused` without saying which part was wrong, or :class:`AccountLocked` while
        locked (no password is checked then, and the attempt does not extend the lock). Every outcome is audited.
        """
        now = self.now()
        with self.registry.read_snapshot() as session:
            found = self.user_by_name(session, username)
            stored = None if found is None else found.password_hash
        password_ok = verify_password(self.policy, stored, password)  # runs (on a dummy hash) for unknown names
        with self.transaction() as session:
            user = self.user_by_name(session, username, lock=True)
            if user is None or user.disabled:
                reason = "unknown username" if user is None else "account disabled"
                self._failed(session, username, user, reason, client_address, user_agent)
                refused: Exception = SignInRefused()
            elif user.locked_until is not None and now < user.locked_until:
                self._failed(session, username, user, "locked", client_address, user_agent, count=False)
                refused = AccountLocked(user.locked_until, now)
            elif not password_ok or (user.totp_enabled and not self._accept_code(user, code, now)):
                reason = "wrong password" if not password_ok else "wrong or missing second-factor code"
                self._failed(session, username, user, reason, client_address, user_agent)
                refused = SignInRefused()
            else:
                user.failed_attempts, user.locked_until = 0, None
                opened = self._open_session(session, user, client_address, user_agent)
                actor = actor_of(user, client_address, user_agent)
                details = {"session": opened.session_id, "second_factor": user.totp_enabled}
                self.audit(session, AuditAction.SIGN_IN, "sign-in session", opened.session_id, details, actor=actor)
                return opened
        raise refused

    def _failed(
        self,
        session: Any,
        username: str,
        user: UserAccount | None,
        reason: str,
        client_address: str | None,
        user_agent: str | None,
        count: bool = True,
    ) -> None:
        details: dict[str, Any] = {"reason": reason}
        if user is not None and count:
            user.failed_attempts += 1
            lock = self.policy.lock_after(user.failed_attempts)
            if lock is not None:
                user.locked_until = self.now() + lock
                details["locked_until"] = user.locked_until.isoformat()
            details["failed_attempts"] = user.failed_attempts
            session.flush()
        if user is not None:
            actor = actor_of(user, client_address, user_agent)
        else:
            actor = Actor(name=username[:120], client_address=client_address, user_agent=user_agent)
        user_id = None if user is None else user.id
        self.audit(session, AuditAction.SIGN_IN_FAILED, "user account", user_id, details, actor)

    # ---- second factor (TOTP, RFC 6238) ----------------------------------------------------
    def _accept_code(self, user: UserAccount, code: str | None, now: dt.datetime) -> bool:
        """Whether ``code`` is the account's TOTP for the current 30 s step or one either side, and newer than the
        last accepted one (a code is never accepted twice). On success the step is recorded on ``user``."""
        if not code or user.totp_secret is None:
            return False
        totp = pyotp.TOTP(self.totp_secret_of(user))
        current = totp.timecode(now)
        for step in (current - 1, current, current + 1):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                continue
            if hmac.compare_digest(totp.generate_otp(step), code):
                user.totp_last_step = step
                return True
        return False

    def totp_secret_of(self, user: UserAccount) -> str:
        """The account's TOTP secret, opened with the server key. A legacy plaintext secret (stored before
        secrets were sealed) is sealed now, in the caller's transaction."""
        assert user.totp_secret is not None
        secret = self.secrets.open_text(user.totp_secret, totp_context(user.id))
        if not is_sealed(user.totp_secret):
            user.totp_secret = self.secrets.seal_text(secret, totp_context(user.id))
        return secret

    def begin_totp(self, user_id: int) -> TotpSetup:
        """A new secret for the authenticator app; in force once confirmed with a code (:meth:`confirm_totp`)."""
        secret = pyotp.random_base32()
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            if user.totp_enabled:
                raise InvalidRecord.single("totp", "enabled", "an account without a second factor (already set up)")
            user.totp_secret, user.totp_last_step = self.secrets.seal_text(secret, totp_context(user.id)), None
            user.changed_at = self.now()
            session.flush()
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, {"second_factor": "set-up begun"})
            uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
            return TotpSetup(secret=secret, provisioning_uri=uri)

    def confirm_totp(self, user_id: int, code: str) -> UserOut:
        """Turn the second factor on, given a current code from the app (a wrong code changes nothing)."""
        now = self.now()
        with self.transaction() as session:
            user = self.user_row(session, user_id, lock=True)
            if user.totp_enabled:
                raise InvalidRecord.single("totp", "enabled", "an account without a second factor (already set up)")
            if user.totp_secret is None:
                raise InvalidRecord.single("code", code, "a set-up begun first (POST /api/auth/totp)")
            if not self._accept_code(user, code, now):
                raise InvalidRecord.single("code", "(not shown)", "the current 6-digit code from the authenticator app")
            user.totp_enabled, user.changed_at = True, now
            session.flush()
            self.audit(session, AuditAction.ACCOUNT_CHANGE, "user account", user.id, {"second_factor": "enabled"})
            return UserOut.model_validate(user)


__all__ = ["AccountLocked", "AccountPolicy", "AccountService", "NewSession", "SignInRefused", "SignedIn"]
