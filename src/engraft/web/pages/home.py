"""The landing page ``/`` and the language switch ``/language``.

Anonymous: what Engraft is and a link to sign in. Signed in: the sections the role may open.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from engraft.access import Principal
from engraft.api.auth import signed_in_session
from engraft.web.i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, language_named
from engraft.web.pages_common import HOME_PATH, account_setup_url, optional_principal, safe_next
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE_SECONDS: Final = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, principal: Principal | None = Depends(optional_principal)) -> Response:
    """The start page; an account with first-use duties (a new password, a second factor) goes to them first."""
    session = signed_in_session(request)
    if session is not None and session.pending:
        return RedirectResponse(account_setup_url(HOME_PATH), status_code=303)
    return render(request, "home.html", {"api_docs_link": Markup('<a href="/docs">/docs</a>')})


@router.get("/language", name="switch_language", dependencies=[Depends(optional_principal)])  # public
def switch_language(request: Request, lang: str = "", next: str = "/") -> RedirectResponse:
    """Remember the chosen language in this browser (a cookie) and go back to the page it was chosen on.

    An unknown code chooses English. ``next`` must be a path on this server (else the start page).
    """
    language = language_named(lang) or DEFAULT_LANGUAGE
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language.code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response
