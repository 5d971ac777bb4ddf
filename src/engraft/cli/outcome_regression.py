"""``engraft outcomes cox`` and ``engraft outcomes finegray``: regression models from a CSV, coefficient tables out.

``cox`` fits R ``coxph(Surv([entry,] time, event) ~ covariates [+ strata(s)], ties = ...)``: ``--entry``
gives late entry, or (start, stop] rows in counting-process form for time-varying covariates;
``--strata`` a stratified model; ``--ties efron|breslow``; ``--event 1,2`` the status codes counted as
the event (``any``: every non-zero code; the rest are censored). ``finegray`` fits R ``crr(time,
status, covariates, failcode = cause)``: every other non-zero code competes. Both write ``NAME.json``
(the model and its coefficient table: term, coef, ratio, std_error, z, p_value, 95% limits) and
``NAME.csv`` (the table) into ``--out DIR``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from engraft.cli.common import console
from engraft.cli.outcome_files import event_codes, refusals
from engraft.io.outcome_csv_models import ModelData, read_model_csv
from engraft.outcomes.cox import cox_ph
from engraft.outcomes.fine_gray import fine_gray

CsvArgument = Annotated[
    Path, typer.Option("--csv", help="CSV with one row per transplant (or interval)", exists=True, dir_okay=False)
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="folder for NAME.json and NAME.csv")]
TimeOption = Annotated[str, typer.Option("--time", help="CSV column with the follow-up (stop) time")]
StatusOption = Annotated[str, typer.Option("--status", help="CSV column with the status code (0 censored)")]
CovariateOption = Annotated[list[str], typer.Option("--covariate", help="numeric CSV column (repeatable)")]
NameOption = Annotated[str | None, typer.Option("--name", help="file name stem (default: the command)")]


def _event_codes(text: str, status: np.ndarray) -> tuple[int, ...]:
    codes = event_codes(text)
    return tuple(sorted(int(c) for c in np.unique(status) if c != 0)) if codes is None else codes


def _table(frame: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()} for r in records]


def _write(out: Path, stem: str, model: dict[str, Any], frame: Any) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out / f"{stem}.json", out / f"{stem}.csv"
    json_path.write_text(json.dumps({**model, "coefficients": _table(frame)}, indent=2) + "\n", encoding="utf-8")
    csv_path.write_text(frame.to_csv(index=False), encoding="utf-8")
    return [json_path, csv_path]


def _say(frame: Any, ratio: str, written: list[Path]) -> None:
    for row in _table(frame):
        console.print(
            f"{row['term']}: {ratio} {row[ratio]:.3g} ({row['lower']:.3g}-{row['upper']:.3g}), p={row['p_value']:.3g}",
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
        codes = _event_codes(event, data.status)
        fit = cox_ph(
            data.time,
            np.isin(data.status, codes).astype(np.int64),
            data.covariates,
            ties=ties,
            entry=data.entry,
            strata=None if data.strata is None else np.asarray(data.strata),
            covariate_names=data.names,
        )
        frame = fit.to_frame("pandas")
        model = {
            "model": "cox",
            "file": data.file,
            "event_codes": list(codes),
            "ties": str(fit.ties),
            "entry": entry_column,
            "strata": strata_column,
            "n_obs": fit.n_obs,
            "n_events": fit.n_events,
            "loglik_null": fit.loglik_null,
            "loglik": fit.loglik,
            "converged": fit.converged,
        }
        written = _write(out, name or "cox", model, frame)
    _say(frame, "hazard_ratio", written)


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
        causes = tuple(sorted(int(c) for c in np.unique(data.status) if c != 0))
        fit = fine_gray(
            data.time, data.status, data.covariates, failure_code=cause, causes=causes, covariate_names=data.names
        )
        frame = fit.to_frame("pandas")
        model = {
            "model": "fine-gray",
            "file": data.file,
            "failure_code": cause,
            "competing_codes": [c for c in causes if c != cause],
            "n_obs": fit.n_obs,
            "n_events": fit.n_events,
            "loglik_null": fit.loglik_null,
            "loglik": fit.loglik,
            "converged": fit.converged,
        }
        written = _write(out, name or "finegray", model, frame)
    _say(frame, "subdistribution_hazard_ratio", written)
