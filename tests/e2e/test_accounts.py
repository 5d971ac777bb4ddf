"""Accounts in a real browser: sign in without and with the second factor, the lock after repeated failures,
signing out, the first-use second-factor set-up of an administrator, an administrator creating an account,
issuing a token and filtering the audit log; screenshots of each page in both languages; axe-core finds no
serious or critical issue.

Accounts are made in the served database by the real account service (the demo has none); everything
after that goes through the pages.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest

from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService
from tests.e2e.conftest import LiveServer, assert_accessible, page_language, screenshot

pytestmark = pytest.mark.e2e
LANGUAGES = [pytest.param("en", id="en"), pytest.param("zh_Hans", id="zh_Hans")]
PASSWORD = "correct horse battery 42"
TEXT = {
    "en": {
        "sign_in": "Sign in",
        "username": "Username",
        "password": "Password",
        "code": "Authenticator code",
        "sign_out": "Sign out",
        "refused": "The username, password or code is not right.",
        "locked": "this account is locked",
        "create": "Create account",
        "name": "Name",
        "role": "Role",
        "nurse": "Nurse",
        "user": "User",
        "filter": "Filter",
        "issue": "Issue token",
        "token_name": "Token name",
        "set_up": "Set up a second factor",
        "code_from_app": "Code from the app",
        "turn_on": "Turn on the second factor",
    },
    "zh_Hans": {
        "sign_in": "登录",
        "username": "用户名",
        "password": "密码",
        "code": "身份验证器验证码",
        "sign_out": "退出登录",
        "refused": "用户名、密码或验证码不正确。",
        "locked": "此账户已被锁定",
        "create": "创建账户",
        "name": "姓名",
        "role": "角色",
        "nurse": "护士",
        "user": "用户",
        "filter": "筛选",
        "issue": "签发令牌",
        "token_name": "令牌名称",
        "set_up": "设置第二验证因素",
        "code_from_app": "应用中的验证码",
        "turn_on": "开启第二验证因素",
    },
}


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> Iterator[AccountService]:
    """The account service on the served database."""
    engine = make_engine(live_server.database_url)
    yield AccountService(RegistryService(make_session_factory(engine), actor="e2e set-up"))
    engine.dispose()


def _name(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(3)}"


def _person(accounts: AccountService, role: Role, language: str, prefix: str) -> str:
    name = _name(prefix)
    accounts.create_user(
        NewUser(username=name, display_name=f"{prefix.title()} Tester", role=role, locale=language), PASSWORD
    )  # type: ignore[arg-type]
    return name


def _admin(accounts: AccountService, language: str) -> tuple[str, str]:
    """An administrator with a second factor; confirmed with the previous step's code, so the current one signs in."""
    name = _person(accounts, Role.ADMIN, language, "admin")
    user = accounts.find_user(name)
    assert user is not None
    secret = accounts.begin_totp(user.id).secret
    accounts.confirm_totp(user.id, pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)))
    return name, secret


def _sign_in(page: Any, language: str, username: str, password: str, code: str = "") -> None:
    words = TEXT[language]
    page.get_by_label(words["username"], exact=True).fill(username)
    page.get_by_label(words["password"], exact=True).fill(password)
    if code:
        page.get_by_label(words["code"]).fill(code)
    page.locator("main").get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_without_second_factor_and_sign_out(
    open_page: Callable[..., Any], accounts: AccountService, language: str
) -> None:
    words = TEXT[language]
    name = _person(accounts, Role.NURSE, language, "nurse")
    page = open_page("/sign-in?next=/account", language=language)
    assert page_language(page) == language
    assert_accessible(page)
    screenshot(page, "sign-in")
    _sign_in(page, language, name, PASSWORD)
    assert page.url.endswith("/account")
    assert page.locator(".account__name").inner_text() == "Nurse Tester"
    assert_accessible(page)
    screenshot(page, "account")
    page.locator(".site-header").get_by_role("button", name=words["sign_out"]).click()
    page.wait_for_load_state()
    assert page.locator(".site-header").get_by_role("link", name=words["sign_in"]).is_visible()
    page.goto("/account")
    assert "/sign-in?next=/account" in page.url


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_with_second_factor(open_page: Callable[..., Any], accounts: AccountService, language: str) -> None:
    words = TEXT[language]
    name, secret = _admin(accounts, language)
    page = open_page("/sign-in?next=/admin/users", language=language)
    _sign_in(page, language, name, PASSWORD)  # no code: refused, without saying why
    assert words["refused"] in page.locator("#sign-in-error").inner_text()
    assert_accessible(page)
    screenshot(page, "sign-in-refused")
    _sign_in(page, language, name, PASSWORD, pyotp.TOTP(secret).now())
    assert page.url.endswith("/admin/users")
    assert_accessible(page)
    screenshot(page, "admin-users")


@pytest.mark.parametrize("language", LANGUAGES)
def test_lockout_is_shown_with_when_to_retry(
    open_page: Callable[..., Any], accounts: AccountService, language: str
) -> None:
    words = TEXT[language]
    name = _person(accounts, Role.PHYSICIAN, language, "locked")
    page = open_page("/sign-in", language=language)
    for attempt in range(accounts.policy.lockout_threshold):
        _sign_in(page, language, name, f"not the password {attempt}")
        assert words["refused"] in page.locator("#sign-in-error").inner_text()
    _sign_in(page, language, name, PASSWORD)
    assert words["locked"] in page.locator("#sign-in-error").inner_text()
    assert_accessible(page)
    screenshot(page, "sign-in-locked")


@pytest.mark.parametrize("language", LANGUAGES)
def test_administrator_without_second_factor_sets_it_up_first(
    open_page: Callable[..., Any], accounts: AccountService, language: str
) -> None:
    words = TEXT[language]
    name = _person(accounts, Role.ADMIN, language, "fresh-admin")
    page = open_page("/sign-in?next=/admin/audit", language=language)
    _sign_in(page, language, name, PASSWORD)
    assert page.url.endswith("/account?next=/admin/audit")
    page.goto("/admin/users")
    assert page.url.endswith("/account?next=/admin/users")
    page.get_by_role("button", name=words["set_up"], exact=True).click()
    page.wait_for_load_state()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("img.totp-setup__qr").evaluate("img => img.naturalWidth") > 0
    assert_accessible(page)
    screenshot(page, "account-second-factor")
    page.get_by_label(words["code_from_app"]).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=words["turn_on"]).click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/users")  # on to where it was going


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_creates_an_account_issues_a_token_and_filters_the_audit_log(
    open_page: Callable[..., Any], accounts: AccountService, language: str
) -> None:
    words = TEXT[language]
    name, secret = _admin(accounts, language)
    page = open_page("/sign-in?next=/admin/users", language=language)
    _sign_in(page, language, name, PASSWORD, pyotp.TOTP(secret).now())
    assert page.url.endswith("/admin/users")
    newcomer = _name("newcomer")
    form = page.locator("form[action='/admin/users']")
    form.get_by_label(words["username"], exact=True).fill(newcomer)
    form.get_by_label(words["name"], exact=True).fill("New Comer")
    form.get_by_label(words["role"], exact=True).select_option(label=words["nurse"])
    form.get_by_role("button", name=words["create"]).click()
    page.wait_for_load_state()
    one_time = page.locator("#one-time-password").inner_text()
    assert len(one_time) == 16
    assert_accessible(page)
    screenshot(page, "admin-user-created")
    page.goto("/admin/users")
    assert newcomer in page.content() and one_time not in page.content()

    page.goto("/admin/tokens")
    form = page.locator("form[action='/admin/tokens']")
    form.get_by_label(words["token_name"]).fill(_name("lab"))
    form.get_by_label(words["role"], exact=True).select_option(label=words["nurse"])
    form.get_by_role("button", name=words["issue"]).click()
    page.wait_for_load_state()
    assert page.locator("#token-secret").inner_text().startswith("egt_")
    assert_accessible(page)
    screenshot(page, "admin-token-issued")
    page.goto("/admin/tokens")
    assert_accessible(page)
    screenshot(page, "admin-tokens")

    page.goto("/admin/audit")
    filters = page.get_by_role("search")
    filters.get_by_label(words["user"], exact=True).fill(name)
    filters.get_by_role("button", name=words["filter"]).click()
    page.wait_for_load_state()
    assert f"user={name}" in page.url
    cells = page.locator(".audit-table tbody tr td:nth-child(2)").all_inner_texts()
    assert cells and set(cells) == {name}
    assert any(newcomer in text for text in page.locator(".audit-changes").all_inner_texts())
    csv_link = page.locator("a[download]")
    assert f"actor={name}" in (csv_link.get_attribute("href") or "")
    download = page.request.get(csv_link.get_attribute("href") or "")
    assert download.status == 200 and name in download.text()
    assert_accessible(page)
    screenshot(page, "admin-audit")
