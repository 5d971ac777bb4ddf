"""``engraft score``: list instruments, print an input schema, run one on a JSON file.

The result is printed as JSON: value, band, components and outcomes each with its source and verification
level (``primary``, ``primary-abstract``, ``secondary`` with the text it was read in, or ``unverified``), and
the result's own level, the weakest of its rule's components. Bad input gets one line per problem naming the
field, the value (shortened) and what was expected; a missing field names the field and its expected type
without echoing the rest of the input.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.markup import escape

from engraft.cli.common import console, err_console
from engraft.scores.catalog import CATALOG

_SHOWN_VALUE_LENGTH = 60
_SHOWN_CHOICES = 8


def score(
    name: Annotated[str | None, typer.Argument(help="instrument name, see --list")] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the instruments")] = False,
    input_file: Annotated[Path | None, typer.Option("--input", help="JSON file with the instrument's input")] = None,
    schema: Annotated[bool, typer.Option("--schema", help="print the input JSON Schema")] = False,
) -> None:
    """Run a pre-transplant risk instrument; the result is printed as JSON with its citations and verification."""
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
        text = input_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        err_console.print(
            f"[red]error:[/red] cannot read --input {escape(str(input_file))}: {escape(reason)}", soft_wrap=True
        )
        raise typer.Exit(2) from None
    try:
        result = entry.run(text)
    except ValidationError as exc:
        for line in problem_lines(entry.input_model, exc):
            err_console.print(f"[red]invalid[/red] {escape(line)}", soft_wrap=True)
        raise typer.Exit(1) from None
    typer.echo(result.model_dump_json(indent=2))


def problem_lines(model: type[BaseModel], error: ValidationError) -> list[str]:
    """One line per problem: the field, the value given (shortened) and the expectation."""
    lines = []
    for problem in error.errors():
        loc = tuple(problem["loc"])
        field = ".".join(str(part) for part in loc) or "(input)"
        expected = expected_type(model, loc)
        if problem["type"] == "missing":
            lines.append(f"{field}: missing; expected {expected}")
        elif problem["type"] == "json_invalid":
            lines.append(f"input is not valid JSON: {problem['msg']}")
        else:
            shown = _shorten(repr(problem.get("input")))
            suffix = f" (expected {expected})" if expected != "a value" else ""
            lines.append(f"{field}={shown}: {problem['msg']}{suffix}")
    return lines


def expected_type(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The type the field at ``loc`` expects, in words (``"a whole number"``, ``"one of 'aml', 'all', ..."``)."""
    annotation: Any = model
    for part in loc:
        annotation = _without_none(annotation)
        if isinstance(part, int) and typing.get_origin(annotation) in (tuple, list):
            annotation = next(a for a in typing.get_args(annotation) if a is not Ellipsis)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
            annotation = annotation.model_fields[str(part)].annotation
        else:
            return "a value"
    return _describe(_without_none(annotation))


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _describe(annotation: Any) -> str:
    if annotation is bool:
        return "true or false (a JSON boolean)"
    if annotation is int:
        return "a whole number (a JSON number)"
    if annotation is float:
        return "a number (a JSON number)"
    if annotation is str:
        return "text"
    if annotation is dt.date:
        return "a date (YYYY-MM-DD)"
    if typing.get_origin(annotation) in (tuple, list):
        return "a list"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = [repr(member.value) for member in annotation]
        more = ", ..." if len(values) > _SHOWN_CHOICES else ""
        return f"one of {', '.join(values[:_SHOWN_CHOICES])}{more}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        names = list(annotation.model_fields)
        more = ", ..." if len(names) > _SHOWN_CHOICES else ""
        return f"an object ({annotation.__name__}: {', '.join(names[:_SHOWN_CHOICES])}{more})"
    return "a value"


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN_VALUE_LENGTH else text[: _SHOWN_VALUE_LENGTH - 3] + "..."
