"""Who may do what: roles, permissions, the one policy table, and researcher pseudonyms.

Pure domain code (no database, no web). The API and the pages declare a :class:`Permission` on every
route; :func:`allows` answers from :data:`ROLE_PERMISSIONS`, the only place a role's rights are written.
"""

from engraft.access.permissions import Permission
from engraft.access.policy import ROLE_PERMISSIONS, Principal, PrincipalKind, allows, permissions_of
from engraft.access.pseudonyms import Pseudonymiser
from engraft.access.roles import Role

__all__ = [
    "ROLE_PERMISSIONS",
    "Permission",
    "Principal",
    "PrincipalKind",
    "Pseudonymiser",
    "Role",
    "allows",
    "permissions_of",
]
