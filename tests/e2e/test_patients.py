"""The patient pages in a real browser: open the list, filter it (htmx), open a patient, both languages, axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engraft.access import Role
from tests.e2e.conftest import assert_accessible, page_language, screenshot

pytestmark = pytest.mark.e2e

TEXT = {
    "en": {"patients": "Patients", "phase": "Phase", "follow_up": "Follow-up (after day 100)", "alerts": "Alerts"},
    "zh_Hans": {"patients": "患者", "phase": "阶段", "follow_up": "随访（第 100 天后）", "alerts": "警示"},
}


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_list_filter_open_a_patient(sign_in_as: Callable[..., Any], language: str) -> None:
    words = TEXT[language]
    page = sign_in_as(Role.PHYSICIAN, language=language, path="/patients")
    assert page_language(page) == language
    assert page.locator("h1").inner_text() == words["patients"]
    rows = page.locator(".patient-table tbody tr")
    assert rows.count() == 25  # the first page of the 44 demo patients (40 transplants, 4 CAR-T)
    assert_accessible(page)
    screenshot(page, "patients-list")

    # filter by phase: htmx replaces the results and pushes the URL
    page.get_by_label(words["phase"]).select_option("follow-up")
    page.wait_for_url("**/patients?*phase=follow-up*")
    page.wait_for_load_state("networkidle")
    phases = page.locator(".patient-table tbody tr td:last-child").all_inner_texts()
    assert phases and all(words["follow_up"] in text for text in phases)

    # search by the first row's family name
    first_name = page.locator(".patient-table tbody tr td:first-child a").first.inner_text()
    family = first_name.split(",")[0]
    page.locator("#patient-search").fill(family)
    page.wait_for_url(f"**q={family}*")
    page.wait_for_load_state("networkidle")
    names = page.locator(".patient-table tbody tr td:first-child a").all_inner_texts()
    assert names and all(family in name for name in names)
    screenshot(page, "patients-list-filtered")

    # next page links work as plain links too
    page.goto("/patients?page=2")
    assert page.locator(".patient-table tbody tr").count() == 19

    page.goto("/patients")  # the first transplant (a CAR-T record draws no engraftment threshold)
    page.locator(".patient-table tbody tr:not(:has-text('DEMO-CART')) td:first-child a").first.click()
    page.wait_for_load_state()
    assert "/patients/" in page.url
    assert page.get_by_role("heading", name=words["alerts"]).is_visible()
    charts = page.locator(".lab-chart svg")
    assert charts.count() >= 5
    assert page.locator(".timeline-figure svg").count() >= 1
    assert page.locator(".day-chart__threshold").count() >= 2
    assert_accessible(page)
    screenshot(page, "patient-record")
