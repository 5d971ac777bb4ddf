"""``engraft monitor``: the live side of safety monitoring. ``listen`` runs the MLLP listener for lab feeds;
``replay`` (:mod:`engraft.cli.monitor_replay`) runs results from a file through the alert rules."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from engraft.cli import feed_options
from engraft.cli.common import DatabaseOption, console, err_console, open_engine
from engraft.cli.feed_options import CentreOption, CodesOption, MrnAuthorityOption, TimezoneOption, UnitsOption
from engraft.cli.monitor_replay import replay
from engraft.config.monitoring_rules import CentreRulesUnavailable, centre_rule_text
from engraft.config.server_heap import settle_start_up_heap
from engraft.io.mllp import DEFAULT_ACTOR, ListenerSettings, MllpListener
from engraft.registry.audit import Actor
from engraft.registry.database import make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.monitoring_worker import HandOff, start_monitoring
from engraft.registry.service import RegistryService

monitor_app = typer.Typer(
    help="Safety monitoring: receive lab results live (HL7 v2 over MLLP); replay results through the alert rules.",
    no_args_is_help=True,
)
monitor_app.command("replay")(replay)


@monitor_app.command("listen")
def listen(
    mllp: Annotated[
        int, typer.Option("--mllp", help="TCP port of the MLLP listener (0: any free port)", min=0, max=65535)
    ],
    host: Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")] = "127.0.0.1",
    actor: Annotated[str, typer.Option("--actor", help="name the audit log gives the feed's writes")] = DEFAULT_ACTOR,
    centre: CentreOption = None,
    timezone: TimezoneOption = None,
    mrn_authority: MrnAuthorityOption = None,
    codes: CodesOption = None,
    units: UnitsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Receive HL7 v2 ORU^R01 results over MLLP; each is acknowledged (AA) only after it is committed."""
    hl7_settings = feed_options.hl7_settings(codes, units, timezone, mrn_authority)
    engine = open_engine(database)
    upgrade(engine)
    registry = RegistryService(make_session_factory(engine), actor=Actor.system(actor))
    listener = MllpListener(registry, ListenerSettings(actor=actor, centre=centre, hl7=hl7_settings))

    async def run() -> None:
        bound_host, port = await listener.start(host, mllp)
        settle_start_up_heap()  # a long-running listener: its start-up heap out of the collector's full passes
        console.print(f"MLLP listener on {bound_host}:{port} (writes audited as {actor!r}); Ctrl-C stops it")
        try:
            await listener.serve_forever()
        finally:
            await listener.close()

    try:
        centre_rule_text()  # a centre rule file that cannot be read stops the listener before it starts
    except CentreRulesUnavailable as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    # every committed message's episodes are evaluated by the monitoring rules (alerts announced to the ward board):
    # on PostgreSQL by the server processes when they run (their evaluators), else here
    _worker, stop_monitoring = start_monitoring(
        registry.for_actor(Actor.system("monitoring")), centre_rule_text, hand_off=HandOff.SENDER
    )
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        console.print("listener stopped")
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot listen on {host}:{mllp}: {exc}")
        raise typer.Exit(1) from exc
    finally:
        stop_monitoring()
        engine.dispose()
