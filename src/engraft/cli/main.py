"""Top-level commands: ``db``, ``demo``, ``serve``, ``export``, ``import``; sub-commands ``hla``, ``donors``, ..."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, make_url, select

from engraft import __version__
from engraft.cli.audit import audit_app
from engraft.cli.common import (
    DatabaseOption,
    EngraftGroup,
    console,
    err_console,
    exit_on_registry_error,
    open_engine,
    registry_service,
)
from engraft.cli.csv_summaries import export_summary_table, import_report_view
from engraft.cli.db import db_app
from engraft.cli.demo_ward import DEFAULT_MLLP_PORT, DEFAULT_WARD_INTERVAL_S
from engraft.cli.donors import donors_app
from engraft.cli.hla import hla_app
from engraft.cli.import_monitoring import ImportEvaluation
from engraft.cli.keys import keys_app
from engraft.cli.monitor import monitor_app
from engraft.cli.outcome_models import register as register_outcome_models
from engraft.cli.outcomes import outcomes_app
from engraft.cli.report import report_app
from engraft.cli.scores import score
from engraft.cli.tokens import tokens_app
from engraft.cli.users import demo_accounts, print_demo_accounts, users_app
from engraft.registry.database import DATABASE_URL_ENV, database_url, default_database_path
from engraft.registry.migrate import upgrade
from engraft.registry.models import Patient, TransplantEpisode

app = typer.Typer(
    name="engraft",
    help="Engraft: haematopoietic stem cell transplant safety — registry, risk, donor search, outcomes.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=EngraftGroup,
)
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(donors_app, name="donors")
app.add_typer(hla_app, name="hla")
app.add_typer(keys_app, name="keys")
app.add_typer(monitor_app, name="monitor")
register_outcome_models(outcomes_app)
app.add_typer(outcomes_app, name="outcomes")
app.add_typer(report_app, name="report")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")
app.command()(score)


def _version(value: bool) -> None:
    if value:
        console.print(f"engraft {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """Engraft command line."""


def demo_database_url() -> str:
    """The demo database lives beside the default registry file, never inside a real registry."""
    return f"sqlite:///{default_database_path().with_name('demo.db')}"


def _hla_release_configured() -> bool:
    from engraft.config.hla_release import configured_release
    from engraft.hla.nomenclature.errors import HlaReleaseError

    try:
        configured_release()
    except HlaReleaseError:
        return False
    return True


def fill_demo(database: str, transplants: int, seed: int) -> None:
    from engraft.cli.demo_summary import demo_summary_table
    from engraft.demo.cohort_loader import load_demo_cohort

    hla_typings = _hla_release_configured()
    if not hla_typings:
        err_console.print(
            "no IPD-IMGT/HLA release is configured, so the demo donors are loaded without HLA typings (a typing is "
            "never stored unchecked) and donor search is unavailable; run `engraft hla install` and start with a "
            "new database to have both",
            soft_wrap=True,
        )
    engine = open_engine(database)
    upgrade(engine)
    service = registry_service(engine, actor="demo")
    columns = (TextColumn("[bold]demo cohort"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console) as progress, exit_on_registry_error():
        task = progress.add_task("transplants", total=transplants)
        with service.batch() as batch:
            summary = load_demo_cohort(
                batch,
                transplants=transplants,
                seed=seed,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                hla_typings=hla_typings,
                car_t=True,
            )
    console.print(demo_summary_table(summary))
    engine.dispose()


def demo_donor_store(donors: int) -> Path:
    """The demo donor registry beside the demo database, built on first use when a release is available."""
    from engraft.cli.donors import build_demo_donor_store
    from engraft.hla.nomenclature.errors import HlaReleaseError
    from engraft.io.imgt_release import load_nomenclature

    path = default_database_path().with_name("demo-donor-store")
    if (path / "manifest.json").exists():
        return path
    try:
        nom = load_nomenclature()
    except HlaReleaseError as exc:
        err_console.print(f"no demo donor registry: {exc}")
        return path
    err_console.print(f"creating a synthetic donor registry of {donors:,} donors (first start only)...")
    build_demo_donor_store(path, nom, donors)
    return path


def demo_hf_set_file(store: Path) -> Path | None:
    """The demo haplotype frequencies as an Atlas HF-set file in the demo store (None without a release)."""
    from engraft.demo.haplotypes import demo_hf_set_document
    from engraft.hla.nomenclature.errors import HlaReleaseError
    from engraft.io.imgt_release import load_nomenclature

    try:
        nom = load_nomenclature()
    except HlaReleaseError:
        return None
    path = store / "demo-hf-set.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(demo_hf_set_document(nom), indent=1) + "\n", encoding="utf-8")
    return path


def _record_count(database: str) -> int:
    """Patients plus transplant episodes: the demo only ever fills a database where both are zero."""
    engine = open_engine(database)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            patients = conn.scalar(select(func.count()).select_from(Patient)) or 0
            episodes = conn.scalar(select(func.count()).select_from(TransplantEpisode)) or 0
            return int(patients) + int(episodes)
    finally:
        engine.dispose()


@app.command()
def demo(
    database: DatabaseOption = None,
    transplants: Annotated[int, typer.Option(min=1, help="number of synthetic transplants")] = 500,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same cohort)")] = 20261125,
) -> None:
    """Fill an empty database with a synthetic, seeded, clinically plausible transplant cohort.

    Without ``--database`` the demo goes into its own ``demo.db``, never into ``ENGRAFT_DATABASE_URL``.
    """
    url = database or demo_database_url()
    if _record_count(url) > 0:
        err_console.print("[red]error:[/red] the database already holds patients; the demo needs an empty one")
        raise typer.Exit(1)
    fill_demo(url, transplants, seed)


MAX_DEFAULT_WORKERS = 4
"""Default cap on worker processes: each holds up to 15 PostgreSQL connections (pool 5 + overflow 10) and
its own copy of the HLA release, so 4 stay well inside PostgreSQL's default ``max_connections`` of 100."""


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(requested: int | None, dialect: str, cpus: int) -> int:
    """Worker processes for ``serve``: as requested, else one per CPU (at most 4) on PostgreSQL, 1 on SQLite.

    SQLite has one write lock for the whole file: more processes would wait on each other for it
    (and on the busy timeout) instead of serving more requests.
    """
    if requested is not None:
        return requested
    if dialect != "postgresql":
        return 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class ServePlan:
    """What ``serve`` starts: how many workers, and the environment each worker builds its app from."""

    url: str
    dialect: str
    workers: int
    environment: dict[str, str]


def plan_serving(
    database: str | None,
    *,
    demo: bool,
    workers: int | None,
    demo_transplants: int = 500,
    demo_donors: int = 100_000,
    cpus: int | None = None,
) -> ServePlan:
    """Prepare the database once (demo cohort if asked, migrations) and say how workers are configured."""
    from engraft.api.routes_donor_search import DONOR_STORE_ENV, HF_SET_ENV, default_donor_store_path

    url = database_url(database or (demo_database_url() if demo else None))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be served: each worker would get its own empty one")
    if demo:
        from engraft.cli.demo_release import ensure_demo_release

        ensure_demo_release()  # first start without a release: download it (or say what to do without network)
    if demo and _record_count(url) == 0:
        err_console.print("creating the synthetic demo cohort (first start only)...")
        fill_demo(url, demo_transplants, 20261125)
    engine = open_engine(url)
    try:
        upgrade(engine)  # once, here: workers never migrate (they would race)
        dialect = engine.dialect.name
        rendered = engine.url.render_as_string(hide_password=False)
    finally:
        engine.dispose()
    store = demo_donor_store(demo_donors) if demo else default_donor_store_path()
    environment = {DATABASE_URL_ENV: rendered, DONOR_STORE_ENV: str(store)}
    hf_set = demo_hf_set_file(store) if demo else None
    if hf_set is not None:
        environment[HF_SET_ENV] = str(hf_set)
    count = worker_count(workers, dialect, cpus if cpus is not None else available_cpus())
    return ServePlan(url=url, dialect=dialect, workers=count, environment=environment)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="serve a synthetic demo cohort (created if missing)")] = False,
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="worker processes. Default: on PostgreSQL one per CPU, at most "
            f"{MAX_DEFAULT_WORKERS}; on SQLite 1, because SQLite has a single write lock for the whole file, "
            "so more processes wait on each other instead of serving more requests",
            show_default=False,
        ),
    ] = None,
    demo_transplants: Annotated[int, typer.Option(min=1, help="size of a newly created demo cohort")] = 500,
    demo_donors: Annotated[int, typer.Option(min=1, help="size of a newly created demo donor registry")] = 100_000,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM) of --ssl-certfile")] = None,
    mllp_port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, help="with --demo: port of the MLLP lab-feed listener on 127.0.0.1 (0: any free port)"
        ),
    ] = DEFAULT_MLLP_PORT,
    ward_feed: Annotated[
        bool, typer.Option("--ward-feed/--no-ward-feed", help="with --demo: feed the listener a simulated ward")
    ] = True,
    ward_interval: Annotated[
        float, typer.Option(min=0.01, help="with --demo: seconds between the simulated ward's messages")
    ] = DEFAULT_WARD_INTERVAL_S,
) -> None:
    """Serve Engraft: the web pages and the REST API (OpenAPI at /openapi.json, interactive docs at /docs).

    Migrations run once, here, before the worker processes start; each worker builds its own app from
    the environment (engraft.web.application:application_from_environment).
    """
    import uvicorn

    from engraft.api.auth import COOKIE_SECURE_ENV, is_loopback
    from engraft.cli.serve_workers import WorkerSupervisor, balanced_workers_supported
    from engraft.web.application import APP_FACTORY

    try:
        plan = plan_serving(
            database, demo=demo, workers=workers, demo_transplants=demo_transplants, demo_donors=demo_donors
        )
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if (ssl_certfile is None) != (ssl_keyfile is None):
        err_console.print("[red]error:[/red] --ssl-certfile and --ssl-keyfile go together: give both or neither")
        raise typer.Exit(1)
    tls = ssl_certfile is not None
    os.environ.update(plan.environment)
    os.environ[COOKIE_SECURE_ENV] = "1" if tls or not is_loopback(host) else "0"
    for line in transport_warnings(host, tls):
        err_console.print(f"[bold yellow]warning:[/bold yellow] {line}")
    if demo:
        print_demo_accounts(demo_accounts(plan.url))
        _start_demo_ward(plan.url, mllp_port, ward_feed, ward_interval)
    shown = make_url(plan.url).render_as_string()
    processes = "1 worker process" if plan.workers == 1 else f"{plan.workers} worker processes"
    scheme = "https" if tls else "http"
    err_console.print(f"Engraft on {scheme}://{host}:{port}/ , API docs at /docs  (database: {shown}; {processes})")
    settings: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": plan.workers,
        "log_level": "info",
        "ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
        "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None,
    }
    if plan.workers > 1 and balanced_workers_supported():
        supervisor = WorkerSupervisor(uvicorn.Config(APP_FACTORY, **settings), plan.workers)
        try:
            supervisor.bind()
        except OSError as exc:
            err_console.print(f"[red]error:[/red] cannot listen on {host}:{port}: {exc.strerror or exc}")
            raise typer.Exit(1) from exc
        status = supervisor.run()
        if status:
            err_console.print("[red]error:[/red] a worker process could not start serving (its log is above)")
            raise typer.Exit(status)
        return
    uvicorn.run(APP_FACTORY, **settings)


def _start_demo_ward(url: str, mllp_port: int, feed: bool, interval: float) -> None:
    """The demo's MLLP listener (and simulated ward feed) in the background; a port in use ends ``serve``."""
    from engraft.cli.demo_ward import ListenerStartError, start_demo_ward

    try:
        running = start_demo_ward(url, mllp_port, feed=feed, interval=interval)
    except ListenerStartError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    err_console.print(
        f"MLLP lab-feed listener on {running.host}:{running.port} (HL7 v2 ORU^R01; see README 'Lab feeds')"
    )
    if running.ward is None:
        err_console.print("simulated ward feed off (--no-ward-feed)")
        return
    mrns = ", ".join(mrn for _, _, mrn in running.ward.beds)
    err_console.print(
        f"simulated ward feeding it every {interval:g} s (patients {mrns}, centre DEMO-WARD); "
        "start with --no-ward-feed to stop it, Ctrl-C stops everything"
    )


def transport_warnings(host: str, tls: bool) -> list[str]:
    """What to tell an operator about serving on ``host`` with or without TLS."""
    from engraft.api.auth import is_loopback

    if tls or is_loopback(host):
        return []
    return [
        f"serving on {host} over plain HTTP: passwords, session cookies and patient data would cross the network "
        "unencrypted. Give --ssl-certfile and --ssl-keyfile, or put a TLS-terminating proxy in front and bind to "
        "127.0.0.1. Session cookies stay Secure, so browsers will not send them back over plain HTTP."
    ]


@app.command("export")
def export_csv(
    out: Annotated[Path, typer.Argument(help="folder to write the CSV files into")],
    database: DatabaseOption = None,
    include_identity: Annotated[bool, typer.Option(help="include names and MRNs (not for research)")] = False,
) -> None:
    """Export the registry as CSV files (see docs/data-dictionary.md)."""
    from engraft.io.registry_csv import export_registry

    engine = open_engine(database)
    summary = export_registry(registry_service(engine), out, include_identity=include_identity)
    console.print(export_summary_table(summary))


@app.command("import")
def import_csv(
    folder: Annotated[Path, typer.Argument(help="folder with the CSV files", exists=True, file_okay=False)],
    database: DatabaseOption = None,
    skip_bad_rows: Annotated[bool, typer.Option(help="commit the good rows and report the bad ones")] = False,
    evaluate: Annotated[
        ImportEvaluation,
        typer.Option(
            help="once committed, run the monitoring rules over the episodes that received results: those still "
            "inside the monitoring window (current), every one (all), or none now (none)"
        ),
    ] = ImportEvaluation.CURRENT,
) -> None:
    """Import CSV files into the registry: all or nothing unless --skip-bad-rows; then judge the new results.

    Once committed, the monitoring rules judge the episodes that received results or a recorded engraftment
    (--evaluate): a condition
    still present raises an open alert, one that is over is stored resolved.
    """
    from rich.markup import escape

    from engraft.cli.import_monitoring import catch_up_view, evaluate_import, failure_lines
    from engraft.config.monitoring_rules import CentreRulesUnavailable, centre_rule_text
    from engraft.io.registry_csv import CsvImportError, import_registry
    from engraft.monitoring import RuleFileError, load_rule_set
    from engraft.registry.monitoring_catch_up import rules_not_in_force

    centre_rules = None
    if evaluate is not ImportEvaluation.NONE:
        try:  # a centre rule file that cannot be applied stops the import before it writes
            centre_rules = centre_rule_text()
            load_rule_set(centre_rules)
        except (CentreRulesUnavailable, RuleFileError) as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from exc
    engine = open_engine(database)
    upgrade(engine)
    service = registry_service(engine, actor="csv import")
    if evaluate is not ImportEvaluation.NONE and (conflict := rules_not_in_force(service, centre_rules)) is not None:
        err_console.print(
            f"[red]error:[/red] {escape(conflict)}. Set ENGRAFT_MONITORING_RULES as the server has it, or import with "
            "--evaluate none; nothing was written",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        report = import_registry(service, folder, skip_bad_rows=skip_bad_rows)
    except CsvImportError as exc:
        err_console.print(f"[red]import refused, nothing written:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(import_report_view(report))
    if not report.results:
        return
    if evaluate is ImportEvaluation.NONE:
        console.print(
            f"{len(report.results):,} episodes received results or a recorded engraftment; not judged now "
            "(--evaluate none): a full evaluation of an episode judges them (POST "
            "/api/episodes/{id}/monitoring/evaluate); an evaluation after a later result judges only the rules "
            "reading that result's codes",
            soft_wrap=True,
        )
        return
    summary = evaluate_import(service, report.results, centre_rules, evaluate)
    console.print(catch_up_view(summary))
    if summary.failed:
        for line in failure_lines(summary):
            err_console.print(f"[red]not evaluated:[/red] {escape(line)}", soft_wrap=True, highlight=False)
        err_console.print(
            "the import is committed; the episodes above were not evaluated: a full evaluation of each (POST "
            "/api/episodes/{id}/monitoring/evaluate) judges their results",
            soft_wrap=True,
        )
        raise typer.Exit(1)


@app.command("risk-profile")
def risk_profile(
    episode_id: Annotated[int, typer.Argument(help="transplant episode id")],
    input_file: Annotated[Path | None, typer.Option("--input", help="JSON with hct_ci, performance_score, ...")] = None,
    database: DatabaseOption = None,
) -> None:
    """Run every applicable pre-transplant instrument for an episode and store the results."""
    from pydantic import ValidationError
    from rich.markup import escape

    from engraft.cli.scores import problem_lines
    from engraft.registry.risk_profile import RiskProfileRequest, build_risk_profile

    try:
        request = (
            RiskProfileRequest.model_validate_json(input_file.read_text(encoding="utf-8"))
            if input_file
            else RiskProfileRequest()
        )
    except OSError as exc:
        err_console.print(f"[red]cannot read[/red] {escape(str(input_file))}: {exc.strerror}", soft_wrap=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        for line in problem_lines(RiskProfileRequest, exc):
            err_console.print(f"[red]invalid[/red] {escape(line)}", soft_wrap=True)
        raise typer.Exit(1) from None
    engine = open_engine(database)
    with exit_on_registry_error():
        profile = build_risk_profile(registry_service(engine), episode_id, request)
    typer.echo(profile.model_dump_json(indent=2))
