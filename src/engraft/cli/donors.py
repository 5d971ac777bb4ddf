"""``engraft donors``: build the donor registry store (generate, import) and search it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engraft.api.routes_donor_search import DonorSearchRequest, default_donor_store_path
from engraft.cli.common import DatabaseOption, console, err_console
from engraft.cli.donor_search_report import report_format, save_and_report
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature.errors import HlaError
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_report import search_report
from engraft.io.donor_files import ImportReport, import_atlas_json, import_csv, import_json
from engraft.io.donor_search_report_render import ReportLanguage
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.io.imgt_release import load_nomenclature
from engraft.vocabulary import AboGroup, DonorKind, Serostatus


class DonorTypeChoice(StrEnum):
    """``--donor-type``: a :class:`~engraft.vocabulary.DonorKind` (each one, checked by the tests) or any."""

    ADULT = DonorKind.ADULT.value
    CORD = DonorKind.CORD.value
    ANY = "any"


donors_app = typer.Typer(help="Donor registry: generate a synthetic one, import donors, search.", no_args_is_help=True)

StoreOption = Annotated[Path | None, typer.Option("--store", help="donor store folder (default ENGRAFT_DONOR_STORE)")]
ImgtOption = Annotated[
    Path | None,
    typer.Option(
        "--imgt-dir", help="IPD-IMGT/HLA release folder (default: the configured release, engraft hla status)"
    ),
]


def _nomenclature(imgt_dir: Path | None) -> Nomenclature:
    try:
        return load_nomenclature(imgt_dir)
    except HlaError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _progress(label: str) -> Progress:
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err_console)


def build_demo_donor_store(path: Path, nom: Nomenclature, donors: int, seed: int = 20261125) -> int:
    """A synthetic registry of ``donors`` adult donors and cord units from the demo haplotypes."""
    store = DonorStore.create(path, release=nom.release, overwrite=True)
    config = GeneratorConfig(n_donors=donors, seed=seed, registries=("DEMO-REG-1", "DEMO-REG-2"))
    with _progress("demo donors") as progress:
        task = progress.add_task("donors", total=donors)
        return generate_registry(
            store, nom, demo_hf_set(nom), config, progress=lambda done, total: progress.update(task, completed=done)
        )


@donors_app.command("generate")
def generate(
    donors: Annotated[int, typer.Option(min=1, help="number of donors")] = 100_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20261125,
    hf_set: Annotated[Path | None, typer.Option(help="Atlas HF-set JSON (default: the synthetic demo set)")] = None,
    store: StoreOption = None,
    imgt_dir: ImgtOption = None,
) -> None:
    """Write a synthetic registry (mixed typing resolutions, ages, sex, CMV, ABO, cord units) into a new store."""
    nom = _nomenclature(imgt_dir)
    path = store or default_donor_store_path()
    if hf_set is None:
        written = build_demo_donor_store(path, nom, donors, seed)
    else:
        frequencies = load_atlas_hf_set(nom, hf_set)
        target = DonorStore.create(path, release=nom.release, overwrite=True)
        with _progress("donors") as progress:
            task = progress.add_task("donors", total=donors)
            written = generate_registry(
                target,
                nom,
                frequencies,
                GeneratorConfig(n_donors=donors, seed=seed),
                progress=lambda done, total: progress.update(task, completed=done),
            )
    console.print(f"wrote {written:,} synthetic donors to {path} (release {nom.release})")


@donors_app.command("import")
def import_donors(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="donor file")],
    file_format: Annotated[Literal["csv", "json", "atlas"], typer.Option("--format", help="file format")] = "atlas",
    store: StoreOption = None,
    imgt_dir: ImgtOption = None,
) -> None:
    """Add or update donors from CSV, JSON or Atlas donor-import JSON; invalid typings are reported."""
    nom = _nomenclature(imgt_dir)
    path = store or default_donor_store_path()
    target = (
        DonorStore.open(path) if (path / "manifest.json").exists() else DonorStore.create(path, release=nom.release)
    )
    with _progress("import") as progress:
        task = progress.add_task("donors", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report: ImportReport
        if file_format == "csv":
            report = import_csv(target, nom, source, progress=advance)
        elif file_format == "json":
            report = import_json(target, nom, source, progress=advance)
        else:
            report = import_atlas_json(target, nom, source, progress=advance)
    console.print(
        f"read {report.read:,}, stored {report.stored:,}, replaced {report.replaced:,}, removed {report.removed:,}, "
        f"rejected {report.rejected_donors:,} donor(s)"
    )
    _print_problems(
        [f"donor {v.donor_id} {v.field}: {v.value!r}: expected {v.expected}" for v in report.invalid_values],
        "invalid values",
    )
    typings = [f"donor {i.donor_id} {i.locus}: {i.token!r}: {i.reason}" for i in report.invalid]
    _print_problems(typings, "invalid typings")


def _print_problems(lines: list[str], what: str, shown: int = 50) -> None:
    for line in lines[:shown]:
        err_console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    if len(lines) > shown:
        err_console.print(f"  ... and {len(lines) - shown} more {what}")


@donors_app.command("search")
def search(
    patient: Annotated[str, typer.Argument(help="patient typing as a GL String")],
    mismatches: Annotated[int, typer.Option(min=0, max=5, help="allowed mismatches in total")] = 0,
    loci: Annotated[str, typer.Option(help="loci to match, comma-separated (A,B,C,DRB1 for 8/8)")] = "A,B,C,DRB1,DQB1",
    donor_type: Annotated[
        DonorTypeChoice, typer.Option(case_sensitive=False, help="adult donors, cord blood units, or any (both)")
    ] = DonorTypeChoice.ADULT,
    patient_cmv: Annotated[
        Serostatus, typer.Option(case_sensitive=False, help="patient CMV serostatus (same-status donors rank first)")
    ] = Serostatus.UNKNOWN,
    patient_abo: Annotated[
        AboGroup | None, typer.Option(help="patient ABO group (ABO-identical donors rank first)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    predict_top: Annotated[int, typer.Option(min=0, max=1000, help="match prediction for the top N")] = 0,
    hf_set: Annotated[Path | None, typer.Option(help="Atlas HF-set JSON for prediction")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result as JSON")] = False,
    store: StoreOption = None,
    imgt_dir: ImgtOption = None,
    report: Annotated[
        Path | None,
        typer.Option(help="save the search in the registry and write its report here (.pdf or .html)"),
    ] = None,
    lang: Annotated[ReportLanguage, typer.Option(help="language of the --report document")] = ReportLanguage.EN,
    patient_id: Annotated[int | None, typer.Option(min=1, help="with --report: the registered patient")] = None,
    note: Annotated[str | None, typer.Option(help="with --report: a note kept with the search")] = None,
    database: DatabaseOption = None,
) -> None:
    """Ranked donors with per-locus match grades, direction, DPB1 TCE and the reason for each rank."""
    nom = _nomenclature(imgt_dir)
    path = store or default_donor_store_path()
    if not (path / "manifest.json").exists():
        err_console.print(f"[red]error:[/red] no donor store at {path}; run `engraft donors generate` first")
        raise typer.Exit(2)
    donor_store = DonorStore.open(path)
    frequencies = load_atlas_hf_set(nom, hf_set) if hf_set else (demo_hf_set(nom) if predict_top else None)
    try:
        request = DonorSearchRequest.model_validate(
            {
                "patient": patient,
                "max_mismatches": mismatches,
                "donor_type": donor_type.value,
                "patient_cmv": patient_cmv,
                "patient_abo": patient_abo,
                "limit": limit,
                "predict_top": predict_top,
                "loci": [x.strip() for x in loci.split(",") if x.strip()],
            }
        )
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        result = DonorSearch(donor_store, nom, hf=frequencies).search(patient_typing(nom, patient), request.criteria())
    except (HlaError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if report is not None:
        report_format(report)  # a wrong suffix is refused before anything is saved
        save_and_report(
            request=request,
            result=result,
            release=nom.release,
            donors_in_registry=len(donor_store),
            prediction_available=frequencies is not None,
            out=report,
            language=lang,
            database=database,
            patient_id=patient_id,
            note=note,
        )
    if as_json:
        typer.echo(json.dumps(search_report(result), indent=2))
        return
    table = Table(
        title=f"{result.matching_donors:,} donor(s) within {mismatches} mismatch(es); top {len(result.donors)}"
    )
    for column in ("rank", "donor", "type", "match", "age", "DPB1 TCE", "reason"):
        table.add_column(column)
    for d in result.donors:
        tce = d.dpb1_tce.category.value if d.dpb1_tce is not None else "-"
        table.add_row(str(d.rank), str(d.donor_id), d.donor_type.value, d.match_label, str(d.age or "-"), tce, d.reason)
    console.print(table)
