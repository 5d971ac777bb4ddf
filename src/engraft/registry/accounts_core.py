"""What every part of the account service shares: the registry it writes through, its policy, its clock and the
box that seals its stored secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engraft.access import Principal, PrincipalKind
from engraft.registry.accounts_policy import AccountPolicy, Clock, utc_clock
from engraft.registry.audit import Actor, AuditAction
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import UserAccount
from engraft.registry.sealed_secrets import SecretBox
from engraft.registry.service import RegistryService


class AccountCore:
    """The registry (its transactions and audit log), the account policy and the clock."""

    def __init__(
        self,
        registry: RegistryService,
        policy: AccountPolicy | None = None,
        clock: Clock = utc_clock,
        secrets: SecretBox | None = None,
    ) -> None:
        self.registry = registry
        self.policy = policy or AccountPolicy()
        self.clock = clock
        self.secrets = secrets or SecretBox()
        """Seals the TOTP secrets at rest (the server key: ``ENGRAFT_SECRET_KEY`` or the key file)."""

    @property
    def actor(self) -> Actor:
        return self.registry.actor

    def now(self) -> dt.datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("clock: expected a timezone-aware datetime")
        return moment

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.registry.transaction() as session:
            yield session

    def audit(
        self,
        session: Session,
        action: AuditAction,
        entity: str,
        entity_id: int | None,
        changes: dict[str, Any],
        actor: Actor | None = None,
    ) -> None:
        """An audit entry in ``session``'s transaction, by ``actor`` (default: the service's actor)."""
        registry = self.registry if actor is None else self.registry.for_actor(actor)
        registry.audit(session, action, entity, entity_id, changes)

    @staticmethod
    def user_row(session: Session, user_id: int, *, lock: bool = False) -> UserAccount:
        stmt = select(UserAccount).where(UserAccount.id == user_id)
        if lock:
            stmt = stmt.with_for_update()
        user = session.scalars(stmt).first()
        if user is None:
            raise RecordNotFound("user account", user_id)
        return user

    @staticmethod
    def user_by_name(session: Session, username: str, *, lock: bool = False) -> UserAccount | None:
        stmt = select(UserAccount).where(UserAccount.username == username)
        if lock:
            stmt = stmt.with_for_update()
        return session.scalars(stmt).first()


def principal_of(user: UserAccount) -> Principal:
    """The principal a signed-in person's requests act for."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        kind=PrincipalKind.SESSION,
        display_name=user.display_name,
        locale=user.locale,
    )


def actor_of(user: UserAccount, client_address: str | None = None, user_agent: str | None = None) -> Actor:
    return Actor(
        name=user.username,
        user_id=user.id,
        role=user.role.value,
        client_address=client_address,
        user_agent=user_agent,
    )
