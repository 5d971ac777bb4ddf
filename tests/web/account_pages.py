"""What the account and admin page tests share: the whole application on its own SQLite file with a clock the
test moves, and a browser that signs in through the sign-in page itself (form token, cookie, redirects).

Accounts are made by the real account service (:func:`tests.auth_clients.create_account`); nothing is
mocked. The clock starts at a fixed moment so that TOTP codes are computed for it (``pyotp.TOTP.at``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engraft.api.app import create_app
from engraft.api.auth import AuthSettings
from engraft.registry.database import make_engine
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, ManualClock, TestAccount

HTTPS = "https://testserver"
HTML = {"accept": "text/html"}
START = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
_HIDDEN = r'name="{name}" value="([^"]*)"'


def application(folder: Path) -> tuple[FastAPI, ManualClock]:
    """The whole application (API and pages) on a new SQLite file, and the clock its accounts run on."""
    clock = ManualClock(START)
    api = create_app(
        make_engine(f"sqlite:///{folder / 'engraft.db'}"),
        validate_hla=False,
        account_policy=TEST_ACCOUNT_POLICY,
        auth_settings=AuthSettings(secure_cookie=True),
        clock=clock,
    )
    return add_pages(api), clock


def hidden(html: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page."""
    found = re.search(_HIDDEN.format(name=re.escape(name)), html)
    assert found is not None, f"no hidden {name} field in the page"
    return found.group(1)


def code_at(secret: str, clock: ManualClock) -> str:
    """The TOTP code an authenticator app with ``secret`` shows at the clock's time."""
    return pyotp.TOTP(secret).at(clock.now)


class Browser(TestClient):
    """A browser on the application over HTTPS (the session cookie is Secure); redirects are not followed."""

    __test__ = False

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app, base_url=HTTPS, follow_redirects=False, raise_server_exceptions=False)

    def sign_in(self, username: str, password: str, code: str = "", next_path: str = "") -> Any:
        """Open the sign-in page and send its form; the answer (a 303 on success)."""
        page = self.get("/sign-in" + (f"?next={next_path}" if next_path else ""), headers=HTML)
        assert page.status_code == 200, page.text
        form = {
            "username": username,
            "password": password,
            "code": code,
            "next": hidden(page.text, "next"),
            "form_token": hidden(page.text, "form_token"),
        }
        return self.post("/sign-in", data=form, headers=HTML)

    def sign_in_as(self, account: TestAccount, clock: ManualClock) -> None:
        """Sign in as ``account`` (with its second factor's current code), ready to use the pages."""
        clock.advance(dt.timedelta(seconds=30))  # a TOTP code is accepted once: each sign-in uses the next one
        code = code_at(account.totp_secret, clock) if account.totp_secret else ""
        answer = self.sign_in(account.username, account.password, code)
        assert answer.status_code == 303, answer.text

    def csrf(self, path: str = "/account") -> str:
        """The session's CSRF token, as a page's forms carry it."""
        page = self.get(path, headers=HTML)
        assert page.status_code == 200, page.text
        return hidden(page.text, "csrf_token")
