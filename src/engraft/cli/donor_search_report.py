"""``engraft donors search ... --report FILE``: keep the search in the registry and write its report.

The search is saved as the API saves it (request, ranked donors, release, who ran it, audited under the
command and the operating-system user), then the coordinator's report is rendered from the saved record,
so the file and the record say the same thing (the file carries the record's fingerprint).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from engraft.api.donor_search_schemas import DonorSearchResult
from engraft.api.routes_donor_search import DonorSearchRequest
from engraft.api.routes_saved_donor_searches import saved_search_input
from engraft.cli.common import console, err_console, exit_on_registry_error, open_engine, registry_service
from engraft.hla.search.search_models import SearchResult
from engraft.hla.search.search_report import search_report
from engraft.io.donor_search_report_render import ReportFormat, ReportLanguage, render
from engraft.registry.migrate import upgrade
from engraft.registry.saved_donor_searches import save_donor_search

_FORMATS = {".pdf": ReportFormat.PDF, ".html": ReportFormat.HTML, ".htm": ReportFormat.HTML}


def report_format(path: Path) -> ReportFormat:
    """The format named by the file's suffix; a one-line error and exit 2 for any other suffix."""
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        err_console.print(f"[red]error:[/red] --report {escape(str(path))}: expected a file ending in .pdf or .html")
        raise typer.Exit(2)
    return found


def save_and_report(
    *,
    request: DonorSearchRequest,
    result: SearchResult,
    release: str,
    donors_in_registry: int,
    prediction_available: bool,
    out: Path,
    language: ReportLanguage,
    database: str | None,
    patient_id: int | None,
    note: str | None,
) -> None:
    """Save the search in the registry (``database``) and write its report to ``out``."""
    document_format = report_format(out)
    answer = DonorSearchResult.model_validate(
        {
            **search_report(result),
            "release": release,
            "donors_in_registry": donors_in_registry,
            "prediction_available": prediction_available,
        }
    )
    engine = open_engine(database)
    try:
        upgrade(engine)
        with exit_on_registry_error():
            saved = save_donor_search(
                registry_service(engine, actor="donors search"),
                saved_search_input(request, answer, patient_id=patient_id, note=note),
            )
    finally:
        engine.dispose()
    try:
        content = render(saved, language, document_format)
    except OSError as exc:
        err_console.print(f"[red]error:[/red] PDF documents cannot be made on this machine: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    try:
        out.write_bytes(content)
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot write {escape(str(out))}: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    console.print(
        f"saved search {saved.id} (run by {saved.run_by}); report written to {out} (fingerprint {saved.content_hash})",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
