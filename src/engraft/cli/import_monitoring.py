"""``engraft import``'s second step: the monitoring rules run over the results the import stored.

The import commits first (all or nothing); then each episode that received results is evaluated
(:func:`engraft.registry.monitoring_catch_up.evaluate_stored_results`) under a progress bar, its audit entries
naming the actor ``monitoring``, as the running engine's do. What the evaluations did is printed as a table.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engraft.cli.common import err_console
from engraft.registry.audit import Actor
from engraft.registry.monitoring_catch_up import (
    CatchUpSummary,
    current_episodes,
    evaluate_stored_results,
    monitoring_window_days,
)
from engraft.registry.service import RegistryService

FAILURES_SHOWN = 20
_DISCARD = logging.NullHandler()


class ImportEvaluation(StrEnum):
    """Which imported episodes the monitoring rules judge once the import has committed."""

    CURRENT = "current"
    """Episodes still inside the monitoring window (day 0 within the longest rule window before today)."""
    ALL = "all"
    """Every episode that received results, however old (a history: deadline rules may stand open)."""
    NONE = "none"
    """None now: each is judged at its next evaluation."""


def evaluate_import(
    service: RegistryService, results: dict[int, set[str]], centre_rules: str | None, which: ImportEvaluation
) -> CatchUpSummary:
    """Evaluate the imported episodes' results (``which``: current or all) with a progress bar on standard error;
    an episode's failure is reported in the summary (the log's traceback is not shown to the user)."""
    if which is ImportEvaluation.NONE:
        raise ValueError("which=none: nothing to evaluate; expected current or all")
    only = None
    if which is ImportEvaluation.CURRENT:
        window = monitoring_window_days(centre_rules)
        only = current_episodes(service, results, window, dt.datetime.now(dt.UTC).date())
    columns = (TextColumn("[bold]monitoring rules"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    quiet = logging.getLogger(evaluate_stored_results.__module__)
    propagates = quiet.propagate
    quiet.propagate = False  # the CLI configures no log: Python would print each failure's traceback
    quiet.addHandler(_DISCARD)
    try:
        with Progress(*columns, console=err_console, transient=True) as progress:
            task = progress.add_task("episodes", total=len(results) if only is None else len(only))
            return evaluate_stored_results(
                service.for_actor(Actor.system("monitoring")),
                results,
                centre_rules=centre_rules,
                only=only,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        quiet.removeHandler(_DISCARD)
        quiet.propagate = propagates


def catch_up_view(summary: CatchUpSummary) -> Table:
    """What the evaluations found, as a table; the episodes that could not be evaluated, with why."""
    table = Table(title="Monitoring rules over the imported results", header_style="bold")
    table.add_column("")
    table.add_column("count", justify="right")
    rows = (
        ("episodes with new results or a recorded engraftment", summary.episodes),
        ("  past their monitoring window (not judged)", summary.historical),
        ("evaluated", summary.evaluated),
        ("alerts raised", summary.raised),
        ("  still present (open on the ward board)", summary.still_open),
        ("  over already (stored resolved)", summary.raised - summary.still_open),
        ("alerts on file resolved", summary.cleared),
        ("alerts escalated", summary.escalated),
        ("registry events derived", summary.events_written),
        ("episodes deleted meanwhile", summary.gone),
        ("episodes not evaluated (errors)", len(summary.failed)),
    )
    for label, count in rows:
        table.add_row(label, f"{count:,}")
    return table


def failure_lines(summary: CatchUpSummary) -> list[str]:
    """One line per episode that could not be evaluated (the first :data:`FAILURES_SHOWN`)."""
    lines = [f"episode {episode}: {why}" for episode, why in sorted(summary.failed.items())[:FAILURES_SHOWN]]
    if len(summary.failed) > FAILURES_SHOWN:
        lines.append(f"... and {len(summary.failed) - FAILURES_SHOWN:,} more")
    return lines
