"""Donor search in a real browser: a typing entered, ranked donors and the reasons; or the set-up page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engraft.access import Role
from tests.e2e.conftest import LiveServer, assert_accessible, screenshot
from tests.e2e.test_risk import LANGUAGES, opened_as, shot

pytestmark = pytest.mark.e2e
PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_run_a_donor_search(open_page: Callable[..., Any], live_server: LiveServer, language: str) -> None:
    page = opened_as(open_page, live_server, Role.SEARCH_COORDINATOR, "/donor-search", language)
    assert_accessible(page)
    if page.locator("#ds-gl").count() == 0:
        # the demo runs without an IPD-IMGT/HLA release: the page says what is missing instead of failing
        assert "ENGRAFT_IMGT_DIR" in page.content()
        shot(page, "donor-search-unavailable")
        return
    shot(page, "donor-search-form")
    page.locator("#ds-gl").fill(PATIENT)
    page.locator("#ds-max_mismatches").select_option("4")
    page.locator("#ds-donor_type").select_option("any")
    page.locator("#ds-patient_cmv").select_option("negative")
    page.locator("#ds-predict").fill("3")
    page.locator("#donor-search-page form button[type=submit]").click()
    page.locator("#ds-results").wait_for()
    rows = page.locator("table.donor-table tbody tr")
    if rows.count():
        first = page.locator("details.donor-detail").first
        first.locator("summary").click()
        assert first.locator("ol.rank-why li").count() >= 5
        assert page.locator("table.donor-table thead th", has_text="DPB1").count() >= 1
    assert_accessible(page)
    shot(page, "donor-search-results")


FULL_PATIENT = PATIENT + "^HLA-DPB1*04:01+HLA-DPB1*02:01^HLA-DQA1*01:02+HLA-DQA1*05:01"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_donors_match_detail(open_page: Callable[..., Any], live_server: LiveServer, language: str) -> None:
    """The first donor's detail: confidence per position, counts per locus, the prediction's genotype sources."""
    page = opened_as(open_page, live_server, Role.SEARCH_COORDINATOR, "/donor-search", language)
    if page.locator("#ds-gl").count() == 0:
        pytest.skip("the demo runs without an IPD-IMGT/HLA release: nothing to search")
    page.locator("#ds-gl").fill(FULL_PATIENT)
    page.locator("#ds-max_mismatches").select_option("4")
    page.locator("#ds-predict").fill("3")
    page.locator("#donor-search-page form button[type=submit]").first.click()
    page.locator("#ds-results").wait_for()
    if page.locator("details.donor-detail").count() == 0:
        pytest.skip("no donor within four mismatches in the demo registry")
    first = page.locator("details.donor-detail").first
    first.locator("summary").click()
    assert first.locator("td.confidence").count() >= 10
    assert first.locator("table.locus-counts tbody tr").count() >= 6
    assert first.locator("dl.prediction-sources dd").count() == 2
    assert_accessible(page)
    first.screenshot(path=str(screenshot(page, "donor-search-detail").with_suffix(".detail.png")))


def test_a_role_without_donor_search_is_refused(open_page: Callable[..., Any], live_server: LiveServer) -> None:
    page = opened_as(open_page, live_server, Role.NURSE, "/donor-search", "en")
    assert page.locator(".error-page__status").inner_text().endswith("403")


@pytest.mark.parametrize("language", LANGUAGES)
def test_save_a_search_and_read_its_report(
    open_page: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    page = opened_as(open_page, live_server, Role.SEARCH_COORDINATOR, "/donor-search", language)
    if page.locator("#ds-gl").count() == 0:
        pytest.skip("the demo runs without an IPD-IMGT/HLA release: nothing to search")
    page.locator("#ds-gl").fill(PATIENT)
    page.locator("#ds-max_mismatches").select_option("2")
    page.locator("#ds-predict").fill("3")
    page.locator("#donor-search-page form button[type=submit]").first.click()
    page.locator("#ds-results").wait_for()
    page.locator("#ds-save-note").fill("e2e")
    page.locator("form.save-search button[type=submit]").click()
    page.locator(".search-report").wait_for()
    assert page.url.rsplit("/", 2)[-2] == "saved"
    assert page.locator(".search-report table.ranking tbody tr").count() >= 1 or "No donor" in page.content()
    assert page.locator("a[href*='/report?format=pdf']").count() == 1
    assert_accessible(page)
    shot(page, "donor-search-report")
