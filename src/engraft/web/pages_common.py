"""What every page module uses: who is signed in, the page guard :func:`require_page`, safe ``next`` paths.

A page route declares the permission it needs as a dependency::

    @router.get("/patients")
    def patients(request: Request, principal: Principal = Depends(require_page(Permission.PATIENT_READ))):
        return render(request, "patients/list.html", {...})

Nobody signed in: the browser is sent to ``/sign-in?next=<this page>`` (303; an htmx request gets 401 with
``HX-Redirect``, so the whole page goes, not a fragment). Signed in without the permission: the 403 page.
An account that must first change its password or set up a second factor is sent to ``/account?next=...``
(the account pages themselves pass ``while_pending=True``). The account database not answering: the 503
page. Public pages take ``principal: Principal | None = Depends(optional_principal)`` instead.

The principal is what authentication (:class:`engraft.api.auth.PrincipalMiddleware`) put on the request
(:func:`engraft.api.auth.principal_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request

from engraft.access import Permission, Principal
from engraft.api.auth import principal_of, signed_in_session

SIGN_IN_PATH: Final = "/sign-in"
SIGN_OUT_PATH: Final = "/sign-out"
ACCOUNT_PATH: Final = "/account"
"""Where an account changes its password and sets up its second factor (the account pages)."""
HOME_PATH: Final = "/"


class SignInRequired(Exception):
    """A page needs someone signed in and nobody is; ``next`` is where to come back to afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(f"sign in to open {next_path}")
        self.next_path = next_path


class AccountSetupRequired(Exception):
    """The signed-in account must change its password or set up a second factor before anything else."""

    def __init__(self, next_path: str) -> None:
        super().__init__(f"finish setting up the account before opening {next_path}")
        self.next_path = next_path


class PageForbidden(Exception):
    """The signed-in principal's role does not hold the permission a page needs."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(f"this page needs the permission {permission.value!r}")
        self.permission = permission


def optional_principal(request: Request) -> Principal | None:
    """The principal signed in for this request, or ``None``."""
    return principal_of(request)


def require_page(permission: Permission, *, while_pending: bool = False) -> Callable[[Request], Principal]:
    """A page dependency: the signed-in principal, when its role holds ``permission``.

    Raises :class:`SignInRequired` (nobody signed in), :class:`AccountSetupRequired` (password change or
    second factor first, unless ``while_pending``), :class:`PageForbidden` (the role lacks ``permission``)
    or a 503 (the account database did not answer); the application turns them into pages.
    """
    if permission is Permission.PUBLIC:
        raise ValueError("require_page(Permission.PUBLIC): a public page takes Depends(optional_principal)")

    def signed_in_with_permission(request: Request) -> Principal:
        if getattr(request.state, "auth_unavailable", False):
            raise HTTPException(503, "the account database did not answer", headers={"Retry-After": "5"})
        principal = principal_of(request)
        if principal is None:
            raise SignInRequired(here(request))
        session = signed_in_session(request)
        if session is not None and session.pending and not while_pending:
            raise AccountSetupRequired(here(request))
        if not principal.may(permission):
            raise PageForbidden(permission)
        return principal

    signed_in_with_permission.__name__ = f"require_page_{permission.name.lower()}"
    return signed_in_with_permission


def here(request: Request) -> str:
    """This request's path and query, to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None, default: str = HOME_PATH) -> str:
    """``value`` when it is a path on this server (``/...``, not ``//host`` nor a URL), else ``default``.

    Every redirect to a ``next`` the browser sent goes through this, so no link can send someone off-site.
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in value):
        return default
    return value


def sign_in_url(next_path: str) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards."""
    return f"{SIGN_IN_PATH}?next={quote(safe_next(next_path), safe='/')}"


def account_setup_url(next_path: str) -> str:
    """The account page (password, second factor), coming back to ``next_path`` afterwards."""
    return f"{ACCOUNT_PATH}?next={quote(safe_next(next_path), safe='/')}"


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the REST API (problem+json errors), not to the pages (HTML errors)."""
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def wants_html(request: Request) -> bool:
    """Whether an error on this request should be an HTML page: a page path, not asked for as JSON only."""
    if is_api_path(request.url.path):
        return False
    accept = request.headers.get("accept", "").lower()
    return "html" in accept or "json" not in accept
