"""Waiting, in a test, for a running monitoring worker to finish what it was given."""

from __future__ import annotations

import threading

from engraft.registry.monitoring_worker import MonitoringWorker


def wait_for_evaluations(worker: MonitoringWorker, seconds: float = 30.0) -> None:
    """Until ``worker`` has evaluated something and has nothing queued or running (at most ``seconds``); the
    caller then asserts what was evaluated."""
    waited = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if worker.idle() and worker.evaluated:
            return
        waited.wait(0.05)
