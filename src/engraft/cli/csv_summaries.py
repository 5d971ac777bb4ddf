"""What an export or import did, as tables a person reads (never a raw repr)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from engraft.io.csv_report import ExportSummary, ImportReport

BAD_ROWS_SHOWN = 50


def export_summary_table(summary: ExportSummary) -> Table:
    """Each file written and its data rows; whether identifying fields are in them."""
    identity = "with identifying fields" if summary.include_identity else "without identifying fields"
    table = Table(title=f"Exported to {summary.directory} ({identity})", header_style="bold")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    return table


def import_report_view(report: ImportReport) -> Group:
    """Per file: read, imported, already present, rejected; then the bad rows (first 50) and the outcome."""
    table = Table(title=f"Import from {report.directory}", header_style="bold")
    for column in ("file", "read", "imported", "already present", "rejected"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name, count in report.counts.items():
        table.add_row(
            name, f"{count.read:,}", f"{count.imported:,}", f"{count.already_present:,}", f"{count.rejected:,}"
        )
    parts: list[Table | Text] = [table]
    for bad in report.bad_rows[:BAD_ROWS_SHOWN]:
        parts.append(Text(bad.describe()))
    if len(report.bad_rows) > BAD_ROWS_SHOWN:
        parts.append(Text(f"... and {len(report.bad_rows) - BAD_ROWS_SHOWN:,} more bad rows"))
    parts.append(Text("committed" if report.committed else "nothing written", style="bold"))
    return Group(*parts)
