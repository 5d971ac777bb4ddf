"""``engraft db``: apply and check migrations."""

from __future__ import annotations

import typer

from engraft.cli.common import DatabaseOption, console, err_console, open_engine
from engraft.registry.migrate import current_revision, pending_model_changes, upgrade

db_app = typer.Typer(help="Database schema: migrate and check.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Apply every pending migration (creates the SQLite file on first use)."""
    engine = open_engine(database)
    upgrade(engine)
    console.print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("check")
def db_check(database: DatabaseOption = None) -> None:
    """Fail if the database schema differs from the models (a migration is missing or not applied)."""
    engine = open_engine(database)
    diffs = pending_model_changes(engine)
    if diffs:
        for diff in diffs:
            err_console.print(f"  {diff}")
        err_console.print("[red]schema differs from the models[/red]")
        raise typer.Exit(1)
    console.print(f"schema matches the models at revision {current_revision(engine)}")
