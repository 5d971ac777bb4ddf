"""The one policy table: which role holds which permission, and the principal a request acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from engraft.access.permissions import Permission
from engraft.access.roles import Role

_CLINICAL_READ: Final = frozenset({Permission.PATIENT_READ, Permission.PATIENT_IDENTITY_READ})

ROLE_PERMISSIONS: Final[MappingProxyType[Role, frozenset[Permission]]] = MappingProxyType(
    {
        Role.ADMIN: frozenset({Permission.ACCOUNTS_MANAGE, Permission.AUDIT_READ, Permission.CENTRE_WRITE}),
        Role.PHYSICIAN: _CLINICAL_READ
        | {
            Permission.PATIENT_WRITE,
            Permission.OBSERVATION_WRITE,
            Permission.ALERT_MANAGE,
            Permission.RISK_ASSESS,
            Permission.DONOR_READ,
            Permission.DONOR_SEARCH,
            Permission.OUTCOMES_READ,
        },
        Role.NURSE: _CLINICAL_READ | {Permission.OBSERVATION_WRITE, Permission.ALERT_MANAGE},
        Role.SEARCH_COORDINATOR: _CLINICAL_READ
        | {Permission.DONOR_READ, Permission.DONOR_WRITE, Permission.DONOR_SEARCH},
        Role.DATA_MANAGER: _CLINICAL_READ
        | {
            Permission.PATIENT_WRITE,
            Permission.OBSERVATION_WRITE,
            Permission.RISK_ASSESS,
            Permission.DONOR_READ,
            Permission.DONOR_WRITE,
            Permission.OUTCOMES_READ,
            Permission.RESEARCH_READ,
            Permission.REGISTRY_EXPORT,
        },
        Role.RESEARCHER: frozenset({Permission.OUTCOMES_READ, Permission.RESEARCH_READ}),
    }
)
"""What each role may do, beyond :attr:`Permission.PUBLIC` and :attr:`Permission.SIGNED_IN` (everyone signed in)."""


def permissions_of(role: Role) -> frozenset[Permission]:
    """Every permission ``role`` holds, the two universal ones included."""
    return ROLE_PERMISSIONS[role] | {Permission.PUBLIC, Permission.SIGNED_IN}


def allows(role: Role | None, permission: Permission) -> bool:
    """Whether ``role`` (``None``: nobody signed in) may act under ``permission``."""
    if permission is Permission.PUBLIC:
        return True
    if role is None:
        return False
    return permission in permissions_of(role)


class PrincipalKind(StrEnum):
    """How a request proved who it acts for."""

    SESSION = "session"
    """A person signed in through the web pages (a server-side session cookie)."""
    API_TOKEN = "api_token"
    """A machine client with an API token (e.g. a lab interface)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The account a request acts for: who, in which role, proved how.

    ``user_id`` is the account's id; ``token_id`` is set for API-token requests (the token's own id, so the
    audit log names the token as well as the account that issued it).
    """

    user_id: int
    username: str
    role: Role
    kind: PrincipalKind
    display_name: str = ""
    locale: str = "en"
    token_id: int | None = None

    def may(self, permission: Permission) -> bool:
        """Whether this principal's role holds ``permission``."""
        return allows(self.role, permission)

    @property
    def sees_identity(self) -> bool:
        """Whether identifying data (names, MRNs, birth dates) may be shown to this principal."""
        return self.may(Permission.PATIENT_IDENTITY_READ)
