"""The sign-in page through the real routes: with and without a second factor, refusals that do not tell
which part was wrong (nor whether the name exists), the lock after repeated failures, the form's own
anti-forgery token, safe ``next`` redirects only, and signing out."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.auth import SESSION_COOKIE
from engraft.config.server_key import SECRET_KEY_ENV
from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditQuery, list_audit
from tests.auth_clients import ManualClock, accounts_of, create_account
from tests.web.account_pages import HTML, Browser, application, code_at, hidden

REFUSED = "The username, password or code is not right."


@pytest.fixture(scope="module")
def app_and_clock(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, ManualClock]:
    return application(tmp_path_factory.mktemp("sign-in"))


@pytest.fixture
def app(app_and_clock: tuple[FastAPI, ManualClock]) -> FastAPI:
    return app_and_clock[0]


@pytest.fixture
def clock(app_and_clock: tuple[FastAPI, ManualClock]) -> ManualClock:
    return app_and_clock[1]


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Browser]:
    with Browser(app) as client:
        yield client


def _error_block(html: str) -> str:
    found = re.search(r'<div class="notice[^"]*" role="alert" id="sign-in-error">(.*?)</div>', html, re.S)
    assert found is not None, "no error shown"
    return found.group(1)


def test_sign_in_page_is_public_with_username_password_and_code_fields(browser: Browser) -> None:
    page = browser.get("/sign-in", headers=HTML)
    assert page.status_code == 200
    for field in ('name="username"', 'name="password"', 'name="code"', 'name="form_token"'):
        assert field in page.text
    assert 'method="post" action="/sign-in"' in page.text
    assert "sign-in-error" not in page.text
    assert "<script>" not in page.text and "style=" not in page.text


def test_sign_in_without_second_factor_opens_a_session_and_goes_to_next(app: FastAPI, browser: Browser) -> None:
    nurse = create_account(app, Role.NURSE, "sign-in.nurse")
    answer = browser.sign_in(nurse.username, nurse.password, next_path="/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    for attribute in ("httponly", "secure", "samesite=strict", "path=/"):
        assert attribute in cookie.lower()
    home = browser.get("/", headers=HTML)
    assert "Sign-In.Nurse" in home.text and 'action="/sign-out"' in home.text


def test_sign_in_with_second_factor_needs_the_current_code(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    admin = create_account(app, Role.ADMIN, "sign-in.admin")
    assert admin.totp_secret is not None
    clock.advance(dt.timedelta(seconds=30))
    without = browser.sign_in(admin.username, admin.password)
    assert without.status_code == 401 and REFUSED in without.text
    wrong = browser.sign_in(
        admin.username, admin.password, "000000" if code_at(admin.totp_secret, clock) != "000000" else "111111"
    )
    assert wrong.status_code == 401 and REFUSED in wrong.text
    assert SESSION_COOKIE not in browser.cookies
    right = browser.sign_in(admin.username, admin.password, code_at(admin.totp_secret, clock))
    assert right.status_code == 303 and right.headers["location"] == "/"
    assert browser.get("/admin/users", headers=HTML).status_code == 200


def test_a_wrong_server_key_shows_the_error_page_not_a_traceback(
    app: FastAPI, clock: ManualClock, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = create_account(app, Role.ADMIN, "sign-in.wrong-key")
    assert admin.totp_secret is not None
    clock.advance(dt.timedelta(seconds=30))
    monkeypatch.setenv(SECRET_KEY_ENV, base64.urlsafe_b64encode(b"w" * 32).decode())
    answer = browser.sign_in(admin.username, admin.password, code_at(admin.totp_secret, clock))
    assert answer.status_code == 500 and "Something went wrong" in answer.text
    assert "Traceback" not in answer.text and SESSION_COOKIE not in browser.cookies


def test_refusals_do_not_reveal_whether_the_username_exists(app: FastAPI, browser: Browser) -> None:
    create_account(app, Role.PHYSICIAN, "sign-in.physician")
    unknown = browser.sign_in("nobody.here", "some password 123")
    wrong_password = browser.sign_in("sign-in.physician", "wrong password 123")
    assert unknown.status_code == wrong_password.status_code == 401
    assert _error_block(unknown.text) == _error_block(wrong_password.text)
    assert "nobody.here" not in _error_block(unknown.text)


def test_lockout_after_the_configured_failures_is_shown_with_when_to_retry(
    app: FastAPI, clock: ManualClock, browser: Browser
) -> None:
    account = create_account(app, Role.DATA_MANAGER, "sign-in.locked")
    threshold = accounts_of(app).policy.lockout_threshold
    for attempt in range(threshold):
        answer = browser.sign_in(account.username, f"wrong password {attempt:04d}")
        assert answer.status_code == 401, f"attempt {attempt + 1}"
    locked = browser.sign_in(account.username, account.password)  # even the right password, while locked
    assert locked.status_code == 429
    block = _error_block(locked.text)
    assert "this account is locked" in block
    until = accounts_of(app).get_user(account.user_id).locked_until
    assert until is not None
    assert "Try again after" in block and "(in about 1 minute)" in block
    clock.advance(accounts_of(app).policy.lockout_first + dt.timedelta(seconds=1))
    assert browser.sign_in(account.username, account.password).status_code == 303


def test_lockout_message_in_chinese(app: FastAPI, browser: Browser) -> None:
    account = create_account(app, Role.NURSE, "sign-in.locked-zh")
    browser.cookies.set("engraft_lang", "zh_Hans")
    for attempt in range(accounts_of(app).policy.lockout_threshold + 1):
        answer = browser.sign_in(account.username, f"wrong password {attempt:04d}")
    assert answer.status_code == 429
    assert "登录失败次数过多" in answer.text and "分钟后" in answer.text


@pytest.mark.parametrize(
    "next_path",
    [
        pytest.param("//evil.example/steal", id="scheme-relative"),
        pytest.param("https://evil.example/", id="absolute-url"),
        pytest.param("/\\evil.example", id="backslash"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("evil.example", id="not-a-path"),
    ],
)
def test_next_off_site_is_refused_and_goes_home(
    app: FastAPI, browser: Browser, next_path: str, request: pytest.FixtureRequest
) -> None:
    account = create_account(app, Role.RESEARCHER, f"sign-in.next-{request.node.callspec.id}")
    page = browser.get("/sign-in", params={"next": next_path}, headers=HTML)
    assert hidden(page.text, "next") == "/"
    form = {
        "username": account.username,
        "password": account.password,
        "code": "",
        "next": next_path,  # sent as is, not as the page put it
        "form_token": hidden(page.text, "form_token"),
    }
    answer = browser.post("/sign-in", data=form, headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_sign_in_form_without_its_token_is_refused(app: FastAPI, browser: Browser) -> None:
    account = create_account(app, Role.NURSE, "sign-in.no-token")
    browser.get("/sign-in", headers=HTML)
    answer = browser.post(
        "/sign-in",
        data={"username": account.username, "password": account.password, "next": "/", "form_token": "forged"},
        headers=HTML,
    )
    assert answer.status_code == 400
    assert "The sign-in form had expired" in answer.text
    assert SESSION_COOKIE not in browser.cookies


def test_signed_in_visitor_of_the_sign_in_page_goes_on(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    browser.sign_in_as(create_account(app, Role.NURSE, "sign-in.again"), clock)
    answer = browser.get("/sign-in?next=/account", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/account"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    account = create_account(app, Role.PHYSICIAN, "sign-in.out")
    browser.sign_in_as(account, clock)
    csrf = browser.csrf()
    refused = browser.post("/sign-out", data={}, headers=HTML)
    assert refused.status_code == 403
    assert browser.get("/account", headers=HTML).status_code == 200  # still signed in
    answer = browser.post("/sign-out", data={"csrf_token": csrf}, headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    after = browser.get("/account", headers=HTML)
    assert after.status_code == 303 and after.headers["location"].startswith("/sign-in?next=")
    signed_out = list_audit(app.state.registry, AuditQuery(actor=account.username, action=AuditAction.SIGN_OUT))
    assert signed_out.total == 1
