"""The signed-in person's own account: ``/account`` (any role).

Change the password (the current one, the new one twice; each field's problem shown by it), set up the
second factor (the secret as text and as a QR code drawn here as SVG, confirmed with a code from the app),
and the language of the pages (stored on the account). An account that must change its password, or an
administrator without a second factor, lands here first and is told what to do before anything else.
"""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engraft.access import Permission, Principal, Role
from engraft.api.auth import acting_accounts, signed_in_session
from engraft.registry.accounts_policy import MIN_PASSWORD_LENGTH, WrongPassword
from engraft.registry.accounts_schemas import UserChange
from engraft.registry.accounts_setup_view import pending_totp_setup
from engraft.registry.errors import InvalidRecord
from engraft.web.i18n import LANGUAGE_COOKIE, N_, language_named
from engraft.web.pages.account_forms import FieldErrors, check_csrf
from engraft.web.pages_common import ACCOUNT_PATH, require_page, safe_next
from engraft.web.sections import Section, register
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)
SECTION = register(
    Section(
        "account",
        N_("My account"),
        ACCOUNT_PATH,
        Permission.SIGNED_IN,
        order=900,
        summary=N_("Your password, second factor and language."),
    )
)
signed_in_page = require_page(Permission.SIGNED_IN, while_pending=True)

LANGUAGE_COOKIE_SECONDS: Final = 365 * 24 * 3600
Saved = Literal["password", "second-factor", "language"]
_SAVED: Final[frozenset[str]] = frozenset({"password", "second-factor", "language"})


def qr_svg_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code: an SVG ``data:`` URI, drawn here (nothing leaves the server)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def _account_page(
    request: Request,
    principal: Principal,
    *,
    password_errors: FieldErrors | None = None,
    code_error: str | None = None,
    saved: str = "",
    next_path: str = "",
    status_code: int = 200,
) -> Response:
    signed_in = signed_in_session(request)
    if signed_in is None:  # an API token has no password, second factor or page language
        raise StarletteHTTPException(403, "sign in as a person to open your account")
    accounts = acting_accounts(request)
    user = accounts.get_user(principal.user_id)
    setup = None if user.totp_enabled else pending_totp_setup(accounts, principal.user_id)
    context: dict[str, Any] = {
        "user": user,
        "must_change_password": signed_in.must_change_password,
        "needs_second_factor": signed_in.needs_second_factor,
        "password_errors": password_errors or FieldErrors(request),
        "min_password_length": MIN_PASSWORD_LENGTH,
        "setup": setup,
        "qr_code": qr_svg_data_uri(setup.provisioning_uri) if setup is not None else None,
        "code_error": code_error,
        "saved": saved if saved in _SAVED else "",
        "next_path": safe_next(next_path, default=""),
    }
    return render(request, "account/account.html", context, status_code=status_code)


@router.get("/account", response_class=HTMLResponse, name="account")
def account_page(
    request: Request, saved: str = "", next: str = "", principal: Principal = Depends(signed_in_page)
) -> Response:
    """The account page: what must be done first (if anything), password, second factor, language.

    ``next``: the page the person was sent here from, to go on to once nothing is left to do first.
    """
    return _account_page(request, principal, saved=saved, next_path=next)


def _saved(request: Request, what: Saved, next_path: str = "") -> RedirectResponse:
    """After a change: on to ``next`` once nothing is left to do first, else back to the account page."""
    target = safe_next(next_path, default="")
    accounts = acting_accounts(request)
    signed_in = signed_in_session(request)
    if target and signed_in is not None:
        user = accounts.get_user(signed_in.principal.user_id)
        still_pending = user.must_change_password or (user.role is Role.ADMIN and not user.totp_enabled)
        if not still_pending:
            return RedirectResponse(target, status_code=303)
    query = urlencode({"saved": what} | ({"next": target} if target else {}))
    return RedirectResponse(f"{ACCOUNT_PATH}?{query}", status_code=303)


@router.post("/account/password", response_class=HTMLResponse, name="account_password")
def change_password(
    request: Request,
    csrf_token: str = Form(""),
    current_password: str = Form(""),
    new_password: str = Form(""),
    new_password_again: str = Form(""),
    next: str = Form(""),
    principal: Principal = Depends(signed_in_page),
) -> Response:
    """Change the password: the current one must be right, the new one typed twice and by the policy."""
    check_csrf(request, csrf_token)
    errors = FieldErrors(request)
    if not current_password:
        errors.add("current_password", N_("Type your current password."))
    if not new_password:
        errors.add("new_password", N_("Type a new password."))
    elif new_password != new_password_again:
        errors.add("new_password_again", N_("The two new passwords are not the same."))
    if not errors:
        signed_in = signed_in_session(request)
        try:
            acting_accounts(request).change_password(
                principal.user_id,
                current_password,
                new_password,
                keep_session=signed_in.session_id if signed_in is not None else None,
            )
        except WrongPassword:
            errors.add("current_password", N_("The current password is not right."))
        except InvalidRecord as refused:
            errors.add_invalid(refused)
    if errors:
        return _account_page(request, principal, password_errors=errors, next_path=next, status_code=400)
    return _saved(request, "password", next)


@router.post("/account/second-factor", response_class=HTMLResponse, name="account_second_factor")
def begin_second_factor(
    request: Request, csrf_token: str = Form(""), next: str = Form(""), principal: Principal = Depends(signed_in_page)
) -> Response:
    """Start (or start again) setting up the second factor: a new secret to scan or type into the app."""
    check_csrf(request, csrf_token)
    accounts = acting_accounts(request)
    if not accounts.get_user(principal.user_id).totp_enabled:
        accounts.begin_totp(principal.user_id)
    target = safe_next(next, default="")
    query = f"?{urlencode({'next': target})}" if target else ""
    return RedirectResponse(f"{ACCOUNT_PATH}{query}#second-factor", status_code=303)


@router.post("/account/second-factor/confirm", response_class=HTMLResponse, name="account_second_factor_confirm")
def confirm_second_factor(
    request: Request,
    csrf_token: str = Form(""),
    code: str = Form(""),
    next: str = Form(""),
    principal: Principal = Depends(signed_in_page),
) -> Response:
    """Turn the second factor on with the code the app shows now (a wrong code changes nothing)."""
    check_csrf(request, csrf_token)
    typed = "".join(code.split())
    if len(typed) != 6 or not typed.isdigit():
        return _account_page(request, principal, code_error="format", next_path=next, status_code=400)
    try:
        acting_accounts(request).confirm_totp(principal.user_id, typed)
    except InvalidRecord:
        return _account_page(request, principal, code_error="wrong", next_path=next, status_code=400)
    return _saved(request, "second-factor", next)


@router.post("/account/language", response_class=HTMLResponse, name="account_language")
def choose_language(
    request: Request, csrf_token: str = Form(""), locale: str = Form(""), principal: Principal = Depends(signed_in_page)
) -> Response:
    """Store the language of the pages on the account (and in this browser)."""
    check_csrf(request, csrf_token)
    language = language_named(locale)
    if language is None or language.code != locale:
        return _account_page(request, principal, status_code=400)
    acting_accounts(request).update_user(principal.user_id, UserChange(locale=language.code))
    response = _saved(request, "language")
    response.set_cookie(
        LANGUAGE_COOKIE,
        language.code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.auth_settings.secure_cookie,
    )
    return response
