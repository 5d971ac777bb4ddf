"""Telling listeners that an alert changed, across server processes.

A write that changes an alert announces it in its own transaction (:func:`announce`): on PostgreSQL with
``pg_notify`` on :data:`CHANNEL` (delivered to every listening connection, in every process, when the
transaction commits, and never if it rolls back); on SQLite to the processes' in-process hub after the
commit (SQLite serves one process). Subscribers in a process register with the hub of their database
(:func:`hub_for`); on PostgreSQL one :class:`PostgresListener` thread per process and database LISTENs and
hands what arrives to that hub, while the hub has subscribers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from engraft.registry.schemas.alerts import AlertOut

CHANNEL = "engraft_alerts"
_LISTEN_POLL_SECONDS = 1.0


NOTIFY_PAYLOAD_LIMIT = 7_999
"""PostgreSQL's limit on a NOTIFY payload (bytes, default build); a notice that would exceed it goes without the
alert, and its subscribers read the alert instead."""


@dataclass(frozen=True, slots=True)
class AlertNotice:
    """An alert changed: which one, of which episode, and how (``raised``, ``acknowledged``...).

    A notice made by :meth:`carrying` also holds the alert as it stood when the change was written (``alert``: its
    JSON as the API gives it, of ``version``), so a stream sends it without reading it again; ``alert`` is None
    when the notice does not carry it (then read the alert).
    """

    alert_id: int
    episode_id: int
    change: str
    patient_id: int | None = None
    version: int | None = None
    alert: str | None = None

    @classmethod
    def carrying(cls, alert: AlertOut, change: str) -> AlertNotice:
        """The notice of ``change`` to ``alert``, carrying it (when the payload stays within the NOTIFY limit)."""
        notice = cls(alert.id, alert.episode_id, change, alert.patient_id, alert.version, alert.model_dump_json())
        if len(notice.to_json().encode()) > NOTIFY_PAYLOAD_LIMIT:
            return cls(alert.id, alert.episode_id, change, alert.patient_id, alert.version)
        return notice

    def to_json(self) -> str:
        data: dict[str, object] = {"alert_id": self.alert_id, "episode_id": self.episode_id, "change": self.change}
        if self.patient_id is not None:
            data["patient_id"] = self.patient_id
        if self.version is not None:
            data["version"] = self.version
        if self.alert is not None:
            data["alert"] = self.alert
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, payload: str) -> AlertNotice:
        data: dict[str, Any] = json.loads(payload)
        patient_id, version, alert = data.get("patient_id"), data.get("version"), data.get("alert")
        return cls(
            int(data["alert_id"]),
            int(data["episode_id"]),
            str(data["change"]),
            None if patient_id is None else int(patient_id),
            None if version is None else int(version),
            None if alert is None else str(alert),
        )


Subscriber = Callable[[AlertNotice], None]


class NoticeHub:
    """The subscribers of one process to one database's alert notices (thread-safe).

    On PostgreSQL (``conninfo`` given) the hub runs a :class:`PostgresListener` while it has subscribers: the
    first subscriber starts it, the last one leaving stops it (and its connection closes).
    """

    def __init__(self, conninfo: str | None = None) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._conninfo = conninfo
        self._listener: PostgresListener | None = None

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` for every notice from now on; returns the function that stops it."""
        with self._lock:
            self._subscribers.append(subscriber)
            if self._conninfo is not None and self._listener is None:
                self._listener = PostgresListener(self._conninfo, self)
                self._listener.start()

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
                if not self._subscribers and self._listener is not None:
                    self._listener.stop()
                    self._listener = None

        return unsubscribe

    def publish(self, notice: AlertNotice) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber(notice)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    @property
    def listener(self) -> PostgresListener | None:
        """The running LISTEN thread (PostgreSQL, while there are subscribers)."""
        with self._lock:
            return self._listener


_HUBS: dict[str, NoticeHub] = {}
_HUBS_LOCK = threading.Lock()


def _database_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def hub_for(engine: Engine) -> NoticeHub:
    """This process's hub for the database ``engine`` connects to (one per database, shared by its engines)."""
    key = _database_key(engine)
    with _HUBS_LOCK:
        hub = _HUBS.get(key)
        if hub is None:
            conninfo = None
            if engine.dialect.name == "postgresql":
                conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            hub = _HUBS[key] = NoticeHub(conninfo)
        return hub


_NOTIFY_EACH = text(
    "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) WITH ORDINALITY AS n(payload, k) "
    "ORDER BY k"
)
"""PostgreSQL: a NOTIFY per payload, in the order given (delivered when the transaction commits)."""


def announce(session: Session, notices: list[AlertNotice]) -> None:
    """Announce ``notices`` when ``session``'s transaction commits (and never if it rolls back)."""
    if not notices:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":  # one statement for all of them: one round trip
        session.execute(_NOTIFY_EACH, {"channel": CHANNEL, "payloads": [notice.to_json() for notice in notices]})
        return
    engine = bind if isinstance(bind, Engine) else bind.engine
    pending = list(notices)

    # the listeners stay on the session (one unit of work) and do nothing once their notices are gone: removing a
    # listener while SQLAlchemy dispatches the event is not allowed
    def after_commit(_session: Session) -> None:
        published = list(pending)
        pending.clear()
        hub = hub_for(engine)
        for notice in published:
            hub.publish(notice)

    def after_rollback(_session: Session) -> None:  # rolled back: never announced, not at a later commit either
        pending.clear()

    orm_event.listen(session, "after_commit", after_commit)
    orm_event.listen(session, "after_rollback", after_rollback)


class PostgresListener(threading.Thread):
    """A daemon thread that LISTENs on :data:`CHANNEL` and hands each notice to ``hub``.

    It keeps its own psycopg connection (autocommit) and reconnects after a lost connection.
    """

    def __init__(self, conninfo: str, hub: NoticeHub) -> None:
        super().__init__(name="engraft-alert-listener", daemon=True)
        self._conninfo = conninfo
        self._hub = hub
        self._stop_requested = threading.Event()
        self.listening = threading.Event()
        """Set once LISTEN is in effect (tests wait on it before they write)."""

    def stop(self) -> None:
        self._stop_requested.set()

    def run(self) -> None:
        while not self._stop_requested.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop_requested.is_set():
                        for notify in connection.notifies(timeout=_LISTEN_POLL_SECONDS):
                            self._hub.publish(AlertNotice.from_json(notify.payload))
            except psycopg.Error:
                self.listening.clear()
                self._stop_requested.wait(_LISTEN_POLL_SECONDS)


def listener_for(engine: Engine) -> PostgresListener | None:
    """The running listener of ``engine``'s database in this process (PostgreSQL, while it has subscribers)."""
    return hub_for(engine).listener
