"""``engraft donors``: build the donor registry store (generate, import) and search it.

Every refusal is one line on stderr naming what is wrong and what to do, with exit status 2 (bad
input) or 1 (the search itself failed); nothing is written before the input has been read and checked:
``generate`` never replaces an existing store without ``--force``, ``import`` reads and checks the whole
file (format guessed from the content unless ``--format`` says) before it creates or changes a store.

Match prediction (``--predict-top``) needs the haplotype frequencies of the registry: ``--hf-set``,
else ``ENGRAFT_HF_SET``, else the set a synthetic store was generated from (kept in the store folder
as :data:`STORE_HF_SET`); a store that holds imported donors has none, so prediction is refused rather
than done with the synthetic demo set.
"""

from __future__ import annotations

import json
import os
import shutil
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engraft.api.routes_donor_search import HF_SET_ENV, DonorSearchRequest, default_donor_store_path
from engraft.cli.common import DatabaseOption, console, err_console
from engraft.cli.donor_output import print_import_report, result_table
from engraft.cli.donor_search_report import report_format, save_and_report
from engraft.config.mac_list import MAC_INSTALL_HINT, load_mac_dictionary
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set, demo_hf_set_document
from engraft.hla.nomenclature.errors import HlaError
from engraft.hla.nomenclature.mac import MacDictionary, mentions_mac
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.imputation import Consistency
from engraft.hla.prediction.set_selection import FrequencySetCatalogue
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_report import search_report
from engraft.io.donor_files import DonorFileError, DonorFileFormat, import_donor_file, read_donor_file
from engraft.io.donor_search_report_render import ReportLanguage
from engraft.io.haplotype_frequencies import hf_paths, load_atlas_hf_set, load_hf_catalogue
from engraft.io.imgt_release import load_nomenclature
from engraft.vocabulary import AboGroup, DonorKind, Serostatus

#: The haplotype frequencies a synthetic store was generated from, kept in its folder (an Atlas HF-set
#: JSON; ``engraft serve --demo`` writes the demo set under the same name).
STORE_HF_SET = "demo-hf-set.json"


class FileFormatChoice(StrEnum):
    """``--format``: a :class:`~engraft.io.donor_files.DonorFileFormat` (each one, checked by the tests) or auto."""

    AUTO = "auto"
    CSV = DonorFileFormat.CSV.value
    JSON = DonorFileFormat.JSON.value
    ATLAS = DonorFileFormat.ATLAS.value


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


MacOption = Annotated[
    Path | None,
    typer.Option(
        "--mac", help="NMDP MAC list (alpha.v3.txt) for typings such as A*01:AB (default: engraft hla install-mac)"
    ),
]


def _refuse(message: str, code: int = 2) -> NoReturn:
    """One line on stderr (never markup, never wrapped), then exit."""
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def _nomenclature(imgt_dir: Path | None) -> Nomenclature:
    try:
        return load_nomenclature(imgt_dir)
    except HlaError as exc:
        _refuse(str(exc))


def _mac_list(path: Path | None) -> MacDictionary | None:
    try:
        return load_mac_dictionary(path)
    except HlaError as exc:
        _refuse(str(exc))


def _hf_set(nom: Nomenclature, path: Path) -> HaplotypeFrequencySet:
    try:
        return load_atlas_hf_set(nom, path)
    except (OSError, ValueError, HlaError) as exc:
        _refuse(f"haplotype frequency set {path}: {exc}")


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


def _existing_content(path: Path) -> str | None:
    """What already is at ``path`` (a store, other files), or ``None`` if nothing is."""
    if not path.exists():
        return None
    if not path.is_dir():
        return f"{path} is a file, not a donor store folder"
    if (path / "manifest.json").exists():
        try:
            held = f"{len(DonorStore.open(path)):,} donors"
        except (OSError, ValueError, KeyError) as exc:
            held = f"unreadable: {exc}"
        return f"{path} already holds a donor store ({held})"
    if any(path.iterdir()):
        return f"{path} is a folder that is not empty"
    return None


@donors_app.command("generate")
def generate(
    donors: Annotated[int, typer.Option(min=1, help="number of donors")] = 100_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20261125,
    hf_set: Annotated[Path | None, typer.Option(help="Atlas HF-set JSON (default: the synthetic demo set)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing store (its donors are lost)")] = False,
    store: StoreOption = None,
    imgt_dir: ImgtOption = None,
) -> None:
    """Write a synthetic registry (mixed typing resolutions, ages, sex, CMV, ABO, cord units) into a new store."""
    nom = _nomenclature(imgt_dir)
    path = store or default_donor_store_path()
    existing = _existing_content(path)
    if existing is not None:
        if not (path / "manifest.json").exists():  # --force replaces a donor store, never other files
            _refuse(f"{existing}; name an empty or new folder with --store")
        if not force:
            _refuse(f"{existing}; pass --force to replace it")
    if hf_set is None:
        document: object = demo_hf_set_document(nom)
        written = build_demo_donor_store(path, nom, donors, seed)
    else:
        frequencies = _hf_set(nom, hf_set)
        document = json.loads(hf_set.read_text(encoding="utf-8"))
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
    (path / STORE_HF_SET).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    console.print(f"wrote {written:,} synthetic donors to {path} (release {nom.release})", soft_wrap=True)


@donors_app.command("import")
def import_donors(
    source: Annotated[Path, typer.Argument(help="donor file")],
    file_format: Annotated[
        FileFormatChoice,
        typer.Option("--format", case_sensitive=False, help="file format (auto: guessed from the content)"),
    ] = FileFormatChoice.AUTO,
    mac: MacOption = None,
    store: StoreOption = None,
    imgt_dir: ImgtOption = None,
) -> None:
    """Add or update donors from CSV, JSON or Atlas donor-import JSON; problems are reported per donor."""
    nom = _nomenclature(imgt_dir)
    macs = _mac_list(mac)
    wanted = None if file_format is FileFormatChoice.AUTO else DonorFileFormat(file_format.value)
    try:
        checked = read_donor_file(source, wanted)
    except DonorFileError as exc:
        _refuse(str(exc))
    path = store or default_donor_store_path()
    existed = (path / "manifest.json").exists()
    if not existed and (other := _existing_content(path)) is not None:
        _refuse(f"{other}; name an empty or new folder with --store")
    target = DonorStore.open(path) if existed else DonorStore.create(path, release=nom.release)
    try:
        with _progress(f"import ({checked.format.value})") as progress:
            task = progress.add_task("donors", total=checked.count)
            report = import_donor_file(
                target,
                nom,
                checked,
                mac=macs,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except BaseException:
        if not existed:  # a store this command created holds nothing half-imported
            shutil.rmtree(path, ignore_errors=True)
        raise
    if report.stored and (path / STORE_HF_SET).exists():
        (path / STORE_HF_SET).unlink()
        err_console.print(
            "note: the store now holds imported donors: match prediction needs their registry's haplotype "
            "frequencies (--hf-set or ENGRAFT_HF_SET), not the synthetic set it was generated from",
            soft_wrap=True,
        )
    print_import_report(report, checked.format.value, nom.release)


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
    hf_set: Annotated[
        list[Path] | None,
        typer.Option(
            help="Atlas HF-set JSON for prediction (repeat: one per registry or population, one global; default: "
            "ENGRAFT_HF_SET, or a synthetic store's own)"
        ),
    ] = None,
    patient_registry: Annotated[str | None, typer.Option(help="the patient's registry (chooses its HF set)")] = None,
    patient_ethnicity: Annotated[str | None, typer.Option(help="the patient's ethnicity (chooses its HF set)")] = None,
    consistency: Annotated[
        Consistency, typer.Option(help="level at which imputation matches typings with haplotypes (Atlas: P group)")
    ] = Consistency.P_GROUP,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result as JSON")] = False,
    mac: MacOption = None,
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
    macs = _mac_list(mac)
    path = store or default_donor_store_path()
    if not (path / "manifest.json").exists():
        _refuse(f"no donor store at {path}; run `engraft donors generate` or `engraft donors import` first")
    if macs is None and mentions_mac(patient):
        _refuse(f"the patient typing holds a multiple-allele code, and no MAC list is configured: {MAC_INSTALL_HINT}")
    donor_store = DonorStore.open(path)
    frequencies = _prediction_set(nom, path, hf_set or []) if predict_top else None
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
                "patient_registry": patient_registry,
                "patient_ethnicity": patient_ethnicity,
                "loci": [x.strip() for x in loci.split(",") if x.strip()],
            }
        )
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        engine = DonorSearch(donor_store, nom, hf=frequencies, prediction_consistency=consistency, mac=macs)
        result = engine.search(patient_typing(nom, patient, mac=macs), request.criteria())
    except (HlaError, ValueError) as exc:
        _refuse(str(exc), code=1)
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
    console.print(result_table(result, mismatches, predicted=predict_top > 0))


def _prediction_set(
    nom: Nomenclature, store: Path, hf_sets: list[Path]
) -> HaplotypeFrequencySet | FrequencySetCatalogue:
    """The registry's haplotype frequencies for prediction (one set, or several chosen per registry and
    population), or a refusal saying how to give them."""
    paths = hf_sets or hf_paths(os.environ.get(HF_SET_ENV, ""))
    if len(paths) == 1:
        return _hf_set(nom, paths[0])
    if paths:
        try:
            return load_hf_catalogue(nom, paths)
        except (OSError, ValueError, HlaError) as exc:
            _refuse(f"haplotype frequency sets {', '.join(str(p) for p in paths)}: {exc}")
    if (store / STORE_HF_SET).exists():
        return _hf_set(nom, store / STORE_HF_SET)
    _refuse(
        f"--predict-top needs the haplotype frequencies of the registry in {store}: pass --hf-set FILE "
        f"(an Atlas HF-set JSON) or set {HF_SET_ENV}; the synthetic demo set is used only for a synthetic store"
    )
