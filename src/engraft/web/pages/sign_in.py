"""Signing in: ``/sign-in`` (public). Signing out is ``POST /sign-out`` (pages/sign_out.py).

One form: username, password and the authenticator code. The code field is always there (the page works
without JavaScript) and is needed only by accounts with a second factor; a refusal never says which of the
three was wrong, nor whether the username exists. A locked account is told when it may try again.

The sign-in form itself carries an anti-forgery token (a short-lived cookie and the same value in the form,
"double submit"), so another site cannot sign a browser in to an account of its choosing. After signing in
the browser goes to ``next`` when that is a path on this server (never another site), or to ``/account``
first when the account must change its password or set up a second factor.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engraft.access import Principal
from engraft.api.auth import SESSION_COOKIE, AuthSettings
from engraft.registry.accounts import AccountLocked, SignInRefused
from engraft.web.i18n import LANGUAGE_COOKIE
from engraft.web.pages.account_forms import (
    accounts_service,
    client_address,
    user_agent,
)
from engraft.web.pages_common import SIGN_IN_PATH, account_setup_url, optional_principal, safe_next
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)

SIGN_IN_FORM_COOKIE: Final = "engraft_sign_in"
"""The sign-in form's own anti-forgery token (before there is a session to hold one)."""
SIGN_IN_FORM_SECONDS: Final = 3600
LANGUAGE_COOKIE_SECONDS: Final = 365 * 24 * 3600


def _settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.auth_settings
    return settings


def _form(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    locked_until: object = None,
    retry_minutes: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The sign-in page with a fresh form token (cookie and hidden field)."""
    form_token = secrets.token_urlsafe(32)
    response = render(
        request,
        "account/sign_in.html",
        {
            "next_path": next_path,
            "username": username,
            "error": error,
            "locked_until": locked_until,
            "retry_minutes": retry_minutes,
            "form_token": form_token,
        },
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_FORM_COOKIE,
        form_token,
        max_age=SIGN_IN_FORM_SECONDS,
        path=SIGN_IN_PATH,
        secure=_settings(request).secure_cookie,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse, name="sign_in")
def sign_in_page(
    request: Request,
    next: str = "",
    principal: Principal | None = Depends(optional_principal),
) -> Response:
    """The sign-in form (someone already signed in goes straight on to ``next``)."""
    target = safe_next(next)
    if principal is not None:
        return RedirectResponse(target, status_code=303)
    return _form(request, next_path=target)


@router.post("/sign-in", response_class=HTMLResponse, name="sign_in_submit", dependencies=[Depends(optional_principal)])
def sign_in_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    code: str = Form(""),
    next: str = Form(""),
    form_token: str = Form(""),
    principal: Principal | None = Depends(optional_principal),
) -> Response:
    """Check the form token, then name, password and code; open a session and go on (or say no)."""
    target = safe_next(next)
    username = username.strip().lower()[:64]
    expected = request.cookies.get(SIGN_IN_FORM_COOKIE, "")
    if not expected or not form_token or not hmac.compare_digest(expected.encode(), form_token.encode()):
        return _form(request, next_path=target, username=username, error="expired", status_code=400)
    accounts = accounts_service(request)
    typed_code = "".join(code.split()) or None
    try:
        opened = accounts.sign_in(username, password, typed_code, client_address(request), user_agent(request))
    except AccountLocked as locked:
        minutes = max(1, (locked.retry_after_s + 59) // 60)
        return _form(
            request,
            next_path=target,
            username=username,
            error="locked",
            locked_until=locked.until,
            retry_minutes=minutes,
            status_code=429,
        )
    except SignInRefused:
        return _form(request, next_path=target, username=username, error="refused", status_code=401)
    signed_in = accounts.resolve_session(opened.token)
    pending = signed_in is not None and signed_in.pending
    response = RedirectResponse(account_setup_url(target) if pending else target, status_code=303)
    settings = _settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(accounts.policy.session_absolute.total_seconds()),
        path="/",
        secure=settings.secure_cookie,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        LANGUAGE_COOKIE,
        opened.principal.locale,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        secure=settings.secure_cookie,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(SIGN_IN_FORM_COOKIE, path=SIGN_IN_PATH)
    return response
