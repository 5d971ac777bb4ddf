"""``engraft outcomes``: survival, cumulative incidence, GRFS, group comparison, benchmarking, activity.

Every command reads the registry (``--database URL``, default as for the other commands) or, for
``survival``/``cif``/``compare``, a one-row-per-transplant CSV (``--csv FILE --time COL --status COL
--time-unit days|months|years``), and writes JSON, CSV and PNG/SVG figures into ``--out DIR``.
Registry analyses use first transplants unless ``--all-transplants`` is given (each episode then
counts from its own day 0; patients with several transplants appear more than once).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from numpy.typing import NDArray

from engraft.cli.common import DatabaseOption, console, err_console, exit_on_registry_error, open_engine
from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.activity import ALL_CENTRES, activity_figure
from engraft.outcomes.benchmarking import benchmark_centres, benchmark_figure
from engraft.outcomes.endpoints import Endpoint, read_endpoint_csv
from engraft.outcomes.plots import save_figure
from engraft.outcomes.registry_endpoints import (
    ENDPOINTS,
    GROUP_FIELDS,
    analyse,
    analysis_rows,
    benchmark_cohort,
    compare_groups,
    curve_rows,
    derive_endpoint,
    endpoint_figure,
    endpoint_spec,
    group_labels,
    is_competing,
)
from engraft.registry.outcome_data import (
    ActivityRecords,
    activity_report_of,
    load_activity_records,
    load_outcome_table,
)

outcomes_app = typer.Typer(
    help="Outcomes: survival, cumulative incidence, GRFS, comparisons, centre benchmarking, activity.",
    no_args_is_help=True,
)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="folder for the JSON, CSV and PNG/SVG outputs")]
CsvOption = Annotated[
    Path | None, typer.Option("--csv", help="one-row-per-transplant CSV instead of the registry", dir_okay=False)
]
TimeOption = Annotated[str | None, typer.Option("--time", help="CSV column with the follow-up time")]
StatusOption = Annotated[str | None, typer.Option("--status", help="CSV column with the status code (0 censored)")]
TimeUnitOption = Annotated[str, typer.Option("--time-unit", help="unit of the CSV time column: days, months, years")]
IdOption = Annotated[str, typer.Option("--id-column", help="CSV column identifying the transplant")]
GroupColumnOption = Annotated[str | None, typer.Option("--group-column", help="CSV column to group by")]
GroupByOption = Annotated[
    str | None, typer.Option("--group-by", help=f"registry field to group by: {', '.join(GROUP_FIELDS)}")
]
CentreOption = Annotated[str | None, typer.Option("--centre", help="only this centre's transplants (centre code)")]
AllOption = Annotated[
    bool, typer.Option("--all-transplants", help="every transplant episode, not only first transplants")
]
LandmarkOption = Annotated[
    list[float] | None, typer.Option("--landmark", help="landmark time(s) in the output unit (repeatable)")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _write_json(path: Path, payload: Any) -> Path:
    path.write_text(json.dumps(_clean(payload), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return path


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return path


def _csv_groups(path: Path, id_column: str, column: str, ids: tuple[str, ...]) -> NDArray[np.str_]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if column not in (reader.fieldnames or []):
            raise OutcomeInputError(
                f"group_column: got {column!r}; expected one of the CSV columns {reader.fieldnames}"
            )
        by_id = {(row[id_column] or "").strip(): (row[column] or "").strip() or "missing" for row in reader}
    return np.asarray([by_id[i] for i in ids], dtype=np.str_)


def _load(
    *,
    endpoint: str,
    database: str | None,
    csv_file: Path | None,
    time_column: str | None,
    status_column: str | None,
    time_unit: str,
    id_column: str,
    group_column: str | None,
    group_by: str | None,
    centre: str | None,
    all_transplants: bool,
    competing: bool,
) -> tuple[Endpoint, NDArray[np.str_] | None, dict[str, Any]]:
    """The endpoint and group labels from a CSV or the registry, plus provenance for the JSON."""
    if csv_file is not None:
        if time_column is None or status_column is None:
            raise OutcomeInputError("--csv needs --time COL and --status COL")
        ep = read_endpoint_csv(
            csv_file,
            name=endpoint,
            time_column=time_column,
            status_column=status_column,
            time_unit=time_unit,
            id_column=id_column,
            causes=(1, 2) if competing else (1,),
        )
        groups = None if group_column is None else _csv_groups(csv_file, id_column, group_column, ep.ids)
        return ep, groups, {"source": "csv", "file": str(csv_file)}
    spec = endpoint_spec(endpoint)
    if (spec.kind == "competing") != competing:
        command = "cif" if spec.kind == "competing" else "survival"
        raise OutcomeInputError(f"endpoint: {endpoint!r} is a {spec.kind} endpoint; use `outcomes {command}`")
    engine = open_engine(database)
    try:
        table = load_outcome_table(engine, centre=centre)
    finally:
        engine.dispose()
    if not all_transplants:
        table = table.first_transplants()
    table = analysis_rows(table, endpoint)
    ep = derive_endpoint(table, endpoint)
    groups = None if group_by is None else group_labels(table, group_by)
    provenance = {
        "source": "registry",
        "centre": centre,
        "population": "all transplants" if all_transplants else "first transplants",
        "allogeneic_only": spec.allogeneic_only,
    }
    return ep, groups, provenance


def _run_endpoint(
    *,
    stem: str,
    endpoint: str,
    out: Path,
    competing: bool,
    cause: int = 1,
    landmarks: list[float] | None,
    **source: Any,
) -> None:
    with exit_on_registry_error():
        try:
            ep, groups, provenance = _load(endpoint=endpoint, competing=competing, **source)
            summary = analyse(ep, groups, landmarks=landmarks, cause=cause)
            rows = curve_rows(ep, groups, cause=cause)
            figure = endpoint_figure(ep, groups, cause=cause)
        except OutcomeInputError as exc:
            raise _fail(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    summary["provenance"] = provenance
    written = [_write_json(out / f"{stem}.json", summary), _write_rows(out / f"{stem}_curve.csv", rows)]
    written += save_figure(figure, out / stem)
    for group in summary["groups"]:
        marks = ", ".join(
            f"{lm['time']:g}: {_pct(lm.get('survival', lm.get('incidence')))} ({_pct(lm['lower'])}-{_pct(lm['upper'])})"
            for lm in group["landmarks"]
        )
        console.print(f"{group['group']}: n={group['n']}, events={group['events']}; {marks}")
    if summary.get("test"):
        test = summary["test"]
        console.print(f"{test['name']} test: chi2={test['statistic']:.3f}, df={test['df']}, p={test['p_value']:.4g}")
    for path in written:
        console.print(f"wrote {path}")


def _pct(value: float | None) -> str:
    return "NA" if value is None else f"{100 * value:.1f}%"


@outcomes_app.command("survival")
def survival(
    out: OutOption,
    endpoint: Annotated[str, typer.Option(help="os, dfs, pfs or grfs (registry); a name for a CSV")] = "os",
    database: DatabaseOption = None,
    csv_file: CsvOption = None,
    time_column: TimeOption = None,
    status_column: StatusOption = None,
    time_unit: TimeUnitOption = "days",
    id_column: IdOption = "transplant_id",
    group_column: GroupColumnOption = None,
    group_by: GroupByOption = None,
    centre: CentreOption = None,
    all_transplants: AllOption = False,
    landmark: LandmarkOption = None,
) -> None:
    """Kaplan-Meier survival (log-log 95% CI) with landmarks, median and a log-rank test by group."""
    _run_endpoint(
        stem=endpoint,
        endpoint=endpoint,
        out=out,
        competing=False,
        landmarks=landmark,
        database=database,
        csv_file=csv_file,
        time_column=time_column,
        status_column=status_column,
        time_unit=time_unit,
        id_column=id_column,
        group_column=group_column,
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
    )


@outcomes_app.command("cif")
def cif(
    out: OutOption,
    endpoint: Annotated[
        str,
        typer.Option(help="relapse, nrm, agvhd_2_4, agvhd_3_4, cgvhd, neutrophil_engraftment, platelet_engraftment"),
    ] = "relapse",
    cause: Annotated[int, typer.Option(help="status code of the event of interest")] = 1,
    database: DatabaseOption = None,
    csv_file: CsvOption = None,
    time_column: TimeOption = None,
    status_column: StatusOption = None,
    time_unit: TimeUnitOption = "days",
    id_column: IdOption = "transplant_id",
    group_column: GroupColumnOption = None,
    group_by: GroupByOption = None,
    centre: CentreOption = None,
    all_transplants: AllOption = False,
    landmark: LandmarkOption = None,
) -> None:
    """Cumulative incidence with competing risks (Aalen-Johansen) and Gray's test by group."""
    _run_endpoint(
        stem=endpoint,
        endpoint=endpoint,
        out=out,
        competing=True,
        cause=cause,
        landmarks=landmark,
        database=database,
        csv_file=csv_file,
        time_column=time_column,
        status_column=status_column,
        time_unit=time_unit,
        id_column=id_column,
        group_column=group_column,
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
    )


@outcomes_app.command("grfs")
def grfs(
    out: OutOption,
    database: DatabaseOption = None,
    group_by: GroupByOption = None,
    centre: CentreOption = None,
    all_transplants: AllOption = False,
    landmark: LandmarkOption = None,
) -> None:
    """GVHD-free, relapse-free survival after allogeneic transplants (registry)."""
    _run_endpoint(
        stem="grfs",
        endpoint="grfs",
        out=out,
        competing=False,
        landmarks=landmark,
        database=database,
        csv_file=None,
        time_column=None,
        status_column=None,
        time_unit="days",
        id_column="transplant_id",
        group_column=None,
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
    )


@outcomes_app.command("compare")
def compare(
    out: OutOption,
    endpoint: Annotated[str, typer.Option(help="any registry endpoint, or a name for a CSV")] = "os",
    competing: Annotated[
        bool, typer.Option("--competing", help="CSV only: status holds competing causes (Gray's test)")
    ] = False,
    cause: Annotated[int, typer.Option(help="event of interest for competing endpoints")] = 1,
    database: DatabaseOption = None,
    csv_file: CsvOption = None,
    time_column: TimeOption = None,
    status_column: StatusOption = None,
    time_unit: TimeUnitOption = "days",
    id_column: IdOption = "transplant_id",
    group_column: GroupColumnOption = None,
    group_by: GroupByOption = None,
    centre: CentreOption = None,
    all_transplants: AllOption = False,
) -> None:
    """Compare groups: log-rank for survival endpoints, Gray's test for cumulative incidences."""
    if group_by is None and group_column is None:
        raise _fail("give --group-by FIELD (registry) or --group-column COL (CSV)", 2)
    with exit_on_registry_error():
        try:
            is_comp = competing if csv_file is not None else endpoint_spec(endpoint).kind == "competing"
            ep, groups, provenance = _load(
                endpoint=endpoint,
                database=database,
                csv_file=csv_file,
                time_column=time_column,
                status_column=status_column,
                time_unit=time_unit,
                id_column=id_column,
                group_column=group_column,
                group_by=group_by,
                centre=centre,
                all_transplants=all_transplants,
                competing=is_comp,
            )
            if groups is None:
                raise OutcomeInputError("group_by: no groups could be read")
            result = compare_groups(ep, groups, cause=cause)
        except OutcomeInputError as exc:
            raise _fail(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    result["provenance"] = provenance
    result["kind"] = "cumulative incidence" if is_competing(ep) else "survival"
    path = _write_json(out / f"compare_{endpoint}.json", result)
    test = result["test"]
    console.print(f"{test['name']} test across {len(result['groups'])} groups: p={test['p_value']:.4g}")
    console.print(f"wrote {path}")


def _csv_columns(path: Path, id_column: str, columns: list[str], ids: tuple[str, ...]) -> dict[str, list[str]]:
    """Raw text of ``columns`` for each id of ``ids`` (in that order)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for column in columns:
            if column not in header:
                raise OutcomeInputError(f"column: got {column!r}; expected one of the CSV columns {header}")
        by_id = {(row[id_column] or "").strip(): row for row in reader}
    return {c: [(by_id[i][c] or "").strip() for i in ids] for c in columns}


def _covariate(values: list[str]) -> NDArray[Any]:
    """Numeric (NaN for blanks) when every non-blank value is a number, else labels (blank = missing)."""
    try:
        return np.asarray([float(v) if v else float("nan") for v in values], dtype=np.float64)
    except ValueError:
        return np.asarray(values, dtype=object)


@outcomes_app.command("benchmark")
def benchmark(
    out: OutOption,
    database: DatabaseOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="data cut-off date YYYY-MM-DD (default: latest date on file)")
    ] = None,
    first_year: Annotated[int | None, typer.Option(help="first transplant year of the cohort")] = None,
    last_year: Annotated[int | None, typer.Option(help="last transplant year of the cohort")] = None,
    n_bootstrap: Annotated[int, typer.Option(min=100, help="bootstrap replicates")] = 2000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 20081,
    csv_file: CsvOption = None,
    time_column: TimeOption = None,
    status_column: StatusOption = None,
    time_unit: TimeUnitOption = "days",
    id_column: IdOption = "transplant_id",
    centre_column: Annotated[str, typer.Option("--centre-column", help="CSV column with the centre")] = "centre",
    covariate: Annotated[
        list[str] | None, typer.Option("--covariate", help="CSV covariate column (repeatable)")
    ] = None,
) -> None:
    """Risk-adjusted 1-year survival per centre (CIBMTR CSA manner): below / as expected / above.

    From the registry: first allogeneic transplants with a year of potential follow-up, adjusted for
    age, disease group and status, performance score, HCT-CI, donor, graft source, conditioning
    intensity, recipient CMV and year. From a CSV (one row per patient, overall survival with status
    1 = dead): the covariates named with --covariate.
    """
    cohort_doc: dict[str, Any]
    with exit_on_registry_error():
        try:
            cutoff = None if as_of is None else dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise _fail(f"--as-of: got {as_of!r}; expected a date YYYY-MM-DD") from exc
        try:
            if csv_file is not None:
                if time_column is None or status_column is None:
                    raise OutcomeInputError("--csv needs --time COL and --status COL")
                ep = read_endpoint_csv(
                    csv_file,
                    name="os",
                    time_column=time_column,
                    status_column=status_column,
                    time_unit=time_unit,
                    id_column=id_column,
                    output_unit="days",
                )
                raw = _csv_columns(csv_file, id_column, [centre_column, *(covariate or [])], ep.ids)
                centres = np.asarray(raw.pop(centre_column), dtype=np.str_)
                covariates = {name: _covariate(values) for name, values in raw.items()}
                time, event = ep.time, ep.event
                cohort_doc = {"population": "all rows of the CSV", "file": str(csv_file)}
            else:
                engine = open_engine(database)
                try:
                    table = load_outcome_table(engine)
                finally:
                    engine.dispose()
                cohort = benchmark_cohort(table, as_of=cutoff, first_year=first_year, last_year=last_year)
                time, event, centres, covariates = cohort.time, cohort.event, cohort.centre, cohort.covariates
                cohort_doc = {
                    "population": "first allogeneic transplants with > 365 days of potential follow-up",
                    "as_of": cohort.as_of,
                    "first_year": first_year,
                    "last_year": last_year,
                }
            result = benchmark_centres(time, event, centres, covariates, n_bootstrap=n_bootstrap, seed=seed)
        except OutcomeInputError as exc:
            raise _fail(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    doc = result.to_json()
    doc["cohort"] = cohort_doc
    written = [
        _write_json(out / "benchmark.json", doc),
        _write_rows(out / "benchmark.csv", doc["centres"]),
        *save_figure(benchmark_figure(result), out / "benchmark"),
    ]
    for c in result.centres:
        console.print(
            f"{c.centre}: n={c.n}, observed {_pct(c.observed)}, expected {_pct(c.expected)}"
            f" (PI {_pct(c.lower)}-{_pct(c.upper)}), follow-up {c.completeness:.1%}: {c.flag}"
        )
    for path in written:
        console.print(f"wrote {path}")


ACTIVITY_COLUMNS = ("centre", "year", "transplant_type", "donor_relation", "graft_source", "icd10", "sequence_number")


@outcomes_app.command("activity")
def activity(
    out: OutOption,
    database: DatabaseOption = None,
    centre: CentreOption = None,
    first_year: Annotated[int | None, typer.Option(help="first year reported")] = None,
    last_year: Annotated[int | None, typer.Option(help="last year reported")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help=f"CSV with one row per transplant and columns {', '.join(ACTIVITY_COLUMNS)}"),
    ] = None,
) -> None:
    """Transplants per year by type, indication, donor, source, first/subsequent (EBMT survey layout)."""
    if csv_file is not None:
        try:
            records = _activity_from_csv(csv_file, centre)
        except (OutcomeInputError, ValueError, KeyError) as exc:
            raise _fail(f"{csv_file.name}: {exc}") from exc
    else:
        with exit_on_registry_error():
            engine = open_engine(database)
            try:
                records = load_activity_records(engine, centre=centre)
            finally:
                engine.dispose()
    if len(records) == 0:
        raise _fail("no transplants to count")
    try:
        report = activity_report_of(records, first_year, last_year)
    except OutcomeInputError as exc:
        raise _fail(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    by_year = out / "activity_by_year.csv"
    by_year.write_text(report.to_csv("by_year"), encoding="utf-8")
    by_ind = out / "activity_by_indication.csv"
    by_ind.write_text(report.to_csv("by_indication"), encoding="utf-8")
    written = [by_year, by_ind, _write_json(out / "activity.json", report.to_json())]
    written += save_figure(activity_figure(report, ALL_CENTRES), out / "activity")
    for row in report.by_year:
        if row["centre"] == ALL_CENTRES:
            console.print(
                f"{row['year']}: {row['total']} HCT ({row['allo_total']} allogeneic, {row['auto']} autologous;"
                f" {row['first_transplant']} first)"
            )
    for path in written:
        console.print(f"wrote {path}")


def _activity_from_csv(path: Path, centre: str | None) -> ActivityRecords:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ACTIVITY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise OutcomeInputError(f"got no column(s) {missing}; expected {list(ACTIVITY_COLUMNS)}")
        rows = [r for r in reader if centre is None or (r["centre"] or "").strip() == centre]
    text = {c: [(r[c] or "").strip() for r in rows] for c in ACTIVITY_COLUMNS}
    return ActivityRecords(
        centre=np.asarray(text["centre"], dtype=np.str_),
        year=np.asarray([int(v) for v in text["year"]], dtype=np.int64),
        transplant_type=np.asarray(text["transplant_type"], dtype=np.str_),
        donor_relation=np.asarray(text["donor_relation"], dtype=np.str_),
        graft_source=np.asarray(text["graft_source"], dtype=np.str_),
        icd10=np.asarray(text["icd10"], dtype=np.str_),
        sequence_number=np.asarray([int(v) for v in text["sequence_number"]], dtype=np.int64),
    )


__all__ = ["ENDPOINTS", "outcomes_app"]
