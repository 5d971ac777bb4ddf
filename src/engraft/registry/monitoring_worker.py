"""Evaluating episodes as their results arrive: the monitoring engine's listener on the ingest's result hooks.

:func:`start_monitoring` registers a listener on :data:`engraft.registry.result_hooks.RESULT_HOOKS` that only
queues the episode with the codes of its new results (a hook must be quick and must not raise). The queue
coalesces: an episode queued again while it waits is evaluated once, with the codes of all its new results
(:meth:`EvaluationScope.merged <engraft.registry.monitoring_scope.EvaluationScope.merged>`), in the place of
its first arrival. Several worker threads (:data:`WORKERS_ENV`, default :data:`DEFAULT_WORKERS` on PostgreSQL)
take episodes off the queue, oldest first, never one episode in two threads of a process at once (an episode
whose results arrive while it is being evaluated waits for that evaluation, then is evaluated again); each runs
:func:`engraft.registry.monitoring_service.evaluate_episode` with the scope. Across processes (several server
workers, the MLLP listener) the episode's evaluation lock serialises evaluations of one episode. On SQLite there is
one worker thread: the database has one writer. On PostgreSQL a feed listener started with :attr:`HandOff.SENDER`
hands its episodes to the server processes started with :attr:`HandOff.EVALUATOR`
(:mod:`engraft.registry.monitoring_handoff`), evaluating them itself when none is there.

Results stored without an episode are not evaluated (the evaluation reads an episode's results); a message with
transfusions evaluates every rule of the episode. A failed evaluation is tried once more at once; failing
again, it is logged and its scope kept, added to the episode's next evaluation.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
from collections.abc import Callable
from typing import Final

from engraft.registry.errors import RecordNotFound
from engraft.registry.monitoring_handoff import EvaluationConsumer, EvaluationHandoff, conninfo_of
from engraft.registry.monitoring_scope import EvaluationScope, scope_of
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.result_hooks import RESULT_HOOKS, CommittedResults, ResultHooks
from engraft.registry.service import RegistryService

logger = logging.getLogger(__name__)

WORKERS_ENV: Final = "ENGRAFT_MONITORING_WORKERS"
"""Environment variable: monitoring worker threads per process (PostgreSQL; SQLite always has one)."""
DEFAULT_WORKERS: Final = 4
MAX_WORKERS: Final = 32


class MonitoringWorker:
    """A coalescing queue of episodes to evaluate and the threads that evaluate them."""

    def __init__(
        self, service: RegistryService, centre_rules: Callable[[], str | None], workers: int = DEFAULT_WORKERS
    ) -> None:
        if not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"workers={workers}; expected 1 to {MAX_WORKERS}")
        self._service = service
        self._centre_rules = centre_rules
        self._changed = threading.Condition()
        self._waiting: dict[int, EvaluationScope] = {}
        """Episodes to evaluate, oldest first, each with what arrived for it."""
        self._done: dict[int, list[Callable[[], None]]] = {}
        """What to call once a waiting episode's evaluation has committed (a hand-off's acknowledgement)."""
        self._running: set[int] = set()
        self._unfinished: dict[int, EvaluationScope] = {}
        """Scopes whose evaluation failed twice, added to the episode's next evaluation."""
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"engraft-monitoring-{k + 1}", daemon=True) for k in range(workers)
        ]
        self.evaluated = 0
        """Evaluations done (for tests and status)."""

    @property
    def workers(self) -> int:
        return len(self._threads)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, committed: CommittedResults) -> None:
        """The result-hook listener: queue the episode with what arrived (never raises, never waits long)."""
        episode_id = committed.episode_id
        if episode_id is None:
            return
        self.enqueue(episode_id, scope_of(committed))

    def enqueue(self, episode_id: int, scope: EvaluationScope, done: Callable[[], None] | None = None) -> None:
        """Queue ``episode_id`` for an evaluation of ``scope`` (merged into its place if it is waiting); ``done`` is
        called (in the worker thread, quick, must not raise) once an evaluation begun after this call has committed,
        or found the episode deleted; never when it failed."""
        with self._changed:
            if done is not None:
                self._done.setdefault(episode_id, []).append(done)
            unfinished = self._unfinished.pop(episode_id, None)
            if unfinished is not None:
                scope = scope.merged(unfinished)
            waiting = self._waiting.get(episode_id)
            self._waiting[episode_id] = scope if waiting is None else waiting.merged(scope)
            self._changed.notify_all()

    def stop(self, timeout: float = 30) -> None:
        """Evaluate what is queued, then end the threads (waits at most ``timeout`` seconds for each)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def idle(self) -> bool:
        """Nothing queued or being evaluated."""
        with self._changed:
            return not self._waiting and not self._running

    def _take(self) -> tuple[int, EvaluationScope, list[Callable[[], None]]] | None:
        with self._changed:
            while True:
                for episode_id in self._waiting:  # oldest first, not one another thread is evaluating
                    if episode_id not in self._running:
                        self._running.add(episode_id)
                        return episode_id, self._waiting.pop(episode_id), self._done.pop(episode_id, [])
                if self._stopping and not self._waiting:
                    return None
                self._changed.wait()

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            episode_id, scope, done = taken
            try:
                if self._evaluate(episode_id, scope):
                    for call in done:
                        call()
            finally:
                with self._changed:
                    self._running.discard(episode_id)
                    self._changed.notify_all()

    def _evaluate(self, episode_id: int, scope: EvaluationScope) -> bool:
        """Evaluate; whether it is done (committed, or the episode no longer exists)."""
        for attempt in (1, 2):
            try:
                evaluate_episode(self._service, episode_id, centre_rules=self._centre_rules(), scope=scope)
            except RecordNotFound:
                return True  # the episode was deleted since its results came
            except Exception:
                if attempt == 1:
                    continue
                logger.exception(
                    "monitoring evaluation of episode %s failed twice; its next evaluation includes these results",
                    episode_id,
                )
                with self._changed:
                    kept = self._unfinished.get(episode_id)
                    self._unfinished[episode_id] = scope if kept is None else kept.merged(scope)
                return False
            with self._changed:
                self.evaluated += 1
            return True
        return False


def configured_workers(service: RegistryService) -> int:
    """Worker threads for ``service``'s database: one on SQLite (one writer); else :data:`WORKERS_ENV`, or
    :data:`DEFAULT_WORKERS` (with a warning logged when the variable is not a whole number from 1 to
    :data:`MAX_WORKERS`)."""
    if _on_sqlite(service):
        return 1
    configured = os.environ.get(WORKERS_ENV)
    if not configured:
        return DEFAULT_WORKERS
    try:
        workers = int(configured)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        logger.warning(
            "%s=%r is not a whole number from 1 to %s; %s monitoring workers are used",
            WORKERS_ENV,
            configured,
            MAX_WORKERS,
            DEFAULT_WORKERS,
        )
        return DEFAULT_WORKERS
    return workers


def _on_sqlite(service: RegistryService) -> bool:
    with service.reading() as session:
        return session.get_bind().dialect.name == "sqlite"


class HandOff(enum.Enum):
    """A process's part in handing evaluations between processes (PostgreSQL; see
    :mod:`engraft.registry.monitoring_handoff`)."""

    NONE = "none"
    """Evaluate what this process's feeds commit, nothing else (tests, tools)."""
    EVALUATOR = "evaluator"
    """A server process: also evaluate the episodes a feed listener hands over."""
    SENDER = "sender"
    """A feed listener: hand the episodes it commits to the evaluators; evaluate them itself when there is none."""


def start_monitoring(
    service: RegistryService,
    centre_rules: Callable[[], str | None],
    hooks: ResultHooks = RESULT_HOOKS,
    *,
    workers: int | None = None,
    hand_off: HandOff = HandOff.NONE,
) -> tuple[MonitoringWorker, Callable[[], None]]:
    """Start ``workers`` threads (``None``: :func:`configured_workers`; on SQLite always one) and register them on
    ``hooks``, with the process's part ``hand_off`` in handing evaluations between processes (ignored on SQLite);
    returns the worker and the function that stops all of it (what is queued or pending is evaluated first)."""
    if workers is None or _on_sqlite(service):
        workers = configured_workers(service)
    worker = MonitoringWorker(service, centre_rules, workers)
    worker.start()
    conninfo = None if hand_off is HandOff.NONE else conninfo_of(service)
    if conninfo is not None and hand_off is HandOff.SENDER:
        sender = EvaluationHandoff(conninfo, worker)
        sender.start()
        unregister = hooks.register(sender.submit)

        def stop_sender() -> None:
            unregister()
            sender.stop()  # what is pending is queued here
            worker.stop()

        return worker, stop_sender
    unregister = hooks.register(worker.submit)
    evaluator = None
    if conninfo is not None and hand_off is HandOff.EVALUATOR:
        evaluator = EvaluationConsumer(conninfo, worker)
        evaluator.start()

    def stop() -> None:
        unregister()
        if evaluator is not None:
            evaluator.stop_listening()
        worker.stop()
        if evaluator is not None:
            evaluator.stop()  # the acknowledgements of the last evaluations

    return worker, stop
