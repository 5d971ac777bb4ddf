"""Patient-level texts name the kinds of episode the patient had: a patient who only had an immune effector
cell (CAR-T) infusion is never said to be before or without a transplant, one with both kinds keeps the
transplant beside the infusion, one with no episode yet is told neither kind is recorded (en and zh)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.schemas.clinical import EventIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, EventType
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient

HTML = {"accept": "text/html"}
HCT, CAR_T = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, CellTherapy.IMMUNE_EFFECTOR_CELLS
PAST = dt.date.today() - dt.timedelta(days=400)
RECENT = dt.date.today() - dt.timedelta(days=30)
TOMORROW = dt.date.today() + dt.timedelta(days=1)  # the latest day 0 the registry takes (a scheduled infusion)
PATIENTS: dict[str, tuple[tuple[CellTherapy, dt.date], ...]] = {
    "car_t": ((CAR_T, RECENT),),
    "car_t_soon": ((CAR_T, TOMORROW),),
    "hct": ((HCT, PAST),),
    "hct_soon": ((HCT, TOMORROW),),
    "both": ((HCT, PAST), (CAR_T, RECENT)),
    "both_soon": ((HCT, PAST), (CAR_T, TOMORROW)),
    "none": (),
}


def _add_patient(registry: RegistryService, episodes: tuple[tuple[CellTherapy, dt.date], ...]) -> int:
    """A patient with one diagnosis (status CR1), ``episodes`` of it and a relapse linked to no episode."""
    patient = registry.create_patient(PatientIn(centre="C1", sex="female", birth_date=dt.date(1970, 1, 1))).id
    diagnosis = registry.create_diagnosis(
        DiagnosisIn(
            patient_id=patient,
            who_name="Diffuse large B-cell lymphoma",
            icd10="C83.3",
            diagnosis_date=PAST - dt.timedelta(days=200),
            status_at_transplant="CR1",
        )
    ).id
    for cell_therapy, day0 in episodes:
        registry.create_episode(
            EpisodeIn(
                patient_id=patient,
                diagnosis_id=diagnosis,
                centre="C1",
                transplant_type="autologous",
                graft_source="peripheral blood",
                cell_therapy=cell_therapy,
                day0=day0,
            )
        )
    registry.create_event(
        EventIn(
            patient_id=patient,
            event_type=EventType.RELAPSE,
            event_date=PAST - dt.timedelta(days=30),
            details={"method": "haematological"},
        )
    )
    return patient


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One patient of each kind in :data:`PATIENTS` (their ids on ``app.state.patients``)."""
    path: Path = tmp_path_factory.mktemp("patient-kinds") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    registry = application.state.registry
    registry.create_centre(CentreIn(code="C1", name="Centre C1", country="GB"))
    application.state.patients = {key: _add_patient(registry, episodes) for key, episodes in PATIENTS.items()}
    return application


def _record(app: FastAPI, client: SignedInClient, key: str) -> str:
    page = client.get(f"/patients/{app.state.patients[key]}", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    return page.text


def _heading(page: str, heading_id: str) -> str:
    found = re.search(rf'<h2 id="{heading_id}">(.*?)</h2>', page, re.S)
    assert found is not None, heading_id
    return found.group(1)


def _diagnosis_columns(page: str) -> list[str]:
    start = page.index('aria-labelledby="diagnoses-heading"')
    table = page[start : page.index("</thead>", start)]
    return re.findall(r'<th scope="col">(.*?)</th>', table)


RECORD_WORDS = {
    # patient: (episodes heading, diagnosis status column, heading of the events linked to no episode)
    "en": {
        "car_t": ("Immune effector cell infusions", "Status at infusion", "Events without an infusion"),
        "hct": ("Transplants", "Status at transplant", "Events without a transplant"),
        "both": (
            "Transplants and immune effector cell infusions",
            "Status at transplant or infusion",
            "Events without a transplant or infusion",
        ),
        "none": (
            "Transplants and immune effector cell infusions",
            "Status at transplant or infusion",
            "Events without a transplant or infusion",
        ),
    },
    "zh_Hans": {
        "car_t": ("免疫效应细胞输注", "输注时疾病状态", "未关联输注的事件"),
        "hct": ("移植", "移植时疾病状态", "未关联移植的事件"),
        "both": ("移植与免疫效应细胞输注", "移植或输注时疾病状态", "未关联移植或输注的事件"),
        "none": ("移植与免疫效应细胞输注", "移植或输注时疾病状态", "未关联移植或输注的事件"),
    },
}
NOTHING_RECORDED = {
    "en": ("No transplant or immune effector cell infusion recorded yet.", "No transplant recorded yet."),
    "zh_Hans": ("尚未登记移植或免疫效应细胞输注。", "尚未登记移植。"),
}
TRANSPLANT_ONLY_WORDS = {
    "en": ("Status at transplant<", "Events without a transplant<", "No transplant recorded yet."),
    "zh_Hans": ("移植时疾病状态", "未关联移植的事件", "尚未登记移植。"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize("key", ["car_t", "hct", "both", "none"])
def test_the_record_page_names_the_kinds_of_episode_the_patient_had(
    app: FastAPI, client_for: object, locale: str, key: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _record(app, client, key)
    heading, status, unlinked = RECORD_WORDS[locale][key]
    assert _heading(page, "transplants-heading") == heading
    assert _diagnosis_columns(page)[-1] == status
    assert _heading(page, "other-events-heading") == unlinked
    nothing_yet, old_nothing_yet = NOTHING_RECORDED[locale]
    assert (nothing_yet in page) is (key == "none")
    assert old_nothing_yet not in page


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_car_t_only_record_page_says_transplant_nowhere_outside_its_notes(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _record(app, client, "car_t")
    for word in TRANSPLANT_ONLY_WORDS[locale]:
        assert word not in page


PHASES = {
    # the list's phase of each patient; a day 0 tomorrow is still ahead
    "en": {
        "car_t": "Day 0 to 100",
        "car_t_soon": "Pre-infusion",
        "hct": "Follow-up (after day 100)",
        "hct_soon": "Pre-transplant",
        "both": "Day 0 to 100",
        "both_soon": "Pre-infusion",
        "none": "Before transplant or infusion",
    },
    "zh_Hans": {
        "car_t": "第 0 至 100 天",
        "car_t_soon": "输注前",
        "hct": "随访（第 100 天后）",
        "hct_soon": "移植前",
        "both": "第 0 至 100 天",
        "both_soon": "输注前",
        "none": "移植或输注前",
    },
}


def _phases(page: str, patients: dict[str, int]) -> dict[str, str]:
    """Each patient's phase in the list's rows."""
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    shown = {}
    for key, patient in patients.items():
        row = next(row for row in rows if f'href="/patients/{patient}"' in row)
        phase = re.search(r'<span class="phase phase--[a-z_]+">(.*?)</span>', row)
        assert phase is not None, row
        shown[key] = phase.group(1)
    return shown


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_list_phase_before_day0_names_the_newest_episode_kind(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = client.get("/patients", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert _phases(page.text, app.state.patients) == PHASES[locale]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_phase_filter_before_day0_names_both_kinds_and_finds_them(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = client.get("/patients?phase=pre-transplant", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    option = re.search(r'<option value="pre-transplant" selected>(.*?)</option>', page.text)
    assert option is not None and option.group(1) == PHASES[locale]["none"]
    found = {key for key, patient in app.state.patients.items() if f'href="/patients/{patient}"' in page.text}
    assert found == {"car_t_soon", "hct_soon", "both_soon", "none"}
