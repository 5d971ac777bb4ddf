"""Outcomes in a real browser: curves with numbers at risk, activity, the benchmark loaded by htmx, downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engraft.access import Role
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.test_risk import LANGUAGES, opened_as, shot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", LANGUAGES)
def test_view_outcomes(open_page: Callable[..., Any], live_server: LiveServer, language: str) -> None:
    page = opened_as(open_page, live_server, Role.RESEARCHER, "/outcomes", language)
    page.locator("#oc-group").select_option("transplant_type")
    page.locator("form.panel button[type=submit]").click()
    page.wait_for_load_state()
    assert "group_by=transplant_type" in page.url
    figure = page.locator("img.outcome-figure")
    figure.wait_for()
    assert page.evaluate("document.querySelector('img.outcome-figure').naturalWidth") > 0, "the SVG figure loads"
    page.locator("#benchmark").wait_for(timeout=60_000)  # swapped in by htmx
    assert page.locator("#benchmark table, #benchmark .notice").count() >= 1
    assert_accessible(page)
    shot(page, "outcomes")


def test_downloads_from_the_page(open_page: Callable[..., Any], live_server: LiveServer) -> None:
    page = opened_as(open_page, live_server, Role.DATA_MANAGER, "/outcomes?endpoint=nrm", "en")
    with page.expect_download() as caught:
        page.locator('a[href^="/outcomes/download/curves/csv"]').click()
    download = caught.value
    assert download.suggested_filename == "engraft-nrm.csv"
    answer = page.request.get("/outcomes/download/activity/png")
    assert answer.ok and answer.headers["content-type"] == "image/png" and answer.body()[:4] == b"\x89PNG"
