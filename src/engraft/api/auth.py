"""Who a request acts for, and whether it may: sessions, bearer tokens, permissions, CSRF.

:class:`PrincipalMiddleware` resolves the principal once per request, before any route or page runs, from
the ``engraft_session`` cookie (a server-side session) or an ``Authorization: Bearer <token>`` header (an
API token), and puts it on ``request.state.principal`` (an :class:`engraft.access.Principal`, or ``None``).
Pages and routes read it with :func:`principal_of`; :func:`csrf_token` gives the session's anti-forgery token
for a page's forms and htmx requests.

Every API route declares exactly one :class:`~engraft.access.Permission` with :func:`require` (in its
``dependencies``); :func:`route_permission` reads it back, so tests can list route -> permission.
``require`` answers 401 (with ``WWW-Authenticate``) when nobody is signed in, 403 when the role lacks the
permission, when a session request that changes something lacks its CSRF token, or when the account must
first change its password or (an administrator) set up a second factor.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.params import Depends
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from engraft.access import Permission, Principal, PrincipalKind
from engraft.api.problems import problem_responses
from engraft.api.request_body import RequestProblem
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_sessions import SignedIn
from engraft.registry.audit import Actor
from engraft.registry.service import RegistryService

SESSION_COOKIE: Final = "engraft_session"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
"""The form field an HTML form sends the CSRF token in (htmx and fetch send the header instead)."""
COOKIE_SECURE_ENV: Final = "ENGRAFT_COOKIE_SECURE"
"""``0`` drops the cookie's Secure flag: only for a server on plain HTTP at a loopback address (the demo)."""
WWW_AUTHENTICATE: Final = {"WWW-Authenticate": 'Bearer realm="engraft", cookie="engraft_session"'}
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_SCHEME: Final = "apiToken"
COOKIE_SCHEME: Final = "sessionCookie"
SECURITY_SCHEMES: Final[dict[str, dict[str, str]]] = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token issued by an administrator (`engraft tokens issue` or POST /api/admin/tokens), "
        "sent as `Authorization: Bearer <token>`. A request with this header is never cookie-authenticated.",
    },
    COOKIE_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The session cookie POST /api/auth/sign-in sets. A request with it that changes something "
        f"must also send the session's CSRF token (from sign-in or GET /api/auth/me) in `{CSRF_HEADER}`.",
    },
}
"""The OpenAPI ``securitySchemes``: the two credentials :class:`PrincipalMiddleware` accepts."""
SECURITY_REQUIREMENT: Final[list[dict[str, list[str]]]] = [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}]
"""Every non-public operation's ``security``: either scheme will do."""
_STATE_PRINCIPAL, _STATE_SESSION, _STATE_FAULT = "principal", "signed_in", "auth_unavailable"


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """How the session cookie is set."""

    secure_cookie: bool = True
    """Send the cookie over HTTPS only. Off only for plain HTTP on a loopback address (``engraft serve --demo``)."""

    @classmethod
    def from_environment(cls) -> AuthSettings:
        return cls(secure_cookie=os.environ.get(COOKIE_SECURE_ENV, "1") != "0")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ---- resolving the principal -----------------------------------------------------------------
def _credentials(headers: Headers) -> tuple[str | None, str | None]:
    """(bearer token, session token) as the request presents them."""
    bearer = None
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        bearer = value.strip()
    session = None
    for part in headers.get("cookie", "").split(";"):
        name, _, cookie_value = part.strip().partition("=")
        if name == SESSION_COOKIE and cookie_value:
            session = cookie_value.strip('"')
    return bearer, session


class PrincipalMiddleware:
    """Resolve each request's principal once (pure ASGI; the database is asked on a worker thread) with the
    application's account service (``app.state.accounts``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            state[_STATE_PRINCIPAL], state[_STATE_SESSION], state[_STATE_FAULT] = None, None, False
            bearer, session = _credentials(Headers(scope=scope))
            if bearer is not None or session is not None:
                try:
                    accounts: AccountService = scope["app"].state.accounts
                    principal, signed_in = await anyio.to_thread.run_sync(_resolve, accounts, bearer, session)
                except SQLAlchemyError:
                    state[_STATE_FAULT] = True
                else:
                    state[_STATE_PRINCIPAL], state[_STATE_SESSION] = principal, signed_in
        await self.app(scope, receive, send)


def _resolve(
    accounts: AccountService, bearer: str | None, session: str | None
) -> tuple[Principal | None, SignedIn | None]:
    if bearer is not None:  # a bearer header wins: such a request is never cookie-authenticated
        return accounts.resolve_token(bearer), None
    assert session is not None
    signed_in = accounts.resolve_session(session)
    return (None, None) if signed_in is None else (signed_in.principal, signed_in)


def principal_of(request: Request) -> Principal | None:
    """The account the request acts for (``None``: nobody signed in). Set by :class:`PrincipalMiddleware`."""
    principal: Principal | None = getattr(request.state, _STATE_PRINCIPAL, None)
    return principal


def signed_in_session(request: Request) -> SignedIn | None:
    """The request's live session (``None`` for API tokens and anonymous requests)."""
    signed_in: SignedIn | None = getattr(request.state, _STATE_SESSION, None)
    return signed_in


def csrf_token(request: Request) -> str | None:
    """The anti-forgery token of the request's session, for a page to put in its forms (``csrf_token``) and
    htmx requests (``X-CSRF-Token``). ``None`` when the request has no session."""
    signed_in = signed_in_session(request)
    return None if signed_in is None else signed_in.csrf_token


def actor_of(request: Request) -> Actor:
    """The audit log's actor for this request: the signed-in user or token, its address and user agent."""
    principal = principal_of(request)
    address = request.client.host if request.client is not None else None
    agent = (request.headers.get("user-agent") or "")[:300] or None
    if principal is None:
        return Actor(name="anonymous", client_address=address, user_agent=agent)
    return Actor(
        name=principal.username,
        user_id=principal.user_id,
        role=principal.role.value,
        client_address=address,
        user_agent=agent,
    )


def acting_registry(request: Request) -> RegistryService:
    """The registry service acting for this request's principal (so its audit entries name the real user)."""
    registry: RegistryService = request.app.state.registry
    return registry.for_actor(actor_of(request))


def acting_accounts(request: Request) -> AccountService:
    accounts: AccountService = request.app.state.accounts
    return accounts.for_actor(actor_of(request))


# ---- permissions ------------------------------------------------------------------------------
class PermissionCheck:
    """The dependency :func:`require` makes: refuses the request unless its principal holds ``permission``."""

    checks_before_body = True
    """JSON-body routes run this check before they read the body (engraft.api.request_body.JsonBodyRoute)."""

    def __init__(self, permission: Permission, while_pending: bool) -> None:
        self.permission = permission
        self.while_pending = while_pending

    def __repr__(self) -> str:
        return f"require({self.permission.value!r})"

    async def __call__(self, request: Request) -> Principal | None:
        principal = principal_of(request)
        if self.permission is Permission.PUBLIC:
            return principal
        if getattr(request.state, _STATE_FAULT, False):
            raise RequestProblem(503, "the account database did not answer; try again", headers={"Retry-After": "5"})
        if principal is None:
            raise RequestProblem(401, "sign in first (a session cookie or a bearer token)", headers=WWW_AUTHENTICATE)
        signed_in = signed_in_session(request)
        if signed_in is not None and request.method not in SAFE_METHODS:
            await _check_csrf(request, signed_in)
        if signed_in is not None and signed_in.pending and not self.while_pending:
            first = "change your password" if signed_in.must_change_password else "set up a second factor (TOTP)"
            raise RequestProblem(403, f"{first} before doing anything else (see /api/auth)")
        if not principal.may(self.permission):
            raise RequestProblem(
                403, f"role {principal.role.value!r} does not have the permission {self.permission.value!r}"
            )
        return principal


async def _check_csrf(request: Request, signed_in: SignedIn) -> None:
    """A state-changing request with the session cookie must send the session's CSRF token back."""
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), signed_in.csrf_token.encode()):
        raise RequestProblem(
            403, f"missing or wrong CSRF token: send the session's token in {CSRF_HEADER} (or the {CSRF_FIELD} field)"
        )


def require(permission: Permission, *, while_pending: bool = False) -> Any:
    """A route's one permission: ``dependencies=[require(Permission.PATIENT_READ)]``.

    ``while_pending`` lets an account that must first change its password or set up a second factor use
    the route (the few routes that let it do so). Use ``Annotated[Principal | None, require(...)]`` as a
    parameter to get the principal as well.
    """
    return Depends(PermissionCheck(permission, while_pending))


def route_permission(route: APIRoute) -> list[Permission]:
    """The permissions ``route`` declares through :func:`require` (exactly one for every API route)."""
    found: list[Permission] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, PermissionCheck):
            found.append(dependant.call.permission)
        pending.extend(dependant.dependencies)
    return sorted(set(found))


def declare_permissions(routers: Sequence[APIRouter]) -> dict[tuple[str, str], Permission]:
    """Check that every route of ``routers`` declares exactly one permission, document it in OpenAPI
    (``x-permission``; on every non-public route the ``security`` requirement of :data:`SECURITY_REQUIREMENT`
    and 401 and 403 answers; public routes have none), and return (method, path) -> permission.

    Call it before the routers are included in the app. Raises ``RuntimeError`` naming any route that declares
    none or several: a route without a permission is a hole, and the app does not start with one.
    """
    table: dict[tuple[str, str], Permission] = {}
    faults = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            permissions = route_permission(route)
            methods = sorted(route.methods or ())
            if len(permissions) != 1:
                faults.append(f"{methods} {route.path}: {[p.value for p in permissions] or 'none'}")
                continue
            permission = permissions[0]
            extra = {**(route.openapi_extra or {}), "x-permission": permission.value}
            extra.pop("security", None)
            if permission is not Permission.PUBLIC:
                route.responses = {**problem_responses(401, 403), **route.responses}
                extra["security"] = SECURITY_REQUIREMENT
            route.openapi_extra = extra
            for method in methods:
                table[(method, route.path)] = permission
    if faults:
        raise RuntimeError("every API route must declare exactly one permission: " + "; ".join(faults))
    return table


def install_security_schemes(app: FastAPI) -> None:
    """Add :data:`SECURITY_SCHEMES` to the app's OpenAPI components (so /docs offers "Authorize").

    Call it after anything else that replaces ``app.openapi``: it wraps the document that one builds.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document.setdefault("components", {})["securitySchemes"] = {
            name: dict(scheme) for name, scheme in SECURITY_SCHEMES.items()
        }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = [
    "BEARER_SCHEME",
    "COOKIE_SCHEME",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SECURITY_REQUIREMENT",
    "SECURITY_SCHEMES",
    "SESSION_COOKIE",
    "AuthSettings",
    "PermissionCheck",
    "PrincipalKind",
    "PrincipalMiddleware",
    "acting_accounts",
    "acting_registry",
    "actor_of",
    "csrf_token",
    "declare_permissions",
    "install_security_schemes",
    "principal_of",
    "require",
    "route_permission",
    "signed_in_session",
]
