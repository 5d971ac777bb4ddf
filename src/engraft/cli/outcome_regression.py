"""``engraft outcomes cox`` and ``engraft outcomes finegray``: regression models from a CSV, coefficient tables out.

``cox`` fits R ``coxph(Surv([entry,] time, event) ~ covariates [+ strata(s)], ties = ...)``: ``--entry``
gives late entry, or (start, stop] rows in counting-process form for time-varying covariates;
``--strata`` a stratified model; ``--ties efron|breslow``; ``--event 1,2`` the status codes counted as
the event (``any``: every non-zero code; the rest are censored). ``finegray`` fits R ``crr(time,
status, covariates, failcode = cause)``: every other non-zero code competes. Both write ``NAME.json``
(the model and its coefficient table: term, coef, ratio, std_error, z, p_value, 95% limits) and
``NAME.csv`` (the table) into ``--out DIR``. The columns become the API's question
(:mod:`engraft.outcomes.regression_summary`), answered by the same function as ``POST
/api/outcomes/cox|finegray``, so both give the same figures and refuse the same data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from engraft.cli.common import console
from engraft.cli.outcome_files import event_codes, refusals
from engraft.cli.outcome_model_files import write_csv
from engraft.io.outcome_csv_models import ModelData, read_model_csv
from engraft.outcomes import OutcomeInputError
from engraft.outcomes.queries import parse_query
from engraft.outcomes.regression_summary import (
    CoxQuestion,
    CoxSummary,
    FineGrayQuestion,
    FineGraySummary,
    answer_cox,
    answer_fine_gray,
)

CsvArgument = Annotated[
    Path, typer.Option("--csv", help="CSV with one row per transplant (or interval)", exists=True, dir_okay=False)
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="folder for NAME.json and NAME.csv")]
TimeOption = Annotated[str, typer.Option("--time", help="CSV column with the follow-up (stop) time")]
StatusOption = Annotated[str, typer.Option("--status", help="CSV column with the status code (0 censored)")]
CovariateOption = Annotated[list[str], typer.Option("--covariate", help="numeric CSV column (repeatable)")]
NameOption = Annotated[str | None, typer.Option("--name", help="file name stem (default: the command)")]
COLUMNS = ("term", "coef", "{ratio}", "std_error", "z", "p_value", "lower", "upper")


def _columns(data: ModelData) -> dict[str, Any]:
    twice = sorted({n for n in data.names if data.names.count(n) > 1})
    if twice:
        raise OutcomeInputError(f"--covariate: got {twice[0]!r} more than once; expected each column once")
    return {
        "time": data.time.tolist(),
        "status": data.status.tolist(),
        "covariates": {name: data.covariates[:, j].tolist() for j, name in enumerate(data.names)},
    }


def _write(
    out: Path, stem: str, facts: dict[str, Any], summary: CoxSummary | FineGraySummary, ratio: str
) -> list[Path]:
    """``NAME.json`` (the summary and where its columns came from) and ``NAME.csv`` (the coefficient table)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stem}.json"
    doc = {"model": summary.model, **facts, **summary.model_dump(mode="json")}
    json_path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    header = [c.format(ratio=ratio) for c in COLUMNS]
    rows = [[getattr(row, c) for c in header] for row in summary.coefficients]
    return [json_path, write_csv(out / f"{stem}.csv", header, rows)]


def _g(value: float | None) -> str:
    return "NA" if value is None else f"{value:.3g}"


def _say(summary: CoxSummary | FineGraySummary, ratio: str, written: list[Path]) -> None:
    for row in summary.coefficients:
        console.print(
            f"{row.term}: {ratio} {_g(getattr(row, ratio))} ({_g(row.lower)}-{_g(row.upper)}), p={_g(row.p_value)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for path in written:
        console.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)


def _read(csv_file: Path, time: str, status: str, covariates: list[str], **extra: str | None) -> ModelData:
    return read_model_csv(csv_file, time_column=time, status_column=status, covariates=covariates, **extra)


def cox(
    csv_file: CsvArgument,
    out: OutOption,
    time_column: TimeOption,
    status_column: StatusOption,
    covariate: CovariateOption,
    event: Annotated[str, typer.Option("--event", help="status codes of the event: 1, 1,2,3 or 'any'")] = "1",
    entry_column: Annotated[str | None, typer.Option("--entry", help="CSV column with the entry (start) time")] = None,
    strata_column: Annotated[str | None, typer.Option("--strata", help="CSV column to stratify by")] = None,
    ties: Annotated[str, typer.Option("--ties", help="efron (R's default) or breslow")] = "efron",
    name: NameOption = None,
) -> None:
    """Cox proportional hazards model (strata, ties, late entry, counting-process rows); HR table as JSON/CSV."""
    with refusals():
        data = _read(
            csv_file, time_column, status_column, covariate, entry_column=entry_column, strata_column=strata_column
        )
        codes = event_codes(event)
        question = parse_query(
            CoxQuestion,
            {
                **_columns(data),
                "entry": None if data.entry is None else data.entry.tolist(),
                "strata": None if data.strata is None else list(data.strata),
                "event": "any" if codes is None else list(codes),
                "ties": ties,
            },
        )
        summary = answer_cox(question)
        facts = {"file": data.file, "entry": entry_column, "strata": strata_column}
        written = _write(out, name or "cox", facts, summary, "hazard_ratio")
    _say(summary, "hazard_ratio", written)


def finegray(
    csv_file: CsvArgument,
    out: OutOption,
    time_column: TimeOption,
    status_column: StatusOption,
    covariate: CovariateOption,
    cause: Annotated[int, typer.Option("--cause", help="status code of the event of interest (others compete)")] = 1,
    name: NameOption = None,
) -> None:
    """Fine-Gray subdistribution hazards model (R cmprsk::crr); SHR table as JSON/CSV."""
    with refusals():
        data = _read(csv_file, time_column, status_column, covariate)
        question = parse_query(FineGrayQuestion, {**_columns(data), "cause": cause})
        summary = answer_fine_gray(question)
        written = _write(out, name or "finegray", {"file": data.file}, summary, "subdistribution_hazard_ratio")
    _say(summary, "subdistribution_hazard_ratio", written)
