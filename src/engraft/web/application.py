"""The composition root: the API plus the pages, static files, error pages and security headers.

:func:`create_application` takes the same arguments as :func:`engraft.api.app.create_app` and returns the
whole server; ``engraft serve`` runs :func:`application_from_environment` in each worker (:data:`APP_FACTORY`).
The API alone (``create_app``) stays usable for API tests.

Pages: every module of :mod:`engraft.web.pages` that has a ``router`` is included (in name order), so a
new page module needs no change here; it registers its navigation entry itself
(:func:`engraft.web.sections.register`).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Final

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from engraft.api.app import app_from_environment, create_app
from engraft.api.auth import AuthSettings
from engraft.api.routes_donor_search import DonorRegistry
from engraft.registry.accounts import AccountPolicy
from engraft.registry.accounts_policy import Clock, utc_clock
from engraft.web import pages
from engraft.web.error_pages import install_page_error_handlers
from engraft.web.i18n import load_all
from engraft.web.security_headers import SecurityHeadersMiddleware
from engraft.web.templating import STATIC_DIR, STATIC_PREFIX

APP_FACTORY: Final = "engraft.web.application:application_from_environment"
"""Import string of the worker factory, for ``uvicorn.run(APP_FACTORY, factory=True)``."""


def page_routers() -> list[APIRouter]:
    """The ``router`` of every module in :mod:`engraft.web.pages`, in module-name order."""
    routers: list[APIRouter] = []
    for module_info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pages.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers


def add_pages(app: FastAPI) -> FastAPI:
    """Add pages, static files, HTML error pages and security headers to an API built by ``create_app``."""
    load_all()
    # FastAPI's own /docs and /redoc load their scripts from a CDN: the docs page (pages/api_docs.py)
    # serves Swagger UI from /static/vendor instead.
    app.docs_url = None
    app.redoc_url = None
    app.router.routes[:] = [
        route
        for route in app.router.routes
        if getattr(route, "path", None) not in {"/docs", "/docs/oauth2-redirect", "/redoc"}
    ]
    for router in page_routers():
        app.include_router(router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    install_page_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def create_application(
    engine: Engine | None = None,
    *,
    migrate: bool = True,
    validate_hla: bool = True,
    donor_registry: DonorRegistry | None = None,
    threads: int | None = None,
    account_policy: AccountPolicy | None = None,
    auth_settings: AuthSettings | None = None,
    clock: Clock = utc_clock,
) -> FastAPI:
    """The whole server on ``engine``: :func:`engraft.api.app.create_app` (same arguments) plus the pages."""
    api = create_app(
        engine,
        migrate=migrate,
        validate_hla=validate_hla,
        donor_registry=donor_registry,
        threads=threads,
        account_policy=account_policy,
        auth_settings=auth_settings,
        clock=clock,
    )
    return add_pages(api)


def application_from_environment() -> FastAPI:
    """The whole server as one worker process builds it (see :func:`engraft.api.app.app_from_environment`)."""
    return add_pages(app_from_environment())
