"""``engraft serve``: how many worker processes, migrations once in the parent, the app each worker builds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from engraft.access import Role
from engraft.api.app import THREADS_ENV, SchemaNotCurrent, app_from_environment
from engraft.api.routes_donor_search import DONOR_STORE_ENV, HF_SET_ENV
from engraft.cli.main import MAX_DEFAULT_WORKERS, plan_serving, worker_count
from engraft.registry.database import DATABASE_URL_ENV
from engraft.registry.migrate import current_revision, head_revision
from tests.auth_clients import http_client_signed_in, team_client
from tests.cli.test_serve_demo import _free_port, _wait_for_health
from tests.database_fixtures import fresh_database


@pytest.mark.parametrize(
    ("requested", "dialect", "cpus", "expected"),
    [
        pytest.param(None, "postgresql", 1, 1, id="postgresql-1-cpu"),
        pytest.param(None, "postgresql", 2, 2, id="postgresql-2-cpus"),
        pytest.param(None, "postgresql", MAX_DEFAULT_WORKERS, MAX_DEFAULT_WORKERS, id="postgresql-at-cap"),
        pytest.param(None, "postgresql", MAX_DEFAULT_WORKERS + 1, MAX_DEFAULT_WORKERS, id="postgresql-above-cap"),
        pytest.param(None, "postgresql", 64, MAX_DEFAULT_WORKERS, id="postgresql-64-cpus"),
        pytest.param(None, "sqlite", 1, 1, id="sqlite-1-cpu"),
        pytest.param(None, "sqlite", 16, 1, id="sqlite-16-cpus"),
        pytest.param(3, "sqlite", 16, 3, id="sqlite-explicit"),
        pytest.param(12, "postgresql", 2, 12, id="postgresql-explicit-above-cap"),
        pytest.param(1, "postgresql", 16, 1, id="postgresql-explicit-one"),
    ],
)
def test_worker_count(requested: int | None, dialect: str, cpus: int, expected: int) -> None:
    assert worker_count(requested, dialect, cpus) == expected


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_plan_migrates_once_and_hands_workers_the_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with fresh_database(kind, tmp_path_factory) as url:
        plan = plan_serving(url, demo=False, workers=None, cpus=2)
        assert plan.dialect == kind
        assert plan.workers == (2 if kind == "postgresql" else 1)
        assert HF_SET_ENV not in plan.environment
        engine = create_engine(plan.environment[DATABASE_URL_ENV])
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()


def test_plan_refuses_an_in_memory_database() -> None:
    with pytest.raises(ValueError, match="in-memory SQLite"):
        plan_serving("sqlite://", demo=False, workers=None)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_factory_builds_a_working_app_from_the_environment(
    kind: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database(kind, tmp_path_factory) as url:
        plan = plan_serving(url, demo=False, workers=None)
        for name, value in plan.environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(DONOR_STORE_ENV, str(tmp_path / "no-store-here"))
        monkeypatch.setenv(THREADS_ENV, "3")
        app = app_from_environment()
        assert app.state.engine.pool.size() == 3  # one pooled connection per request served at once
        with team_client(app) as client:
            assert client.get("/api/health").json()["database"] == kind
            assert client.post("/api/centres", json={"code": "C1", "name": "One", "country": "GB"}).status_code == 201
            created = client.post("/api/patients", json={"centre": "C1", "sex": "male", "birth_date": "1980-01-01"})
            assert created.status_code == 201, created.text
            assert client.get("/api/patients").json()["total"] == 1
            assert client.get("/api/health/ready").json()["status"] == "ready"
            search = client.post("/api/donor-search", json={"patient": "HLA-A*01:01+HLA-A*02:01"})
            assert search.status_code == 503  # the donor store named by the environment does not exist
        app.state.engine.dispose()


def test_factory_refuses_a_database_that_is_not_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    with pytest.raises(SchemaNotCurrent, match="engraft db upgrade"):
        app_from_environment()


@pytest.mark.postgres
def test_serve_runs_several_workers_on_postgresql(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with fresh_database("postgresql", tmp_path_factory) as url:
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        with create_engine(url).connect() as conn:  # an empty schema: serve migrates it before starting workers
            assert conn.scalar(text(tables)) == 0
        port = _free_port()
        env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
        command = [sys.executable, "-m", "engraft", "serve", "--database", url, "--port", str(port), "--workers", "2"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for_health(f"{base}/api/health", process, limit_s=120)
            assert httpx.get(f"{base}/api/patients").status_code == 401  # nobody signed in
            with http_client_signed_in(base, url, Role.ADMIN) as admin:
                assert admin.post("/api/centres", json={"code": "C1", "name": "One", "country": "GB"}).is_success
            with http_client_signed_in(base, url, Role.DATA_MANAGER) as manager:
                assert all(manager.get("/api/patients").json()["total"] == 0 for _ in range(10))
        finally:
            process.send_signal(signal.SIGINT)
            _out, err = process.communicate(timeout=60)
        log = err.decode()
        assert "2 worker processes" in log
        assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 2, log
