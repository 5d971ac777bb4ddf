"""What the account and admin pages share: the forms' CSRF check, the first-use duties, field errors.

- :func:`check_csrf`: every state-changing form is a POST carrying the session's ``csrf_token`` field; a
  form without it (or with another session's) gets the 403 page and changes nothing.
- :class:`FieldErrors`: messages per form field, in the page's language, from the registry's refusals.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Final

from fastapi import Request
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engraft.api.auth import signed_in_session
from engraft.registry.accounts import AccountService
from engraft.registry.errors import InvalidRecord
from engraft.registry.service import RegistryService
from engraft.web.i18n import N_
from engraft.web.pages_common import ACCOUNT_PATH
from engraft.web.templating import translate


def check_csrf(request: Request, sent: str) -> None:
    """Refuse (403 page) a form POST whose ``csrf_token`` is not the signed-in session's own."""
    signed_in = signed_in_session(request)
    if signed_in is None or not sent or not hmac.compare_digest(sent.encode(), signed_in.csrf_token.encode()):
        raise StarletteHTTPException(403, "missing or wrong CSRF token")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:300] or None


def accounts_service(request: Request) -> AccountService:
    """The application's account service (acting for nobody yet: sign-in names its own actor)."""
    accounts: AccountService = request.app.state.accounts
    return accounts


def registry_service(request: Request) -> RegistryService:
    registry: RegistryService = request.app.state.registry
    return registry


# What the account service's rules expect, as a person reads it (msgids; the registry speaks English).
_EXPECTATIONS: Final[dict[str, str]] = {
    "at least 12 characters": N_("At least 12 characters."),
    "a password that is not the username": N_("Must not be the username."),
    "a password that is not only spaces": N_("Must not be only spaces."),
    "a password other than the current one": N_("Must differ from the current password."),
    "the current 6-digit code from the authenticator app": N_(
        "Not the current code: type the 6 digits the app shows now."
    ),
    "another administrator to change your role": N_("Another administrator must change your role."),
    "another administrator to disable your account": N_("Another administrator must disable your account."),
    "any role except admin (tokens never administer)": N_("Tokens cannot have the administrator role."),
    "a time in the future": N_("Must be in the future."),
}
_PYDANTIC_FIELD_MESSAGES: Final[dict[str, str]] = {
    "username": N_("2 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."),
    "display_name": N_("Required, at most 200 characters."),
    "name": N_("2 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit."),
    "role": N_("Choose a role."),
    "locale": N_("Choose a language."),
    "expires_at": N_("Choose a date."),
}


@dataclass
class FieldErrors:
    """Messages (already translated) per form field; ``general`` for those that belong to no one field."""

    request: Request
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        """``message`` (a msgid) for field ``name``."""
        self.fields.setdefault(name, translate(self.request, message))

    def add_general(self, message: str) -> None:
        self.general.append(translate(self.request, message))

    def add_invalid(self, error: InvalidRecord, rename: dict[str, str] | None = None) -> None:
        """The registry's refusal, each problem under its field (``rename``: registry field -> form field)."""
        for problem in error.problems:
            name = (rename or {}).get(problem.field, problem.field)
            expected = _EXPECTATIONS.get(problem.expected)
            if expected is not None:
                self.add(name, expected)
            elif problem.expected.startswith("at most") and name == "expires_at":
                self.add(name, N_("At most a year ahead."))
            else:
                self.fields.setdefault(name, problem.expected)

    def add_validation(self, error: ValidationError) -> None:
        """Pydantic's refusal of a form, one message per field."""
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            self.add(name, _PYDANTIC_FIELD_MESSAGES.get(name, N_("This value is not valid.")))

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


__all__ = [
    "ACCOUNT_PATH",
    "FieldErrors",
    "accounts_service",
    "check_csrf",
    "client_address",
    "registry_service",
    "user_agent",
]
