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


@db_app.command("verify-migrations")
def db_verify_migrations() -> None:
    """Apply every migration to a new, temporary SQLite file and fail if the result differs from the models.

    CI runs this; the tests do the same on PostgreSQL.
    """
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'verify.db'}")
        try:
            upgrade(engine)
            diffs = pending_model_changes(engine)
            revision = current_revision(engine)
        finally:
            engine.dispose()
    if diffs:
        for diff in diffs:
            err_console.print(f"  {diff}")
        err_console.print("[red]migrations do not reproduce the models[/red]")
        raise typer.Exit(1)
    console.print(f"migrations from empty reproduce the models (revision {revision})")
