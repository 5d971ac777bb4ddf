"""The ICANS alert on the ward board and the patient page, in English as the engine wrote it and in Chinese."""

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
from engraft.vocabulary import CellTherapy, GraftSource, Sex, TransplantType
from tests.auth_clients import SignedInClient
from tests.web.test_ward_board import HTML, _row_cells

NAMES_KEPT = {"ICANS", "ICE", "UTC", "ASTCT", "Lee"}
"""Names the Chinese text keeps in Latin letters."""


@pytest.fixture(scope="module")
def icans_alert(web_app: FastAPI) -> tuple[int, int]:
    """A CAR-T patient with an ICE score of 5 on day 4 and a rapidly resolving seizure an hour later."""
    service = RegistryService(make_session_factory(web_app.state.engine), actor="test")
    service.create_centre(CentreIn(code="WB3", name="CAR-T Centre", country="GB"))
    patient = service.create_patient(PatientIn(centre="WB3", sex=Sex.FEMALE, birth_date=dt.date(1968, 7, 9)))
    episode = service.create_episode(
        EpisodeIn(
            patient_id=patient.id,
            centre="WB3",
            transplant_type=TransplantType.AUTOLOGOUS,
            graft_source=GraftSource.PERIPHERAL_BLOOD,
            cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
            day0=dt.date(2025, 2, 1),
        )
    )
    seen = dt.datetime(2025, 2, 5, 8, tzinfo=dt.UTC)
    rows = [
        ObservationIn(
            patient_id=patient.id,
            episode_id=episode.id,
            observed_at=seen + dt.timedelta(hours=hour),
            loinc=code,
            value=value,
            unit=unit,
            source_id=f"wb-icans-{hour}",
        )
        for hour, code, value, unit in ((0, "ENGRAFT-ICE", 5.0, "{score}"), (1, "ENGRAFT-SEIZURE", 1.0, "1"))
    ]
    add_observation_inputs(service, rows)
    evaluate_episode(service, episode.id, as_of=seen + dt.timedelta(hours=2))
    (alert,) = list_alerts(service, AlertFilter(patient_id=patient.id)).items
    assert alert.rule_id == "icans-iec"
    return patient.id, alert.id


def test_the_board_shows_the_icans_alert_as_the_engine_wrote_it(
    client_as: Callable[..., SignedInClient], icans_alert: tuple[int, int]
) -> None:
    _patient_id, alert_id = icans_alert
    cells = _row_cells(client_as(Role.NURSE).get("/ward-board", headers=HTML).text, alert_id)
    assert cells[2].startswith("ICANS after immune effector cells") and "icans-iec" in cells[2]
    assert cells[4].startswith("ICANS grade 3 from 2025-02-05 08:00 UTC, day +4")


def test_the_board_and_the_patient_page_in_chinese(
    client_as: Callable[..., SignedInClient], icans_alert: tuple[int, int]
) -> None:
    patient_id, alert_id = icans_alert
    cells = _row_cells(client_as(Role.NURSE, locale="zh_Hans").get("/ward-board", headers=HTML).text, alert_id)
    title, explanation = cells[2], cells[4]
    assert title.startswith("免疫效应细胞治疗后的免疫效应细胞相关神经毒性综合征")
    assert explanation.startswith("ICANS 3 级：免疫效应细胞输注后第 +4 天") and "迅速缓解的癫痫发作" in explanation
    english = [w for w in re.findall(r"[A-Za-z][A-Za-z/]*", explanation) if w not in NAMES_KEPT]
    assert english == [], f"English left in the explanation: {english}"
    page = html_text.unescape(
        client_as(Role.PHYSICIAN, locale="zh_Hans").get(f"/patients/{patient_id}", headers=HTML).text
    )
    assert explanation in page and "ICANS grade 3" not in page
