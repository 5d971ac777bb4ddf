"""Reading registry CSV files: header checks, one dict of cells per row, strict dates and timestamps.

Cells are stripped of surrounding spaces; an empty cell is null. Dates must be ``YYYY-MM-DD``; timestamps ISO 8601
with a UTC offset or ``Z``. Other cells stay text and are converted by the registry's pydantic
input schemas, so numbers, enumerations and ranges are checked in one place.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engraft.io.csv_columns import CsvFile
from engraft.io.csv_report import BadRow

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")


@dataclass(slots=True)
class Row:
    """One data row: its cells as text (``None`` when empty), typed values and problems found so far."""

    file: str
    number: int
    cells: dict[str, str | None]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[BadRow] = field(default_factory=list)

    def bad(self, column: str, reason: str, value: str | None = None) -> None:
        shown = self.cells.get(column) if value is None else value
        self.problems.append(BadRow(self.file, self.number, column, shown, reason))

    def get(self, column: str) -> str | None:
        return self.cells.get(column)


def parse_date(text: str) -> dt.date:
    if not _DATE.match(text):
        raise ValueError("not an ISO 8601 date; expected YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a valid calendar date ({exc})") from None


def parse_timestamp(text: str) -> dt.datetime:
    if not _TIMESTAMP.match(text):
        raise ValueError("not an ISO 8601 timestamp with an offset; expected e.g. 2024-05-02T08:00:00Z")
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid timestamp ({exc})") from None


def parse_json_list(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError('not a JSON array of text, e.g. ["tacrolimus","methotrexate"]') from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('not a JSON array of text, e.g. ["tacrolimus","methotrexate"]')
    return value


_PARSERS = {"date": parse_date, "timestamp": parse_timestamp, "JSON array": parse_json_list}


def check_header(directory: Path, spec: CsvFile) -> list[BadRow]:
    """Problems with the file as a whole (row 0): encoding, missing/unknown/repeated columns."""
    path = directory / spec.name
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as raw:
        try:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return [BadRow(spec.name, 0, "", None, f"not UTF-8 text ({exc.reason} near byte {offset + exc.start})")]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        return [BadRow(spec.name, 0, "", None, "empty file; expected a header row")]
    problems = []
    known = set(spec.names)
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(BadRow(spec.name, 0, name, name, "column appears more than once in the header"))
    for name in header:
        if name not in known:
            problems.append(
                BadRow(spec.name, 0, name, name, f"unknown column; expected some of {', '.join(spec.names)}")
            )
    for name in spec.required:
        if name not in header:
            problems.append(BadRow(spec.name, 0, name, None, "required column is missing from the header"))
    return problems


def read_rows(directory: Path, spec: CsvFile) -> Iterator[Row]:
    """Rows of a file whose header passed :func:`check_header`; blank lines are ignored."""
    kinds = {c.name: c.kind for c in spec.columns}
    required = spec.required
    path = directory / spec.name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or one of only commas
            row = Row(spec.name, number, {h: (v.strip() or None) for h, v in zip(header, record, strict=False)})
            if len(record) != len(header):
                row.bad("", f"has {len(record)} cells; the header has {len(header)}", value=None)
            for name in required:
                if row.cells.get(name) is None:
                    row.bad(name, "required; the cell is empty")
            for name, text in row.cells.items():
                if text is None:
                    continue
                parser = _PARSERS.get(kinds[name])
                if parser is None:
                    row.values[name] = text
                    continue
                try:
                    row.values[name] = parser(text)
                except ValueError as exc:
                    row.bad(name, str(exc))
            yield row
