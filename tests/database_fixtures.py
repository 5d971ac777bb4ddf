"""Database fixtures (a plugin of tests/conftest.py), on SQLite and PostgreSQL.

``engine`` opens a database of the test's own, already migrated: a copy of a template migrated once per
session (tests/database_templates.py); ``database_url`` is its URL, or an empty database (a new SQLite
file or PostgreSQL schema, as ``fresh_database`` gives) in tests that run the migrations themselves.
``demo_cohort_readonly`` is the shared synthetic demo cohort.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from engraft.api.app import create_app
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService
from tests.auth_clients import TEST_ACCOUNT_POLICY, team_client
from tests.conftest import require
from tests.database_templates import (
    POSTGRES_USED,
    DatabaseTemplates,
    RunInfo,
    drop_run_databases,
    make_read_only,
    postgres_available,
)
from tests.demo_cohort import DemoCohort

POSTGRES_URL = os.environ.get("ENGRAFT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUN_KEY = pytest.StashKey[RunInfo]()
RUN_ID, SHARED_DIR = "engraft_run_id", "engraft_shared_dir"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller named the run (pytest_configure_node)
        workerinput: dict[str, Any] = config.workerinput
        run = RunInfo(workerinput[RUN_ID], workerinput["workerid"], Path(workerinput[SHARED_DIR]))
    else:
        run_id = uuid.uuid4().hex[:12]
        run = RunInfo(run_id, "main", Path(tempfile.gettempdir()) / f"engraft-tests-{run_id}")
    config.stash[RUN_KEY] = run


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker shares the run's id and folder."""
    run = node.config.stash[RUN_KEY]
    node.workerinput[RUN_ID] = run.run_id
    node.workerinput[SHARED_DIR] = str(run.shared_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Controller, after every worker has finished: drop what is left of the run's databases and files."""
    run = config.stash.get(RUN_KEY, None)
    if hasattr(config, "workerinput") or run is None or not run.shared_dir.exists():
        return
    if (run.shared_dir / POSTGRES_USED).exists():
        drop_run_databases(POSTGRES_URL, run.run_id)
    shutil.rmtree(run.shared_dir, ignore_errors=True)


@contextmanager
def fresh_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'engraft.db'}"
        return
    require(postgres_available(POSTGRES_URL), f"PostgreSQL not reachable at {POSTGRES_URL.split('@')[-1]}")
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


@pytest.fixture(scope="session")
def database_templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseTemplates]:
    templates = DatabaseTemplates(request.config.stash[RUN_KEY], tmp_path_factory, POSTGRES_URL)
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def migrated_database_url(database_kind: str, database_templates: DatabaseTemplates) -> Iterator[str]:
    """A database of the test's own, migrated to head (a copy of the session's template)."""
    with database_templates.copy(database_kind) as url:
        yield url


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, database_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The test's database; code may open its own engines from the URL.

    The database of ``engine`` (so migrated to head) when the test uses ``engine`` or a fixture built on
    it (``service``, ``client``, ``seeded``); otherwise empty, for tests that run the migrations themselves.
    """
    if "migrated_database_url" in request.fixturenames:
        yield request.getfixturevalue("migrated_database_url")
        return
    with fresh_database(database_kind, tmp_path_factory) as url:
        yield url


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_cohort_readonly(
    database_kind: str, database_templates: DatabaseTemplates, hla_release: str
) -> Iterator[DemoCohort]:
    """The shared demo cohort, one read-only copy per session and database kind; writes are refused.

    Loading it stores HLA typings, which need the configured IPD-IMGT/HLA release (``hla_release``).
    """
    url = database_templates.shared_demo_copy(database_kind)
    engine = make_engine(url)
    if database_kind == "sqlite":
        make_read_only(engine)
    try:
        service = RegistryService(make_session_factory(engine), actor="test")
        yield DemoCohort(url, engine, service, database_templates.demo_load(database_kind))
    finally:
        engine.dispose()


@pytest.fixture
def demo_cohort_writable(
    database_kind: str, database_templates: DatabaseTemplates, hla_release: str
) -> Iterator[DemoCohort]:
    """A writable copy of the shared demo cohort of the test's own (for reads through the signed-in API)."""
    with database_templates.demo_copy(database_kind) as url:
        engine = make_engine(url)
        try:
            service = RegistryService(make_session_factory(engine), actor="test")
            yield DemoCohort(url, engine, service, database_templates.demo_load(database_kind))
        finally:
            engine.dispose()


@pytest.fixture
def service(engine: Engine) -> RegistryService:
    return RegistryService(make_session_factory(engine), actor="test")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The API on the test's database, called by a team of signed-in accounts (tests/auth_clients.py): each
    request goes out as a member whose role may make it."""
    with team_client(create_app(engine, migrate=False, account_policy=TEST_ACCOUNT_POLICY)) as test_client:
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
