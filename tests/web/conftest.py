"""The whole application (API + pages) on a migrated SQLite file, and clients signed in as a given role.

Until authentication lands (engraft.api.auth), a signed-in request is made by :class:`AsPrincipal`, which
puts a principal on the request state exactly where authentication will; the pages read nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from engraft.access import Principal, PrincipalKind, Role
from engraft.registry.database import make_engine
from engraft.web.application import create_application


class AsPrincipal:
    """ASGI wrapper: every request acts for ``principal`` (``request.state.principal``)."""

    def __init__(self, app: ASGIApp, principal: Principal | None) -> None:
        self.app = app
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["principal"] = self.principal
        await self.app(scope, receive, send)


def principal_of(role: Role, *, locale: str = "en", name: str = "Dr Ada Lin") -> Principal:
    """A session principal in ``role``."""
    return Principal(
        user_id=7, username=f"{role.value}1", role=role, kind=PrincipalKind.SESSION, display_name=name, locale=locale
    )


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The whole application on its own migrated SQLite file (no HLA release)."""
    path = tmp_path_factory.mktemp("web") / "engraft.db"
    return create_application(make_engine(f"sqlite:///{path}"), validate_hla=False)


@pytest.fixture
def anonymous(web_app: FastAPI) -> Iterator[TestClient]:
    """A browser nobody has signed in with."""
    with TestClient(web_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client_as(web_app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """``client_as(Role.NURSE, locale="zh_Hans")``: a browser signed in in that role."""
    clients: list[TestClient] = []

    def make(role: Role, **kwargs: str) -> TestClient:
        client = TestClient(AsPrincipal(web_app, principal_of(role, **kwargs)), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
