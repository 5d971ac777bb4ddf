"""Administration of accounts and API tokens: ``/api/admin/users`` and ``/api/admin/tokens``.

Every route needs :attr:`~engraft.access.Permission.ACCOUNTS_MANAGE`; every change is audited as the
administrator who made it. One-time passwords and token secrets are in the answer once and nowhere else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status

from engraft.access import Permission, Principal
from engraft.api.auth import acting_accounts, require
from engraft.api.problems import problem_responses
from engraft.api.request_body import JsonBodyRoute
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import (
    IssuedToken,
    NewToken,
    NewUser,
    TokenOut,
    UserChange,
    UserOut,
    UserWithPassword,
)
from engraft.registry.schemas.common import MAX_RECORD_ID

router = APIRouter(prefix="/api/admin", tags=["administration"], route_class=JsonBodyRoute)
Admin = Annotated[Principal, require(Permission.ACCOUNTS_MANAGE)]
UserId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the account")]
TokenId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="id of the API token")]
_BODY = (400, 413, 415, 422)


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*statuses)


def _accounts(request: Request) -> AccountService:
    return acting_accounts(request)


@router.get("/users", responses=_responses())
def list_users(request: Request, admin: Admin) -> list[UserOut]:
    """Every account, with its role, state and lock."""
    return _accounts(request).list_users()


@router.post("/users", status_code=status.HTTP_201_CREATED, responses=_responses(*_BODY, 409))
def create_user(body: NewUser, request: Request, admin: Admin) -> UserWithPassword:
    """A new account with a one-time password (shown once; it must be changed at first sign-in)."""
    return _accounts(request).create_user(body)


@router.patch("/users/{user_id}", responses=_responses(*_BODY, 404))
def update_user(user_id: UserId, body: UserChange, request: Request, admin: Admin) -> UserOut:
    """Change an account's display name, role, language or disabled state (disabling ends its sessions)."""
    return _accounts(request).update_user(user_id, body)


@router.post("/users/{user_id}/disable", responses=_responses(404, 422))
def disable_user(user_id: UserId, request: Request, admin: Admin) -> UserOut:
    """Disable an account: it cannot sign in, and its sessions end now."""
    return _accounts(request).disable_user(user_id)


@router.post("/users/{user_id}/reset-password", responses=_responses(404, 422))
def reset_password(user_id: UserId, request: Request, admin: Admin) -> UserWithPassword:
    """A new one-time password (shown once); unlocks the account and ends its sessions."""
    return _accounts(request).reset_password(user_id)


@router.post("/users/{user_id}/reset-2fa", responses=_responses(404, 422))
def reset_second_factor(user_id: UserId, request: Request, admin: Admin) -> UserOut:
    """Remove the account's second factor (a lost authenticator) and end its sessions. It signs in next with its
    password; an administrator's account must then set up a new second factor before anything else."""
    return _accounts(request).reset_second_factor(user_id)


@router.get("/tokens", responses=_responses())
def list_tokens(request: Request, admin: Admin) -> list[TokenOut]:
    """Every API token (never its secret)."""
    return _accounts(request).list_tokens()


@router.post("/tokens", status_code=status.HTTP_201_CREATED, responses=_responses(*_BODY, 404, 409))
def issue_token(body: NewToken, request: Request, admin: Admin) -> IssuedToken:
    """A new API token for a machine client: any role but admin, an end date at most a year ahead."""
    return _accounts(request).issue_token(body, admin.user_id)


@router.post("/tokens/{token_id}/revoke", responses=_responses(404, 422))
def revoke_token(token_id: TokenId, request: Request, admin: Admin) -> TokenOut:
    """Stop a token from working, now."""
    return _accounts(request).revoke_token(token_id)
