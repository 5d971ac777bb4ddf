"""What ``engraft outcomes multistate|rmst`` read and write: CSV tables with line numbers, the output files.

A cell that cannot be used is refused naming the file, its line (1-based, the header is line 1) and the column;
:mod:`engraft.cli.outcome_models` turns the options into the typed questions and prints the answers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engraft.outcomes import OutcomeInputError
from engraft.outcomes.multistate_summary import MultiStateAnalysis
from engraft.outcomes.multistate_transitions import TransitionMatrix
from engraft.outcomes.rmst_summary import RmstSummary


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


def covariate_columns(table: CsvTable, name: str) -> dict[str, list[float]]:
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


def state_numbers(table: CsvTable, column: str, tm: TransitionMatrix) -> list[int]:
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


def transition_pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        for item in value.split(","):
            if ">" not in item:
                raise OutcomeInputError(f"{option}: got {item!r}; expected FROM>TO with state names")
            a, b = item.split(">", 1)
            out.append((a.strip(), b.strip()))
    return out


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_multistate(out: Path, analysis: MultiStateAnalysis) -> list[Path]:
    """The JSON summary and the CSV tables of ``analysis``."""
    out.mkdir(parents=True, exist_ok=True)
    data, haz, occ = analysis.data, analysis.hazards, analysis.occupation
    tm = data.transitions
    written = [out / "multistate.json"]
    written[0].write_text(analysis.summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    cov_names = list(data.covariates)
    written.append(
        write_csv(
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
        write_csv(
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
        write_csv(
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
            write_csv(
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
    csv_path = write_csv(
        out / "rmst.csv", ["measure", "estimate", "std_error", f"lower_{level}", f"upper_{level}", "p_value"], rows
    )
    return [json_path, csv_path]
