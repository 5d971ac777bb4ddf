"""Evaluating episodes as their results arrive: the monitoring engine's listener on the ingest's result hooks.

:func:`start_monitoring` registers a listener on :data:`engraft.registry.result_hooks.RESULT_HOOKS` that only
queues the episode (a hook must be quick and must not raise); one worker thread takes episodes off the queue
and runs :func:`engraft.registry.monitoring_service.evaluate_episode` on each (an episode queued several times
before the worker reaches it is evaluated once). Results stored without an episode are not evaluated (the
evaluation reads an episode's results). A failed evaluation is logged; the next result of the episode
evaluates it again from its full series.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.result_hooks import RESULT_HOOKS, CommittedResults, ResultHooks
from engraft.registry.service import RegistryService

logger = logging.getLogger(__name__)
_STOP = -1


class MonitoringWorker(threading.Thread):
    """One thread evaluating queued episodes in arrival order."""

    def __init__(self, service: RegistryService, centre_rules: Callable[[], str | None]) -> None:
        super().__init__(name="engraft-monitoring", daemon=True)
        self._service = service
        self._centre_rules = centre_rules
        self._queue: queue.Queue[int] = queue.Queue()
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._running = False
        self.evaluated = 0
        """Evaluations done (for tests and status)."""

    def submit(self, committed: CommittedResults) -> None:
        """The result-hook listener: queue the episode (never raises, never waits)."""
        episode_id = committed.episode_id
        if episode_id is None:
            return
        with self._lock:
            if episode_id in self._pending:
                return
            self._pending.add(episode_id)
        self._queue.put(episode_id)

    def stop(self) -> None:
        self._queue.put(_STOP)

    def idle(self) -> bool:
        """Nothing queued or being evaluated."""
        with self._lock:
            return not self._pending and not self._running and self._queue.empty()

    def run(self) -> None:
        while True:
            episode_id = self._queue.get()
            if episode_id == _STOP:
                return
            with self._lock:
                self._pending.discard(episode_id)
                self._running = True
            try:
                evaluate_episode(self._service, episode_id, centre_rules=self._centre_rules())
                self.evaluated += 1
            except Exception:
                logger.exception("monitoring evaluation of episode %s failed; its next result retries it", episode_id)
            finally:
                with self._lock:
                    self._running = False


def start_monitoring(
    service: RegistryService, centre_rules: Callable[[], str | None], hooks: ResultHooks = RESULT_HOOKS
) -> tuple[MonitoringWorker, Callable[[], None]]:
    """Start the worker and register it on ``hooks``; returns it and the function that stops both."""
    worker = MonitoringWorker(service, centre_rules)
    worker.start()
    unregister = hooks.register(worker.submit)

    def stop() -> None:
        unregister()
        worker.stop()
        worker.join(timeout=30)

    return worker, stop
