"""The registry's service layer: every write goes through here, in one transaction, with audit.

Each public method opens its own transaction and either commits everything it did (including
its audit entry) or nothing. Updates use optimistic locking: the caller passes the version it
read; a stale version, or a concurrent change between read and write, raises
:class:`VersionConflict` instead of silently overwriting the other edit.

:class:`RegistryService` is assembled here from its parts: the transactions, audit log and generic record
access they share (:mod:`engraft.registry.service_core`), the registrations (centres, patients, diagnoses,
donors: :mod:`engraft.registry.service_registrations`) and the transplants (episodes, clinical events,
follow-up visits, assessments, observations: :mod:`engraft.registry.service_transplants`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engraft.registry.audit import Actor
from engraft.registry.errors import RegistryError
from engraft.registry.service_core import MAX_PAGE as MAX_PAGE
from engraft.registry.service_core import begin_write
from engraft.registry.service_core import integrity_problem as integrity_problem
from engraft.registry.service_registrations import RegistrationsMixin
from engraft.registry.service_transplants import TransplantsMixin


class RegistryService(RegistrationsMixin, TransplantsMixin):
    """Transactional access to the registry for one acting user (recorded in the audit log)."""

    def for_actor(self, actor: Actor) -> RegistryService:
        """The same registry, acting for ``actor`` (one per request: the user, address and agent it audits)."""
        return RegistryService(self._sessions, actor, bound=self._bound, typing_validator=self._typing_validator)

    @contextmanager
    def batch(self) -> Iterator[RegistryService]:
        """A service whose every call joins one outer transaction (all-or-nothing imports).

        Each call inside runs in a savepoint, so a caller may catch a failing record and go
        on (skip-bad-rows mode); the outer transaction commits only when the block ends cleanly.
        """
        with self._sessions() as session, session.begin():
            begin_write(session)
            yield RegistryService(self._sessions, self.actor, bound=session, typing_validator=self._typing_validator)


__all__ = ["RegistryError", "RegistryService"]
