"""CSV export and import of the whole registry (one file per table; see docs/data-dictionary.md).

``export_registry`` writes centres.csv, patients.csv, diagnoses.csv, donors.csv,
donor_markers.csv, episodes.csv, conditioning.csv, episode_donors.csv, events.csv,
follow_ups.csv and observations.csv; identifying columns only when asked. ``import_registry``
reads any subset of these files back, validates every row, and writes everything in one
transaction, or nothing when a row is bad (unless ``skip_bad_rows``).
"""

from __future__ import annotations

from pathlib import Path

from engraft.io import csv_columns as cols
from engraft.io.csv_export import export_registry
from engraft.io.csv_import import Importer
from engraft.io.csv_observations import import_observations
from engraft.io.csv_read import check_header
from engraft.io.csv_report import BadRow, CsvImportError, ExportSummary, ImportReport, TableCount
from engraft.registry.audit import AuditAction
from engraft.registry.service import RegistryService

__all__ = [
    "BadRow",
    "CsvImportError",
    "ExportSummary",
    "ImportReport",
    "TableCount",
    "export_registry",
    "import_registry",
]


def import_registry(service: RegistryService, directory: Path, *, skip_bad_rows: bool = False) -> ImportReport:
    """Import the registry CSV files found in ``directory``.

    Every bad row is reported as (file, row, column, value, reason), rows are numbered from 1
    after the header (row 0). Without ``skip_bad_rows`` any bad row raises
    :class:`CsvImportError` carrying the report and nothing is written; with it, bad rows and
    the rows referring to them are left out and the rest is committed. Problems with a file as a
    whole (not UTF-8, unknown or missing columns) always raise, whatever ``skip_bad_rows`` says.
    """
    report = ImportReport(directory=directory, skip_bad_rows=skip_bad_rows)
    present = [spec for spec in cols.FILES if (directory / spec.name).is_file()]
    if not present:
        report.bad_rows.append(
            BadRow(
                "",
                0,
                "",
                str(directory),
                f"no registry CSV file found; expected some of {', '.join(s.name for s in cols.FILES)}",
            )
        )
        raise CsvImportError(report)
    for spec in present:
        report.count(spec.name)
        report.bad_rows.extend(check_header(directory, spec))
    if report.bad_rows:
        raise CsvImportError(report)
    # The outer transaction() keeps one savepoint open around all writes: with SQLite's pysqlite
    # driver, releasing the first savepoint of a batch() would otherwise commit it.
    with service.batch() as batch, batch.transaction() as session:
        importer = Importer(batch, session, report)
        importer.import_centres()
        importer.import_patients()
        importer.import_diagnoses()
        importer.import_donors()
        importer.import_episodes()
        importer.import_events()
        importer.import_follow_ups()
        import_observations(importer)
        order = {spec.name: i for i, spec in enumerate(cols.FILES)}
        report.bad_rows.sort(key=lambda b: (order.get(b.file, -1), b.row))
        if report.bad_rows and not skip_bad_rows:
            raise CsvImportError(report)
        summary = {
            "directory": directory.name,
            "skip_bad_rows": skip_bad_rows,
            "bad_rows": len(report.bad_rows),
            "counts": {name: _count(c) for name, c in report.counts.items()},
        }
        batch.audit(session, AuditAction.IMPORT, "registry csv", None, summary)
    report.committed = True
    return report


def _count(c: TableCount) -> dict[str, int]:
    return {"read": c.read, "imported": c.imported, "already_present": c.already_present, "rejected": c.rejected}
