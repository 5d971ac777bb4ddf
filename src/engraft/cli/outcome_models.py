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

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from engraft.cli.common import console
from engraft.cli.outcome_files import refusals
from engraft.outcomes import OutcomeInputError
from engraft.outcomes._validation import check_time_unit
from engraft.outcomes.endpoints import convert_time
from engraft.outcomes.multistate_data import from_long
from engraft.outcomes.multistate_hazards import as_variance_method
from engraft.outcomes.multistate_summary import MultiStateAnalysis, MultiStateQuestion, analyse_long, analyse_multistate
from engraft.outcomes.multistate_transitions import TransitionMatrix, ebmt_recovery_adverse_event, illness_death
from engraft.outcomes.queries import parse_query
from engraft.outcomes.rmst_summary import RmstQuestion, RmstSummary, answer_rmst

PRESETS = {"illness-death": illness_death, "ebmt": ebmt_recovery_adverse_event}


@dataclass(frozen=True)
class CsvTable:
    """A CSV's header and rows, with each row's line number in the file."""

    path: Path
    header: tuple[str, ...]
    rows: list[dict[str, str]]
    lines: list[int]

    def column(self, name: str) -> list[str]:
        if name not in self.header:
            raise OutcomeInputError(
                f"{self.path.name}: got no column {name!r}; expected one of {', '.join(self.header)}"
            )
        return [row[name] for row in self.rows]

    def numbers(self, name: str, *, codes: Sequence[int] | None = None, non_negative: bool = True) -> np.ndarray:
        """The column as floats; a bad cell is refused naming the line and column."""
        out = np.empty(len(self.rows))
        for i, text in enumerate(self.column(name)):
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            ok = math.isfinite(value) and (not non_negative or value >= 0)
            if codes is not None:
                ok = ok and value in codes
            if not ok:
                expected = (
                    f"one of {', '.join(str(c) for c in codes)}"
                    if codes is not None
                    else "a finite number >= 0"
                    if non_negative
                    else "a finite number"
                )
                raise OutcomeInputError(
                    f"{self.path.name} line {self.lines[i]}, column {name}: got {text!r}; expected {expected}"
                )
            out[i] = value
        return out


def read_table(path: Path) -> CsvTable:
    """``path`` as a table; an empty file or a row of the wrong width is refused naming its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutcomeInputError(f"{path.name}: could not be read ({exc}); expected a UTF-8 CSV file") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise OutcomeInputError(f"{path.name}: got an empty file; expected a header line and one row per patient")
    header = [h.strip() for h in header]
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for cells in reader:
        if not cells:
            continue
        if len(cells) != len(header):
            raise OutcomeInputError(
                f"{path.name} line {reader.line_num}: got {len(cells)} fields; expected {len(header)} (as the header)"
            )
        rows.append(dict(zip(header, (c.strip() for c in cells), strict=True)))
        lines.append(reader.line_num)
    if not rows:
        raise OutcomeInputError(f"{path.name}: got no rows; expected one row per patient")
    return CsvTable(path, tuple(header), rows, lines)


def _covariate(table: CsvTable, name: str) -> dict[str, list[float]]:
    """A numeric column as is; a text column as 0/1 indicators of its levels after the first (R's factor coding)."""
    cells = table.column(name)
    try:
        return {name: table.numbers(name, non_negative=False).tolist()}
    except OutcomeInputError:
        if any(c == "" for c in cells):
            i = cells.index("")
            raise OutcomeInputError(
                f"{table.path.name} line {table.lines[i]}, column {name}: got ''; expected a value"
            ) from None
        levels = sorted(set(cells))
        if len(levels) < 2:
            raise OutcomeInputError(f"{table.path.name}, column {name}: got one level; expected at least two") from None
        return {f"{name}={level}": [1.0 if c == level else 0.0 for c in cells] for level in levels[1:]}


def _state_numbers(table: CsvTable, column: str, tm: TransitionMatrix) -> list[int]:
    """A column of state names or numbers as 1-based numbers; an unknown state is refused naming its line."""
    out = []
    for i, cell in enumerate(table.column(column)):
        try:
            out.append(tm.state_number(cell))
        except OutcomeInputError:
            raise OutcomeInputError(
                f"{table.path.name} line {table.lines[i]}, column {column}: got {cell!r};"
                f" expected a state name ({', '.join(tm.states)}) or number"
            ) from None
    return out


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        for item in value.split(","):
            if ">" not in item:
                raise OutcomeInputError(f"{option}: got {item!r}; expected FROM>TO with state names")
            a, b = item.split(">", 1)
            out.append((a.strip(), b.strip()))
    return out


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def write_multistate(out: Path, analysis: MultiStateAnalysis) -> list[Path]:
    """The JSON summary and the CSV tables of ``analysis``."""
    out.mkdir(parents=True, exist_ok=True)
    data, haz, occ = analysis.data, analysis.hazards, analysis.occupation
    tm = data.transitions
    written = [out / "multistate.json"]
    written[0].write_text(analysis.summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    cov_names = list(data.covariates)
    written.append(
        _write_csv(
            out / "multistate_long.csv",
            ["id", "from", "to", "trans", "Tstart", "Tstop", "status", *cov_names],
            [
                [
                    data.ids[s],
                    tm.states[f - 1],
                    tm.states[t - 1],
                    k,
                    a,
                    b,
                    e,
                    *(data.covariates[c][i] for c in cov_names),
                ]
                for i, (s, f, t, k, a, b, e) in enumerate(
                    zip(
                        data.subject.tolist(),
                        data.from_state.tolist(),
                        data.to_state.tolist(),
                        data.trans.tolist(),
                        data.tstart.tolist(),
                        data.tstop.tolist(),
                        data.status.tolist(),
                        strict=True,
                    )
                )
            ],
        )
    )
    var = np.sqrt(haz.variance(occ.hazard_variance))
    written.append(
        _write_csv(
            out / "multistate_hazards.csv",
            ["time", "trans", "from", "to", "n_risk", "n_event", "cumulative_hazard", "std_error"],
            [
                [
                    float(haz.times[i]),
                    t.number,
                    t.from_name,
                    t.to_name,
                    int(haz.at_risk[i, t.number - 1]),
                    int(haz.events[i, t.number - 1]),
                    float(haz.cumulative[i, t.number - 1]),
                    float(var[i, t.number - 1]),
                ]
                for t in tm.transitions
                for i in range(haz.times.size)
            ],
        )
    )
    written.append(
        _write_csv(
            out / "multistate_occupation.csv",
            ["time", *(f"p_{s}" for s in tm.states), *(f"se_{s}" for s in tm.states)],
            [
                [float(occ.times[i]), *occ.probabilities[i].tolist(), *occ.std_errors[i].tolist()]
                for i in range(occ.times.size)
            ],
        )
    )
    if analysis.summary.cox is not None:
        written.append(
            _write_csv(
                out / "multistate_cox.csv",
                [
                    "term",
                    "covariate",
                    "trans",
                    "transition",
                    "coef",
                    "hazard_ratio",
                    "std_error",
                    "lower_95",
                    "upper_95",
                    "z",
                    "p_value",
                ],
                [
                    [
                        c.name,
                        c.covariate,
                        c.transition,
                        c.label,
                        c.coef,
                        c.hazard_ratio,
                        c.std_error,
                        c.lower,
                        c.upper,
                        c.z,
                        c.p_value,
                    ]
                    for c in analysis.summary.cox
                ],
            )
        )
    return written


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
            pairs = _pairs(transition, "--transition")
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
            covariates.update(_covariate(table, col))
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
                _state_numbers(table, "from", tm),
                _state_numbers(table, "to", tm),
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


def write_rmst(out: Path, summary: RmstSummary) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "rmst.json"
    json_path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    level = f"{100 * (1 - summary.alpha):g}"
    rows: list[list[object]] = [
        [f"RMST ({g.group})", g.rmst, g.std_error, g.lower, g.upper, ""] for g in (summary.group, summary.reference)
    ]
    for label, c in (
        (f"RMST ({summary.group.group})-({summary.reference.group})", summary.difference),
        (f"RMST ({summary.group.group})/({summary.reference.group})", summary.ratio),
        (f"RMTL ({summary.group.group})/({summary.reference.group})", summary.rmtl_ratio),
    ):
        rows.append([label, c.estimate, "", c.lower, c.upper, c.p_value])
    csv_path = _write_csv(
        out / "rmst.csv", ["measure", "estimate", "std_error", f"lower_{level}", f"upper_{level}", "p_value"], rows
    )
    return [json_path, csv_path]


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
