"""``engraft score``: list instruments, print an input schema, run one on a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from engraft.cli.common import console, err_console
from engraft.scores.catalog import CATALOG


def score(
    name: Annotated[str | None, typer.Argument(help="instrument name, see --list")] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the instruments")] = False,
    input_file: Annotated[Path | None, typer.Option("--input", help="JSON file with the instrument's input")] = None,
    schema: Annotated[bool, typer.Option("--schema", help="print the input JSON Schema")] = False,
) -> None:
    """Run a pre-transplant risk instrument; the result is printed as JSON with its citation."""
    if list_ or name is None:
        for listed in CATALOG.values():
            console.print(f"[bold]{listed.name}[/bold]\t{listed.description}")
        return
    entry = CATALOG.get(name)
    if entry is None:
        err_console.print(f"[red]error:[/red] unknown instrument {name!r}; expected one of {sorted(CATALOG)}")
        raise typer.Exit(2)
    if schema:
        typer.echo(json.dumps(entry.schema(), indent=2))
        return
    if input_file is None:
        err_console.print("[red]error:[/red] give --input FILE.json (or --schema to see what it must hold)")
        raise typer.Exit(2)
    try:
        result = entry.run(input_file.read_text(encoding="utf-8"))
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            err_console.print(f"[red]invalid[/red] {field}={error.get('input')!r}: {error['msg']}")
        raise typer.Exit(1) from exc
    typer.echo(result.model_dump_json(indent=2))
