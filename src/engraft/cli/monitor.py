"""``engraft monitor``: the live side of safety monitoring. ``listen`` runs the MLLP listener for lab feeds;
``replay`` (:mod:`engraft.cli.monitor_replay`) runs results from a file through the alert rules."""

from __future__ import annotations

import asyncio
import json
import zoneinfo
from pathlib import Path
from typing import Annotated, Any

import typer

from engraft.cli.common import DatabaseOption, console, err_console, open_engine
from engraft.cli.monitor_replay import replay
from engraft.config.monitoring_rules import CentreRulesUnavailable, centre_rule_text
from engraft.config.server_heap import settle_start_up_heap
from engraft.io.hl7_oru import Hl7Settings
from engraft.io.lab_units import unit_table
from engraft.io.mllp import DEFAULT_ACTOR, ListenerSettings, MllpListener
from engraft.measurements import UnitError
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


def _json_object(path: Path | None, what: str) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        err_console.print(f"[red]error:[/red] cannot read {what} {path}: {exc}")
        raise typer.Exit(2) from exc
    if not isinstance(data, dict):
        err_console.print(f"[red]error:[/red] {what} {path} must be a JSON object")
        raise typer.Exit(2)
    return data


def _local_codes(path: Path | None) -> dict[tuple[str, str], str]:
    """``{"<coding system>|<code>": "<LOINC>"}`` from a JSON file."""
    codes: dict[tuple[str, str], str] = {}
    for key, loinc in _json_object(path, "code table").items():
        system, sep, code = key.partition("|")
        if not sep or not isinstance(loinc, str):
            err_console.print(f'[red]error:[/red] code table entry {key!r}: expected "SYSTEM|CODE": "LOINC"')
            raise typer.Exit(2)
        codes[(system, code)] = loinc
    return codes


@monitor_app.command("listen")
def listen(
    mllp: Annotated[
        int, typer.Option("--mllp", help="TCP port of the MLLP listener (0: any free port)", min=0, max=65535)
    ],
    host: Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")] = "127.0.0.1",
    actor: Annotated[str, typer.Option("--actor", help="name the audit log gives the feed's writes")] = DEFAULT_ACTOR,
    centre: Annotated[
        str | None, typer.Option("--centre", help="centre code whose medical record numbers PID-3 carries")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone of times sent without an offset (else refused)")
    ] = None,
    mrn_authority: Annotated[
        str | None, typer.Option("--mrn-authority", help="PID-3.4 assigning authority of the MRNs to use")
    ] = None,
    codes: Annotated[
        Path | None, typer.Option("--codes", help='JSON {"SYSTEM|CODE": "LOINC"}: the lab\'s local OBX-3 codes')
    ] = None,
    units: Annotated[
        Path | None, typer.Option("--units", help='JSON {"spelling": "UCUM"}: extra OBX-6 unit spellings')
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Receive HL7 v2 ORU^R01 results over MLLP; each is acknowledged (AA) only after it is committed."""
    try:
        zone = zoneinfo.ZoneInfo(timezone) if timezone else None
        hl7_settings = Hl7Settings(
            local_codes=_local_codes(codes),
            units=unit_table(_json_object(units, "unit table")),
            timezone=zone,
            mrn_authority=mrn_authority,
        )
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, UnitError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
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
