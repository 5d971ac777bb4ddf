"""The account page through the real routes: the password change (each field's problem by it), the second
factor's set-up (secret, QR code, confirmation), the language stored on the account, the first-use duties
(a one-time password, an administrator without a second factor) and forms without the CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.registry.accounts_schemas import NewUser
from tests.auth_clients import TEST_PASSWORD, ManualClock, TestAccount, accounts_of, create_account
from tests.web.account_pages import HTML, Browser, application, code_at

NEW_PASSWORD = "a brand new password 99"


@pytest.fixture(scope="module")
def app_and_clock(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, ManualClock]:
    return application(tmp_path_factory.mktemp("account"))


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


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field__error" id="{field}-error">([^<]*)</p>', html)
    return "" if found is None else found.group(1)


def _can_sign_in(app: FastAPI, username: str, password: str) -> bool:
    with Browser(app) as other:
        return bool(other.sign_in(username, password).status_code == 303)


def _secret_shown(html: str) -> str:
    found = re.search(r'<code class="secret" id="totp-secret">([A-Z2-7]+)</code>', html)
    assert found is not None, "no secret on the page"
    return found.group(1)


def test_anonymous_is_sent_to_sign_in(browser: Browser) -> None:
    answer = browser.get("/account", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?next=/account"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        pytest.param(
            {"current_password": "not my password 1", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
            "current_password",
            "The current password is not right.",
            id="wrong-current",
        ),
        pytest.param(
            {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"},
            "new_password_again",
            "The two new passwords are not the same.",
            id="mismatch",
        ),
        pytest.param(
            {"current_password": TEST_PASSWORD, "new_password": "short 12345", "new_password_again": "short 12345"},
            "new_password",
            "At least 12 characters.",
            id="eleven-characters",
        ),
        pytest.param(
            {"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD, "new_password_again": TEST_PASSWORD},
            "new_password",
            "Must differ from the current password.",
            id="same-as-current",
        ),
        pytest.param(
            {"current_password": "", "new_password": "", "new_password_again": ""},
            "current_password",
            "Type your current password.",
            id="empty",
        ),
    ],
)
def test_password_change_shows_each_problem_by_its_field(
    app: FastAPI, clock: ManualClock, browser: Browser, form: dict[str, str], field: str, message: str
) -> None:
    account = create_account(app, Role.NURSE, f"pw.{len(form['new_password'])}.{len(form['current_password'])}")
    browser.sign_in_as(account, clock)
    answer = browser.post("/account/password", data={"csrf_token": browser.csrf(), **form}, headers=HTML)
    assert answer.status_code == 400
    assert _field_error(answer.text, field) == message
    assert f'id="{field}" name="{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert TEST_PASSWORD not in answer.text  # a password typed is never sent back
    assert _can_sign_in(app, account.username, TEST_PASSWORD)  # unchanged


def test_twelve_character_password_is_accepted(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    account = create_account(app, Role.NURSE, "pw.boundary")
    browser.sign_in_as(account, clock)
    form = {"current_password": TEST_PASSWORD, "new_password": "x" * 12, "new_password_again": "x" * 12}
    answer = browser.post("/account/password", data={"csrf_token": browser.csrf(), **form}, headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/account?saved=password"


def test_must_change_password_first_then_the_new_one_works(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    made = accounts_of(app).create_user(NewUser(username="first.use", display_name="First Use", role=Role.PHYSICIAN))
    answer = browser.sign_in("first.use", made.one_time_password, next_path="/patients")
    assert answer.status_code == 303 and answer.headers["location"] == "/account?next=/patients"
    page = browser.get("/account", headers=HTML)
    assert "Choose a new password before you continue." in page.text
    elsewhere = browser.get("/patients?page=2", headers=HTML)  # any other page: the password first
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/account?next=/patients%3Fpage%3D2"
    htmx = browser.get("/patients", headers=HTML | {"hx-request": "true"})
    assert htmx.headers.get("hx-redirect") == "/account?next=/patients"
    form = {
        "csrf_token": browser.csrf(),
        "current_password": made.one_time_password,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
        "next": "/patients",
    }
    changed = browser.post("/account/password", data=form, headers=HTML)
    assert changed.status_code == 303 and changed.headers["location"] == "/patients"  # on to where it was going
    page = browser.get("/account?saved=password", headers=HTML)
    assert "Your password has been changed." in page.text
    assert "Choose a new password before you continue." not in page.text
    assert browser.get("/patients", headers=HTML).status_code == 200
    with Browser(app) as other:
        assert other.sign_in("first.use", made.one_time_password).status_code == 401
        answer = other.sign_in("first.use", NEW_PASSWORD, next_path="/account")
        assert answer.status_code == 303 and answer.headers["location"] == "/account"


def _set_up_second_factor(browser: Browser, clock: ManualClock) -> str:
    csrf = browser.csrf()
    begun = browser.post("/account/second-factor", data={"csrf_token": csrf}, headers=HTML)
    assert begun.status_code == 303
    page = browser.get("/account", headers=HTML)
    secret = _secret_shown(page.text)
    assert 'src="data:image/svg+xml' in page.text and "otpauth://totp/Engraft:" in page.text
    wrong = "000000" if code_at(secret, clock) != "000000" else "111111"
    refused = browser.post("/account/second-factor/confirm", data={"csrf_token": csrf, "code": wrong}, headers=HTML)
    assert refused.status_code == 400
    assert _field_error(refused.text, "code") == "Not the current code: type the 6 digits the app shows now."
    assert _secret_shown(refused.text) == secret  # the same secret again: nothing to scan anew
    confirmed = browser.post(
        "/account/second-factor/confirm", data={"csrf_token": csrf, "code": code_at(secret, clock)}, headers=HTML
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/account?saved=second-factor"
    return secret


def test_second_factor_set_up_then_sign_in_needs_the_code(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    account = create_account(app, Role.SEARCH_COORDINATOR, "totp.coordinator")
    browser.sign_in_as(account, clock)
    secret = _set_up_second_factor(browser, clock)
    assert accounts_of(app).get_user(account.user_id).totp_enabled
    page = browser.get("/account", headers=HTML)
    assert secret not in page.text  # shown while setting up only
    clock.advance(dt.timedelta(seconds=30))
    with Browser(app) as other:
        assert other.sign_in(account.username, TEST_PASSWORD).status_code == 401
        assert other.sign_in(account.username, TEST_PASSWORD, code_at(secret, clock)).status_code == 303


def test_administrator_without_second_factor_is_sent_to_set_it_up_first(
    app: FastAPI, clock: ManualClock, browser: Browser
) -> None:
    made = accounts_of(app).create_user(
        NewUser(username="new.admin", display_name="New Admin", role=Role.ADMIN), TEST_PASSWORD
    )
    answer = browser.sign_in("new.admin", TEST_PASSWORD, next_path="/admin/users")
    assert answer.status_code == 303 and answer.headers["location"] == "/account?next=/admin/users"
    for page in ("/admin/users", "/admin/tokens", "/admin/audit"):
        sent = browser.get(page, headers=HTML)
        assert sent.status_code == 303 and sent.headers["location"] == f"/account?next={page}", page
    assert "Set up a second factor before you continue." in browser.get("/account", headers=HTML).text
    _set_up_second_factor(browser, clock)
    assert browser.get("/admin/users", headers=HTML).status_code == 200
    assert accounts_of(app).get_user(made.user.id).totp_enabled


def test_language_is_stored_on_the_account(app: FastAPI, clock: ManualClock, browser: Browser) -> None:
    account: TestAccount = create_account(app, Role.RESEARCHER, "lang.researcher")
    browser.sign_in_as(account, clock)
    answer = browser.post("/account/language", data={"csrf_token": browser.csrf(), "locale": "zh_Hans"}, headers=HTML)
    assert answer.status_code == 303
    assert accounts_of(app).get_user(account.user_id).locale == "zh_Hans"
    page = browser.get("/account?saved=language", headers=HTML)
    assert '<html lang="zh-Hans">' in page.text and "您的语言设置已保存。" in page.text
    with Browser(app) as elsewhere:  # a new browser: the account's language after sign-in
        elsewhere.sign_in_as(account, clock)
        assert '<html lang="zh-Hans">' in elsewhere.get("/account", headers=HTML).text
    refused = browser.post("/account/language", data={"csrf_token": browser.csrf(), "locale": "fr"}, headers=HTML)
    assert refused.status_code == 400
    assert accounts_of(app).get_user(account.user_id).locale == "zh_Hans"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        pytest.param(
            "/account/password",
            {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
            id="password",
        ),
        pytest.param("/account/second-factor", {}, id="second-factor"),
        pytest.param("/account/language", {"locale": "zh_Hans"}, id="language"),
    ],
)
@pytest.mark.parametrize("token", [pytest.param(None, id="missing"), pytest.param("forged", id="wrong")])
def test_forms_without_the_session_s_csrf_token_are_refused(
    app: FastAPI, clock: ManualClock, browser: Browser, path: str, form: dict[str, str], token: str | None
) -> None:
    account = create_account(app, Role.NURSE, f"csrf.{path.rsplit('/', 1)[-1]}.{token or 'none'}")
    browser.sign_in_as(account, clock)
    data = form | ({"csrf_token": token} if token else {})
    answer = browser.post(path, data=data, headers=HTML)
    assert answer.status_code == 403
    user = accounts_of(app).get_user(account.user_id)
    assert user.locale == "en" and not user.totp_enabled
    assert _can_sign_in(app, account.username, TEST_PASSWORD)  # password unchanged
