"""Risk assessment in a real browser: an instrument run from its generated form, an episode's risk profile."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService
from tests.auth_clients import TEST_ACCOUNT_POLICY, TEST_PASSWORD
from tests.e2e.conftest import LiveServer, assert_accessible, page_language, screenshot

pytestmark = pytest.mark.e2e
LANGUAGES = [pytest.param("en", id="en"), pytest.param("zh_Hans", id="zh_Hans")]
_accounts = itertools.count()


def sign_in_as(page: Any, live_server: LiveServer, role: Role, language: str) -> None:
    """Make an account of ``role`` in the live server's database and sign the page's browser in with it."""
    engine = make_engine(live_server.database_url)
    try:
        accounts = AccountService(RegistryService(make_session_factory(engine), actor="e2e"), TEST_ACCOUNT_POLICY)
        name = f"e2e.clinic{next(_accounts)}.{role.value.replace('_', '-')}.{language.lower()}"
        accounts.create_user(NewUser(username=name, display_name="Dr E2E", role=role, locale=language), TEST_PASSWORD)
    finally:
        engine.dispose()
    answer = page.request.post("/api/auth/sign-in", data={"username": name, "password": TEST_PASSWORD})
    assert answer.ok, answer.text()


def shot(page: Any, name: str) -> None:
    """A screenshot with nothing focused: Playwright hides a text caret with an injected style, which the CSP
    (style-src 'self') reports as a violation."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    screenshot(page, name)


def opened_as(open_page: Callable[..., Any], live_server: LiveServer, role: Role, path: str, language: str) -> Any:
    page = open_page("/", language=language)
    sign_in_as(page, live_server, role, language)
    page.goto(path)
    assert page_language(page) == language
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_run_an_instrument_from_its_generated_form(
    open_page: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    page = opened_as(open_page, live_server, Role.NURSE, "/risk", language)
    assert_accessible(page)
    shot(page, "risk-instruments")
    page.locator('a[href="/risk/ebmt-risk"]').click()
    page.wait_for_load_state()
    page.locator("#f-age_years").fill("45")
    page.locator("#f-disease").select_option("aml")
    page.locator("#f-status").select_option("CR1")
    page.locator("#f-months_diagnosis_to_transplant").fill("6")
    page.locator("#f-donor_relation").select_option("matched unrelated")
    page.locator("#f-donor_sex").select_option("female")
    page.locator("#f-recipient_sex").select_option("male")
    page.locator("form.risk-form button[type=submit]:not([name])").click()
    result = page.locator(".risk-result")
    result.wait_for()
    assert result.locator(".risk-result__value").inner_text() == "4"
    assert page.locator(".verification--secondary").count() > 0  # factor points: EBMT Handbook Table 11.2
    assert_accessible(page)
    shot(page, "risk-ebmt-result")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_optional_part_opens_when_ticked(
    open_page: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    page = opened_as(open_page, live_server, Role.PHYSICIAN, "/risk/hct-ci", language)
    arrhythmia = page.locator("#f-items--arrhythmia")
    assert not arrhythmia.is_visible()
    page.locator("#f-items-present").check()
    assert arrhythmia.is_visible()
    arrhythmia.check()
    page.locator("#f-items--diabetes").check()
    page.locator("#f-age_years").fill("52")
    page.locator("form.risk-form button[type=submit]:not([name])").click()
    page.locator(".risk-result").wait_for()
    assert page.locator(".risk-result__value").inner_text() == "2"
    assert_accessible(page)
    shot(page, "risk-hct-ci-result")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_episode_risk_profile_is_run_and_stored(
    open_page: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    page = opened_as(open_page, live_server, Role.PHYSICIAN, "/episodes/1/risk", language)
    assert_accessible(page)
    page.locator("#f-performance_score").fill("80")
    page.locator("form.risk-form button[type=submit]:not([name])").click()
    page.locator(".risk-result").first.wait_for()
    assert page.locator(".risk-skipped").count() > 0  # e.g. no HCT-CI answers given
    assert page.locator(".notice--ok").is_visible()
    assert_accessible(page)
    shot(page, "risk-episode-profile")
