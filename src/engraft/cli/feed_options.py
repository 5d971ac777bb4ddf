"""Options of a lab feed that HL7 v2 leaves to the site, shared by ``engraft monitor listen`` and ``replay``: the
lab's local OBX-3 codes and OBX-6 unit spellings (JSON files), the time zone of zone-less times, the PID-3
assigning authority of the medical record numbers."""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from engraft.cli.common import err_console
from engraft.io.hl7_oru import Hl7Settings
from engraft.io.lab_units import unit_table
from engraft.measurements import UnitError

CentreOption = Annotated[
    str | None, typer.Option("--centre", help="centre code whose medical record numbers PID-3 carries")
]
TimezoneOption = Annotated[
    str | None, typer.Option("--timezone", help="IANA zone of times sent without an offset (else refused)")
]
MrnAuthorityOption = Annotated[
    str | None, typer.Option("--mrn-authority", help="PID-3.4 assigning authority of the MRNs to use")
]
CodesOption = Annotated[
    Path | None, typer.Option("--codes", help='JSON {"SYSTEM|CODE": "LOINC"}: the lab\'s local OBX-3 codes')
]
UnitsOption = Annotated[
    Path | None, typer.Option("--units", help='JSON {"spelling": "UCUM"}: extra OBX-6 unit spellings')
]


def json_object(path: Path | None, what: str) -> dict[str, Any]:
    """The JSON object in ``path`` (``{}`` for none); exit 2 naming the file when it is not one."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        err_console.print(f"[red]error:[/red] cannot read {what} {escape(str(path))}: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        err_console.print(f"[red]error:[/red] {what} {escape(str(path))} must be a JSON object")
        raise typer.Exit(2)
    return data


def local_codes(path: Path | None) -> dict[tuple[str, str], str]:
    """``{"<coding system>|<code>": "<LOINC>"}`` from a JSON file."""
    codes: dict[tuple[str, str], str] = {}
    for key, loinc in json_object(path, "code table").items():
        system, sep, code = key.partition("|")
        if not sep or not isinstance(loinc, str):
            err_console.print(
                f'[red]error:[/red] code table entry {escape(repr(key))}: expected "SYSTEM|CODE": "LOINC"'
            )
            raise typer.Exit(2)
        codes[(system, code)] = loinc
    return codes


def hl7_settings(
    codes: Path | None, units: Path | None, timezone: str | None, mrn_authority: str | None
) -> Hl7Settings:
    """The feed's HL7 settings from the options; exit 2 with one line when one is wrong."""
    zone = None
    if timezone:
        try:
            zone = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            err_console.print(f"[red]error:[/red] --timezone {escape(repr(timezone))}: not an IANA time zone name")
            raise typer.Exit(2) from None
    try:
        return Hl7Settings(
            local_codes=local_codes(codes),
            units=unit_table(json_object(units, "unit table")),
            timezone=zone,
            mrn_authority=mrn_authority,
        )
    except (ValueError, UnitError, TypeError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
