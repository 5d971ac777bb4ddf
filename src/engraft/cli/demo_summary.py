"""The demo cohort's summary as a person reads it (never a raw repr)."""

from __future__ import annotations

from rich.table import Table

from engraft.demo.cohort_loader import DemoSummary


def demo_summary_table(summary: DemoSummary) -> Table:
    """What the demo loaded: counts by record kind, episodes and events by type, seed and date range."""
    table = Table(title="Synthetic demo cohort", show_header=True, header_style="bold")
    table.add_column("records")
    table.add_column("count", justify="right")
    first = summary.first_day0.isoformat() if summary.first_day0 else "none"
    rows: list[tuple[str, str]] = [
        ("centres", f"{summary.centres:,}"),
        ("patients", f"{summary.patients:,}"),
        ("donors", f"{summary.donors:,}"),
        *((f"episodes: {kind.replace('_', ' ')}", f"{n:,}") for kind, n in summary.episodes.items()),
        *(
            (("episodes: CAR-T (immune effector cells)", f"{summary.car_t_episodes:,}"),)
            if summary.car_t_episodes
            else ()
        ),
        *((f"events: {kind.replace('_', ' ')}", f"{n:,}") for kind, n in summary.events.items()),
        ("follow-up visits", f"{summary.follow_ups:,}"),
        ("risk scores (pre-transplant)", f"{summary.assessments:,}"),
        ("observations", f"{summary.observations:,}"),
        ("day 0 dates", f"{first} to {summary.end_date.isoformat()}"),
        ("seed", str(summary.seed)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
