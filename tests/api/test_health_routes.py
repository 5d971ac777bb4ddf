"""``/api/health`` asks no database; ``/api/health/ready`` asks it, at most once per interval."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from engraft import __version__
from engraft.api.app import create_app
from engraft.api.routes_health import NO_HLA_RELEASE, READINESS_INTERVAL_S, DatabaseProbe
from engraft.registry.database import make_engine


class Clock:
    """A clock the test moves by hand, so the interval is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database_traffic(engine: Engine) -> Iterator[list[str]]:
    """Every connection checkout (a ping on PostgreSQL) and every statement sent on ``engine``."""
    seen: list[str] = []

    def checkout(*_args: Any) -> None:
        seen.append("checkout")

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", statement)
    yield seen
    event.remove(engine.pool, "checkout", checkout)
    event.remove(engine, "before_cursor_execute", statement)


def test_liveness_reports_without_touching_the_database(client: TestClient, database_traffic: list[str]) -> None:
    for _ in range(20):
        response = client.get("/api/health")
        assert response.status_code == 200
    assert database_traffic == []
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["database"] in {"sqlite", "postgresql"}
    assert isinstance(body["hla_release"], str) and body["hla_release"]


def test_liveness_says_when_no_hla_release_validates_typings(engine: Engine) -> None:
    with TestClient(create_app(engine, migrate=False, validate_hla=False)) as client:
        assert client.get("/api/health").json()["hla_release"] == NO_HLA_RELEASE


def test_liveness_names_the_configured_release(engine: Engine, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    with TestClient(create_app(engine, migrate=False)) as client:
        assert client.get("/api/health").json()["hla_release"] == "3.58.0"


def test_readiness_asks_the_database_once_per_interval(
    client: TestClient, engine: Engine, database_traffic: list[str]
) -> None:
    probe = client.app.state.database_probe  # type: ignore[attr-defined]
    first = [client.get("/api/health/ready") for _ in range(10)]
    assert {r.status_code for r in first} == {200}
    assert {r.json()["status"] for r in first} == {"ready"}
    assert probe.checks == 1
    assert [s for s in database_traffic if s != "checkout" and not s.startswith("BEGIN")] == ["SELECT 1"]
    assert {r.json()["checked_at"] for r in first} == {first[0].json()["checked_at"]}
    assert first[0].json()["database"] == engine.dialect.name


@pytest.mark.parametrize(
    ("advance_s", "checks"),
    [
        pytest.param(0.0, 1, id="same-instant"),
        pytest.param(READINESS_INTERVAL_S - 0.01, 1, id="just-inside-interval"),
        pytest.param(READINESS_INTERVAL_S, 2, id="interval-elapsed"),
        pytest.param(60.0, 2, id="long-after"),
    ],
)
def test_probe_interval_boundary(engine: Engine, advance_s: float, checks: int) -> None:
    clock = Clock()
    probe = DatabaseProbe(engine, clock=clock)
    assert probe.readiness().status == "ready"
    clock.now += advance_s
    assert probe.readiness().status == "ready"
    assert probe.checks == checks


def test_readiness_is_503_when_the_database_does_not_answer() -> None:
    # Nothing listens on port 1 of this machine: the connection is refused at once.
    unreachable = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    app = create_app(unreachable, migrate=False, validate_hla=False)
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200  # alive, though not ready
        response = client.get("/api/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "postgresql"
    assert "did not answer" in body["problem"] and "OperationalError" in body["problem"]
    unreachable.dispose()


def test_openapi_documents_both_health_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/api/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }
    assert "503" in spec["paths"]["/api/health/ready"]["get"]["responses"]
    assert set(spec["components"]["schemas"]["Health"]["properties"]) == {
        "status",
        "version",
        "database",
        "hla_release",
    }
