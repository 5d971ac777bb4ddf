"""``engraft outcomes``: survival, cumulative incidence, GRFS, group comparison, benchmarking, activity.

Every command reads the registry (``--database URL``, default as for the other commands) or, for
``survival``/``cif``/``compare``/``benchmark``/``activity``, a one-row-per-transplant CSV (``--csv
FILE``; time-to-event commands also need ``--time COL --status COL --time-unit days|months|years``),
and writes JSON, CSV and PNG/SVG/PDF figures into ``--out DIR`` (``--figure-format``, ``--width-mm``,
``--height-mm``, ``--dpi``, ``--figure-time-unit``: see :mod:`engraft.cli.figure_options`). ``import``
converts a registry's CSV (CIBMTR public dataset, EBMT-style export) into that CSV through a
column-mapping file. Registry
analyses use first transplants unless ``--all-transplants`` is given (each episode then counts from
its own day 0; patients with several transplants appear more than once).

Registry questions are the typed queries of :mod:`engraft.outcomes.queries`, answered by the outcome
service (:mod:`engraft.registry.outcome_service`) that the API calls too. A refused parameter or a
population without a transplant to analyse is one line on stderr and exit status 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from engraft.cli.common import DatabaseOption
from engraft.cli.figure_options import (
    DpiOption,
    FigureFormatOption,
    FigureTimeUnitOption,
    HeightOption,
    WidthOption,
    figure_choice,
)
from engraft.cli.outcome_files import (
    activity_of_csv,
    ask_registry,
    benchmark_of_csv,
    fail,
    import_registry_csv,
    read_csv_endpoint,
    refusals,
    report_activity,
    report_benchmark,
    report_comparison,
    report_endpoint,
    report_imported,
    write_activity,
    write_benchmark,
    write_comparison,
    write_endpoint,
    write_imported,
)
from engraft.cli.outcome_regression import cox, finegray
from engraft.io.figures import DPI
from engraft.io.outcome_csv import ACTIVITY_COLUMNS, read_group_labels
from engraft.outcomes import OutcomeInputError
from engraft.outcomes.benchmark_report import BenchmarkAnalysis
from engraft.outcomes.queries import (
    ActivityQuery,
    BenchmarkQuery,
    CompareQuery,
    CompetingRiskQuery,
    GroupField,
    Population,
    SurvivalQuery,
    parse_landmarks,
    parse_query,
)
from engraft.outcomes.results import IncidenceSummary, SurvivalSummary
from engraft.outcomes.summaries import EndpointAnalysis, compare_groups, incidence_analysis_of, survival_analysis_of
from engraft.registry.outcome_service import (
    centre_benchmark,
    competing_risk_analysis,
    group_comparison,
    survival_analysis,
    transplant_activity,
)

outcomes_app = typer.Typer(
    help="Outcomes: survival, cumulative incidence, GRFS, comparisons, centre benchmarking, activity.",
    no_args_is_help=True,
)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="folder for the JSON, CSV and PNG/SVG outputs")]
CsvOption = Annotated[
    Path | None,
    typer.Option("--csv", help="one-row-per-transplant CSV instead of the registry", exists=True, dir_okay=False),
]
TimeOption = Annotated[str | None, typer.Option("--time", help="CSV column with the follow-up time")]
StatusOption = Annotated[str | None, typer.Option("--status", help="CSV column with the status code (0 censored)")]
TimeUnitOption = Annotated[
    str,
    typer.Option("--time-unit", help="days, months or years: unit of the CSV time column, and of the results"),
]
IdOption = Annotated[
    str, typer.Option("--id-column", help="CSV column identifying the transplant (absent: rows by line number)")
]
GroupColumnOption = Annotated[str | None, typer.Option("--group-column", help="CSV column to group by")]
GroupByOption = Annotated[
    str | None, typer.Option("--group-by", help=f"registry field to group by: {', '.join(GroupField)}")
]
CentreOption = Annotated[str | None, typer.Option("--centre", help="only this centre's transplants (centre code)")]
AllOption = Annotated[
    bool, typer.Option("--all-transplants", help="every transplant episode, not only first transplants")
]
LandmarkOption = Annotated[
    list[float] | None, typer.Option("--landmark", help="landmark time(s) in the output unit (repeatable)")
]


def _population(all_transplants: bool) -> Population:
    return Population.ALL_TRANSPLANTS if all_transplants else Population.FIRST_TRANSPLANTS


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
    figure_format: FigureFormatOption = None,
    width_mm: WidthOption = None,
    height_mm: HeightOption = None,
    dpi: DpiOption = DPI,
    figure_time_unit: FigureTimeUnitOption = None,
    event: Annotated[
        str | None,
        typer.Option(
            "--event", help="CSV: status codes of the event, 1,2,3 or 'any' (others censored; default: 0/1 only)"
        ),
    ] = None,
) -> None:
    """Kaplan-Meier survival (log-log 95% CI) with landmarks, median and a log-rank test by group."""
    with refusals():
        figure = figure_choice(figure_format, width_mm, height_mm, dpi, figure_time_unit)
        analysis: EndpointAnalysis[SurvivalSummary]
        if csv_file is not None:
            ep, provenance = read_csv_endpoint(
                csv_file,
                endpoint=endpoint,
                time_column=time_column,
                status_column=status_column,
                time_unit=time_unit,
                id_column=id_column,
                competing=False,
                events=event,
            )
            groups = None if group_column is None else read_group_labels(csv_file, id_column, group_column, ep.ids)
            marks = parse_landmarks(landmark)
            analysis = survival_analysis_of(ep, groups, landmarks=marks, provenance=provenance)
        else:
            query = parse_query(
                SurvivalQuery,
                {
                    "endpoint": endpoint,
                    "group_by": group_by,
                    "centre": centre,
                    "population": _population(all_transplants),
                    "landmarks": landmark,
                    "time_unit": time_unit,
                },
            )
            analysis = ask_registry(database, lambda engine: survival_analysis(engine, query))
        written = write_endpoint(out, endpoint, analysis, figure)
    report_endpoint(analysis.summary, written)


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
    figure_format: FigureFormatOption = None,
    width_mm: WidthOption = None,
    height_mm: HeightOption = None,
    dpi: DpiOption = DPI,
    figure_time_unit: FigureTimeUnitOption = None,
) -> None:
    """Cumulative incidence with competing risks (Aalen-Johansen) and Gray's test by group."""
    with refusals():
        figure = figure_choice(figure_format, width_mm, height_mm, dpi, figure_time_unit)
        analysis: EndpointAnalysis[IncidenceSummary]
        if csv_file is not None:
            ep, provenance = read_csv_endpoint(
                csv_file,
                endpoint=endpoint,
                time_column=time_column,
                status_column=status_column,
                time_unit=time_unit,
                id_column=id_column,
                competing=True,
            )
            groups = None if group_column is None else read_group_labels(csv_file, id_column, group_column, ep.ids)
            marks = parse_landmarks(landmark)
            analysis = incidence_analysis_of(ep, groups, landmarks=marks, cause=cause, provenance=provenance)
        else:
            query = parse_query(
                CompetingRiskQuery,
                {
                    "endpoint": endpoint,
                    "cause": cause,
                    "group_by": group_by,
                    "centre": centre,
                    "population": _population(all_transplants),
                    "landmarks": landmark,
                    "time_unit": time_unit,
                },
            )
            analysis = ask_registry(database, lambda engine: competing_risk_analysis(engine, query))
        written = write_endpoint(out, endpoint, analysis, figure)
    report_endpoint(analysis.summary, written)


@outcomes_app.command("grfs")
def grfs(
    out: OutOption,
    database: DatabaseOption = None,
    group_by: GroupByOption = None,
    centre: CentreOption = None,
    all_transplants: AllOption = False,
    landmark: LandmarkOption = None,
    time_unit: Annotated[str, typer.Option("--time-unit", help="days, months or years: unit of the results")] = "days",
    figure_format: FigureFormatOption = None,
    width_mm: WidthOption = None,
    height_mm: HeightOption = None,
    dpi: DpiOption = DPI,
    figure_time_unit: FigureTimeUnitOption = None,
) -> None:
    """GVHD-free, relapse-free survival after allogeneic transplants (registry)."""
    survival(
        out=out,
        endpoint="grfs",
        database=database,
        csv_file=None,
        time_column=None,
        status_column=None,
        time_unit=time_unit,
        id_column="transplant_id",
        group_column=None,
        group_by=group_by,
        centre=centre,
        all_transplants=all_transplants,
        landmark=landmark,
        figure_format=figure_format,
        width_mm=width_mm,
        height_mm=height_mm,
        dpi=dpi,
        figure_time_unit=figure_time_unit,
    )


@outcomes_app.command("compare")
def compare(
    out: OutOption,
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="any registry endpoint (default os), or a name for a CSV (default os; with --competing cause-K); "
            "the files are named after it"
        ),
    ] = None,
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
    endpoint = endpoint or (f"cause-{cause}" if competing and csv_file is not None else "os")
    if group_by is None and group_column is None:
        raise fail("give --group-by FIELD (registry) or --group-column COL (CSV)", 2)
    with refusals():
        if csv_file is not None:
            if group_column is None:
                raise OutcomeInputError("--csv needs --group-column COL (--group-by names a registry field)")
            ep, provenance = read_csv_endpoint(
                csv_file,
                endpoint=endpoint,
                time_column=time_column,
                status_column=status_column,
                time_unit=time_unit,
                id_column=id_column,
                competing=competing,
            )
            groups = read_group_labels(csv_file, id_column, group_column, ep.ids)
            result = compare_groups(ep, groups, cause=cause, provenance=provenance, field_name="group_column")
        else:
            query = parse_query(
                CompareQuery,
                {
                    "group_by": group_by,
                    "endpoint": endpoint,
                    "cause": cause,
                    "centre": centre,
                    "population": _population(all_transplants),
                    "time_unit": time_unit,
                },
            )
            result = ask_registry(database, lambda engine: group_comparison(engine, query))
        written = write_comparison(out, endpoint, result)
    report_comparison(result, written)


@outcomes_app.command("benchmark")
def benchmark(
    out: OutOption,
    database: DatabaseOption = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="data cut-off date YYYY-MM-DD (default: latest on file)"),
    ] = None,
    first_year: Annotated[int | None, typer.Option(help="first transplant year of the cohort")] = None,
    last_year: Annotated[int | None, typer.Option(help="last transplant year of the cohort")] = None,
    n_bootstrap: Annotated[int, typer.Option(help="bootstrap replicates (100 to 20000)")] = 2000,
    seed: Annotated[int, typer.Option(help="bootstrap seed (0 to 2**32 - 1)")] = 20081,
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
    with refusals():
        settings = {"n_bootstrap": n_bootstrap, "seed": seed}
        analysis: BenchmarkAnalysis
        if csv_file is not None:
            analysis = benchmark_of_csv(
                csv_file,
                parse_query(BenchmarkQuery, settings),
                time_column=time_column,
                status_column=status_column,
                time_unit=time_unit,
                id_column=id_column,
                centre_column=centre_column,
                covariates=covariate or [],
            )
        else:
            cutoff = None if as_of is None else as_of.date()
            years = {"as_of": cutoff, "first_year": first_year, "last_year": last_year}
            query = parse_query(BenchmarkQuery, {**settings, **years})
            analysis = ask_registry(database, lambda engine: centre_benchmark(engine, query))
        written = write_benchmark(out, analysis)
    report_benchmark(analysis, written)


@outcomes_app.command("import")
def import_registry(
    csv_file: Annotated[
        Path, typer.Argument(help="the registry's CSV, one row per transplant", exists=True, dir_okay=False)
    ],
    mapping: Annotated[
        Path,
        typer.Option("--mapping", help="column-mapping TOML (layout cibmtr or ebmt)", exists=True, dir_okay=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="the CSV to write (one row per transplant)")],
    time_unit: Annotated[
        str | None, typer.Option("--time-unit", help="days, months or years (default: the file's)")
    ] = None,
) -> None:
    """Convert a CIBMTR public-dataset or EBMT-style CSV into Engraft's outcome CSV through a column mapping.

    The output has transplant_id, NAME_time and NAME_status per endpoint and the covariates (labels),
    ready for ``engraft outcomes survival|cif|compare --csv``.
    """
    with refusals():
        imported = import_registry_csv(csv_file, mapping)
        written = write_imported(out, imported, time_unit)
    report_imported(imported, written, time_unit)


@outcomes_app.command("activity")
def activity(
    out: OutOption,
    database: DatabaseOption = None,
    centre: CentreOption = None,
    first_year: Annotated[int | None, typer.Option(help="first year reported")] = None,
    last_year: Annotated[int | None, typer.Option(help="last year reported")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help=f"CSV with one row per transplant and columns {', '.join(ACTIVITY_COLUMNS)}",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Transplants per year by type, indication, donor, source, first/subsequent (EBMT survey layout)."""
    with refusals():
        query = parse_query(ActivityQuery, {"centre": centre, "first_year": first_year, "last_year": last_year})
        if csv_file is not None:
            report = activity_of_csv(csv_file, query)
        else:
            report = ask_registry(database, lambda engine: transplant_activity(engine, query))
        written = write_activity(out, report)
    report_activity(report, written)


outcomes_app.command("cox")(cox)
outcomes_app.command("finegray")(finegray)

__all__ = ["outcomes_app"]
