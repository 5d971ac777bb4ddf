"""Database fixtures (a plugin of tests/conftest.py): each runs on a fresh SQLite file and PostgreSQL schema."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from engraft.api.app import create_app
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.service import RegistryService
from tests.conftest import require

POSTGRES_URL = os.environ.get("ENGRAFT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@contextmanager
def fresh_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'engraft.db'}"
        return
    require(_postgres_available(), f"PostgreSQL not reachable at {POSTGRES_URL.split('@')[-1]}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine: Engine) -> RegistryService:
    return RegistryService(make_session_factory(engine), actor="test")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, migrate=False)) as test_client:
        yield test_client


@pytest.fixture
def seeded(client: TestClient, hla_release: str) -> dict[str, int]:
    """A centre, an adult patient with AML, a matched unrelated donor and an allogeneic episode.

    The donor's HLA typing needs the configured IPD-IMGT/HLA release (``hla_release``).
    """
    assert client.post("/api/centres", json={"code": "C1", "name": "Centre One", "country": "GB"}).status_code == 201
    patient = client.post(
        "/api/patients",
        json={
            "centre": "C1",
            "sex": "female",
            "birth_date": "1970-05-17",
            "abo": "A",
            "rh": "positive",
            "cmv_serostatus": "positive",
            "height_cm": 165,
            "weight_kg": 62,
            "identity": {"given_name": "Ann", "family_name": "Example", "mrn": "MRN-1"},
        },
    ).json()
    diagnosis = client.post(
        "/api/diagnoses",
        json={
            "patient_id": patient["id"],
            "who_name": "Acute myeloid leukaemia with NPM1 mutation",
            "icd10": "C92.0",
            "diagnosis_date": "2024-01-10",
            "status_at_transplant": "CR1",
        },
    ).json()
    donor = client.post(
        "/api/donors",
        json={
            "donor_code": "D-1",
            "relation": "matched unrelated",
            "age_years": 28,
            "sex": "male",
            "cmv_serostatus": "negative",
            "eligibility": "eligible",
            "hla_gl_string": "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02",
            "markers": [{"test": "HBsAg", "result": "non-reactive", "result_date": "2024-04-20"}],
        },
    ).json()
    episode = client.post(
        "/api/episodes",
        json={
            "patient_id": patient["id"],
            "diagnosis_id": diagnosis["id"],
            "centre": "C1",
            "transplant_type": "allogeneic",
            "graft_source": "peripheral blood",
            "day0": "2024-05-01",
            "donor_ids": [donor["id"]],
            "conditioning": [
                {"drug": "fludarabine", "total_dose": 150, "unit": "mg/m2"},
                {"drug": "busulfan", "total_dose": 6.4, "unit": "mg/kg"},
            ],
            "gvhd_prophylaxis": ["tacrolimus", "methotrexate"],
            "cd34_per_kg": 5.2,
            "tnc_per_kg": 9.1,
            "tnc_unit": "10*8/kg",
            "viability_pct": 97,
        },
    ).json()
    return {"patient": patient["id"], "diagnosis": diagnosis["id"], "donor": donor["id"], "episode": episode["id"]}


def utc(*args: int) -> str:
    return dt.datetime(*args, tzinfo=dt.UTC).isoformat()
