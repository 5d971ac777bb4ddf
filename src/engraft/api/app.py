"""The FastAPI application: registry routes, health, OpenAPI at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, text

from engraft import __version__
from engraft.api.errors import install_error_handlers
from engraft.api.routes_registry import router as registry_router
from engraft.api.routes_scores import router as scores_router
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.service import RegistryService


def create_app(engine: Engine | None = None, *, migrate: bool = True) -> FastAPI:
    """Build the API on ``engine`` (default: ``ENGRAFT_DATABASE_URL`` or the SQLite file).

    With ``migrate`` the schema is brought up to date first, so a new SQLite file just works.
    """
    engine = engine or make_engine()
    if migrate:
        upgrade(engine)
    app = FastAPI(
        title="Engraft",
        version=__version__,
        description="Haematopoietic stem cell transplant registry, risk and outcomes API.",
    )
    app.state.engine = engine
    app.state.registry = RegistryService(make_session_factory(engine), actor="api")
    install_error_handlers(app)
    app.include_router(registry_router)
    app.include_router(scores_router)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": engine.dialect.name}

    return app
