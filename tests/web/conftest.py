"""The whole application (API + pages) on a migrated SQLite file, and browsers signed in with a given role.

Signing in goes through the real parts (tests/auth_clients.py): an account made by the account service,
``POST /api/auth/sign-in``, the session cookie on every later request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engraft.access import Role
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.database import make_engine
from engraft.web.application import create_application
from tests.auth_clients import TEST_ACCOUNT_POLICY, TEST_PASSWORD, SignedInClient, TestAccount, accounts_of, sign_in

_serial = itertools.count(1)


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The whole application on its own migrated SQLite file (no HLA release, test-cost password hashing)."""
    path = tmp_path_factory.mktemp("web") / "engraft.db"
    return create_application(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)


def create_web_account(
    app: FastAPI, role: Role, *, locale: str = "en", display_name: str = "Dr Ada Lin", one_time: bool = False
) -> TestAccount:
    """A new account of ``role`` in ``locale`` (an administrator with a confirmed second factor).

    ``one_time``: made with a one-time password, so it must change it before anything else.
    """
    accounts = accounts_of(app)
    username = f"web.{role.value.replace('_', '-')}.{next(_serial)}"
    new = NewUser(username=username, display_name=display_name, role=role, locale=locale)  # type: ignore[arg-type]
    made = accounts.create_user(new, None if one_time else TEST_PASSWORD)
    password = made.one_time_password if one_time else TEST_PASSWORD
    secret = None
    if role is Role.ADMIN and not one_time:
        setup = accounts.begin_totp(made.user.id)
        accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(accounts.now().timestamp() - 30))
        secret = setup.secret
    return TestAccount(made.user.id, username, password, role, secret)


@pytest.fixture
def anonymous(web_app: FastAPI) -> Iterator[TestClient]:
    """A browser nobody has signed in with."""
    with TestClient(web_app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


def _open_signed_in(
    stack: ExitStack, app: FastAPI, role: Role, *, locale: str, one_time: bool = False, raise_errors: bool = True
) -> SignedInClient:
    """A browser signed in as a new account with ``role`` on ``app``, closed with ``stack``."""
    account = create_web_account(app, role, locale=locale, one_time=one_time)
    client = stack.enter_context(
        SignedInClient(app, base_url="https://testserver", raise_server_exceptions=raise_errors)
    )
    client.account = account
    client.csrf_token = sign_in(client, account)
    return client


@pytest.fixture
def client_as(web_app: FastAPI) -> Iterator[Callable[..., SignedInClient]]:
    """``client_as(Role.NURSE, locale="zh_Hans")``: a browser signed in as a new account with that role (server
    errors answered as the application answers them, not raised)."""
    with ExitStack() as stack:

        def make(role: Role, *, locale: str = "en", one_time: bool = False) -> SignedInClient:
            return _open_signed_in(stack, web_app, role, locale=locale, one_time=one_time, raise_errors=False)

        yield make


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[Callable[..., SignedInClient]]:
    """``client_for(Role.NURSE, "zh_Hans")``: a browser signed in as a new account with that role on the test
    module's own ``app`` (a module defining its own ``client_for`` keeps it)."""
    with ExitStack() as stack:

        def make(role: Role, locale: str = "en") -> SignedInClient:
            return _open_signed_in(stack, app, role, locale=locale)

        yield make
