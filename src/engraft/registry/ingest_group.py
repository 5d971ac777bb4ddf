"""Group commit of feed messages: messages ready in several threads stored in one transaction, each answered after it.

A feed's senders wait for each answer (an HL7 v2 ACK, an HTTP response) before they send again, so the registry's
rate is that of its transactions. :class:`GroupCommitter` lets the threads storing messages at the same moment
share one: a thread that arrives while fewer than :data:`MAX_LEADERS` groups are being stored leads, takes every
message waiting (at most :data:`MAX_GROUP`), stores them in one transaction (:func:`store_group`: one BEGIN, one
COMMIT, one write-ahead-log flush; each message with its own statements, its own audit entry under its own actor)
and, after the COMMIT, hands each waiting thread its outcome; messages that arrived meanwhile form the next groups
(a leader whose own message is stored hands the lead to a waiting message's thread). A thread is answered only
after the transaction holding its message committed, so an acknowledgement always follows the commit.

A group is all or nothing: when any of its messages is refused (:class:`~engraft.registry.errors.InvalidRecord`)
or the transaction fails (a conflict, the database gone), nothing of it is committed, and every thread of the
group stores its own message alone (:func:`~engraft.registry.ingest.store_results`), so each is answered on its
own, exactly as without grouping. A message alone in its group is stored the ordinary way.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from engraft.registry.audit import Actor
from engraft.registry.ingest import (
    IncomingObservation,
    IncomingTransfusion,
    IngestOutcome,
    MessageKey,
    store_in_transaction,
    store_results,
)
from engraft.registry.result_hooks import RESULT_HOOKS, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol

MAX_GROUP: Final = 32
"""Messages stored in one transaction at most."""
MAX_LEADERS: Final = 4
"""Groups being stored at the same time, each in its own transaction (the round trips of one overlap another's)."""


@dataclass(frozen=True, slots=True)
class FeedMessage:
    """One message to store: its results, its key (``None``: not idempotent), its protocol and who sent it."""

    observations: Sequence[IncomingObservation]
    message: MessageKey | None
    actor: Actor
    transfusions: Sequence[IncomingTransfusion] = ()
    protocol: InboundProtocol = InboundProtocol.HL7V2

    @property
    def stated_protocol(self) -> InboundProtocol:
        return self.message.protocol if self.message is not None else self.protocol


def store_group(
    service: RegistryService,
    messages: Sequence[FeedMessage],
    *,
    centre: str | None = None,
    hooks: ResultHooks = RESULT_HOOKS,
) -> list[IngestOutcome]:
    """Store ``messages`` in one transaction, each as :func:`~engraft.registry.ingest.store_results` would (its
    own audit entry under its own actor); ``hooks`` are told after the one commit. All or nothing: raises what the
    first failing message raises, and then nothing is stored."""
    outcomes = []
    with service.transaction() as session:
        for item in messages:
            outcomes.append(
                store_in_transaction(
                    session,
                    service.for_actor(item.actor),
                    item.observations,
                    item.transfusions,
                    item.message,
                    centre,
                    item.stated_protocol,
                )
            )
    hooks.notify([c for outcome in outcomes for c in outcome.committed])
    return outcomes


@dataclass
class _Slot:
    item: FeedMessage
    wake: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    leads: bool = False
    """This message's thread stores the next groups (until its own message is stored)."""
    outcome: IngestOutcome | None = None
    error: Exception | None = None
    alone: bool = False
    """Its group failed: the message's own thread stores it alone."""


class GroupCommitter:
    """The messages of one registry (and feed centre) stored in groups; :meth:`store` from any thread."""

    def __init__(
        self,
        service: RegistryService,
        centre: str | None = None,
        hooks: ResultHooks = RESULT_HOOKS,
        leaders: int = MAX_LEADERS,
    ) -> None:
        """``leaders``: groups stored at the same time at most (default :data:`MAX_LEADERS`)."""
        self.service, self.centre, self.hooks = service, centre, hooks
        self.max_leaders = leaders
        self._lock = threading.Lock()
        self._waiting: list[_Slot] = []
        self._leaders = 0
        self.groups = 0
        """Transactions of two or more messages committed (for tests and status)."""

    @property
    def waiting(self) -> int:
        """Messages waiting for a group (not being stored yet)."""
        with self._lock:
            return len(self._waiting)

    def store(self, item: FeedMessage) -> IngestOutcome:
        """Store ``item`` (with whatever other messages are waiting); its outcome once its transaction committed.

        Raises as :func:`~engraft.registry.ingest.store_results` does when the message cannot be stored."""
        slot = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            if self._leaders < self.max_leaders:
                self._leaders += 1
                slot.leads = True
        while True:
            if slot.leads:
                self._lead(slot)
            if slot.finished:
                break
            slot.wake.wait()
            slot.wake.clear()
        if slot.error is not None:
            raise slot.error
        if slot.alone or slot.outcome is None:
            return self._alone(item)
        return slot.outcome

    def _lead(self, own: _Slot) -> None:
        """Store the waiting messages group after group until ``own`` is stored (or taken into another leader's
        group), then hand the lead to a waiting message's thread, or step down."""
        while True:
            with self._lock:
                if own.finished or not self._waiting:
                    own.leads = False
                    following = next((s for s in self._waiting if not s.leads), None)
                    if following is not None:
                        following.leads = True
                        following.wake.set()
                    else:
                        self._leaders -= 1
                    return
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            self._store(group)

    def _store(self, group: list[_Slot]) -> None:
        try:
            outcomes = store_group(self.service, [s.item for s in group], centre=self.centre, hooks=self.hooks)
        except Exception as exc:
            for slot in group:  # alone: refused like store_results; in a group: each stored on its own
                if len(group) == 1:
                    slot.error = exc
                else:
                    slot.alone = True
                slot.finished = True
                slot.wake.set()
            return
        if len(group) > 1:
            self.groups += 1
        for slot, outcome in zip(group, outcomes, strict=True):
            slot.outcome = outcome
            slot.finished = True
            slot.wake.set()

    def _alone(self, item: FeedMessage) -> IngestOutcome:
        return store_results(
            self.service.for_actor(item.actor),
            item.observations,
            item.transfusions,
            item.message,
            centre=self.centre,
            protocol=item.stated_protocol,
            hooks=self.hooks,
        )
