"""The rules accounts live by: password policy, lockout back-off, session lifetimes, token lifetimes.

Also the secrets' helpers: argon2id password hashing, random tokens and their SHA-256 digests, and the
errors a sign-in can end with (which never say whether the name, the password or the code was wrong).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engraft.registry.errors import InvalidRecord, RegistryError

Clock = Callable[[], dt.datetime]
"""Now, timezone-aware (tests pass their own clock)."""

MIN_PASSWORD_LENGTH = 12


def utc_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """How long sessions and tokens live and how sign-in failures lock an account. Defaults: the brief's."""

    session_idle: dt.timedelta = dt.timedelta(minutes=30)
    """A session ends after this long without a request."""
    session_absolute: dt.timedelta = dt.timedelta(hours=12)
    """A session ends this long after sign-in, however active."""
    touch_interval: dt.timedelta = dt.timedelta(seconds=60)
    """A session's (or token's) last use is written at most this often, not on every request."""
    lockout_threshold: int = 5
    """Consecutive failed sign-ins that lock the account."""
    lockout_first: dt.timedelta = dt.timedelta(minutes=1)
    """The first lock; each further failure after it doubles the lock, up to ``lockout_cap``."""
    lockout_cap: dt.timedelta = dt.timedelta(hours=1)
    token_max_lifetime: dt.timedelta = dt.timedelta(days=366)
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)."""

    def lock_after(self, failures: int) -> dt.timedelta | None:
        """How long the account is locked after ``failures`` consecutive failures (``None``: not locked)."""
        if failures < self.lockout_threshold:
            return None
        doublings = min(failures - self.lockout_threshold, 30)
        lock: dt.timedelta = min(self.lockout_first * (2**doublings), self.lockout_cap)
        return lock


def check_password(password: str, username: str, field_name: str = "password") -> None:
    """The password policy: at least 12 characters, not the username (in any case), not blank."""
    if len(password) < MIN_PASSWORD_LENGTH:
        shown = f"({len(password)} characters)"
        raise InvalidRecord.single(field_name, shown, f"at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().casefold() == username.casefold():
        raise InvalidRecord.single(field_name, "(the username)", "a password that is not the username")
    if not password.strip():
        raise InvalidRecord.single(field_name, "(blank)", "a password that is not only spaces")


def hash_password(policy: AccountPolicy, password: str) -> str:
    return policy.hasher.hash(password)


def verify_password(policy: AccountPolicy, stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; with no hash, a dummy check of the same cost runs."""
    try:
        if stored_hash is None:
            policy.hasher.verify(_dummy_hash(policy), password + "\x00not-a-user")
            return False
        return policy.hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[int, str] = {}


def _dummy_hash(policy: AccountPolicy) -> str:
    key = id(policy.hasher)
    if key not in _DUMMY:
        _DUMMY[key] = policy.hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


def one_time_password() -> str:
    """A random password to hand over once (16 characters from a 56-letter alphabet: about 93 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_token(prefix: str) -> str:
    """A random bearer secret (256 bits), prefixed so a leaked one is recognisable (``egs_``, ``egt_``)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a session or API token is stored and found."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignInRefused(RegistryError):
    """The name, password or code was wrong, or the account is disabled: deliberately not saying which."""

    def __init__(self) -> None:
        super().__init__("sign-in refused: the username, password or code is not right")


class AccountLocked(RegistryError):
    """Too many failed sign-ins: the account is locked until ``until``."""

    def __init__(self, until: dt.datetime, now: dt.datetime) -> None:
        self.until = until
        self.retry_after_s = max(1, int((until - now).total_seconds() + 0.999))
        super().__init__(
            f"too many failed sign-ins: this account is locked; try again in {self.retry_after_s} s "
            "(or ask an administrator to reset the password)"
        )


class WrongPassword(RegistryError):
    """A signed-in person's current password did not match (changing the password, confirming a change)."""

    def __init__(self) -> None:
        super().__init__("the current password is not right")
