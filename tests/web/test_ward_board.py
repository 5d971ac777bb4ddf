"""The ward board: alerts across patients for the clinical team, acknowledge and resolve by form (CSRF), the
patient page's Alerts region, both languages."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.registry.alerts import list_alerts
from engraft.registry.database import make_session_factory
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.observations import add_observation_inputs
from engraft.registry.schemas.alerts import AlertFilter
from engraft.registry.schemas.clinical import ObservationIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import GraftSource, Sex, TransplantType
from tests.auth_clients import SignedInClient
from tests.web.page_checks import external_references, inline_code

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def board_patient(web_app: FastAPI) -> tuple[int, int]:
    """A patient with a bilirubin of 3 mg/dL on day 4, evaluated on day 4: the bilirubin warning (and the
    possible SOS/VOD alert the same value raises in an adult in the first 21 days)."""
    service = RegistryService(make_session_factory(web_app.state.engine), actor="test")
    service.create_centre(CentreIn(code="WB1", name="Ward Board Centre", country="GB"))
    patient = service.create_patient(PatientIn(centre="WB1", sex=Sex.MALE, birth_date=dt.date(1971, 4, 5)))
    episode = service.create_episode(
        EpisodeIn(
            patient_id=patient.id,
            centre="WB1",
            transplant_type=TransplantType.AUTOLOGOUS,
            graft_source=GraftSource.PERIPHERAL_BLOOD,
            day0=dt.date(2025, 2, 1),
        )
    )
    seen = dt.datetime(2025, 2, 5, 6, tzinfo=dt.UTC)
    row = ObservationIn(
        patient_id=patient.id,
        episode_id=episode.id,
        observed_at=seen,
        loinc="1975-2",
        value=3.0,
        unit="mg/dL",
        source_id="wb-bili-1",
    )
    add_observation_inputs(service, [row])
    raised = evaluate_episode(service, episode.id, as_of=seen + dt.timedelta(hours=1)).raised
    alerts = {a.rule_id: a.id for a in list_alerts(service, AlertFilter(patient_id=patient.id)).items}
    assert set(alerts) == {"bilirubin-2-mg-dl", "sos-vod-ebmt-2016-adult"} and sorted(raised) == sorted(alerts.values())
    return patient.id, alerts["bilirubin-2-mg-dl"]


def test_the_board_lists_the_alert_and_a_nurse_acknowledges_it(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    patient_id, alert_id = board_patient
    nurse = client_as(Role.NURSE)
    page = nurse.get("/ward-board", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert f'id="alert-{alert_id}"' in html and "Bilirubin at or above 2 mg/dL" in html
    assert "badge--warn" in html and f'href="/patients/{patient_id}"' in html
    assert inline_code(html) == [] and external_references(html) == []
    answer = nurse.post(
        f"/ward-board/alerts/{alert_id}/acknowledge",
        data={"csrf_token": nurse.csrf_token, "version": "1"},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ward-board?done=acknowledged"
    after = nurse.get("/ward-board?done=acknowledged", headers=HTML).text
    assert "The alert is acknowledged." in after and f"by {nurse.account.username}" in after
    stale = nurse.post(
        f"/ward-board/alerts/{alert_id}/acknowledge",
        data={"csrf_token": nurse.csrf_token, "version": "1"},
        headers=HTML,
        follow_redirects=False,
    )
    assert stale.headers["location"] == "/ward-board?done=stale"


def test_the_patient_page_shows_the_alert(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    patient_id, alert_id = board_patient
    page = client_as(Role.PHYSICIAN).get(f"/patients/{patient_id}", headers=HTML).text
    assert f'href="/ward-board#alert-{alert_id}"' in page and "Bilirubin at or above 2 mg/dL" in page


def test_a_data_manager_sees_the_board_without_the_buttons(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    html = client_as(Role.DATA_MANAGER).get("/ward-board", headers=HTML).text
    assert "Bilirubin at or above 2 mg/dL" in html and "/acknowledge" not in html and "/resolve" not in html


def test_the_board_in_chinese(client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]) -> None:
    html = client_as(Role.NURSE, locale="zh_Hans").get("/ward-board", headers=HTML).text
    assert "病房看板" in html and "严重程度" in html


BILIRUBIN_EXPLANATION = (
    "3 mg/dL (at or above 2 mg/dL) on day +4 "
    "(Example centre threshold: total bilirubin >= 2 mg/dL (34.2 umol/L at 17.1))."
)
BILIRUBIN_EXPLANATION_ZH = (
    "第 +4 天 3 mg/dL（≥ 2 mg/dL）（示例中心阈值：总胆红素 >= 2 mg/dL（按 17.1 换算为 34.2 umol/L））。"
)
UNITS = {"mg/dL", "umol/L"}


def _row_cells(html: str, alert_id: int) -> list[str]:
    """The texts of the board's cells in the row of alert ``alert_id`` (tags dropped, entities read)."""
    row = re.search(rf'<tr id="alert-{alert_id}">(.*?)</tr>', html, re.DOTALL)
    assert row is not None, f"no row for alert {alert_id}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)
    return [html_text.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_the_board_in_chinese_explains_the_bilirubin_alert_in_chinese(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    _patient_id, alert_id = board_patient
    cells = _row_cells(client_as(Role.NURSE, locale="zh_Hans").get("/ward-board", headers=HTML).text, alert_id)
    title, explanation = cells[2], cells[4]
    assert title.startswith("胆红素 ≥ 2 mg/dL") and "bilirubin-2-mg-dl" in title
    assert explanation == BILIRUBIN_EXPLANATION_ZH
    english = [w for w in re.findall(r"[A-Za-z][A-Za-z/]*", explanation) if w not in UNITS]
    assert english == [], f"English left in the explanation: {english}"


def test_the_board_in_english_explains_the_bilirubin_alert_as_the_engine_wrote_it(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    _patient_id, alert_id = board_patient
    cells = _row_cells(client_as(Role.NURSE).get("/ward-board", headers=HTML).text, alert_id)
    assert cells[2].startswith("Bilirubin at or above 2 mg/dL") and cells[4] == BILIRUBIN_EXPLANATION


def test_the_patient_page_in_chinese_shows_the_alert_in_chinese(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    patient_id, _alert_id = board_patient
    page = html_text.unescape(
        client_as(Role.PHYSICIAN, locale="zh_Hans").get(f"/patients/{patient_id}", headers=HTML).text
    )
    assert "胆红素 ≥ 2 mg/dL" in page and BILIRUBIN_EXPLANATION_ZH in page
    assert "Bilirubin at or above 2 mg/dL" not in page and BILIRUBIN_EXPLANATION not in page


def test_the_live_update_is_wired_without_inline_script(
    client_as: Callable[..., SignedInClient], board_patient: tuple[int, int]
) -> None:
    client = client_as(Role.PHYSICIAN)
    html = client.get("/ward-board", headers=HTML).text
    assert 'data-stream="/api/alerts/stream"' in html and "ward-board" in html
    fragment = client.get("/ward-board/table", headers=HTML)
    assert fragment.status_code == 200 and "<table" in fragment.text and "<html" not in fragment.text
