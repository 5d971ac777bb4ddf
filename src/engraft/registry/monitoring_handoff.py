"""Handing a feed listener's evaluations to the server processes (PostgreSQL), never losing one.

The MLLP listener (``engraft monitor listen``) is one process: storing a message and evaluating its episode in
it share one interpreter lock, and at a high message rate the evaluations fall behind. On PostgreSQL the
listener therefore hands each committed episode to an *evaluator*: a monitoring worker of an ``engraft serve``
process, which evaluates the episodes it is handed besides those its own feeds commit.

- **Evaluators** (:class:`EvaluationConsumer`, one per server process): each holds a numbered *slot*, a
  session-level advisory lock ``(EVALUATOR_SPACE, k)`` on its own connection, taken only once it LISTENs on its
  channel ``engraft_evaluate_<k>``. The lock is the evaluator's presence: PostgreSQL releases it when the
  process or its connection dies. An episode it is handed is queued on the process's monitoring worker; after
  the evaluation has committed, the evaluator acknowledges it on the sender's reply channel.
- **The sender** (:class:`EvaluationHandoff`, the listener's result-hook listener) reads the slots held in its
  database (``pg_locks``) at most every :data:`REFRESH_SECONDS` and sends each committed episode, with the codes
  of its new results, to the slot ``slots[episode id mod len(slots)]``: one process per episode while the
  evaluators stay the same, so one episode's evaluations are not spread over processes (and across processes
  the episode's evaluation lock, :func:`engraft.registry.monitoring_reads.lock_context`, serialises them anyway).
  A handed-off episode stays *pending* in the sender until acknowledged.

Nothing is lost: with no evaluator (the listener run alone, or SQLite) the listener evaluates itself, as before;
an episode sent to an evaluator whose slot is no longer held (the process stopped or died, its connection was
lost), or not acknowledged within :data:`GIVE_UP_SECONDS` (an evaluator stuck, or its evaluation failing), is
evaluated by the listener itself. An episode may then be evaluated twice, one after the other (an evaluation is
idempotent: the second finds nothing to change); never zero times while the listener runs. What the listener has
not yet evaluated or seen acknowledged is lost if the listener process itself dies, as its own queue was before;
a result stored is in any case judged at its episode's next evaluation.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import psycopg
from sqlalchemy import Engine

from engraft.registry.monitoring_scope import EvaluationScope, scope_of
from engraft.registry.result_hooks import CommittedResults
from engraft.registry.service import RegistryService

logger = logging.getLogger(__name__)

EVALUATOR_SPACE: Final = 0x454E4745
"""The first key of the session-level advisory lock ``(space, slot)`` an evaluator holds while it listens."""
MAX_SLOTS: Final = 64
CHANNEL_PREFIX: Final = "engraft_evaluate_"
REPLY_PREFIX: Final = "engraft_evaluated_"
REFRESH_SECONDS: Final = 0.5
"""How often the sender reads the slots held (and checks its pending episodes)."""
GIVE_UP_SECONDS: Final = 30.0
"""An episode handed off and not acknowledged in this time is evaluated by the sender itself."""
ACK_LINGER_SECONDS: Final = 0.05
"""How long an evaluator gathers acknowledgements before sending them in one NOTIFY (well within
:data:`GIVE_UP_SECONDS`; an alert is announced by its own evaluation's commit, not by this)."""
_PAYLOAD_BYTES: Final = 7000
"""Below PostgreSQL's 8,000-byte NOTIFY payload limit."""
_POLL_SECONDS: Final = 0.25

_SLOTS_HELD: Final = """
SELECT objid::int FROM pg_locks
WHERE locktype = 'advisory' AND granted AND classid = %s AND objsubid = 2
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY objid
"""


class EvaluationQueue(Protocol):
    """A process's monitoring worker (:class:`engraft.registry.monitoring_worker.MonitoringWorker`)."""

    def enqueue(self, episode_id: int, scope: EvaluationScope, done: Callable[[], None] | None = None) -> None: ...


def conninfo_of(service: RegistryService) -> str | None:
    """The libpq connection string of ``service``'s database; ``None`` unless it is PostgreSQL."""
    with service.reading() as session:
        bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "postgresql":
        return None
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _encode(scope: EvaluationScope) -> list[str] | None:
    return None if scope.codes is None else sorted(scope.codes)


def _decode(codes: list[str] | None) -> EvaluationScope:
    return EvaluationScope(None if codes is None else frozenset(codes))


def _payloads(reply: str, items: list[tuple[int, int, list[str] | None]]) -> list[str]:
    """``items`` (token, episode, codes) as NOTIFY payloads of at most :data:`_PAYLOAD_BYTES`."""
    payloads: list[str] = []
    chunk: list[tuple[int, int, list[str] | None]] = []
    size = 0
    for item in items:
        length = len(json.dumps(item)) + 1
        if chunk and size + length > _PAYLOAD_BYTES:
            payloads.append(json.dumps({"r": reply, "e": chunk}))
            chunk, size = [], 0
        chunk.append(item)
        size += length
    if chunk:
        payloads.append(json.dumps({"r": reply, "e": chunk}))
    return payloads


# ---------------------------------------------------------------------------------------------------- evaluator


class EvaluationConsumer:
    """A server process's evaluator: takes a slot, LISTENs on its channel, queues what it is handed on
    ``worker`` and acknowledges each evaluation once committed."""

    def __init__(self, conninfo: str, worker: EvaluationQueue) -> None:
        self._conninfo = conninfo
        self._worker = worker
        self._stop = threading.Event()
        self._acks: dict[str, list[int]] = defaultdict(list)
        self._acks_ready = threading.Condition()
        self._acks_done = threading.Event()
        self.ready = threading.Event()
        """Set while the slot is held (tests and the ward wait on it)."""
        self.slot: int | None = None
        self.received = 0
        """Episodes handed to this evaluator (for tests and status)."""
        self._threads = [
            threading.Thread(target=self._listen, name="engraft-evaluator-listen", daemon=True),
            threading.Thread(target=self._acknowledge, name="engraft-evaluator-ack", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop_listening(self, timeout: float = 10) -> None:
        """Stop taking episodes and give up the slot (what was sent meanwhile, the sender evaluates itself)."""
        self._stop.set()
        self._threads[0].join(timeout)

    def stop(self, timeout: float = 10) -> None:
        """Stop listening, and send the acknowledgements of the evaluations done (stop the worker in between)."""
        self.stop_listening(timeout)
        self._acks_done.set()
        with self._acks_ready:
            self._acks_ready.notify_all()
        self._threads[1].join(timeout)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    self._serve(connection)
            except psycopg.Error:
                logger.warning("the evaluator lost its database connection; reconnecting", exc_info=True)
            finally:
                self.ready.clear()
                self.slot = None
            self._stop.wait(_POLL_SECONDS)

    def _serve(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        slot = None
        for k in range(MAX_SLOTS):
            connection.execute(f"LISTEN {CHANNEL_PREFIX}{k}")
            row = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (EVALUATOR_SPACE, k)).fetchone()
            if row is not None and row[0]:
                slot = k
                break
            connection.execute(f"UNLISTEN {CHANNEL_PREFIX}{k}")
        if slot is None:
            logger.warning("all %s evaluator slots are taken; this process evaluates only its own feeds", MAX_SLOTS)
            self._stop.wait(10)
            return
        self.slot = slot
        self.ready.set()
        while not self._stop.is_set():
            for notify in connection.notifies(timeout=_POLL_SECONDS):
                self._handed(notify.payload)
                if self._stop.is_set():
                    break
        # ending the connection releases the slot; what was sent meanwhile the sender evaluates itself

    def _handed(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            reply = str(message["r"])
            items = [(int(t), int(e), c) for t, e, c in message["e"]]
        except (ValueError, KeyError, TypeError):
            logger.warning("an evaluation hand-off that is not understood was ignored: %r", payload[:200])
            return
        for token, episode_id, codes in items:
            self.received += 1
            self._worker.enqueue(episode_id, _decode(codes), done=self._acknowledger(reply, token))

    def _acknowledger(self, reply: str, token: int) -> Callable[[], None]:
        def done() -> None:
            with self._acks_ready:
                self._acks[reply].append(token)
                self._acks_ready.notify_all()

        return done

    def _acknowledge(self) -> None:
        connection: psycopg.Connection[tuple[object, ...]] | None = None
        try:
            while True:
                with self._acks_ready:
                    while not self._acks and not self._acks_done.is_set():
                        self._acks_ready.wait(_POLL_SECONDS)
                # the evaluations that finish meanwhile are acknowledged in the same NOTIFY: every NOTIFY wakes
                # every listening connection of the database, and an acknowledgement delays no alert
                self._acks_done.wait(ACK_LINGER_SECONDS)
                with self._acks_ready:
                    acks, self._acks = self._acks, defaultdict(list)
                if not acks and self._acks_done.is_set():
                    return
                try:
                    if connection is None or connection.closed:
                        connection = psycopg.connect(self._conninfo, autocommit=True)
                    for reply, tokens in acks.items():
                        for lo in range(0, len(tokens), 500):
                            payload = json.dumps(tokens[lo : lo + 500])
                            connection.execute("SELECT pg_notify(%s, %s)", (reply, payload))
                except psycopg.Error:
                    # the sender re-evaluates what it never hears acknowledged: only time is lost
                    logger.warning("acknowledgements of evaluations could not be sent", exc_info=True)
                    connection = None
        finally:
            if connection is not None:
                connection.close()


# ---------------------------------------------------------------------------------------------------- sender


@dataclass(slots=True)
class _Pending:
    episode_id: int
    scope: EvaluationScope
    slot: int
    sent_at: float


class EvaluationHandoff:
    """The listener's result-hook listener: hands each committed episode to an evaluator, or to ``local`` (the
    listener's own monitoring worker) when there is none; see the module's description."""

    def __init__(self, conninfo: str, local: EvaluationQueue) -> None:
        self._conninfo = conninfo
        self._local = local
        self._reply = f"{REPLY_PREFIX}{uuid.uuid4().hex[:16]}"
        self._lock = threading.Condition()
        self._slots: tuple[int, ...] = ()
        self._outbox: dict[int, list[tuple[int, int, list[str] | None]]] = defaultdict(list)
        self._pending: dict[int, _Pending] = {}
        self._next_token = 0
        self._stop = threading.Event()
        self._listening = threading.Event()
        self.handed_off = 0
        self.acknowledged = 0
        self.taken_back = 0
        """Episodes handed off, acknowledged, and evaluated here after all (for tests and status)."""
        self._threads = [
            threading.Thread(target=self._send, name="engraft-handoff-send", daemon=True),
            threading.Thread(target=self._hear, name="engraft-handoff-acks", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop handing off; what is pending is evaluated here (the evaluators' late acknowledgements ignored)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            self._slots = ()
            self._take_back(list(self._pending))
            for items in self._outbox.values():
                for _token, episode_id, codes in items:
                    self._local.enqueue(episode_id, _decode(codes))
            self._outbox.clear()

    def idle(self) -> bool:
        """Nothing waiting to be sent or acknowledged."""
        with self._lock:
            return not self._pending and not any(self._outbox.values())

    @property
    def evaluators(self) -> tuple[int, ...]:
        """The evaluator slots last seen held."""
        with self._lock:
            return self._slots

    def submit(self, committed: CommittedResults) -> None:
        """The result-hook listener (quick, never raises): hand the episode off, or queue it here."""
        episode_id = committed.episode_id
        if episode_id is None:
            return
        scope = scope_of(committed)
        with self._lock:
            slots = self._slots if self._listening.is_set() and not self._stop.is_set() else ()
            if not slots:
                self._local.enqueue(episode_id, scope)
                return
            slot = slots[episode_id % len(slots)]
            token = self._next_token = self._next_token + 1
            self._pending[token] = _Pending(episode_id, scope, slot, time.monotonic())
            self._outbox[slot].append((token, episode_id, _encode(scope)))
            self.handed_off += 1
            self._lock.notify_all()

    def _take_back(self, tokens: list[int]) -> None:
        """Evaluate here the pending episodes of ``tokens`` (called with the lock held)."""
        for token in tokens:
            pending = self._pending.pop(token, None)
            if pending is not None:
                self.taken_back += 1
                self._local.enqueue(pending.episode_id, pending.scope)

    def _send(self) -> None:
        connection: psycopg.Connection[tuple[object, ...]] | None = None
        refreshed = 0.0
        while not self._stop.is_set():
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True)
                if time.monotonic() - refreshed >= REFRESH_SECONDS:
                    self._refresh(connection)
                    refreshed = time.monotonic()
                with self._lock:
                    if not any(self._outbox.values()) and not self._stop.is_set():
                        self._lock.wait(REFRESH_SECONDS)
                    outbox, self._outbox = self._outbox, defaultdict(list)
                for slot, items in outbox.items():
                    for payload in _payloads(self._reply, items):
                        connection.execute("SELECT pg_notify(%s, %s)", (f"{CHANNEL_PREFIX}{slot}", payload))
            except psycopg.Error:
                logger.warning("evaluations could not be handed off; evaluating them here", exc_info=True)
                with self._lock:
                    self._slots = ()
                    self._take_back(list(self._pending))
                if connection is not None:
                    connection.close()
                connection = None
                self._stop.wait(_POLL_SECONDS)
        if connection is not None:
            connection.close()

    def _refresh(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        """Read the slots held; take back what was sent to a slot no longer held or waits too long."""
        slots = tuple(int(str(row[0])) for row in connection.execute(_SLOTS_HELD, (EVALUATOR_SPACE,)))
        now = time.monotonic()
        with self._lock:
            self._slots = slots
            held = set(slots)
            stale = [
                token
                for token, pending in self._pending.items()
                if pending.slot not in held or now - pending.sent_at > GIVE_UP_SECONDS
            ]
            self._take_back(stale)

    def _hear(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {self._reply}")
                    self._listening.set()
                    while not self._stop.is_set():
                        for notify in connection.notifies(timeout=_POLL_SECONDS):
                            self._acknowledged(notify.payload)
            except psycopg.Error:
                logger.warning(
                    "the hand-off lost its reply connection; evaluating its pending episodes here", exc_info=True
                )
            with self._lock:
                self._listening.clear()
                self._take_back(list(self._pending))  # their acknowledgements may have been missed
            self._stop.wait(_POLL_SECONDS)

    def _acknowledged(self, payload: str) -> None:
        try:
            tokens = [int(t) for t in json.loads(payload)]
        except (ValueError, TypeError):
            logger.warning("an acknowledgement that is not understood was ignored: %r", payload[:200])
            return
        with self._lock:
            for token in tokens:
                if self._pending.pop(token, None) is not None:
                    self.acknowledged += 1
