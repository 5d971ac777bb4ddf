"""The composition root: what engraft serve's workers run, and the API alone left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.migrate import upgrade
from engraft.web.application import APP_FACTORY, application_from_environment, page_routers


def test_the_worker_factory_serves_pages_and_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("ENGRAFT_DATABASE_URL", url)
    module, _, name = APP_FACTORY.partition(":")
    assert (module, name) == ("engraft.web.application", "application_from_environment")
    with TestClient(application_from_environment()) as client:
        assert client.get("/", headers={"accept": "text/html"}).status_code == 200
        assert client.get("/api/health").status_code == 200
        assert "content-security-policy" in client.get("/api/health").headers


def test_the_api_alone_has_no_pages(tmp_path: Path) -> None:
    with TestClient(create_app(make_engine(f"sqlite:///{tmp_path / 'a.db'}"), validate_hla=False)) as client:
        assert client.get("/", headers={"accept": "text/html"}).status_code == 404
        assert client.get("/api/health").status_code == 200


def test_every_page_module_with_a_router_is_included() -> None:
    paths = {route.path for router in page_routers() for route in router.routes}  # type: ignore[attr-defined]
    assert {"/", "/language", "/docs"} <= paths
