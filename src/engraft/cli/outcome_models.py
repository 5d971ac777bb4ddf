"""``engraft outcomes multistate`` and ``engraft outcomes rmst``: multi-state models and RMST from a CSV.

``multistate`` reads one row per patient with, for each state that can be entered, a time column and a
status column (1 reached at that time, 0 censored), as R mstate's ``msprep`` takes them::

    engraft outcomes multistate --csv ebmt4.csv --model ebmt --state Rec=rec,rec.s --state AE=ae,ae.s \\
        --state Rec+AE=recae,recae.s --state Rel=rel,rel.s --state Death=srv,srv.s \\
        --time-unit days --out-unit years --from Tx --at 1 --at 5 --out results/

and writes ``multistate.json`` (the summary), ``multistate_long.csv`` (the msprep rows),
``multistate_hazards.csv`` and ``multistate_occupation.csv`` (every step of the curves) and, with
``--covariate``, ``multistate_cox.csv`` (one coefficient per covariate and transition). ``rmst`` compares
two groups' restricted mean survival time (survRM2 ``rmst2``) and writes ``rmst.json`` and ``rmst.csv``.
A CSV without ``--id-column`` names its patients by their line number. A refused value is one line on
stderr naming the file, the line (1-based, the header is line 1) and the column; exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engraft.cli.common import console
from engraft.cli.outcome_files import refusals
from engraft.cli.outcome_model_files import (
    covariate_columns,
    read_table,
    state_numbers,
    transition_pairs,
    write_multistate,
    write_rmst,
)
from engraft.outcomes import OutcomeInputError
from engraft.outcomes._validation import check_time_unit
from engraft.outcomes.endpoints import convert_time
from engraft.outcomes.multistate_data import from_long
from engraft.outcomes.multistate_hazards import as_variance_method
from engraft.outcomes.multistate_summary import MultiStateQuestion, analyse_long, analyse_multistate
from engraft.outcomes.multistate_transitions import TransitionMatrix, ebmt_recovery_adverse_event, illness_death
from engraft.outcomes.queries import parse_query
from engraft.outcomes.rmst_summary import RmstQuestion, answer_rmst

PRESETS = {"illness-death": illness_death, "ebmt": ebmt_recovery_adverse_event}


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def multistate(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the JSON and CSV outputs")],
    csv_file: Annotated[Path, typer.Option("--csv", help="one row per patient", exists=True, dir_okay=False)],
    state: Annotated[
        list[str] | None,
        typer.Option("--state", help="STATE=TIMECOL,STATUSCOL for each state that can be entered (repeatable)"),
    ] = None,
    long: Annotated[
        bool,
        typer.Option("--long", help="the CSV is already in long format: columns id, from, to, Tstart, Tstop, status"),
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="illness-death (3 states) or ebmt (mstate's 6-state ebmt4 model)")
    ] = None,
    states: Annotated[str | None, typer.Option("--states", help="state names in order, comma-separated")] = None,
    transition: Annotated[
        list[str] | None,
        typer.Option("--transition", help="FROM>TO (comma-separated or repeatable), numbered in order"),
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="column naming the patient")] = None,
    time_unit: Annotated[str, typer.Option("--time-unit", help="unit of the CSV times: days, months, years")] = "days",
    out_unit: Annotated[
        str | None, typer.Option("--out-unit", help="unit of the results (default --time-unit)")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="starting state (name or number; default the first)")
    ] = None,
    start_time: Annotated[
        float, typer.Option("--start-time", help="prediction time s of P(s, t), in --out-unit")
    ] = 0.0,
    at: Annotated[list[float] | None, typer.Option("--at", help="report time in --out-unit (repeatable)")] = None,
    hazard_variance: Annotated[
        str, typer.Option("--hazard-variance", help="aalen or greenwood (msfit vartype)")
    ] = "aalen",
    variance: Annotated[str, typer.Option("--variance", help="aalen or greenwood (probtrans method)")] = "aalen",
    covariate: Annotated[
        list[str] | None,
        typer.Option("--covariate", help="covariate column for a Cox model per transition (repeatable)"),
    ] = None,
    ties: Annotated[str, typer.Option("--ties", help="breslow (mstate's choice) or efron")] = "breslow",
) -> None:
    """Multi-state model (R mstate): events, Nelson-Aalen hazards, state occupation, Cox per transition."""
    with refusals():
        src_unit = check_time_unit(time_unit)
        dst_unit = check_time_unit(out_unit or time_unit)
        if model is not None:
            if model not in PRESETS:
                raise OutcomeInputError(f"--model: got {model!r}; expected one of {', '.join(PRESETS)}")
            if states is not None or transition:
                raise OutcomeInputError("--model: expected either --model or --states with --transition, not both")
            tm = PRESETS[model]()
            names = list(tm.states)
            pairs = [(t.from_name, t.to_name) for t in tm.transitions]
        else:
            if states is None or not transition:
                raise OutcomeInputError("--states: expected --states A,B,... with --transition A>B (or --model)")
            names = [s.strip() for s in states.split(",")]
            pairs = transition_pairs(transition, "--transition")
        table = read_table(csv_file)
        if long == bool(state):
            raise OutcomeInputError(
                "--state: expected --state STATE=TIMECOL,STATUSCOL (wide CSV) or --long, one of them"
            )
        time_cols: dict[str, list[float]] = {}
        status_cols: dict[str, list[int]] = {}
        for item in state or []:
            name, _, cols = item.partition("=")
            time_col, _, status_col = cols.partition(",")
            if not name or not time_col or not status_col:
                raise OutcomeInputError(f"--state: got {item!r}; expected STATE=TIMECOL,STATUSCOL")
            times = convert_time(table.numbers(time_col.strip()), src_unit, dst_unit)
            time_cols[name.strip()] = times.tolist()
            status_cols[name.strip()] = [int(v) for v in table.numbers(status_col.strip(), codes=(0, 1))]
        ids = table.column(id_column) if id_column else [str(line) for line in table.lines]
        covariates: dict[str, list[float]] = {}
        for col in covariate or []:
            covariates.update(covariate_columns(table, col))
        question = parse_query(
            MultiStateQuestion,
            {
                "states": names,
                "transitions": [{"from_state": a, "to_state": b} for a, b in pairs],
                "time": time_cols,
                "status": status_cols,
                "ids": None if long else ids,
                "covariates": covariates or None,
                "start_state": start,
                "start_time": start_time,
                "report_times": at or [1.0],
                "hazard_variance": as_variance_method(hazard_variance, "--hazard-variance"),
                "method": as_variance_method(variance, "--variance"),
                "time_unit": dst_unit,
            },
        )
        if long:
            tm = TransitionMatrix.from_names(names, pairs)
            data = from_long(
                tm,
                table.column(id_column or "id"),
                state_numbers(table, "from", tm),
                state_numbers(table, "to", tm),
                convert_time(table.numbers("Tstart"), src_unit, dst_unit),
                convert_time(table.numbers("Tstop"), src_unit, dst_unit),
                table.numbers("status", codes=(0, 1)),
                keep=covariates,
            )
            analysis = analyse_long(data, question, cox_ties=ties)
        else:
            analysis = analyse_multistate(question, cox_ties=ties)
        written = write_multistate(out, analysis)
    summary = analysis.summary
    _say(f"{summary.patients} patients, {summary.rows} rows; from {summary.start_state} at {summary.start_time:g}:")
    for t in sorted({o.time for o in summary.occupation}):
        cells = ", ".join(
            f"{o.state} {o.probability:.3f} (se {o.std_error:.3f})" for o in summary.occupation if o.time == t
        )
        _say(f"  {t:g} {dst_unit}: {cells}")
    for path in written:
        _say(f"wrote {path}")


def rmst(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for rmst.json and rmst.csv")],
    csv_file: Annotated[Path, typer.Option("--csv", help="one row per patient", exists=True, dir_okay=False)],
    time_column: Annotated[str, typer.Option("--time", help="column with the follow-up time")],
    status_column: Annotated[str, typer.Option("--status", help="column with 1 event, 0 censored")],
    group_column: Annotated[str, typer.Option("--group-column", help="column with the two groups")],
    reference: Annotated[str | None, typer.Option("--reference", help="reference group (default first sorted)")] = None,
    tau: Annotated[float | None, typer.Option("--tau", help="horizon in --out-unit (default: survRM2's rule)")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 - confidence level")] = 0.05,
    time_unit: Annotated[str, typer.Option("--time-unit", help="unit of the CSV times: days, months, years")] = "days",
    out_unit: Annotated[
        str | None, typer.Option("--out-unit", help="unit of the results (default --time-unit)")
    ] = None,
) -> None:
    """Restricted mean survival time of two groups: difference, ratio and RMTL ratio with CI and p (survRM2)."""
    with refusals():
        src_unit = check_time_unit(time_unit)
        dst_unit = check_time_unit(out_unit or time_unit)
        table = read_table(csv_file)
        times = convert_time(table.numbers(time_column), src_unit, dst_unit)
        events = [int(v) for v in table.numbers(status_column, codes=(0, 1))]
        groups = table.column(group_column)
        if "" in groups:
            i = groups.index("")
            raise OutcomeInputError(
                f"{csv_file.name} line {table.lines[i]}, column {group_column}: got ''; expected a group"
            )
        question = parse_query(
            RmstQuestion,
            {
                "time": times.tolist(),
                "event": events,
                "group": groups,
                "reference": reference,
                "tau": tau,
                "alpha": alpha,
                "time_unit": dst_unit,
            },
        )
        summary = answer_rmst(question)
        written = write_rmst(out, summary)
    for g in (summary.group, summary.reference):
        _say(
            f"RMST {g.group}: {g.rmst:.3f} (se {g.std_error:.3f}, {g.lower:.3f}-{g.upper:.3f})"
            f" over {summary.tau:g} {dst_unit}"
        )
    d = summary.difference
    if d.estimate is not None and d.lower is not None and d.upper is not None:
        p = "NA" if d.p_value is None else f"{d.p_value:.3g}"
        _say(
            f"difference {summary.group.group} - {summary.reference.group}: {d.estimate:.3f}"
            f" ({d.lower:.3f} to {d.upper:.3f}), p={p}"
        )
    for path in written:
        _say(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``multistate`` and ``rmst`` to the ``outcomes`` command group."""
    app.command("multistate")(multistate)
    app.command("rmst")(rmst)


__all__ = ["register"]
