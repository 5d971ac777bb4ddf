"""API tokens, for administrators: ``/admin/tokens`` (permission ``accounts.manage``).

Issue a token for a machine client (a lab interface, say) with any role except administrator and an end
date; its secret is shown once, on the answer to the form, and never again (the registry keeps only its
hash). List the tokens; revoke one. The account service audits issuing and revoking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal, Role
from engraft.api.auth import acting_accounts
from engraft.registry.accounts_schemas import NewToken
from engraft.registry.errors import DuplicateRecord, InvalidRecord, RecordNotFound
from engraft.web.i18n import N_
from engraft.web.pages.account_forms import FieldErrors, check_csrf
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)
TOKENS_PATH: Final = "/admin/tokens"
SECTION = register(
    Section(
        "admin-tokens",
        N_("API tokens"),
        TOKENS_PATH,
        Permission.ACCOUNTS_MANAGE,
        order=810,
        summary=N_("Issue and revoke tokens for machine clients such as a laboratory interface."),
    )
)
admin_page = require_page(Permission.ACCOUNTS_MANAGE)
DEFAULT_LIFETIME: Final = dt.timedelta(days=90)
TOKEN_ROLES: Final = tuple(role for role in Role if role is not Role.ADMIN)


def _tokens_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    revoked: bool = False,
    status_code: int = 200,
) -> Response:
    accounts = acting_accounts(request)
    now = accounts.now()
    default_end = (now + DEFAULT_LIFETIME).date().isoformat()
    names = {user.id: user.username for user in accounts.list_users()}
    context: dict[str, Any] = {
        "tokens": list(reversed(accounts.list_tokens())),
        "issuers": names,
        "now": now,
        "roles": TOKEN_ROLES,
        "form": form or {"name": "", "role": "", "expires_on": default_end},
        "min_date": (now + dt.timedelta(days=1)).date().isoformat(),
        "max_date": (now + accounts.policy.token_max_lifetime).date().isoformat(),
        "errors": errors or FieldErrors(request),
        "revoked": revoked,
    }
    return render(request, "admin/tokens.html", context, status_code=status_code)


@router.get(TOKENS_PATH, response_class=HTMLResponse, name="admin_tokens")
def tokens_page(request: Request, done: str = "", principal: Principal = Depends(admin_page)) -> Response:
    """Every API token, and the form to issue one."""
    return _tokens_page(request, revoked=done == "revoked")


def _end_of_day(value: str) -> dt.datetime | None:
    """A token's last day (``YYYY-MM-DD``) as the moment it stops working: the end of that day, UTC."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


@router.post(TOKENS_PATH, response_class=HTMLResponse, name="admin_tokens_issue")
def issue_token(
    request: Request,
    csrf_token: str = Form(""),
    name: str = Form(""),
    role: str = Form(""),
    expires_on: str = Form(""),
    principal: Principal = Depends(admin_page),
) -> Response:
    """Issue a token and show its secret once."""
    check_csrf(request, csrf_token)
    form = {"name": name.strip(), "role": role, "expires_on": expires_on}
    errors = FieldErrors(request)
    expires_at = _end_of_day(expires_on)
    if expires_at is None:
        errors.add("expires_on", N_("Choose a date."))
    if role == Role.ADMIN.value:
        errors.add("role", N_("Tokens cannot have the administrator role."))
    try:
        data = NewToken.model_validate({"name": form["name"], "role": role, "expires_at": expires_at})
    except ValidationError as invalid:
        errors.add_validation(invalid)
    if errors:
        return _tokens_page(request, form=form, errors=errors, status_code=400)
    try:
        issued = acting_accounts(request).issue_token(data, principal.user_id)
    except DuplicateRecord:
        errors.add("name", N_("A token with this name exists already."))
        return _tokens_page(request, form=form, errors=errors, status_code=409)
    except InvalidRecord as refused:
        errors.add_invalid(refused, rename={"expires_at": "expires_on"})
        return _tokens_page(request, form=form, errors=errors, status_code=400)
    return render(request, "admin/token_issued.html", {"issued": issued})


@router.post(f"{TOKENS_PATH}/{{token_id}}/revoke", response_class=HTMLResponse, name="admin_tokens_revoke")
def revoke_token(
    request: Request, token_id: int, csrf_token: str = Form(""), principal: Principal = Depends(admin_page)
) -> Response:
    """Stop a token from working (at once; it cannot be undone)."""
    check_csrf(request, csrf_token)
    try:
        acting_accounts(request).revoke_token(token_id)
    except RecordNotFound:
        return _tokens_page(request, status_code=404)
    return RedirectResponse(f"{TOKENS_PATH}?done=revoked", status_code=303)
