"""Accounts, for administrators: ``/admin/users`` (permission ``accounts.manage``).

List every account; create one with a role (its one-time password is shown once, on the answer to the
form, and never again); change an account's role; disable or enable it; reset its password (a new one-time
password, shown once). The account service audits every change.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from engraft.access import Permission, Principal, Role
from engraft.api.auth import acting_accounts
from engraft.registry.accounts_schemas import NewUser, UserChange, UserWithPassword
from engraft.registry.errors import DuplicateRecord, InvalidRecord, RecordNotFound
from engraft.web.i18n import LANGUAGES, N_
from engraft.web.pages.account_forms import FieldErrors, check_csrf
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import render

router = APIRouter(include_in_schema=False)
USERS_PATH: Final = "/admin/users"
SECTION = register(
    Section(
        "admin-users",
        N_("Accounts"),
        USERS_PATH,
        Permission.ACCOUNTS_MANAGE,
        order=800,
        summary=N_("Create accounts, change roles, disable accounts, reset passwords and second factors."),
    )
)
admin_page = require_page(Permission.ACCOUNTS_MANAGE)
_DONE: Final = frozenset({"role", "disabled", "enabled", "second-factor"})


def _users_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    accounts = acting_accounts(request)
    context: dict[str, Any] = {
        "users": accounts.list_users(),
        "now": accounts.now(),
        "roles": list(Role),
        "form": form or {"username": "", "display_name": "", "role": "", "locale": "en"},
        "errors": errors or FieldErrors(request),
        "done": done if done in _DONE else "",
        "languages": LANGUAGES,
    }
    return render(request, "admin/users.html", context, status_code=status_code)


def _one_time(request: Request, made: UserWithPassword, *, created: bool) -> Response:
    """The one-time password, on this answer only (the page is never cached; nothing keeps it)."""
    return render(request, "admin/one_time_password.html", {"made": made, "created": created})


@router.get(USERS_PATH, response_class=HTMLResponse, name="admin_users")
def users_page(request: Request, done: str = "", principal: Principal = Depends(admin_page)) -> Response:
    """Every account, and the form to create one."""
    return _users_page(request, done=done)


@router.post(USERS_PATH, response_class=HTMLResponse, name="admin_users_create")
def create_user(
    request: Request,
    csrf_token: str = Form(""),
    username: str = Form(""),
    display_name: str = Form(""),
    role: str = Form(""),
    locale: str = Form("en"),
    principal: Principal = Depends(admin_page),
) -> Response:
    """Create an account with a one-time password, and show that password once."""
    check_csrf(request, csrf_token)
    form = {"username": username.strip(), "display_name": display_name.strip(), "role": role, "locale": locale}
    errors = FieldErrors(request)
    try:
        data = NewUser.model_validate(form)
    except ValidationError as invalid:
        errors.add_validation(invalid)
        return _users_page(request, form=form, errors=errors, status_code=400)
    try:
        made = acting_accounts(request).create_user(data)
    except DuplicateRecord:
        errors.add("username", N_("An account with this username exists already."))
        return _users_page(request, form=form, errors=errors, status_code=409)
    return _one_time(request, made, created=True)


def _change(request: Request, user_id: int, change: UserChange, done: str) -> Response:
    try:
        acting_accounts(request).update_user(user_id, change)
    except RecordNotFound:
        return _users_page(request, status_code=404)
    except InvalidRecord as refused:
        errors = FieldErrors(request)
        errors.add_invalid(refused)
        for message in errors.fields.values():
            errors.general.append(message)
        return _users_page(request, errors=errors, status_code=400)
    return RedirectResponse(f"{USERS_PATH}?done={done}", status_code=303)


@router.post(f"{USERS_PATH}/{{user_id}}/role", response_class=HTMLResponse, name="admin_users_role")
def change_role(
    request: Request,
    user_id: int,
    csrf_token: str = Form(""),
    role: str = Form(""),
    principal: Principal = Depends(admin_page),
) -> Response:
    """Give an account another role (an administrator cannot take away their own)."""
    check_csrf(request, csrf_token)
    try:
        new_role = Role(role)
    except ValueError:
        return _users_page(request, status_code=400)
    return _change(request, user_id, UserChange(role=new_role), "role")


@router.post(f"{USERS_PATH}/{{user_id}}/status", response_class=HTMLResponse, name="admin_users_status")
def change_status(
    request: Request,
    user_id: int,
    csrf_token: str = Form(""),
    disabled: str = Form(""),
    principal: Principal = Depends(admin_page),
) -> Response:
    """Disable an account (its sessions end) or enable it again."""
    check_csrf(request, csrf_token)
    if disabled not in {"true", "false"}:
        return _users_page(request, status_code=400)
    off = disabled == "true"
    return _change(request, user_id, UserChange(disabled=off), "disabled" if off else "enabled")


@router.post(f"{USERS_PATH}/{{user_id}}/password", response_class=HTMLResponse, name="admin_users_password")
def reset_password(
    request: Request, user_id: int, csrf_token: str = Form(""), principal: Principal = Depends(admin_page)
) -> Response:
    """A new one-time password for the account (shown once); it unlocks the account and ends its sessions."""
    check_csrf(request, csrf_token)
    try:
        made = acting_accounts(request).reset_password(user_id)
    except RecordNotFound:
        return _users_page(request, status_code=404)
    return _one_time(request, made, created=False)


@router.post(f"{USERS_PATH}/{{user_id}}/second-factor", response_class=HTMLResponse, name="admin_users_second_factor")
def reset_second_factor(
    request: Request, user_id: int, csrf_token: str = Form(""), principal: Principal = Depends(admin_page)
) -> Response:
    """Remove the account's second factor and end its sessions (an administrator must set up a new one at next
    sign-in; resetting one's own ends this session too, so the sign-in page follows)."""
    check_csrf(request, csrf_token)
    try:
        acting_accounts(request).reset_second_factor(user_id)
    except RecordNotFound:
        return _users_page(request, status_code=404)
    return RedirectResponse(f"{USERS_PATH}?done=second-factor", status_code=303)
