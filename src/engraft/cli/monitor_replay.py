"""``engraft monitor replay``: run the monitoring rules over results from a file and show the alerts they raise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engraft.cli import feed_options
from engraft.cli.common import console, err_console
from engraft.cli.feed_options import CodesOption, MrnAuthorityOption, TimezoneOption, UnitsOption
from engraft.io.csv_read import parse_timestamp
from engraft.io.fhir_results import DEFAULT_MRN_SYSTEM, FhirSettings
from engraft.io.monitoring_replay_feeds import FeedSettings, ReplayFileError, read_replay_file, summary_line
from engraft.monitoring import RuleFileError, TransitionKind, evaluate, load_rule_set

_SHOWN_PROBLEMS = 20


def replay(
    file: Annotated[
        Path,
        typer.Argument(
            help="results to replay: an observations CSV (registry format), a FHIR R4 JSON document (.json: "
            "Bundle, Observation or MedicationAdministration), FHIR NDJSON (.ndjson) or HL7 v2 ORU^R01 messages",
            show_default=False,
        ),
    ],
    context: Annotated[
        Path | None,
        typer.Option(
            "--context",
            help="engraft export folder with patients.csv, episodes.csv (and events.csv): the episodes' facts; "
            "default: FILE's folder",
            show_default=False,
        ),
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="centre rule file (TOML) applied over the shipped rules")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="evaluate as at this time (ISO 8601 with a time zone); default: the last result")
    ] = None,
    centre: Annotated[
        str | None,
        typer.Option("--centre", help="centre code whose medical record numbers the HL7 or FHIR file carries"),
    ] = None,
    timezone: TimezoneOption = None,
    mrn_authority: MrnAuthorityOption = None,
    codes: CodesOption = None,
    units: UnitsOption = None,
    mrn_system: Annotated[
        str,
        typer.Option(
            "--mrn-system",
            envvar="ENGRAFT_FHIR_MRN_SYSTEM",
            help="FHIR identifier system of the medical record numbers (as the API's ENGRAFT_FHIR_MRN_SYSTEM)",
        ),
    ] = DEFAULT_MRN_SYSTEM,
) -> None:
    """Replay FILE's results through the monitoring rules and print the alerts they raise (nothing is stored).

    FILE is an observations CSV (an `engraft export` observations.csv), a FHIR R4 document or NDJSON file, or
    HL7 v2 ORU^R01 messages (each starting with MSH; CR, LF or CRLF; MLLP framing bytes allowed), read as the
    API and the MLLP listener read them. The episodes' day 0, graft source, transplant type and cell therapy, the
    patients' ages and the engraftment days recorded come from the export folder (--context, default FILE's
    folder: patients.csv, episodes.csv, events.csv). HL7 and FHIR name patients by medical record number, so
    their export must have been made with --include-identity (patients.csv column mrn). A re-sent message or
    duplicate result counts once, a correction replaces the result it corrects, results not final are skipped;
    FHIR platelet and red cell transfusions are read as the registry's evaluation reads them (without any
    platelet transfusion, platelet engraftment is not asserted). Any problem is listed and nothing is evaluated.
    """
    if not file.is_file():
        err_console.print(f"[red]error:[/red] {escape(str(file))}: no such file")
        raise typer.Exit(2)
    if context is not None and not context.is_dir():
        err_console.print(f"[red]error:[/red] --context {escape(str(context))}: no such folder")
        raise typer.Exit(2)
    try:
        centre_rules = rules.read_text(encoding="utf-8") if rules is not None else None
        rule_set = load_rule_set(centre_rules)
    except (OSError, UnicodeDecodeError, RuleFileError) as exc:
        err_console.print(f"[red]error:[/red] rule file: {escape(str(exc))}")
        raise typer.Exit(2) from None
    moment = _moment(as_of)
    settings = FeedSettings(
        hl7=feed_options.hl7_settings(codes, units, timezone, mrn_authority),
        fhir=FhirSettings(mrn_system=mrn_system),
        centre=centre,
    )
    try:
        data = read_replay_file(file, context, settings)
    except ReplayFileError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except OSError as exc:
        err_console.print(
            f"[red]error:[/red] cannot read {escape(str(exc.filename or file))}: {escape(exc.strerror or '')}"
        )
        raise typer.Exit(2) from None
    if data.problems:
        err_console.print(f"[red]error:[/red] {len(data.problems)} problem(s); nothing was evaluated:")
        for problem in data.problems[:_SHOWN_PROBLEMS]:
            err_console.print(f"  {escape(problem.describe())}")
        if len(data.problems) > _SHOWN_PROBLEMS:
            err_console.print(f"  ... and {len(data.problems) - _SHOWN_PROBLEMS} more")
        raise typer.Exit(1)
    if data.read is not None:
        console.print(escape(summary_line(data.read, data.without_episode)))
    evaluated = sorted((key, e) for key, e in data.episodes.items() if e.observations)
    if not evaluated:
        console.print("No results tied to an episode: nothing to evaluate.")
        return
    when = moment.isoformat() if moment is not None else "each episode's last result"
    table = Table(title=f"Alerts raised as at {when} ({rule_set.name} {rule_set.version})")
    for column in ("patient", "episode", "rule", "severity", "detected", "status", "explanation"):
        table.add_column(column, overflow="fold")
    raised = 0
    failed: list[str] = []
    for (registry_id, sequence), episode in evaluated:
        last = max(o.observed_at for o in episode.observations)
        try:
            result = evaluate(rule_set, episode.context, episode.observations, moment or last)
        except Exception as exc:  # one episode's failure is reported, never a traceback; the others go on
            failed.append(f"patient {registry_id} episode {sequence}: not evaluated: {exc}")
            continue
        for transition in result.transitions:
            detection = transition.detection
            if detection is None or transition.kind not in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED):
                continue
            raised += 1
            day = episode.context.day_of(detection.detected_at)
            status = "open" if detection.cleared_at is None else f"cleared {detection.cleared_at:%Y-%m-%d %H:%M}"
            table.add_row(
                escape(registry_id),
                str(sequence),
                escape(f"{detection.rule_id} v{detection.rule_version}"),
                transition.severity.value,
                f"{detection.detected_at:%Y-%m-%d %H:%M} (day {day:+d})",
                status,
                escape(detection.explanation),
            )
    console.print(table)
    skipped = f"; {data.without_episode} result(s) not tied to an episode were skipped" if data.without_episode else ""
    console.print(f"{raised} alert(s) from {len(evaluated)} episode(s){skipped}.")
    if failed:
        for line in failed:
            err_console.print(f"[red]error:[/red] {escape(line)}")
        raise typer.Exit(1)


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] --as-of {escape(text)!r}: {escape(str(exc))}")
        raise typer.Exit(2) from None
