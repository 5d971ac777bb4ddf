"""Every page declares who may open it, and the application holds to it.

The API's operations are checked by tests/api/test_deny_matrix.py against the OpenAPI document. Pages are
not in that document, so here every route the application serves outside ``/api``, ``/static`` and the
OpenAPI/docs routes is enumerated from the application itself: each must declare its permission through
:func:`engraft.web.pages_common.require_page` (or :func:`optional_principal` for a public page), and each
page without path parameters is opened by nobody and by every role: 303 to sign-in, 403 or 200 as the
policy table (:mod:`engraft.access.policy`) says. A new page without a declared permission fails here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from engraft.access import Permission, Role, allows
from engraft.web.pages_common import optional_principal
from tests.auth_clients import SignedInClient

HTML = {"Accept": "text/html"}
NOT_PAGES = ("/api", "/static", "/openapi.json")


def _calls(dependant: Dependant) -> Iterator[Callable[..., object]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def page_permission(route: APIRoute) -> Permission | None:
    """The permission a page route declares (PUBLIC for ``optional_principal``), or None when it declares none."""
    for call in _calls(route.dependant):
        if call is optional_principal:
            return Permission.PUBLIC
        if getattr(call, "__name__", "").startswith("require_page_"):
            permission = inspect.getclosurevars(call).nonlocals.get("permission")
            if isinstance(permission, Permission):
                return permission
    return None


def _flatten(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route the application serves, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


def page_routes(app: FastAPI) -> list[APIRoute]:
    routes = list(_flatten(app.routes))
    others = [r for r in routes if not isinstance(r, APIRoute | Mount) and getattr(r, "path", "") != "/openapi.json"]
    assert others == [], f"routes the matrix cannot read: {others}"
    return [
        r
        for r in routes
        if isinstance(r, APIRoute) and not r.path.startswith(NOT_PAGES) and r.path not in ("/docs", "/redoc")
    ]


def test_there_are_pages_to_check(web_app: FastAPI) -> None:
    paths = {r.path for r in page_routes(web_app)}
    assert {"/", "/patients", "/patients/{patient_id}", "/risk", "/outcomes", "/donor-search"} <= paths, paths


def test_every_page_declares_its_permission(web_app: FastAPI) -> None:
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in page_routes(web_app) if page_permission(r) is None]
    assert undeclared == []


def _plain_get_pages(app: FastAPI) -> list[tuple[str, Permission]]:
    pages = []
    for route in page_routes(app):
        permission = page_permission(route)
        if "GET" in route.methods and "{" not in route.path and permission is not None:
            pages.append((route.path, permission))
    return sorted(pages)


def test_nobody_signed_in_is_sent_to_sign_in_from_every_guarded_page(web_app: FastAPI, anonymous: TestClient) -> None:
    checked = 0
    for path, permission in _plain_get_pages(web_app):
        answer = anonymous.get(path, headers=HTML, follow_redirects=False)
        if permission is Permission.PUBLIC:
            assert answer.status_code in (200, 303), (path, answer.status_code)
            continue
        checked += 1
        assert answer.status_code == 303, (path, answer.status_code)
        assert answer.headers["location"].startswith("/sign-in?next="), (path, answer.headers["location"])
    assert checked >= 5


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_exactly_the_pages_the_policy_allows(
    web_app: FastAPI, client_as: Callable[..., SignedInClient], role: Role
) -> None:
    client = client_as(role)
    wrong = []
    for path, permission in _plain_get_pages(web_app):
        if path in ("/sign-in",):
            continue
        answer = client.get(path, headers=HTML, follow_redirects=False)
        expected = 200 if allows(role, permission) else 403
        if permission is Permission.PUBLIC and answer.status_code == 303:
            continue  # a public redirect (the language switch, the sign-in page of someone signed in)
        if answer.status_code != expected:
            wrong.append((path, permission.value, expected, answer.status_code))
    assert wrong == []


POST_EXAMPLES = {"name": "hct-ci", "episode_id": "1", "user_id": "1", "token_id": "1", "alert_id": "1"}
"""Path parameters for the POST pages (the CSRF check comes before the record is looked up)."""


def test_every_page_post_without_the_csrf_token_is_refused(
    web_app: FastAPI, client_as: Callable[..., SignedInClient]
) -> None:
    """State-changing page forms carry the session's CSRF token; without it (or with a wrong one) a POST
    from a signed-in browser with the right role is refused with 403 and changes nothing."""
    checked = []
    for route in page_routes(web_app):
        permission = page_permission(route)
        if "POST" not in route.methods or permission in (None, Permission.PUBLIC):
            continue
        role = next(r for r in sorted(Role, key=lambda r: r is Role.ADMIN) if allows(r, permission))
        client = client_as(role)
        path = route.path.format(**POST_EXAMPLES)
        for token in ("", "not-the-token"):
            client.headers.pop("X-CSRF-Token", None)
            answer = client.post(path, data={"csrf_token": token}, headers=HTML, follow_redirects=False)
            assert answer.status_code == 403, (path, token, answer.status_code)
        checked.append(path)
    assert len(checked) >= 3, checked
