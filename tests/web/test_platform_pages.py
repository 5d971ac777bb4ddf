"""The layout, landing page, language switch, error pages, API docs page and the page guard."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from engraft.access import Permission, Principal, Role
from engraft.web import sections
from engraft.web.i18n import LANGUAGE_COOKIE
from engraft.web.pages_common import require_page, safe_next
from engraft.web.sections import Section, register
from engraft.web.templating import render
from tests.web.page_checks import external_references, inline_code

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def guarded_section(web_app: FastAPI) -> Iterator[Section]:
    """A test page at /t-ward needing patient.read, registered as a section."""
    router = APIRouter()

    @router.get("/t-ward", response_class=HTMLResponse)
    def ward(request: Request, principal: Principal = Depends(require_page(Permission.PATIENT_READ))) -> HTMLResponse:
        return render(request, "home.html", {"api_docs_link": ""})

    @router.get("/t-boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    web_app.include_router(router)
    section = register(Section("t-ward", "Ward board", "/t-ward", Permission.PATIENT_READ, order=5))
    yield section
    sections._SECTIONS.pop("t-ward", None)


def test_landing_page_anonymous_offers_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/", headers=HTML)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html
    assert 'href="/sign-in"' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "Sign out" not in html


def test_landing_page_signed_in_lists_the_role_s_sections_and_names_the_user(
    client_as: Callable[..., TestClient], guarded_section: Section
) -> None:
    nurse = client_as(Role.NURSE).get("/", headers=HTML).text
    assert "Dr Ada Lin" in nurse and "Nurse" in nurse
    assert 'href="/t-ward"' in nurse
    assert 'action="/sign-out"' in nurse
    researcher = client_as(Role.RESEARCHER).get("/", headers=HTML).text
    assert 'href="/t-ward"' not in researcher


def test_landing_page_in_chinese_for_a_chinese_account(client_as: Callable[..., TestClient]) -> None:
    html = client_as(Role.PHYSICIAN, locale="zh_Hans").get("/", headers=HTML).text
    assert '<html lang="zh-Hans">' in html
    assert "退出登录" in html and "医师" in html


@pytest.mark.parametrize(
    ("headers", "cookies", "lang"),
    [
        pytest.param({"accept-language": "zh-CN,zh;q=0.9"}, {}, "zh-Hans", id="browser-chinese"),
        pytest.param({"accept-language": "zh-CN"}, {LANGUAGE_COOKIE: "en"}, "en", id="cookie-beats-browser"),
        pytest.param({}, {LANGUAGE_COOKIE: "zh_Hans"}, "zh-Hans", id="cookie"),
    ],
)
def test_language_of_a_page(anonymous: TestClient, headers: dict[str, str], cookies: dict[str, str], lang: str) -> None:
    anonymous.cookies.clear()
    for name, value in cookies.items():
        anonymous.cookies.set(name, value)
    assert f'<html lang="{lang}">' in anonymous.get("/", headers=HTML | headers).text


def test_switching_language_sets_the_cookie_and_stays_on_the_page(anonymous: TestClient) -> None:
    response = anonymous.get("/language", params={"lang": "zh_Hans", "next": "/docs?x=1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/docs?x=1"
    cookie = response.headers["set-cookie"]
    assert f"{LANGUAGE_COOKIE}=zh_Hans" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert '<html lang="zh-Hans">' in anonymous.get("/docs", headers=HTML).text


def test_the_switcher_links_back_to_the_current_page(anonymous: TestClient) -> None:
    html = anonymous.get("/docs?tag=x", headers=HTML).text
    assert 'href="/language?lang=zh_Hans&amp;next=/docs%3Ftag%3Dx"' in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("/patients/3?tab=a", "/patients/3?tab=a", id="local-path"),
        pytest.param("https://evil.example/", "/", id="absolute-url"),
        pytest.param("//evil.example/", "/", id="scheme-relative"),
        pytest.param("/\\evil.example", "/", id="backslash"),
        pytest.param("javascript:alert(1)", "/", id="javascript"),
        pytest.param("/a\r\nSet-Cookie: x=1", "/", id="header-injection"),
        pytest.param("", "/", id="empty"),
        pytest.param(None, "/", id="none"),
    ],
)
def test_safe_next_keeps_redirects_on_this_server(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_language_switch_never_redirects_off_site(anonymous: TestClient) -> None:
    response = anonymous.get(
        "/language", params={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_page_guard_sends_anonymous_browsers_to_sign_in(anonymous: TestClient, guarded_section: Section) -> None:
    response = anonymous.get("/t-ward?bed=4", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/t-ward%3Fbed%3D4"


def test_page_guard_tells_htmx_to_load_sign_in_as_a_whole_page(anonymous: TestClient, guarded_section: Section) -> None:
    response = anonymous.get("/t-ward", headers=HTML | {"hx-request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/sign-in?next=/t-ward"


def test_page_guard_shows_403_page_to_a_role_without_the_permission(
    client_as: Callable[..., TestClient], guarded_section: Section
) -> None:
    response = client_as(Role.ADMIN).get("/t-ward", headers=HTML)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Your role does not give access to this page." in response.text
    assert client_as(Role.NURSE).get("/t-ward", headers=HTML).status_code == 200


def test_page_guard_sends_an_account_that_must_change_its_password_to_the_account_page(
    client_as: Callable[..., TestClient], guarded_section: Section
) -> None:
    client = client_as(Role.NURSE, one_time=True)
    response = client.get("/t-ward?bed=4", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/account?next=/t-ward%3Fbed%3D4"


def test_the_start_page_sends_an_account_with_first_use_duties_to_them(client_as: Callable[..., TestClient]) -> None:
    response = client_as(Role.NURSE, one_time=True).get("/", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account?next=/"
    assert client_as(Role.NURSE).get("/", headers=HTML, follow_redirects=False).status_code == 200


def test_forms_and_htmx_get_the_session_s_csrf_token(client_as: Callable[..., TestClient]) -> None:
    client = client_as(Role.PHYSICIAN)
    html = client.get("/", headers=HTML).text
    token = client.csrf_token  # type: ignore[attr-defined]
    assert f'<meta name="csrf-token" content="{token}">' in html
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in html


def test_anonymous_pages_carry_no_csrf_token(anonymous: TestClient) -> None:
    html = anonymous.get("/", headers=HTML).text
    assert "csrf-token" not in html and 'name="csrf_token"' not in html


def test_sign_out_needs_the_csrf_token_then_ends_the_session(client_as: Callable[..., TestClient]) -> None:
    client = client_as(Role.NURSE)
    refused = client.post("/sign-out", data={"csrf_token": "forged"}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/api/auth/me").status_code == 200
    token = client.csrf_token  # type: ignore[attr-defined]
    done = client.post("/sign-out", data={"csrf_token": token}, headers=HTML, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"
    client.headers.pop("X-CSRF-Token", None)
    assert client.get("/api/auth/me").status_code == 401
    assert 'href="/sign-in"' in client.get("/", headers=HTML).text


def test_sign_out_without_a_session_goes_home(anonymous: TestClient) -> None:
    response = anonymous.post("/sign-out", data={}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_require_page_refuses_public() -> None:
    with pytest.raises(ValueError, match="optional_principal"):
        require_page(Permission.PUBLIC)


def test_404_is_a_page_for_browsers_and_a_problem_for_the_api(anonymous: TestClient) -> None:
    page = anonymous.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    api = anonymous.get("/api/no/such/thing", headers=HTML)
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_404_page_in_chinese(anonymous: TestClient) -> None:
    page = anonymous.get("/nowhere", headers=HTML | {"accept-language": "zh-CN"})
    assert page.status_code == 404 and "找不到页面" in page.text


def test_an_unexpected_error_on_a_page_is_a_500_page_without_internals(
    anonymous: TestClient, guarded_section: Section
) -> None:
    response = anonymous.get("/t-boom", headers=HTML)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "a bug" not in response.text and "RuntimeError" not in response.text


@pytest.mark.parametrize("path", ["/", "/docs", "/nowhere", "/api/health/live", "/openapi.json"])
def test_every_response_carries_the_security_headers(anonymous: TestClient, path: str) -> None:
    headers = anonymous.get(path, headers=HTML).headers
    csp = headers["content-security-policy"]
    for directive in (
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_https_answers_ask_browsers_to_stay_on_https(web_app: FastAPI) -> None:
    with TestClient(web_app, base_url="https://testserver") as secure, TestClient(web_app) as plain:
        assert secure.get("/").headers["strict-transport-security"].startswith("max-age=31536000")
        assert "strict-transport-security" not in plain.get("/").headers


def test_static_files_may_be_cached(anonymous: TestClient) -> None:
    response = anonymous.get("/static/engraft.css")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_fastapi_cdn_docs_are_gone_and_ours_load_swagger_from_static(anonymous: TestClient) -> None:
    assert anonymous.get("/redoc", headers=HTML).status_code == 404
    html = anonymous.get("/docs", headers=HTML).text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert 'data-openapi-url="/openapi.json"' in html


@pytest.mark.parametrize("path", ["/", "/docs", "/nowhere", "/t-ward"])
def test_no_page_refers_to_another_server_or_has_inline_code(
    client_as: Callable[..., TestClient], anonymous: TestClient, guarded_section: Section, path: str
) -> None:
    for client in (anonymous, client_as(Role.PHYSICIAN), client_as(Role.PHYSICIAN, locale="zh_Hans")):
        html = client.get(path, headers=HTML).text
        assert external_references(html) == []
        assert inline_code(html) == []


@pytest.mark.parametrize(
    ("html", "external", "inline"),
    [
        pytest.param('<script src="https://cdn.example/x.js"></script>', 1, 0, id="cdn-script"),
        pytest.param('<link href="//fonts.example/css">', 1, 0, id="scheme-relative"),
        pytest.param('<svg xmlns="http://www.w3.org/2000/svg"></svg>', 0, 0, id="svg-namespace-is-fine"),
        pytest.param('<a href="http://testserver/docs">x</a>', 0, 0, id="this-server"),
        pytest.param('<div style="color:red">x</div>', 0, 1, id="style-attribute"),
        pytest.param("<script>alert(1)</script>", 0, 1, id="inline-script"),
        pytest.param('<button onclick="go()">x</button>', 0, 1, id="handler"),
        pytest.param('<a href="javascript:go()">x</a>', 0, 1, id="javascript-url"),
        pytest.param('<a href="/patients">x</a><script src="/static/a.js"></script>', 0, 0, id="clean"),
    ],
)
def test_the_page_checks_catch_what_they_should(html: str, external: int, inline: int) -> None:
    assert len(external_references(html)) == external
    assert len(inline_code(html)) == inline


def test_every_static_url_in_a_page_is_served(anonymous: TestClient) -> None:
    html = anonymous.get("/docs", headers=HTML).text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(urls) >= 4
    for url in urls:
        assert anonymous.get(url).status_code == 200, url
