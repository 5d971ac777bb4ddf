"""Listeners called after a commit: the one mechanism behind the registry's hooks.

A hook holds the listeners registered for one kind of committed change (results stored, an episode edited). The
registry notifies it once the transaction has committed, never before. A listener runs in the writing thread; it
must be quick (hand work to a queue) and must not raise: an exception is logged and the other listeners still
run, because the change is committed either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Change = TypeVar("Change")


class CommitHooks(Generic[Change]):
    """The listeners of one kind of committed change; thread-safe to register from anywhere."""

    def __init__(self, what: str) -> None:
        self._what = what
        """What a change is, for the log line of a failing listener (e.g. "results")."""
        self._listeners: list[Callable[[Change], None]] = []
        self._lock = threading.Lock()

    def register(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``listener`` for every change from now on; returns the function that unregisters it."""
        with self._lock:
            self._listeners.append(listener)

        def unregister() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unregister

    def notify_one(self, change: Change) -> None:
        """Hand ``change`` to every listener (called by the registry after the commit)."""
        with self._lock:
            listeners = tuple(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                logger.exception(
                    "%s listener %r failed for %r (the change stays committed)", self._what, listener, change
                )
