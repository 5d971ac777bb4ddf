"""``engraft audit``: read the audit log from the server (list the newest entries, export them as CSV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from engraft.cli.common import (
    DatabaseOption,
    console,
    err_console,
    exit_on_registry_error,
    open_engine,
    registry_service,
)
from engraft.io.audit_csv import audit_csv
from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditQuery, export_audit, list_audit

audit_app = typer.Typer(help="The audit log: every write and every read of identifying data.", no_args_is_help=True)

ActorOption = Annotated[str | None, typer.Option(help="only this actor (exact name)")]
ActionOption = Annotated[AuditAction | None, typer.Option(help="only this action")]
EntityOption = Annotated[str | None, typer.Option(help="only this kind of record, e.g. patient")]
EntityIdOption = Annotated[int | None, typer.Option("--id", help="only this record id", min=1)]
SinceOption = Annotated[str | None, typer.Option(help="from this time on, ISO 8601 with a time zone")]
UntilOption = Annotated[str | None, typer.Option(help="before this time, ISO 8601 with a time zone")]


def _query(
    actor: str | None,
    action: AuditAction | None,
    entity: str | None,
    entity_id: int | None,
    since: str | None,
    until: str | None,
) -> AuditQuery:
    try:
        return AuditQuery.model_validate(
            {"actor": actor, "action": action, "entity": entity, "entity_id": entity_id, "since": since, "until": until}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"])) or "filters"
        err_console.print(f"[red]error:[/red] {escape(field)}: {escape(str(first['msg']))}")
        raise typer.Exit(2) from None


@audit_app.command("list")
def list_entries(
    actor: ActorOption = None,
    action: ActionOption = None,
    entity: EntityOption = None,
    entity_id: EntityIdOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many of the newest entries")] = 50,
    database: DatabaseOption = None,
) -> None:
    """The newest matching entries, newest first."""
    query = _query(actor, action, entity, entity_id, since, until)
    with exit_on_registry_error():
        page = list_audit(registry_service(open_engine(database), actor="audit list"), query, limit)
    table = Table("id", "at (UTC)", "actor", "role", "from", "action", "record")
    for e in page.items:
        record = f"{e.entity} {e.entity_id}" if e.entity_id is not None else e.entity
        at = e.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            str(e.id),
            at,
            escape(e.actor),
            e.actor_role or "",
            escape(e.client_address or ""),
            e.action.value,
            escape(record),
        )
    console.print(table)
    console.print(f"{len(page.items)} of {page.total} matching entries")


@audit_app.command("export")
def export_entries(
    out: Annotated[Path, typer.Argument(help="CSV file to write", dir_okay=False)],
    actor: ActorOption = None,
    action: ActionOption = None,
    entity: EntityOption = None,
    entity_id: EntityIdOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    database: DatabaseOption = None,
) -> None:
    """Every matching entry, oldest first, as CSV (the export is itself recorded in the log)."""
    query = _query(actor, action, entity, entity_id, since, until)
    partial = out.with_name(out.name + ".partial")
    try:
        with exit_on_registry_error(), partial.open("w", encoding="utf-8", newline="") as fh:
            entries = export_audit(registry_service(open_engine(database), actor="audit export"), query)
            for chunk in audit_csv(entries):
                fh.write(chunk)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    console.print(f"wrote {out}")
