"""``engraft report risk EPISODE``: the patient and family risk explanation as a PDF or HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engraft.cli.common import DatabaseOption, console, err_console, exit_on_registry_error, open_engine
from engraft.cli.common import registry_service as make_registry_service
from engraft.io.risk_report_render import ReportFormat, ReportLanguage, render
from engraft.registry.risk_report_data import episode_risk_report
from engraft.reports.centre_results import DEFAULT_MIN_PEERS

report_app = typer.Typer(no_args_is_help=True, help="Documents for patients and families.")


@report_app.command("risk")
def risk(
    episode_id: Annotated[int, typer.Argument(help="transplant episode id")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write", dir_okay=False)],
    lang: Annotated[ReportLanguage, typer.Option("--lang", help="language of the document")] = ReportLanguage.EN,
    document_format: Annotated[ReportFormat, typer.Option("--format", help="pdf or html")] = ReportFormat.PDF,
    min_peers: Annotated[
        int, typer.Option("--min-peers", min=1, help="similar patients needed before centre results are shown")
    ] = DEFAULT_MIN_PEERS,
    database: DatabaseOption = None,
) -> None:
    """Write the risk explanation of EPISODE: plain words, the patient's risk scores, centre results, timeline."""
    engine = open_engine(database)
    try:
        with exit_on_registry_error():
            report = episode_risk_report(
                make_registry_service(engine, "report risk"), engine, episode_id, min_peers=min_peers
            )
        try:
            content = render(report, lang, document_format)
        except OSError as exc:  # WeasyPrint's system libraries (pango) missing
            err_console.print(f"[red]error:[/red] cannot make a PDF here: {exc}")
            raise typer.Exit(1) from exc
        out.write_bytes(content)
        fingerprint = report.content_hash(lang.value)
        console.print(f"wrote {out} ({document_format.value}, {lang.value}); document fingerprint {fingerprint}")
    finally:
        engine.dispose()
