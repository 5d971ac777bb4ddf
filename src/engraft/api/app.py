"""The FastAPI application: registry routes, health, OpenAPI at ``/openapi.json``.

:func:`create_app` builds the API on a given engine (tests, embedding). :func:`app_from_environment` is
the factory each uvicorn worker process calls (``engraft serve`` runs several on PostgreSQL): it reads its
whole configuration from the environment and never migrates, since workers starting together would race;
``engraft serve`` brings the schema up to date once, in the parent, before it starts them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from engraft import __version__
from engraft.api.auth import AuthSettings, PrincipalMiddleware, declare_permissions, install_security_schemes
from engraft.api.body_limit import BodyLimitMiddleware
from engraft.api.errors import install_error_handlers
from engraft.api.problems import install_problem_schema
from engraft.api.routes_admin import router as admin_router
from engraft.api.routes_alerts import router as alerts_router
from engraft.api.routes_audit import router as audit_router
from engraft.api.routes_auth import router as auth_router
from engraft.api.routes_donor_search import DonorRegistry
from engraft.api.routes_donor_search import router as donor_search_router
from engraft.api.routes_fhir import router as fhir_router
from engraft.api.routes_health import DatabaseProbe, health_of
from engraft.api.routes_health import router as health_router
from engraft.api.routes_outcome_models import router as outcome_models_router
from engraft.api.routes_outcomes import router as outcomes_router
from engraft.api.routes_registry import router as registry_router
from engraft.api.routes_reports import router as reports_router
from engraft.api.routes_research import router as research_router
from engraft.api.routes_saved_donor_searches import router as saved_donor_searches_router
from engraft.api.routes_scores import router as scores_router
from engraft.config.monitoring_rules import centre_rule_text
from engraft.config.server_heap import settle_start_up_heap
from engraft.registry.accounts import AccountPolicy, AccountService
from engraft.registry.accounts_policy import Clock, utc_clock
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.episode_changes import evaluate_on_change
from engraft.registry.migrate import current_revision, head_revision, upgrade
from engraft.registry.monitoring_worker import HandOff, start_monitoring
from engraft.registry.service import RegistryService
from engraft.registry.typing_validation import hla_typing_validator, refusing_validator

THREADS_ENV = "ENGRAFT_API_THREADS"
DEFAULT_THREADS = 8
"""Requests a worker process serves at once (its thread pool), and so the database connections it keeps open.

The registry routes are synchronous and spend much of their time waiting on the database, so a
worker needs some threads; but on a small machine more threads than this mostly contend for the
interpreter lock. Each worker keeps one pooled connection per thread, so no request opens one."""
APP_FACTORY = "engraft.api.app:app_from_environment"
"""Import string of the worker factory, for ``uvicorn.run(APP_FACTORY, factory=True)``."""


API_ROUTERS: tuple[APIRouter, ...] = (
    health_router,
    fhir_router,  # the feeds' and the ward board's routes first: matched at every message, before the rest
    alerts_router,
    registry_router,
    scores_router,
    outcomes_router,
    outcome_models_router,
    donor_search_router,
    saved_donor_searches_router,
    audit_router,
    auth_router,
    admin_router,
    research_router,
    reports_router,
)
"""Every router of the API, in the order they are matched."""


class SchemaNotCurrent(RuntimeError):
    """The database schema is not at this version's newest migration (a worker does not migrate)."""


def create_app(
    engine: Engine | None = None,
    *,
    migrate: bool = True,
    validate_hla: bool = True,
    donor_registry: DonorRegistry | None = None,
    threads: int | None = None,
    account_policy: AccountPolicy | None = None,
    auth_settings: AuthSettings | None = None,
    clock: Clock = utc_clock,
    monitor_results: bool = False,
    settle_heap: bool = False,
) -> FastAPI:
    """Build the API on ``engine`` (default: ``ENGRAFT_DATABASE_URL`` or the SQLite file).

    With ``migrate`` the schema is brought up to date first, so a new SQLite file just works. HLA typings
    are never stored unchecked: with ``validate_hla`` they are checked against the configured IMGT/HLA
    release (and refused when none is configured); ``validate_hla=False`` loads no release and refuses
    every typing (records without one are unaffected). ``threads`` bounds the requests served at once
    (default: AnyIO's 40). ``account_policy`` sets session lifetimes, lockout and the password hasher;
    ``auth_settings`` the cookie (default: from the environment, Secure unless ``ENGRAFT_COOKIE_SECURE=0``);
    ``clock`` is what the account service calls now (tests pass their own). With ``monitor_results`` (the
    worker factory sets it) the app evaluates each episode whose results a feed commits, in a worker thread
    (:func:`engraft.registry.monitoring_worker.start_monitoring`), while it runs, on PostgreSQL also those a
    feed listener hands over (:mod:`engraft.registry.monitoring_handoff`), and each episode whose day 0, graft
    source or cell therapy an edit changes, or whose patient's birth date one changes
    (:func:`engraft.registry.episode_changes.evaluate_on_change`). With
    ``settle_heap`` (the worker factory sets it) the process freezes its start-up heap out of the garbage
    collector's full passes once started (:mod:`engraft.config.server_heap`).
    """
    engine = engine or make_engine()
    if migrate:
        upgrade(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        if settle_heap:  # a worker process lives on: its start-up heap out of the collector's full passes
            settle_start_up_heap()
        if not monitor_results:
            yield
            return
        registry: RegistryService = _app.state.registry
        worker, stop = start_monitoring(
            registry.for_actor(Actor.system("monitoring")), centre_rule_text, hand_off=HandOff.EVALUATOR
        )
        disconnect = evaluate_on_change(worker)  # an episode or birth date edit that changes what the rules read
        try:
            yield
        finally:
            disconnect()
            stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Engraft",
        version=__version__,
        description="Haematopoietic stem cell transplant registry, risk and outcomes API.",
    )
    app.state.engine = engine
    if validate_hla:
        validator, hla_release = hla_typing_validator()
    else:
        validator, hla_release = refusing_validator("this server was started without HLA validation"), None
    sessions = make_session_factory(engine)
    app.state.registry = RegistryService(sessions, actor="api", typing_validator=validator)
    app.state.accounts = AccountService(RegistryService(sessions, actor="api"), account_policy, clock)
    app.state.auth_settings = auth_settings or AuthSettings.from_environment()
    app.state.donor_registry = donor_registry or DonorRegistry()
    app.state.health = health_of(engine, __version__, hla_release)
    app.state.database_probe = DatabaseProbe(engine)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(PrincipalMiddleware)
    install_error_handlers(app)
    install_problem_schema(app)
    install_security_schemes(app)
    routers = API_ROUTERS
    app.state.route_permissions = declare_permissions(routers)  # every route's one permission, or no app
    for router in routers:
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The API as one worker process builds it, configured by the environment only.

    ``ENGRAFT_DATABASE_URL`` (else the default SQLite file), ``ENGRAFT_DONOR_STORE`` (else beside the
    database), ``ENGRAFT_IMGT_DIR`` for the HLA release, ``ENGRAFT_HF_SET`` for haplotype frequencies
    (``engraft serve --demo`` writes the synthetic demo set to a file and names it there). Raises
    :class:`SchemaNotCurrent` when the schema is not at the newest migration: run ``engraft db upgrade``
    (``engraft serve`` does it).
    """
    threads = int(os.environ.get(THREADS_ENV, DEFAULT_THREADS))
    # one pooled connection per thread, plus two for the readiness probe and the odd request outside the pool
    engine = make_engine(pool_size=threads, max_overflow=2)
    current, head = current_revision(engine), head_revision()
    if current != head:
        engine.dispose()
        raise SchemaNotCurrent(
            f"database {engine.url.render_as_string()} is at schema revision {current or 'none (empty)'}, "
            f"this Engraft needs {head}: run `engraft db upgrade` first"
        )
    return create_app(
        engine,
        migrate=False,
        donor_registry=DonorRegistry(),
        threads=threads,
        monitor_results=True,
        settle_heap=True,
    )
