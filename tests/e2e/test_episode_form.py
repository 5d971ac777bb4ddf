"""The cell-therapy form in a real browser, on a demo CAR-T patient: the patient page names the infusion, the form
changes the kind with htmx, and the server's monitoring re-evaluates the episode, so its possible CRS appears on
the patient page (both languages, axe)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from engraft.access import Role
from engraft.registry.database import make_engine
from engraft.registry.models import Patient
from tests.e2e.conftest import LiveServer, assert_accessible, page_language, screenshot

pytestmark = pytest.mark.e2e

TEXT = {
    "en": {
        "heading": "Immune effector cell infusion 1",
        "link": "Change the kind of cell therapy",
        "hct": "Haematopoietic cell transplant",
        "iec": "Immune effector cells (CAR-T)",
        "store": "Store the change",
        "stored": "Stored:",
        "crs": "Possible CRS",
        "form_hct": "Cell therapy of transplant 1",
        "form_iec": "Cell therapy of immune effector cell infusion 1",
    },
    "zh_Hans": {
        "heading": "第 1 次免疫效应细胞输注",
        "link": "更改细胞治疗类型",
        "hct": "造血细胞移植",
        "iec": "免疫效应细胞（CAR-T）",
        "store": "保存更改",
        "stored": "已保存：",
        "crs": "可能的 CRS",
        "form_hct": "第 1 次移植的细胞治疗类型",
        "form_iec": "第 1 次免疫效应细胞输注的细胞治疗类型",
    },
}
CAR_T_PATIENT = {"en": "DEMO-CART-04", "zh_Hans": "DEMO-CART-02"}
"""A demo CAR-T patient per language (grade 3 with hypotension and oxygen; grade 2 with hypotension)."""


def _patient_id(live_server: LiveServer, registry_id: str) -> int:
    engine = make_engine(live_server.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(Patient.id).where(Patient.registry_id == registry_id)) or 0)
    finally:
        engine.dispose()


def _reload_until(page: Any, text: str) -> bool:
    """Reload the page until ``text`` is in its alerts (the server's worker evaluates in the background); 60 s."""
    pause = threading.Event()
    for _ in range(120):
        if text in page.locator("#alerts").inner_text():
            return True
        pause.wait(0.5)
        page.reload()
    return False


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_a_physician_corrects_the_cell_therapy_and_the_possible_crs_appears(
    sign_in_as: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    words = TEXT[language]
    patient = _patient_id(live_server, CAR_T_PATIENT[language])
    assert patient
    page = sign_in_as(Role.PHYSICIAN, language=language, path=f"/patients/{patient}")
    assert page_language(page) == language
    assert page.get_by_role("heading", name=words["heading"]).is_visible()
    assert words["iec"].lower() in page.locator(".cell-therapy").inner_text().lower()

    page.get_by_role("link", name=words["link"]).click()
    page.wait_for_url("**/edit")
    assert page.locator("h1").inner_text() == words["form_iec"]
    assert page.get_by_label(words["iec"]).is_checked()
    assert_accessible(page)
    screenshot(page, "episode-cell-therapy-form")

    # recorded as a transplant by mistake, then corrected: each change is stored through htmx (no page load)
    page.get_by_label(words["hct"]).check()
    page.get_by_role("button", name=words["store"]).click()
    page.locator("#episode-form .notice--ok").wait_for()
    assert words["stored"] in page.locator("#episode-form .notice--ok").inner_text()
    assert page.get_by_label(words["hct"]).is_checked()
    assert page.locator("h1").inner_text() == words["form_hct"]  # the heading renamed out of band
    page.get_by_label(words["iec"]).check()
    page.get_by_role("button", name=words["store"]).click()
    page.locator(f"#episode-form .notice--ok:has-text('{words['iec']}')").wait_for()
    assert page.locator("h1").inner_text() == words["form_iec"]
    assert_accessible(page)
    screenshot(page, "episode-cell-therapy-stored")

    page.goto(f"/patients/{patient}")
    assert _reload_until(page, words["crs"]), "no possible-CRS alert on the patient page after the change"
    assert_accessible(page)
    screenshot(page, "car-t-patient-record")


NOT_A_TRANSPLANT = {
    "en": (
        "The transplant risk assessment and the risk explanation for the patient and family do not apply to "
        "immune effector cell therapy.",
        "Not for immune effector cell therapy",
    ),
    "zh_Hans": ("移植风险评估以及给患者及家属的风险说明不适用于免疫效应细胞治疗。", "不适用于免疫效应细胞治疗"),
}


INFUSION_AXIS = {"en": ("Day from infusion", "Day from transplant"), "zh_Hans": ("输注后天数", "移植后天数")}


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_a_car_t_record_offers_no_transplant_risk_assessment(
    sign_in_as: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    note, refusal = NOT_A_TRANSPLANT[language]
    patient = _patient_id(live_server, "DEMO-CART-01")
    assert patient
    page = sign_in_as(Role.PHYSICIAN, language=language, path=f"/patients/{patient}")
    assert page.locator(".not-a-transplant").inner_text() == note
    assert page.locator("section.episode a[href*='/risk']").count() == 0  # neither the risk page nor the explanation
    assert page.locator(".day-chart__threshold").count() == 0
    infusion_axis, transplant_axis = INFUSION_AXIS[language]
    drawn = page.locator("section.episode svg").all_text_contents()
    assert drawn and all(infusion_axis in text and transplant_axis not in text for text in drawn)  # charts, timeline
    assert_accessible(page)
    screenshot(page, "car-t-record-no-transplant-risk")
    episode = page.locator("section.episode a[href$='/edit']").first.get_attribute("href")
    assert episode is not None
    page.goto(episode.removesuffix("/edit") + "/risk")
    assert page.get_by_role("heading", name=refusal).is_visible()
    assert_accessible(page)
    screenshot(page, "car-t-risk-refused")
    page.goto(episode.removesuffix("/edit") + "/consent")  # its records listed, no form to record one
    assert page.locator(".not-a-transplant").inner_text() == note and page.locator("form.consent-form").count() == 0
    assert_accessible(page)
    screenshot(page, "car-t-consent")


PATIENT_WORDS = {
    "en": ("Immune effector cell infusions", "Status at infusion"),
    "zh_Hans": ("免疫效应细胞输注", "输注时疾病状态"),
}


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_a_car_t_patient_page_names_the_infusion_over_its_episodes_and_diagnoses(
    sign_in_as: Callable[..., Any], live_server: LiveServer, language: str
) -> None:
    heading, status = PATIENT_WORDS[language]
    patient = _patient_id(live_server, "DEMO-CART-01")
    assert patient
    page = sign_in_as(Role.PHYSICIAN, language=language, path=f"/patients/{patient}")
    assert page.locator("#transplants-heading").inner_text() == heading
    assert page.locator("section[aria-labelledby='diagnoses-heading'] thead th").last.inner_text() == status
    assert_accessible(page)
    screenshot(page, "car-t-patient-page-words")
