"""End-to-end harness: the real application served by uvicorn, driven by Chromium through Playwright.

- ``live_server`` (session): ``engraft serve --demo`` on a free loopback port, in a subprocess, with a
  synthetic demo cohort in a temporary SQLite file (its own ``ENGRAFT_HOME``; cookies without Secure, as
  the server is plain HTTP on loopback). Its log is shown if it does not come up.
- ``browser`` (session): Debian's Chromium (``/usr/bin/chromium``, or ``ENGRAFT_CHROMIUM``); no browser
  download. Missing Chromium or Playwright skips (fails under ``ENGRAFT_REQUIRE_ALL_TESTS=1``).
- ``open_page(path, language="en")``: a fresh browser context (its own cookies) in that language, with every
  request to another host aborted, and checked after the test: no request left the machine, no Content
  Security Policy violation, no uncaught script error.
- ``assert_accessible(page)``: axe-core (vendored, loaded from /static) finds no serious or critical issue.
- ``screenshot(page, name)``: ``out/screenshots/<name>.<language>.png`` (git-ignored), to look at.
- ``sign_in_as(role, language="en")``: a new account of that role (made in the served database by the real
  account service) signed in through the real ``POST /api/auth/sign-in`` from a fresh browser context;
  returns the page, at ``/``. Its account is on ``page.engraft_account``.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest

from engraft.access import Role
from engraft.registry.accounts import AccountPolicy, AccountService
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService
from tests.auth_clients import FAST_HASHER
from tests.conftest import REPO_ROOT, require

CHROMIUM = Path(os.environ.get("ENGRAFT_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT_DIR = REPO_ROOT / "out" / "screenshots"
STARTUP_SECONDS = 180
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
BROWSER_LOCALES = {"en": "en-GB", "zh_Hans": "zh-CN"}
AXE_BLOCKING_IMPACTS = ("serious", "critical")
E2E_PASSWORD = "e2e password 1234"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    """A running ``engraft serve``: its base URL, database URL and home folder."""

    url: str
    database_url: str
    home: Path
    log: Path
    process: subprocess.Popen[bytes]


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/api/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    server.process.kill()
    log = server.log.read_text(errors="replace")[-4000:]
    pytest.fail(f"engraft serve did not come up at {server.url} (exit {server.process.poll()}); log:\n{log}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``engraft serve --demo`` on a free loopback port (a small demo cohort, a temporary SQLite file)."""
    home = tmp_path_factory.mktemp("e2e-home")
    database_url = f"sqlite:///{home / 'engraft.db'}"
    port = _free_port()
    # The server seals second-factor secrets under the tests' server key, which the tests' own account
    # service (served_accounts) uses on the same database: both must hold the same key.
    kept = {"ENGRAFT_IMGT_DIR", "ENGRAFT_SECRET_KEY"}
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ENGRAFT_") or key in kept}
    environment |= {"ENGRAFT_HOME": str(home), "ENGRAFT_COOKIE_SECURE": "0", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-c",
        "from engraft.cli import app; app()",
        "serve",
        "--demo",
        "--database",
        database_url,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--demo-transplants",
        "40",
        "--demo-donors",
        "300",
        "--mllp-port",
        "0",
        "--no-ward-feed",
    ]
    log = home / "serve.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, env=environment, stdout=log_file, stderr=subprocess.STDOUT, cwd=home)
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, home, log, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    require(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the Python package playwright is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that no page may do: requests to other hosts, CSP violations, script errors."""

    external_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {url}" for url in self.external_requests]
            + [f"CSP violation: {text}" for text in self.csp_violations]
            + [f"script error: {text}" for text in self.script_errors]
        )


@pytest.fixture
def open_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """``open_page("/docs", language="zh_Hans")``: a new browser (own cookies) in that language, at that page.

    Every request to a host other than this machine is aborted and recorded; after the test, any such
    request, any Content-Security-Policy violation and any uncaught script error fails it.
    """
    contexts: list[Any] = []
    watches: list[PageWatch] = []

    def block_external(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
            route.continue_()
        else:
            watches[-1].external_requests.append(route.request.url)
            route.abort()

    def make(path: str = "/", *, language: str = "en", wait_until: str = "load") -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale=BROWSER_LOCALES[language],
            viewport={"width": 1280, "height": 860},
        )
        contexts.append(context)
        watch = PageWatch()
        watches.append(watch)
        context.route("**/*", block_external)
        page = context.new_page()

        def on_console(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                watch.csp_violations.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: watch.script_errors.append(str(error)))
        page.goto(path, wait_until=wait_until)
        return page

    yield make
    problems = [problem for watch in watches for problem in watch.problems()]
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


_serial = itertools.count(1)


@pytest.fixture(scope="session")
def served_accounts(live_server: LiveServer) -> Iterator[AccountService]:
    """The real account service on the served database (as ``engraft serve``'s workers build it)."""
    engine = make_engine(live_server.database_url)
    registry = RegistryService(make_session_factory(engine), actor=Actor.system("e2e tests"))
    yield AccountService(registry, AccountPolicy(hasher=FAST_HASHER))
    engine.dispose()


@dataclass(frozen=True)
class BrowserAccount:
    """An account a test signed a browser in with."""

    username: str
    password: str
    role: Role
    display_name: str


@pytest.fixture
def sign_in_as(open_page: Callable[..., Any], served_accounts: AccountService) -> Callable[..., Any]:
    """``sign_in_as(Role.NURSE, language="zh_Hans")``: a page signed in as a new account with that role.

    The account (display name "Dr Mei Chen", the language as its locale; an administrator gets a confirmed
    second factor) is made by the account service in the served database; the browser signs in through
    ``POST /api/auth/sign-in`` and so holds the real session cookie. The page is left at ``/``.
    """

    def make(role: Role, *, language: str = "en", path: str = "/") -> Any:
        username = f"e2e.{role.value.replace('_', '-')}.{next(_serial)}"
        new = NewUser(username=username, display_name="Dr Mei Chen", role=role, locale=language)  # type: ignore[arg-type]
        made = served_accounts.create_user(new, E2E_PASSWORD)
        body = {"username": username, "password": E2E_PASSWORD}
        if role is Role.ADMIN:
            setup = served_accounts.begin_totp(made.user.id)
            totp = pyotp.TOTP(setup.secret)
            served_accounts.confirm_totp(made.user.id, totp.at(served_accounts.now().timestamp() - 30))
            body["code"] = totp.now()
        page = open_page("/api/health", language=language)
        answer = page.request.post("/api/auth/sign-in", data=body)
        assert answer.status == 200, answer.text()
        page.engraft_account = BrowserAccount(username, E2E_PASSWORD, role, "Dr Mei Chen")
        page.goto(path)
        return page

    return make


def page_language(page: Any) -> str:
    """The page's language code (``en``, ``zh_Hans``), from ``<html lang>``."""
    tag = str(page.evaluate("document.documentElement.lang"))
    return tag.replace("-", "_")


def assert_accessible(page: Any, *, exclude: tuple[str, ...] = ()) -> None:
    """axe-core (from /static/vendor) finds no serious or critical violation on the page as it is now.

    ``exclude``: CSS selectors of regions not ours to fix (third-party widgets), left out of the run.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    context = json.dumps({"exclude": [[selector] for selector in exclude]}) if exclude else "document"
    results = page.evaluate(f"async () => await axe.run({context}, {{resultTypes: ['violations']}})")
    blocking = [v for v in results["violations"] if v.get("impact") in AXE_BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"axe found serious/critical issues on {page.url}:\n{report}"


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as ``out/screenshots/<name>.<language>.png`` and return the path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.{page_language(page)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
