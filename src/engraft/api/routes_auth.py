"""Signing in and out, the signed-in account, its password and its second factor: ``/api/auth/*``.

Sign-in answers 401 for any wrong name, password or code without saying which, and 429 with
``Retry-After`` while the account is locked after repeated failures. On success it sets the
``engraft_session`` cookie (HttpOnly, SameSite=Strict, Path=/, Secure unless configured off for a
plain-HTTP loopback demo) and answers the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from engraft.access import Permission, Principal, PrincipalKind, Role, permissions_of
from engraft.api.auth import (
    SESSION_COOKIE,
    AuthSettings,
    acting_accounts,
    csrf_token,
    principal_of,
    require,
    signed_in_session,
)
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.registry.accounts import AccountLocked, AccountService, SignInRefused
from engraft.registry.accounts_policy import WrongPassword
from engraft.registry.accounts_schemas import PasswordText, SecretInput, TotpCode, TotpSetup, Username

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=JsonBodyRoute)
SignedIn = Annotated[Principal, require(Permission.SIGNED_IN, while_pending=True)]


class SignInRequest(SecretInput):
    username: Username
    password: PasswordText
    code: TotpCode | None = Field(default=None, description="the authenticator app's code, once one is set up")


class Me(BaseModel):
    """The signed-in account (or API token) as the pages and clients see it."""

    username: str
    display_name: str
    role: Role
    kind: PrincipalKind
    locale: str
    permissions: list[Permission] = Field(description="every permission the role holds")
    sees_identity: bool = Field(description="whether names, MRNs and birth dates may be shown")
    must_change_password: bool = False
    needs_second_factor: bool = Field(default=False, description="an administrator must set up TOTP first")
    csrf_token: str | None = Field(default=None, description="send in X-CSRF-Token on requests that change data")


class SignInResult(BaseModel):
    me: Me
    csrf_token: str
    expires_at: dt.datetime = Field(description="the session's absolute end (it ends earlier after 30 idle minutes)")


class SignedOut(BaseModel):
    signed_out: bool


class PasswordChange(SecretInput):
    current_password: PasswordText
    new_password: PasswordText = Field(description="at least 12 characters, not the username")


class TotpConfirmation(SecretInput):
    code: TotpCode


def _me(request: Request, principal: Principal) -> Me:
    signed_in = signed_in_session(request)
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        kind=principal.kind,
        locale=principal.locale,
        permissions=sorted(permissions_of(principal.role)),
        sees_identity=principal.sees_identity,
        must_change_password=signed_in.must_change_password if signed_in else False,
        needs_second_factor=signed_in.needs_second_factor if signed_in else False,
        csrf_token=csrf_token(request),
    )


def _accounts(request: Request) -> AccountService:
    return acting_accounts(request)


def _session_only(principal: Principal) -> None:
    if principal.kind is not PrincipalKind.SESSION:
        raise RequestProblem(403, "an API token has no password or second factor; sign in as a person")


@router.post(
    "/sign-in",
    dependencies=[require(Permission.PUBLIC)],
    responses=problem_responses(400, 401, 413, 415, 422, 429),
)
def sign_in(body: SignInRequest, request: Request, response: Response) -> SignInResult:
    """Sign in with username, password and (once set up) the TOTP code; sets the session cookie."""
    accounts: AccountService = request.app.state.accounts
    address = request.client.host if request.client is not None else None
    agent = (request.headers.get("user-agent") or "")[:300] or None
    try:
        opened = accounts.sign_in(body.username, body.password, body.code, address, agent)
    except SignInRefused as exc:
        raise RequestProblem(401, str(exc)) from exc
    except AccountLocked as exc:
        raise RequestProblem(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from exc
    settings: AuthSettings = request.app.state.auth_settings
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(accounts.policy.session_absolute.total_seconds()),
        path="/",
        secure=settings.secure_cookie,
        httponly=True,
        samesite="strict",
    )
    signed_in = accounts.resolve_session(opened.token)
    assert signed_in is not None  # just opened
    request.state.principal, request.state.signed_in = signed_in.principal, signed_in
    return SignInResult(
        me=_me(request, signed_in.principal), csrf_token=opened.csrf_token, expires_at=opened.expires_at
    )


@router.post("/sign-out", responses=problem_responses())
def sign_out(request: Request, response: Response, principal: SignedIn) -> SignedOut:
    """End this session and clear its cookie (an API token stays valid: revoke it instead)."""
    signed_in = signed_in_session(request)
    if signed_in is not None:
        _accounts(request).sign_out(signed_in.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return SignedOut(signed_out=signed_in is not None)


@router.get("/me", responses=problem_responses())
def me(request: Request, principal: SignedIn) -> Me:
    """The signed-in account: role, permissions, what it must do first, and the session's CSRF token."""
    return _me(request, principal)


@router.post("/password", responses=problem_responses(400, 413, 415, 422))
def change_password(body: PasswordChange, request: Request, principal: SignedIn) -> Me:
    """Change the signed-in account's password (the current one is needed); ends its other sessions."""
    _session_only(principal)
    signed_in = signed_in_session(request)
    try:
        _accounts(request).change_password(
            principal.user_id,
            body.current_password,
            body.new_password,
            keep_session=signed_in.session_id if signed_in else None,
        )
    except WrongPassword as exc:
        raise RequestProblem(403, str(exc)) from exc
    request.state.signed_in = _accounts(request).resolve_session_by_id(signed_in.session_id) if signed_in else None
    current = principal_of(request) or principal
    return _me(request, current)


@router.post("/totp", responses=problem_responses(422))
def begin_totp(request: Request, principal: SignedIn) -> TotpSetup:
    """Start setting up a second factor: the secret and an ``otpauth://`` URI for the authenticator app."""
    _session_only(principal)
    return _accounts(request).begin_totp(principal.user_id)


@router.post("/totp/confirm", responses=problem_responses(400, 413, 415, 422))
def confirm_totp(body: TotpConfirmation, request: Request, principal: SignedIn) -> Me:
    """Turn the second factor on with a current code from the app."""
    _session_only(principal)
    _accounts(request).confirm_totp(principal.user_id, body.code)
    signed_in = signed_in_session(request)
    if signed_in is not None:
        request.state.signed_in = _accounts(request).resolve_session_by_id(signed_in.session_id)
    return _me(request, principal)
