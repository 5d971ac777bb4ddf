"""``engraft serve``'s worker processes, each accepting on its own listening socket (``SO_REUSEPORT``).

uvicorn's own supervisor binds one socket and hands it to every worker; the worker whose event loop wakes first
accepts every connection waiting, so a client that opens its connections together (a lab interface engine, a
ward board, the benchmark's eight FHIR connections) lands on one process, and one interpreter lock does all of its
work while the other processes idle (measured: 86 % of the interpreter-held samples of a FHIR run in one of two
workers). Here each worker binds its own socket to the same address with ``SO_REUSEPORT``, and the kernel spreads
new connections over the workers' sockets by a hash of the connection's addresses.

The supervisor (:class:`WorkerSupervisor`) binds the address first, without listening (a port in use is refused
before any worker starts; port 0 is resolved to the free port the workers then share), starts the workers
(``spawn``: each builds its own app), restarts a worker that dies after it started serving, and stops every worker
(SIGTERM: uvicorn's graceful shutdown) when it is asked to stop (SIGINT, SIGTERM) or when a worker fails before
serving (the same failure would repeat at every restart). Where the platform has no ``SO_REUSEPORT``
(:func:`balanced_workers_supported`), ``serve`` keeps uvicorn's supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Final

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")

STOP_SECONDS: Final = 30.0
"""How long stopping waits for a worker's graceful shutdown before killing it."""
RESTART_PAUSE_SECONDS: Final = 1.0
"""The pause before a worker that died is started again (a worker dying at once does not spin the supervisor)."""


def balanced_workers_supported() -> bool:
    """Whether this platform can give each worker its own listening socket on one address (Linux: yes)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` with ``SO_REUSEPORT`` (not listening yet); raises OSError as bind does."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _serve_worker(config: uvicorn.Config, port: int) -> None:
    """A worker process: its own socket on the shared address, then uvicorn's server until it is stopped."""
    config.configure_logging()
    try:
        sock = reuse_port_socket(config.host, port)
    except OSError as exc:
        logger.error("worker could not bind %s:%s: %s", config.host, port, exc)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # a terminal's Ctrl-C reaches the workers too
        server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class WorkerSupervisor:
    """Starts ``workers`` processes serving ``config``'s app, each on its own ``SO_REUSEPORT`` socket; see the
    module's description."""

    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers={workers}; expected at least 1")
        self.config = config
        self.workers = workers
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._stop = threading.Event()
        self._reserved: socket.socket | None = None
        self.port = config.port
        """The port the workers share (resolved from port 0 once :meth:`bind` has run)."""

    def bind(self) -> None:
        """Reserve the address (raises OSError when it is in use); port 0 becomes the free port found."""
        self._reserved = reuse_port_socket(self.config.host, self.config.port)
        self.port = int(self._reserved.getsockname()[1])

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Stop the workers and return from :meth:`run` (a signal handler, or from another thread)."""
        self._stop.set()

    def run(self) -> int:
        """Serve until stopped; returns the exit status (0, or :data:`STARTUP_FAILURE` when a worker could not
        start serving)."""
        if self._reserved is None:
            self.bind()
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        status = 0
        try:
            self._processes = [self._start() for _ in range(self.workers)]
            while not self._stop.wait(0.5):
                for index, process in enumerate(self._processes):
                    if process.is_alive():
                        continue
                    if process.exitcode == STARTUP_FAILURE:
                        logger.error("worker process [%s] failed to start; stopping", process.pid)
                        status = STARTUP_FAILURE
                        self._stop.set()
                        break
                    logger.warning(
                        "worker process [%s] died (exit code %s); starting another", process.pid, process.exitcode
                    )
                    time.sleep(RESTART_PAUSE_SECONDS)
                    self._processes[index] = self._start()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self._reserved is not None:
                self._reserved.close()
                self._reserved = None
        return status

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (for status and tests)."""
        return [p.pid for p in self._processes if p.pid is not None]

    def _start(self) -> BaseProcess:
        process = self._context.Process(
            target=_serve_worker, args=(self.config, self.port), name="engraft-serve-worker", daemon=False
        )
        process.start()
        logger.info("started worker process [%s]", process.pid)
        return process

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn shuts down gracefully
        deadline = time.monotonic() + STOP_SECONDS
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning("worker process [%s] did not stop in %s s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
