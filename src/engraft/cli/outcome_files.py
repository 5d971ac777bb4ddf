"""What ``engraft outcomes`` reads and writes: CSV sources, the output folder, the lines it prints.

The registry is asked through :mod:`engraft.registry.outcome_service`; a CSV source is read with
:mod:`engraft.io.outcome_csv` and analysed with the same pure functions. Answers are written as JSON
(the typed models), CSV tables and PNG/SVG/PDF figures; a refusal is one line on stderr and exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import typer
from pydantic import BaseModel
from rich.markup import escape
from sqlalchemy import Engine

from engraft.cli.common import console, err_console, exit_on_registry_error, open_engine
from engraft.cli.figure_options import FigureChoice
from engraft.io.figures import DEFAULT_SPEC, save_figure
from engraft.io.outcome_csv import (
    activity_csv,
    benchmark_csv,
    curve_csv,
    read_activity_csv,
    read_benchmark_csv,
    read_endpoint_csv,
)
from engraft.io.outcome_mapping import read_mapping
from engraft.io.registry_outcomes import ImportedOutcomes, read_registry_csv
from engraft.outcomes import NothingToAnalyse, OutcomeInputError
from engraft.outcomes.activity import ALL_CENTRES, ActivityReport, activity_figure, activity_report, report_years
from engraft.outcomes.benchmark_report import BenchmarkAnalysis, BenchmarkCohortDescription, benchmark_report
from engraft.outcomes.benchmarking import benchmark_centres
from engraft.outcomes.endpoints import Endpoint
from engraft.outcomes.queries import ActivityQuery, BenchmarkQuery
from engraft.outcomes.results import (
    GroupComparison,
    IncidenceAtLandmark,
    IncidenceSummary,
    Provenance,
    SurvivalAtLandmark,
    SurvivalSummary,
)
from engraft.outcomes.summaries import EndpointAnalysis

T = TypeVar("T")
DEFAULT_FIGURE = FigureChoice(DEFAULT_SPEC, None)
Analysis = EndpointAnalysis[SurvivalSummary] | EndpointAnalysis[IncidenceSummary]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one error line; the exit to raise."""
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """A refused question, unreadable input or registry error: one line on stderr, exit status 1."""
    with exit_on_registry_error():
        try:
            yield
        except OutcomeInputError as exc:
            raise fail(str(exc)) from exc


def ask_registry(database: str | None, answer: Callable[[Engine], T]) -> T:
    """``answer`` computed on the registry at ``database`` (the engine is closed afterwards)."""
    engine = open_engine(database)
    try:
        return answer(engine)
    finally:
        engine.dispose()


# ---- CSV sources -------------------------------------------------------------------------------


def event_codes(text: str) -> tuple[int, ...] | None:
    """``--event``: status codes counted as the event (``1``, ``1,2,3``), or None for ``any`` non-zero code."""
    if text.strip().lower() in {"any", "any non-zero", "nonzero"}:
        return None
    try:
        codes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise OutcomeInputError(f"--event: got {text!r}; expected codes like 1 or 1,2,3, or 'any'") from None
    if 0 in codes:
        raise OutcomeInputError(f"--event: got {text!r}; expected non-zero codes (0 is censored)")
    return codes


def read_csv_endpoint(
    csv_file: Path,
    *,
    endpoint: str,
    time_column: str | None,
    status_column: str | None,
    time_unit: str,
    id_column: str,
    competing: bool,
    events: str | None = None,
) -> tuple[Endpoint, Provenance]:
    """The endpoint in ``csv_file`` and its provenance.

    Competing: every non-zero status code is a cause (1 and 2, or the EBMT data's six). Otherwise the
    status must be 0 or 1, unless ``events`` names the codes of the event (``1``, ``1,2,3`` or ``any``):
    then every other code is censored.
    """
    if time_column is None or status_column is None:
        raise OutcomeInputError("--csv needs --time COL and --status COL")
    ep = read_endpoint_csv(
        csv_file,
        name=endpoint,
        time_column=time_column,
        status_column=status_column,
        time_unit=time_unit,
        id_column=id_column,
        causes=None if competing or events is not None else (1,),
    )
    if not competing and events is not None:
        codes = event_codes(events)
        hit = ep.status != ep.censor_code if codes is None else np.isin(ep.status, codes)
        ep = replace(ep, status=np.where(hit, 1, 0).astype(np.int64), censor_code=0, causes=(1,))
    return ep, Provenance(source="csv", file=str(csv_file), transplants=len(ep.ids))


def benchmark_of_csv(
    csv_file: Path,
    query: BenchmarkQuery,
    *,
    time_column: str | None,
    status_column: str | None,
    time_unit: str,
    id_column: str,
    centre_column: str,
    covariates: list[str],
) -> BenchmarkAnalysis:
    """Benchmark of every row of ``csv_file`` (one per patient), adjusted for the named covariates."""
    if time_column is None or status_column is None:
        raise OutcomeInputError("--csv needs --time COL and --status COL")
    data = read_benchmark_csv(
        csv_file,
        time_column=time_column,
        status_column=status_column,
        time_unit=time_unit,
        id_column=id_column,
        centre_column=centre_column,
        covariates=covariates,
    )
    result = benchmark_centres(
        data.survival.time,
        data.survival.event,
        data.centre,
        data.covariates,
        n_bootstrap=query.n_bootstrap,
        seed=query.seed,
    )
    cohort = BenchmarkCohortDescription(
        population="all rows of the CSV", transplants=len(data.survival.ids), file=str(csv_file)
    )
    return BenchmarkAnalysis(benchmark_report(result, cohort), result)


def import_registry_csv(csv_file: Path, mapping_file: Path) -> ImportedOutcomes:
    """``csv_file`` read through the column mapping in ``mapping_file``."""
    return read_registry_csv(csv_file, read_mapping(mapping_file))


def activity_of_csv(csv_file: Path, query: ActivityQuery) -> ActivityReport:
    """Activity report of the rows of ``csv_file`` (of ``query.centre`` only, when given)."""
    rows = read_activity_csv(csv_file, centre=query.centre)
    if len(rows) == 0:
        raise NothingToAnalyse(f"{csv_file.name}: got no transplants to count; expected at least one")
    return activity_report(
        centre=rows.centre,
        year=rows.year,
        transplant_type=rows.transplant_type,
        donor_relation=rows.donor_relation,
        graft_source=rows.graft_source,
        icd10=rows.icd10,
        sequence_number=rows.sequence_number,
        years=report_years(rows.year.tolist(), query.first_year, query.last_year),
    )


# ---- outputs -----------------------------------------------------------------------------------


def _json(path: Path, model: BaseModel) -> Path:
    path.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _pct(value: float | None) -> str:
    return "NA" if value is None else f"{100 * value:.1f}%"


def _p(value: float | None) -> str:
    return "NA" if value is None else f"{value:.4g}"


def _estimate(landmark: SurvivalAtLandmark | IncidenceAtLandmark) -> float | None:
    return landmark.survival if isinstance(landmark, SurvivalAtLandmark) else landmark.incidence


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def write_endpoint(out: Path, stem: str, analysis: Analysis, figure: FigureChoice = DEFAULT_FIGURE) -> list[Path]:
    """``STEM.json`` (summary), ``STEM_curve.csv`` (every step), the figure as ``STEM.png``/``.svg``/``.pdf``."""
    out.mkdir(parents=True, exist_ok=True)
    drawn = analysis.figure(time_unit=figure.time_unit, size_in=figure.size_in)
    return [
        _json(out / f"{stem}.json", analysis.summary),
        _text(out / f"{stem}_curve.csv", curve_csv(analysis.curve())),
        *save_figure(drawn, out / stem, spec=figure.spec),
    ]


def report_endpoint(summary: SurvivalSummary | IncidenceSummary, written: list[Path]) -> None:
    """One line per group (estimates at the landmarks), the test, the files written."""
    for group in summary.groups:
        marks = ", ".join(
            f"{lm.time:g}: {_pct(_estimate(lm))} ({_pct(lm.lower)}-{_pct(lm.upper)})" for lm in group.landmarks
        )
        _say(f"{group.group}: n={group.n}, events={group.events}; {marks}")
    if summary.test is not None:
        test = summary.test
        statistic = "NA" if test.statistic is None else f"{test.statistic:.3f}"
        _say(f"{test.name} test: chi2={statistic}, df={test.df}, p={_p(test.p_value)}")
    for path in written:
        _say(f"wrote {path}")


def write_comparison(out: Path, endpoint: str, result: GroupComparison) -> list[Path]:
    """``compare_ENDPOINT.json``."""
    out.mkdir(parents=True, exist_ok=True)
    return [_json(out / f"compare_{endpoint}.json", result)]


def report_comparison(result: GroupComparison, written: list[Path]) -> None:
    _say(f"{result.test.name} test across {len(result.groups)} groups: p={_p(result.test.p_value)}")
    for path in written:
        _say(f"wrote {path}")


def write_benchmark(out: Path, analysis: BenchmarkAnalysis) -> list[Path]:
    """``benchmark.json``, ``benchmark.csv`` (one row per centre), ``benchmark.png``/``.svg``."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        _json(out / "benchmark.json", analysis.report),
        _text(out / "benchmark.csv", benchmark_csv(analysis.report)),
        *save_figure(analysis.figure(), out / "benchmark"),
    ]


def report_benchmark(analysis: BenchmarkAnalysis, written: list[Path]) -> None:
    for c in analysis.report.centres:
        _say(
            f"{c.centre}: n={c.n}, observed {_pct(c.observed)}, expected {_pct(c.expected)}"
            f" (PI {_pct(c.lower)}-{_pct(c.upper)}), follow-up {c.completeness:.1%}: {c.flag}"
        )
    for path in written:
        _say(f"wrote {path}")


def write_activity(out: Path, report: ActivityReport) -> list[Path]:
    """``activity_by_year.csv``, ``activity_by_indication.csv``, ``activity.json``, ``activity.png``/``.svg``."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        _text(out / "activity_by_year.csv", activity_csv(report, "by_year")),
        _text(out / "activity_by_indication.csv", activity_csv(report, "by_indication")),
        _json(out / "activity.json", report),
        *save_figure(activity_figure(report, ALL_CENTRES), out / "activity"),
    ]


def report_activity(report: ActivityReport, written: list[Path]) -> None:
    for row in report.by_year:
        if row.centre == ALL_CENTRES:
            _say(
                f"{row.year}: {row.total} HCT ({row.allo_total} allogeneic, {row.auto} autologous;"
                f" {row.first_transplant} first)"
            )
    for path in written:
        _say(f"wrote {path}")


def write_imported(out: Path, imported: ImportedOutcomes, time_unit: str | None) -> list[Path]:
    """The imported rows as one CSV at ``out`` (its folder is created)."""
    text = imported.to_csv(time_unit)
    out.parent.mkdir(parents=True, exist_ok=True)
    return [_text(out, text)]


def report_imported(imported: ImportedOutcomes, written: list[Path], time_unit: str | None) -> None:
    """One line for the rows read, one per endpoint (events per cause), one per covariate, the file written."""
    _say(f"read {len(imported.ids)} transplants from {imported.file} ({imported.mapping.layout.value} layout)")
    for name, ep in imported.endpoints.items():
        counts = ", ".join(f"{label} {int((ep.status == k).sum())}" for k, label in enumerate(ep.cause_labels, start=1))
        unit = time_unit or ep.time_unit
        _say(
            f"{name} ({ep.label}): {counts}, censored {int((ep.status == 0).sum())}; columns {name}_time ({unit}),"
            f" {name}_status"
        )
    for name, values in imported.covariates.items():
        _say(f"covariate {name}: {sum(v is None for v in values)} missing")
    for path in written:
        _say(f"wrote {path}")
