"""What the account service takes and answers: accounts, API tokens, one-time secrets (shown once)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from engraft.access import Role
from engraft.registry.schemas.common import AwareDatetime, InputModel, OutputModel, RecordId

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
#: A login name: lower-case letters, digits, ``.``, ``_`` and ``-``, 2 to 64 characters.
Username = Annotated[str, Field(min_length=2, max_length=64, pattern=USERNAME_PATTERN)]
DisplayName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")]
Locale = Literal["en", "zh_Hans"]
#: A password as typed: never stripped or changed; the policy checks it (at least 12 characters).
PasswordText = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")]
#: A six-digit code from an authenticator app.
TotpCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class SecretInput(BaseModel):
    """Strict input that carries a secret: unknown fields refused, nothing stripped or echoed."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class NewUser(InputModel):
    """A new account; its first password is a one-time password the service makes (changed at first sign-in)."""

    username: Username
    display_name: DisplayName
    role: Role
    locale: Locale = "en"


class UserChange(InputModel):
    """An administrator's change to an account; only the fields given change."""

    display_name: DisplayName | None = None
    role: Role | None = None
    locale: Locale | None = None
    disabled: bool | None = None


class UserOut(OutputModel):
    id: int
    username: str
    display_name: str
    role: Role
    locale: str
    disabled: bool
    must_change_password: bool
    totp_enabled: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    created_at: dt.datetime
    changed_at: dt.datetime


class UserWithPassword(BaseModel):
    """An account just created or reset, with its one-time password: shown once, never stored in clear."""

    user: UserOut
    one_time_password: str = Field(description="give it to the person; they must change it at first sign-in")


class NewToken(InputModel):
    """An API token for a machine client: a role below admin and an end date, both required."""

    name: Annotated[str, Field(min_length=2, max_length=64, pattern=TOKEN_NAME_PATTERN)]
    role: Role = Field(description="any role except admin")
    expires_at: AwareDatetime = Field(description="when the token stops working (at most a year ahead)")


class TokenOut(OutputModel):
    id: int
    name: str
    role: Role
    issued_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None


class IssuedToken(BaseModel):
    """A token just issued, with its secret: shown once; the registry keeps only its hash."""

    token: TokenOut
    secret: str = Field(description="send as `Authorization: Bearer <secret>`; it cannot be shown again")


class TotpSetup(BaseModel):
    """A second factor being set up: the secret for the authenticator app, as text and as a provisioning URI."""

    secret: str
    provisioning_uri: str


__all__ = [
    "IssuedToken",
    "NewToken",
    "NewUser",
    "PasswordText",
    "RecordId",
    "SecretInput",
    "TokenOut",
    "TotpCode",
    "TotpSetup",
    "UserChange",
    "UserOut",
    "UserWithPassword",
]
