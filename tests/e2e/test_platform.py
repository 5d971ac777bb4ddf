"""The platform in a real browser: landing page, language switch, error page, API docs, accessibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engraft.access import Role
from tests.e2e.conftest import assert_accessible, page_language, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("language", "heading", "sign_in"),
    [
        pytest.param("en", "Engraft", "Sign in", id="en"),
        pytest.param("zh_Hans", "Engraft", "登录", id="zh_Hans"),
    ],
)
def test_landing_page(open_page: Callable[..., Any], language: str, heading: str, sign_in: str) -> None:
    page = open_page("/", language=language)
    assert page_language(page) == language
    assert page.locator("h1").inner_text() == heading
    assert page.get_by_role("main").get_by_role("link", name=sign_in).get_attribute("href") == "/sign-in"
    assert page.get_by_role("navigation", name="语言" if language == "zh_Hans" else "Language").is_visible()
    assert_accessible(page)
    screenshot(page, "landing")


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(open_page: Callable[..., Any]) -> None:
    page = open_page("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_switching_language_keeps_the_page(open_page: Callable[..., Any]) -> None:
    page = open_page("/no-such-page?from=test")
    assert page_language(page) == "en"
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_load_state()
    assert page_language(page) == "zh_Hans"
    assert page.url.endswith("/no-such-page?from=test")
    assert page.locator("h1").inner_text() == "找不到页面"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page_language(page) == "en"
    assert page.locator("h1").inner_text() == "Page not found"


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_404_page(open_page: Callable[..., Any], language: str) -> None:
    page = open_page("/patients-that-do-not-exist", language=language)
    assert page.locator(".error-page__status").inner_text().endswith("404")
    assert page.get_by_role("link", name="返回首页" if language == "zh_Hans" else "Go to the start page").is_visible()
    assert_accessible(page)
    screenshot(page, "not-found")


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_api_docs_render_swagger_ui_without_the_network(open_page: Callable[..., Any], language: str) -> None:
    page = open_page("/docs", language=language)
    operations = page.locator(".swagger-ui .opblock")
    operations.first.wait_for(state="visible", timeout=30_000)
    assert operations.count() > 20
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Engraft")
    assert_accessible(page, exclude=("#swagger-ui",))
    screenshot(page, "api-docs")


def test_htmx_is_loaded_without_inline_styles(open_page: Callable[..., Any]) -> None:
    page = open_page("/")
    page.wait_for_function("typeof window.htmx === 'object'")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("document.querySelectorAll('style').length") == 0


@pytest.mark.parametrize(
    ("language", "role_label", "sign_out"),
    [
        pytest.param("en", "Physician", "Sign out", id="en"),
        pytest.param("zh_Hans", "医师", "退出登录", id="zh_Hans"),
    ],
)
def test_signed_in_header_and_landing_page(
    sign_in_as: Callable[..., Any], language: str, role_label: str, sign_out: str
) -> None:
    page = sign_in_as(Role.PHYSICIAN, language=language)
    assert page_language(page) == language
    header = page.locator(".site-header")
    assert header.locator(".account__name").inner_text() == "Dr Mei Chen"
    assert header.locator(".account__role").inner_text() == role_label
    assert header.get_by_role("button", name=sign_out).is_visible()
    assert page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert_accessible(page)
    screenshot(page, "landing-signed-in")


def test_an_account_s_own_language_is_used_until_the_switcher_says_otherwise(sign_in_as: Callable[..., Any]) -> None:
    page = sign_in_as(Role.NURSE, language="zh_Hans")
    assert page_language(page) == "zh_Hans"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page_language(page) == "en"
    assert page.locator(".account__role").inner_text() == "Nurse"


def test_signing_out_from_the_header(sign_in_as: Callable[..., Any]) -> None:
    page = sign_in_as(Role.DATA_MANAGER)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    assert page.locator(".site-header").get_by_role("link", name="Sign in").is_visible()
    assert page.request.get("/api/auth/me").status == 401


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_every_section_in_the_navigation_opens_cleanly(sign_in_as: Callable[..., Any], language: str) -> None:
    page = sign_in_as(Role.DATA_MANAGER, language=language)
    links = page.locator(".site-nav a")
    targets = [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert targets, "a data manager sees at least one section"
    for title, href in targets:
        response = page.goto(href)
        assert response is not None and response.status == 200, href
        current = page.locator('.site-nav a[aria-current="page"]')
        assert current.inner_text() == title, href
        assert_accessible(page)
    screenshot(page, "landing-sections")


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_layout_fits_a_narrow_screen_and_prints_without_chrome(sign_in_as: Callable[..., Any], language: str) -> None:
    page = sign_in_as(Role.PHYSICIAN, language=language)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "narrow")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.locator("main h1").is_visible()


def test_keyboard_focus_is_visible(open_page: Callable[..., Any]) -> None:
    page = open_page("/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert outline == "solid" and width >= 2


@pytest.mark.parametrize(("language", "words"), [("en", "The request failed (404)"), ("zh_Hans", "请求失败 (404)")])
def test_a_failed_htmx_request_is_announced(open_page: Callable[..., Any], language: str, words: str) -> None:
    page = open_page("/", language=language)
    page.wait_for_function("typeof window.htmx === 'object'")
    page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.id = "probe";
            button.setAttribute("hx-get", "/no-such-fragment");
            button.textContent = "probe";
            document.querySelector("main").append(button);
            htmx.process(button);
        }"""
    )
    status = page.locator("#request-status")
    assert status.is_hidden()
    page.click("#probe")
    status.wait_for(state="visible")
    assert status.inner_text() == words
    assert status.get_attribute("role") == "alert"
