"""Results of a CSV export or import: per-file counts and every rejected row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """Where the files went and how many data rows each one has."""

    directory: Path
    rows: dict[str, int]
    include_identity: bool

    @property
    def files(self) -> list[Path]:
        return [self.directory / name for name in self.rows]


@dataclass(frozen=True, slots=True)
class BadRow:
    """One rejected row of one file.

    ``row`` is the 1-based data row (the header is row 0, the first record after it row 1; a
    quoted cell spanning lines still counts as one row). ``column`` is empty when the problem
    concerns the row as a whole; ``value`` is the cell as written (``None`` for an empty cell).
    """

    file: str
    row: int
    column: str
    value: str | None
    reason: str

    def describe(self) -> str:
        where = f"{self.file} row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.value!r}: {self.reason}"


@dataclass(slots=True)
class TableCount:
    """Rows of one file.

    ``imported`` rows passed every check (they are stored only if the report is ``committed``),
    ``already_present`` rows matched stored records (identical observations, identical centres),
    ``rejected`` rows were bad or referred to a bad row.
    """

    read: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``committed`` is false when nothing was written."""

    directory: Path
    skip_bad_rows: bool
    counts: dict[str, TableCount] = field(default_factory=dict)
    bad_rows: list[BadRow] = field(default_factory=list)
    committed: bool = False
    results: dict[int, set[str]] = field(default_factory=dict)
    """Episode id -> LOINC codes of the results stored for it (what the monitoring evaluates once committed); an
    episode given a recorded neutrophil or platelet engraftment is here too (with no code if it got no result)."""

    @property
    def ok(self) -> bool:
        return not self.bad_rows

    def count(self, file: str) -> TableCount:
        return self.counts.setdefault(file, TableCount())

    def describe(self, limit: int = 20) -> str:
        lines = [
            f"{name}: {c.read} read, {c.imported} imported, {c.already_present} already present, {c.rejected} rejected"
            for name, c in self.counts.items()
        ]
        lines += [b.describe() for b in self.bad_rows[:limit]]
        if len(self.bad_rows) > limit:
            lines.append(f"... and {len(self.bad_rows) - limit} more bad row(s)")
        lines.append("committed" if self.committed else "nothing was written")
        return "\n".join(lines)


class CsvImportError(Exception):
    """The import found bad rows (or unusable files) and wrote nothing; ``report`` lists them all."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        first = "; ".join(b.describe() for b in report.bad_rows[:3])
        super().__init__(f"{len(report.bad_rows)} bad row(s), nothing was written: {first}")
