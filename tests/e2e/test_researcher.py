"""The researcher never sees a name or MRN anywhere: every page and download a researcher can reach from the
navigation, followed one link deep, in both languages, checked against every identity in the served registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select

from engraft.access import Role
from engraft.registry.models import PatientIdentity
from tests.e2e.conftest import LiveServer, screenshot

SKIP_PATHS = ("/sign-out", "/language", "/static/", "/docs", "/openapi.json")


def _identities(live_server: LiveServer) -> set[str]:
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(PatientIdentity.given_name, PatientIdentity.family_name, PatientIdentity.mrn)
            ).all()
    finally:
        engine.dispose()
    return {value for row in rows for value in row if value and len(value) >= 4}


def _links(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h.startswith("/") and not h.startswith("//") and not h.startswith(SKIP_PATHS)]


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_no_name_or_mrn_reaches_a_researcher(
    sign_in_as: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    secrets = _identities(live_server)
    assert len(secrets) > 20  # the demo cohort's names and MRNs
    page = sign_in_as(Role.RESEARCHER, language=language)
    screenshot(page, "researcher-home")
    seen: set[str] = set()
    to_visit = ["/", *_links(page)]
    depth = {path: 0 for path in to_visit}
    leaks: list[tuple[str, str]] = []
    while to_visit:
        path = to_visit.pop(0)
        if path in seen:
            continue
        seen.add(path)
        answer = page.request.get(path)
        body = answer.text() if answer.ok else ""
        leaks += [(path, s) for s in secrets if s in body]
        content_type = answer.headers.get("content-type", "")
        if answer.ok and "text/html" in content_type and depth[path] < 2:
            page.goto(path)
            for link in _links(page):
                if urlsplit(link).path not in {urlsplit(s).path for s in seen} and link not in depth:
                    depth[link] = depth[path] + 1
                    to_visit.append(link)
    assert len(seen) >= 4, seen  # home, risk, outcomes and their links at least
    assert leaks == []
    for path in ("/patients", "/api/patients?include_identity=true", "/api/patients/1"):
        assert page.request.get(path).status == 403, path
