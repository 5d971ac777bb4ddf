"""Registry fixtures (SQLite and PostgreSQL) shared with tests/registry, a second empty database, sample data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, PatientIn
from engraft.registry.service import RegistryService
from tests.conftest import require_hla_release
from tests.database_templates import DatabaseTemplates


@pytest.fixture
def other_service(database_kind: str, database_templates: DatabaseTemplates) -> Iterator[RegistryService]:
    """A second, empty registry on the same kind of database as ``service``."""
    with database_templates.copy(database_kind) as url:
        other = make_engine(url)
        try:
            yield RegistryService(make_session_factory(other), actor="test-import")
        finally:
            other.dispose()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.UTC)


def populate(registry: RegistryService) -> dict[str, Any]:
    """A small registry touching every table and most column types (HLA typings need the release)."""
    require_hla_release()
    registry.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
    registry.create_centre(CentreIn(code="C2", name="Zentrum Zwei – Köln", country="DE"))
    ann = registry.create_patient(
        PatientIn.model_validate(
            {
                "registry_id": "ENG-ANN01",
                "centre": "C1",
                "sex": "female",
                "birth_date": "1970-05-17",
                "abo": "A",
                "rh": "positive",
                "cmv_serostatus": "positive",
                "height_cm": 165.5,
                "weight_kg": 62,
                "hla_gl_string": "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02",
                "identity": {"given_name": "Ann", "family_name": 'Example, "Jr"', "mrn": "MRN-1"},
            }
        )
    )
    bob = registry.create_patient(
        PatientIn.model_validate(
            {"registry_id": "ENG-BOB02", "centre": "C2", "sex": "male", "birth_date": "2012-02-29"}
        )
    )
    cy = registry.create_patient(
        PatientIn.model_validate(
            {
                "registry_id": "ENG-CY003",
                "centre": "C2",
                "sex": "other",
                "birth_date": "1958-11-03",
                "identity": {"given_name": "Cy", "family_name": "Zed", "mrn": "Z-9"},
            }
        )
    )
    aml = registry.create_diagnosis(
        DiagnosisIn.model_validate(
            {
                "patient_id": ann.id,
                "who_name": "Acute myeloid leukaemia with NPM1 mutation",
                "icd10": "C92.0",
                "diagnosis_date": "2024-01-10",
                "status_at_transplant": "CR1",
            }
        )
    )
    all_ = registry.create_diagnosis(
        DiagnosisIn.model_validate(
            {
                "patient_id": bob.id,
                "who_name": "B-lymphoblastic leukaemia",
                "icd10": "C91.0",
                "diagnosis_date": "2023-06-01",
            }
        )
    )
    myeloma = registry.create_diagnosis(
        DiagnosisIn.model_validate(
            {
                "patient_id": cy.id,
                "who_name": "Plasma cell myeloma",
                "icd10": "C90.0",
                "diagnosis_date": "2023-09-15",
                "status_at_transplant": "PR",
            }
        )
    )
    mud = registry.create_donor(
        DonorIn.model_validate(
            {
                "donor_code": "D-1",
                "relation": "matched unrelated",
                "age_years": 28,
                "sex": "male",
                "abo": "O",
                "rh": "negative",
                "cmv_serostatus": "negative",
                "eligibility": "eligible",
                "consent_date": "2024-03-01",
                "hla_gl_string": "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02",
                "markers": [
                    {"test": "HBsAg", "result": "non-reactive", "result_date": "2024-04-20"},
                    {"test": "HIV-1 NAT", "result": "non-reactive", "result_date": "2024-04-20"},
                ],
            }
        )
    )
    cord1 = registry.create_donor(DonorIn.model_validate({"donor_code": "CBU-1", "relation": "cord blood unit"}))
    cord2 = registry.create_donor(
        DonorIn.model_validate(
            {
                "donor_code": "CBU-2",
                "relation": "cord blood unit",
                "eligibility": "eligible with documented urgent medical need",
                "markers": [{"test": "CMV antibody", "result": "reactive", "result_date": "2023-12-01"}],
            }
        )
    )
    auto = registry.create_donor(DonorIn.model_validate({"donor_code": "AUTO-CY", "relation": "autologous"}))
    ep_ann = registry.create_episode(
        EpisodeIn.model_validate(
            {
                "patient_id": ann.id,
                "diagnosis_id": aml.id,
                "centre": "C1",
                "transplant_type": "allogeneic",
                "graft_source": "peripheral blood",
                "day0": "2024-05-01",
                "donor_ids": [mud.id],
                "conditioning": [
                    {"drug": "fludarabine", "total_dose": 150, "unit": "mg/m2"},
                    {"drug": "busulfan", "total_dose": 6.4, "unit": "mg/kg"},
                ],
                "gvhd_prophylaxis": ["tacrolimus", "methotrexate"],
                "cd34_per_kg": 5.2,
                "tnc_per_kg": 9.1,
                "tnc_unit": "10*8/kg",
                "viability_pct": 97,
            }
        )
    )
    ep_bob = registry.create_episode(
        EpisodeIn.model_validate(
            {
                "patient_id": bob.id,
                "diagnosis_id": all_.id,
                "centre": "C2",
                "transplant_type": "allogeneic",
                "graft_source": "cord blood",
                "day0": "2023-10-02",
                "donor_ids": [cord2.id, cord1.id],
                "tbi_dose_gy": 12,
                "tbi_fractions": 6,
                "tnc_per_kg": 3.5,
                "tnc_unit": "10*7/kg",
            }
        )
    )
    ep_cy1 = registry.create_episode(
        EpisodeIn.model_validate(
            {
                "patient_id": cy.id,
                "diagnosis_id": myeloma.id,
                "centre": "C2",
                "transplant_type": "autologous",
                "graft_source": "peripheral blood",
                "day0": "2024-01-20",
                "donor_ids": [auto.id],
                "conditioning": [{"drug": "melphalan", "total_dose": 200, "unit": "mg/m2"}],
            }
        )
    )
    ep_cy2 = registry.create_episode(
        EpisodeIn.model_validate(
            {
                "patient_id": cy.id,
                "centre": "C2",
                "transplant_type": "autologous",
                "graft_source": "peripheral blood",
                "day0": "2024-07-20",
            }
        )
    )
    events = [
        (ann.id, ep_ann.id, "neutrophil engraftment", "2024-05-15", {}),
        (
            ann.id,
            ep_ann.id,
            "acute GVHD",
            "2024-06-01",
            {"grade": 2, "skin_stage": 3, "lower_gi_stage": 1, "grading_system": "MAGIC"},
        ),
        (ann.id, ep_ann.id, "chronic GVHD", "2024-11-20", {"severity": "moderate", "systemic_treatment": True}),
        (
            bob.id,
            ep_bob.id,
            "infection",
            "2023-10-10",
            {"organism": "Klebsiella pneumoniae", "organism_class": "bacterial", "site": "blood, central line"},
        ),
        (bob.id, ep_bob.id, "SOS/VOD", "2023-10-20", {"criteria": "EBMT 2018 paediatric"}),
        (cy.id, ep_cy1.id, "relapse", "2024-06-01", {"method": "molecular"}),
        (cy.id, None, "second malignancy", "2024-09-01", {"diagnosis": "Basal cell carcinoma", "icd10": "C44.3"}),
        (
            cy.id,
            ep_cy2.id,
            "death",
            "2024-10-01",
            {"primary_cause": "primary disease", "cause_text": "progressive myeloma"},
        ),
    ]
    for patient_id, episode_id, event_type, date, details in events:
        registry.create_event(
            EventIn.model_validate(
                {
                    "patient_id": patient_id,
                    "episode_id": episode_id,
                    "event_type": event_type,
                    "event_date": date,
                    "details": details,
                }
            )
        )
    registry.create_follow_up(
        FollowUpIn.model_validate(
            {
                "patient_id": ann.id,
                "episode_id": ep_ann.id,
                "visit_date": "2024-08-01",
                "vital_status": "alive",
                "performance_scale": "karnofsky",
                "performance_score": 90,
                "disease_status": "CR1",
            }
        )
    )
    registry.create_follow_up(
        FollowUpIn.model_validate({"patient_id": cy.id, "visit_date": "2024-10-01", "vital_status": "dead"})
    )
    rows = [
        ObservationRow(ann.id, ep_ann.id, at(2024, 5, 2, 8), "751-8", 0.1, "10*9/L", "lab feed", "LAB-1"),
        ObservationRow(ann.id, ep_ann.id, at(2024, 5, 14, 8, 30), "751-8", 600.0, "/uL", "lab feed", "LAB-2"),
        ObservationRow(
            ann.id, ep_ann.id, at(2024, 5, 14, 8, 30, 0, 123456), "1975-2", 1.2, "mg/dL", "lab feed", "LAB-3"
        ),
        ObservationRow(ann.id, None, at(2024, 4, 20), "29463-7", 62.5, "kg", "manual", "W-1"),
        ObservationRow(bob.id, ep_bob.id, at(2023, 10, 5, 6), "8310-5", 101.3, "[degF]", "device", "T-1"),
        ObservationRow(cy.id, ep_cy1.id, at(2024, 2, 1), "14682-9", 88.4, "umol/L", "lab feed", "CR-1"),
    ]
    add_observations(registry, rows)
    return {"patients": [ann.id, bob.id, cy.id], "observations": len(rows)}
