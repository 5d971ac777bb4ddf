"""Signed-in test clients, for API and page tests.

Everything goes through the real parts: an account is created by the real account service and signs in
through the real ``POST /api/auth/sign-in`` route; the client then carries the session cookie and sends
the session's CSRF token in ``X-CSRF-Token`` on every request (as the pages' htmx/fetch calls do).

- :func:`signed_in_client` gives a :class:`~fastapi.testclient.TestClient` signed in with one role.
- :func:`create_account` makes an account (an administrator gets a confirmed second factor) and returns
  its name and password.
- :data:`FAST_HASHER` is argon2id with small cost parameters: the same algorithm, for fast tests.
- :class:`ManualClock` is a clock a test moves by hand (pass it to the account service or ``create_app``).

Page tests use it the same way::

    from tests.auth_clients import signed_in_client
    with signed_in_client(app, Role.PHYSICIAN) as client:
        client.get("/patients")          # the session cookie is sent
        client.csrf_token                # for a form's hidden csrf_token field
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id at test cost (the production default costs about 50 ms per hash)."""
TEST_PASSWORD = "test password 1234"
"""Every test account's password (meets the policy: 12 or more characters, not the username)."""


class ManualClock:
    """A timezone-aware clock that only moves when a test moves it."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, by: dt.timedelta) -> None:
        self.now += by

    def set(self, moment: dt.datetime) -> None:
        self.now = moment


@dataclass(frozen=True)
class TestAccount:
    """An account a test made: how to sign in with it."""

    __test__ = False  # not a pytest test class

    user_id: int
    username: str
    password: str
    role: Role
    totp_secret: str | None = None

    def code(self) -> str | None:
        """The current TOTP code (administrators have a second factor; others none)."""
        return None if self.totp_secret is None else pyotp.TOTP(self.totp_secret).now()


def accounts_of(app: FastAPI) -> AccountService:
    service: AccountService = app.state.accounts
    return service


def create_account(app: FastAPI, role: Role, username: str | None = None) -> TestAccount:
    """A new account with ``role`` through the app's own account service (an admin with a confirmed TOTP)."""
    accounts = accounts_of(app)
    name = username or f"test.{role.value.replace('_', '-')}"
    made = accounts.create_user(NewUser(username=name, display_name=name.title(), role=role), TEST_PASSWORD)
    secret = None
    if role is Role.ADMIN:
        setup = accounts.begin_totp(made.user.id)
        accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(accounts.now()))
        secret = setup.secret
    return TestAccount(made.user.id, name, TEST_PASSWORD, role, secret)


class SignedInClient(TestClient):
    """A TestClient signed in through ``/api/auth/sign-in``: the cookie, and the CSRF header on every request."""

    __test__ = False
    account: TestAccount
    csrf_token: str


def sign_in(client: TestClient, account: TestAccount, code: str | None = None) -> str:
    """Sign ``client`` in as ``account`` through the real route; the session's CSRF token."""
    body: dict[str, str] = {"username": account.username, "password": account.password}
    totp = code or account.code()
    if totp is not None:
        body["code"] = totp
    answer = client.post("/api/auth/sign-in", json=body)
    assert answer.status_code == 200, answer.text
    csrf = str(answer.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = csrf
    return csrf


@contextmanager
def signed_in_client(
    app: FastAPI, role: Role, username: str | None = None, *, base_url: str = "https://testserver"
) -> Iterator[SignedInClient]:
    """A client of ``app`` signed in as a new account with ``role`` (HTTPS, so the Secure cookie is sent)."""
    account = create_account(app, role, username)
    with SignedInClient(app, base_url=base_url) as client:
        client.account = account
        client.csrf_token = sign_in(client, account)
        yield client
