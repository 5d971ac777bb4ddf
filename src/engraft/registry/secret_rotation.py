"""Rotating the server key: every sealed secret opened under the old key and sealed again under the new one,
in one transaction (all or nothing), audited as an update of the ``server key``.

Where the new key is kept (the key file, or ``ENGRAFT_SECRET_KEY``) is the caller's business
(``engraft keys rotate``); this module only re-seals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engraft.registry.audit import AuditAction
from engraft.registry.models import ResearchProject, UserAccount
from engraft.registry.sealed_secrets import SecretBox, pseudonym_context, totp_context
from engraft.registry.service import RegistryService


@dataclass(frozen=True, slots=True)
class Resealed:
    """How many stored secrets were sealed again under the new key."""

    totp_secrets: int
    pseudonym_keys: int


def reseal_secrets(service: RegistryService, old: SecretBox, new: SecretBox) -> Resealed:
    """Open every TOTP secret and pseudonym key with ``old`` (legacy plaintext ones as they are) and seal it with
    ``new``. Raises :class:`~engraft.config.server_key.ServerKeyError` (and changes nothing) when any of them
    does not open under ``old``."""
    with service.transaction() as session:
        users = session.scalars(
            select(UserAccount).where(UserAccount.totp_secret.is_not(None)).order_by(UserAccount.id).with_for_update()
        ).all()
        for user in users:
            assert user.totp_secret is not None
            context = totp_context(user.id)
            user.totp_secret = new.seal_text(old.open_text(user.totp_secret, context), context)
        projects = session.scalars(select(ResearchProject).order_by(ResearchProject.id).with_for_update()).all()
        for project in projects:
            context = pseudonym_context(project.name)
            project.pseudonym_key = new.seal_bytes(old.open_bytes(bytes(project.pseudonym_key), context), context)
        session.flush()
        resealed = Resealed(totp_secrets=len(users), pseudonym_keys=len(projects))
        changes = {"rotated": True, "totp_secrets": resealed.totp_secrets, "pseudonym_keys": resealed.pseudonym_keys}
        service.audit(session, AuditAction.UPDATE, "server key", None, changes)
    return resealed


__all__ = ["Resealed", "reseal_secrets"]
