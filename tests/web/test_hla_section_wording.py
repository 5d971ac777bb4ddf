"""The patient page's HLA section when nothing is typed: it speaks of donors only where the episode has donors
(an autologous transplant or a CAR-T infusion of the patient's own cells has none) (en, zh)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.vocabulary import CellTherapy, DonorRelation
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY

HTML = {"accept": "text/html"}
NO_TYPING = {
    "en": ("No HLA typing recorded for the patient.", "No HLA typing recorded for the patient or the donors."),
    "zh_Hans": ("患者未登记 HLA 分型。", "患者和供者均未登记 HLA 分型。"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("hla-section") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    registry = application.state.registry
    registry.create_centre(CentreIn(code="C1", name="Centre C1", country="GB"))
    donor = registry.create_donor(DonorIn(donor_code="D-SIB-1", relation=DonorRelation.MATCHED_SIBLING)).id
    patients = {}
    for key, transplant_type, cell_therapy, donors in (
        ("autologous", "autologous", CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, []),
        ("car_t", "autologous", CellTherapy.IMMUNE_EFFECTOR_CELLS, []),
        ("allogeneic", "allogeneic", CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, [donor]),
    ):
        patient = registry.create_patient(PatientIn(centre="C1", sex="male", birth_date=dt.date(1975, 5, 5))).id
        registry.create_episode(
            EpisodeIn(
                patient_id=patient,
                centre="C1",
                transplant_type=transplant_type,
                graft_source="peripheral blood",
                cell_therapy=cell_therapy,
                day0=dt.date(2025, 2, 3),
                donor_ids=donors,
            )
        )
        patients[key] = patient
    application.state.patients = patients
    return application


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize(("key", "with_donors"), [("autologous", False), ("car_t", False), ("allogeneic", True)])
def test_the_hla_section_names_donors_only_where_the_episode_has_some(
    app: FastAPI, client_for: object, locale: str, key: str, with_donors: bool
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = client.get(f"/patients/{app.state.patients[key]}", headers=HTML)
    assert page.status_code == 200
    expected = NO_TYPING[locale][1 if with_donors else 0]
    assert expected in page.text
    assert NO_TYPING[locale][0 if with_donors else 1] not in page.text
