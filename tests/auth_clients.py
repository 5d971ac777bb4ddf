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
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match, Route

from engraft.access import Permission, Role, allows
from engraft.api.auth import CSRF_HEADER, SESSION_COOKIE
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_policy import AccountPolicy
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id at test cost (the production default costs about 50 ms per hash)."""
TEST_ACCOUNT_POLICY = AccountPolicy(hasher=FAST_HASHER)
"""The production account policy with the test-cost hasher: pass it to ``create_app(account_policy=...)``."""
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

    def next_code(self) -> str | None:
        """The next 30 s step's code (accepted once the current one has been used)."""
        if self.totp_secret is None:
            return None
        return pyotp.TOTP(self.totp_secret).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))


def use_test_hasher(app: FastAPI) -> None:
    """Give ``app`` the test-cost password hasher (for apps a test built without ``TEST_ACCOUNT_POLICY``)."""
    accounts = accounts_of(app)
    if accounts.policy.hasher is not FAST_HASHER:
        app.state.accounts = AccountService(accounts.registry, TEST_ACCOUNT_POLICY, accounts.clock)


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
        # confirmed with the previous 30 s step's code, so the current one is still unused for signing in
        previous = accounts.now() - dt.timedelta(seconds=30)
        accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(previous))
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


ROLE_PREFERENCE: tuple[Role, ...] = (
    Role.DATA_MANAGER,
    Role.PHYSICIAN,
    Role.SEARCH_COORDINATOR,
    Role.NURSE,
    Role.ADMIN,
    Role.RESEARCHER,
)
"""The order in which :class:`TeamClient` picks the member who sends a request."""


class TeamClient(TestClient):
    """A client for tests of what routes do (not of who may call them): a small team, one signed-in account
    per role, and each request is sent by the first member (in :data:`ROLE_PREFERENCE`) whose role holds
    the route's declared permission; routes the app does not know go out as the data manager.

    Each member signed in through ``/api/auth/sign-in`` once, on first use. Who-may-do-what is tested by
    tests/api/test_deny_matrix.py, not here.
    """

    __test__ = False

    def __init__(self, app: FastAPI, **kwargs: object) -> None:
        super().__init__(app, **kwargs)  # type: ignore[arg-type]
        self._members: dict[Role, tuple[str, str]] = {}
        self.last_role: Role | None = None
        use_test_hasher(app)

    def member(self, role: Role) -> tuple[str, str]:
        """(session token, CSRF token) of the team's member with ``role``, signed in on first use."""
        if role not in self._members:
            account = create_account(self.app, role, f"team.{role.value.replace('_', '-')}")  # type: ignore[arg-type]
            body: dict[str, str] = {"username": account.username, "password": account.password}
            code = account.code()
            if code is not None:
                body["code"] = code
            answer = super().request("POST", "/api/auth/sign-in", json=body)
            assert answer.status_code == 200, answer.text
            token = answer.cookies.get(SESSION_COOKIE) or ""
            self.cookies.clear()
            self._members[role] = (token, str(answer.json()["csrf_token"]))
        return self._members[role]

    def role_for(self, method: str, url: str) -> Role:
        permission = permission_for(self.app, method, url)  # type: ignore[arg-type]
        if permission is None:
            return Role.DATA_MANAGER
        return next((r for r in ROLE_PREFERENCE if allows(r, permission)), Role.DATA_MANAGER)

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if permission_for(self.app, method, str(url)) is Permission.PUBLIC:  # type: ignore[arg-type]
            self.last_role = None
            return super().request(method, url, **kwargs)  # public routes are called as nobody
        role = self.role_for(method, str(url))
        self.last_role = role
        token, csrf = self.member(role)
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Cookie", f"{SESSION_COOKIE}={token}")
        headers.setdefault(CSRF_HEADER, csrf)
        return super().request(method, url, headers=headers, **kwargs)


def permission_for(app: FastAPI, method: str, url: str) -> Permission | None:
    """The permission the app's route for ``method`` ``url`` declares (``None``: no such route)."""
    path = urlsplit(url).path
    table: dict[tuple[str, str], Permission] = app.state.route_permissions
    scope = {"type": "http", "path": path, "method": method.upper(), "root_path": ""}
    for (route_method, route_path), permission in table.items():
        if route_method != method.upper():
            continue
        route = _ROUTE_CACHE.setdefault(route_path, Route(route_path, endpoint=_nothing))
        match, _ = route.matches({**scope, "method": "GET"})
        if match is Match.FULL:
            return permission
    return None


def _nothing() -> None:  # pragma: no cover - never called; a path pattern needs an endpoint
    return None


_ROUTE_CACHE: dict[str, Route] = {}


@contextmanager
def team_client(app: FastAPI) -> Iterator[TeamClient]:
    """A :class:`TeamClient` of ``app`` (its lifespan runs, as with ``with TestClient(app)``)."""
    with TeamClient(app) as client:
        yield client


@contextmanager
def http_client_signed_in(
    base_url: str, database_url: str, role: Role, username: str | None = None
) -> Iterator[httpx.Client]:
    """An httpx client of a running server (``engraft serve`` in a subprocess), signed in as a new account
    with ``role`` made in the server's database (closed on leaving the block). The server must run on a loopback
    address without TLS, where the session cookie is not Secure (``ENGRAFT_COOKIE_SECURE=0``)."""
    engine = make_engine(database_url)
    try:
        accounts = AccountService(RegistryService(make_session_factory(engine), actor="test"), TEST_ACCOUNT_POLICY)
        name = username or f"http.{role.value.replace('_', '-')}"
        made = accounts.create_user(NewUser(username=name, display_name=name, role=role), TEST_PASSWORD)
        secret = None
        if role is Role.ADMIN:
            setup = accounts.begin_totp(made.user.id)
            previous = accounts.now() - dt.timedelta(seconds=30)
            accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(previous))
            secret = setup.secret
    finally:
        engine.dispose()
    account = TestAccount(made.user.id, name, TEST_PASSWORD, role, secret)
    with httpx.Client(base_url=base_url, timeout=60) as client:
        body: dict[str, str] = {"username": name, "password": TEST_PASSWORD}
        code = account.code()
        if code is not None:
            body["code"] = code
        answer = client.post("/api/auth/sign-in", json=body)
        assert answer.status_code == 200, answer.text
        client.headers[CSRF_HEADER] = answer.json()["csrf_token"]
        yield client
