"""Helpers shared by CLI commands: consoles, database option, registry service, error exits."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from typer.core import TyperGroup

from engraft.config.server_key import ServerKeyError
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.errors import RegistryError
from engraft.registry.service import RegistryService

console = Console()
err_console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", "-d", help="SQLAlchemy URL; default ENGRAFT_DATABASE_URL or the SQLite file"),
]


def open_engine(database: str | None) -> Engine:
    return make_engine(database)


def registry_service(engine: Engine, actor: str = "cli") -> RegistryService:
    """The service the CLI writes through: HLA typings are checked against the configured release, as in
    the API (loaded when the first typing arrives; refused when no release is configured).

    The audit log names the command (``actor``) and the operating-system user who ran it.
    """
    return RegistryService(make_session_factory(engine), actor=Actor.system(f"{actor} ({_os_user()})"))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (containers)
        return f"uid {os.getuid()}"


class EngraftGroup(TyperGroup):
    """The top-level command group: a server key that is missing or wrong (any command that seals or opens a
    stored secret, migrations included) ends the command with one red line naming the setting and exit status
    1, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors its own click)
        try:
            return super().invoke(ctx)
        except ServerKeyError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc


@contextmanager
def exit_on_registry_error() -> Iterator[None]:
    """Turn a registry error into a readable message and exit status 1."""
    try:
        yield
    except RegistryError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
