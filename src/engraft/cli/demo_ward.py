"""``engraft serve --demo``'s live side: the MLLP listener and the simulated ward feeding it, in the background.

The listener and the feed share one asyncio event loop in a daemon thread of the serving process: the
listener stores and acknowledges exactly as ``engraft monitor listen`` does (so the result hooks, and any
monitoring registered on them, see the ward's results), and the feed is a separate MLLP client on its own
TCP connection, as a laboratory system would be.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engraft.cli.common import err_console, open_engine
from engraft.registry.audit import Actor
from engraft.registry.database import make_session_factory
from engraft.registry.service import RegistryService

if TYPE_CHECKING:  # the demo package is imported only when the demo ward starts (it loads numpy)
    from engraft.demo.ward_feed import AdmittedWard, WardFeed

DEFAULT_MLLP_PORT = 2575
"""The port commonly used for HL7 v2 over MLLP."""
DEFAULT_WARD_INTERVAL_S = 3.0
"""Seconds between two messages of the simulated ward."""
DEMO_MLLP_HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0


class ListenerStartError(RuntimeError):
    """The demo's MLLP listener could not start (the port is taken, or not ours to use)."""


@dataclass(frozen=True)
class RunningDemoWard:
    """Where the demo listener listens, and the ward it is fed (``None`` with ``--no-ward-feed``)."""

    host: str
    port: int
    ward: AdmittedWard | None
    thread: threading.Thread


@dataclass
class _Startup:
    address: tuple[str, int] = ("", 0)
    error: OSError | None = None


def admit_demo_ward(database: str) -> AdmittedWard:
    """Register the simulated ward in the demo database (once; a recent ward is reused)."""
    from engraft.demo.ward_feed import admit_ward

    engine = open_engine(database)
    try:
        return admit_ward(RegistryService(make_session_factory(engine), actor=Actor.system("demo")))
    finally:
        engine.dispose()


def start_demo_ward(
    database: str,
    port: int = DEFAULT_MLLP_PORT,
    *,
    feed: bool = True,
    interval: float = DEFAULT_WARD_INTERVAL_S,
    host: str = DEMO_MLLP_HOST,
) -> RunningDemoWard:
    """Start the listener on ``host:port`` (and the ward feed) in a daemon thread; raise on a port in use."""
    from engraft.demo.ward_feed import WardFeed
    from engraft.io.mllp import DEFAULT_ACTOR, ListenerSettings, MllpListener

    ward = admit_demo_ward(database) if feed else None
    started = threading.Event()
    outcome = _Startup()

    def run() -> None:
        engine = open_engine(database)
        registry = RegistryService(make_session_factory(engine), actor=Actor.system(DEFAULT_ACTOR))
        listener = MllpListener(registry, ListenerSettings(actor=DEFAULT_ACTOR))

        async def serve() -> None:
            try:
                outcome.address = await listener.start(host, port)
            except OSError as exc:
                outcome.error = exc
                started.set()
                return
            started.set()
            tasks = [asyncio.create_task(listener.serve_forever())]
            if ward is not None:
                bound_host, bound_port = outcome.address
                tasks.append(asyncio.create_task(_feed(WardFeed(ward, bound_host, bound_port, interval))))
            try:
                await asyncio.gather(*tasks)
            finally:
                await listener.close()

        try:
            asyncio.run(serve())
        finally:
            engine.dispose()

    thread = threading.Thread(target=run, name="engraft-demo-mllp", daemon=True)
    thread.start()
    if not started.wait(STARTUP_TIMEOUT_S):
        raise ListenerStartError(f"the MLLP listener on {host}:{port} did not start")
    if outcome.error is not None:
        reason = outcome.error.strerror or str(outcome.error)
        raise ListenerStartError(
            f"cannot listen for MLLP on {host}:{port} ({reason}); choose another port with --mllp-port"
        )
    bound_host, bound_port = outcome.address
    return RunningDemoWard(bound_host, bound_port, ward, thread)


async def _feed(feed: WardFeed) -> None:
    """Run the ward feed until the process ends; a refused message or a lost connection stops it, said once."""
    from engraft.demo.ward_feed import AckNotAccepted

    try:
        await feed.run()
    except (AckNotAccepted, OSError) as exc:
        err_console.print(f"[yellow]demo ward feed stopped:[/yellow] {exc}")
