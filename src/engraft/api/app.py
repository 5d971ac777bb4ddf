"""The FastAPI application: registry routes, health, OpenAPI at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, text

from engraft import __version__
from engraft.api.body_limit import BodyLimitMiddleware
from engraft.api.errors import install_error_handlers
from engraft.api.problems import install_problem_schema
from engraft.api.routes_donor_search import DonorRegistry
from engraft.api.routes_donor_search import router as donor_search_router
from engraft.api.routes_outcomes import router as outcomes_router
from engraft.api.routes_registry import router as registry_router
from engraft.api.routes_scores import router as scores_router
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.service import RegistryService
from engraft.registry.typing_validation import hla_typing_validator


def create_app(
    engine: Engine | None = None,
    *,
    migrate: bool = True,
    validate_hla: bool = True,
    donor_registry: DonorRegistry | None = None,
) -> FastAPI:
    """Build the API on ``engine`` (default: ``ENGRAFT_DATABASE_URL`` or the SQLite file).

    With ``migrate`` the schema is brought up to date first, so a new SQLite file just works. With
    ``validate_hla``, stored HLA typings are checked against the configured IMGT/HLA release.
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
    validator, hla_release = hla_typing_validator() if validate_hla else (None, None)
    app.state.registry = RegistryService(make_session_factory(engine), actor="api", typing_validator=validator)
    app.state.donor_registry = donor_registry or DonorRegistry()
    app.add_middleware(BodyLimitMiddleware)
    install_error_handlers(app)
    install_problem_schema(app)
    app.include_router(registry_router)
    app.include_router(scores_router)
    app.include_router(outcomes_router)
    app.include_router(donor_search_router)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "version": __version__,
            "database": engine.dialect.name,
            "hla_release": hla_release or "not configured: HLA typings are checked for GL String syntax only",
        }

    return app
