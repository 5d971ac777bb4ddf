"""``engraft monitor replay``: run the monitoring rules over results from a file and show the alerts they raise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engraft.cli.common import console, err_console
from engraft.io.csv_read import parse_timestamp
from engraft.io.monitoring_replay import read_replay
from engraft.monitoring import RuleFileError, TransitionKind, evaluate, load_rule_set

_SHOWN_PROBLEMS = 20


def replay(
    file: Annotated[
        Path, typer.Argument(help="observations in the registry CSV format (an export's observations.csv)")
    ],
    rules: Annotated[Path | None, typer.Option(help="centre rule file (TOML) applied over the shipped rules")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="evaluate as at this time (ISO 8601 with a time zone); default: the last result")
    ] = None,
) -> None:
    """Replay FILE's results through the monitoring rules and print the alerts they raise (nothing is stored).

    The episodes' day 0, graft source and the patients' ages are read from episodes.csv and patients.csv
    beside FILE (an `engraft export` folder has them).
    """
    if not file.is_file():
        err_console.print(f"[red]error:[/red] {escape(str(file))}: no such file")
        raise typer.Exit(2)
    try:
        centre = rules.read_text(encoding="utf-8") if rules is not None else None
        rule_set = load_rule_set(centre)
    except (OSError, UnicodeDecodeError, RuleFileError) as exc:
        err_console.print(f"[red]error:[/red] rule file: {escape(str(exc))}")
        raise typer.Exit(2) from None
    moment = _moment(as_of)
    data = read_replay(file)
    if data.problems:
        err_console.print(f"[red]error:[/red] {len(data.problems)} problem(s); nothing was evaluated:")
        for problem in data.problems[:_SHOWN_PROBLEMS]:
            err_console.print(f"  {escape(problem.describe())}")
        if len(data.problems) > _SHOWN_PROBLEMS:
            err_console.print(f"  ... and {len(data.problems) - _SHOWN_PROBLEMS} more")
        raise typer.Exit(1)
    if not any(e.observations for e in data.episodes.values()):
        console.print("No results tied to an episode: nothing to evaluate.")
        return
    when = moment.isoformat() if moment is not None else "each episode's last result"
    table = Table(title=f"Alerts raised as at {when} ({rule_set.name} {rule_set.version})")
    for column in ("patient", "episode", "rule", "severity", "detected", "status", "explanation"):
        table.add_column(column, overflow="fold")
    raised = 0
    for (registry_id, sequence), episode in sorted(data.episodes.items()):
        if not episode.observations:
            continue
        last = max(o.observed_at for o in episode.observations)
        result = evaluate(rule_set, episode.context, episode.observations, moment or last)
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
    console.print(f"{raised} alert(s) from {len(data.episodes)} episode(s){skipped}.")


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] --as-of {escape(text)!r}: {escape(str(exc))}")
        raise typer.Exit(2) from None
