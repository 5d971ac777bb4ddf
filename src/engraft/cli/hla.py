"""``engraft hla``: install the IPD-IMGT/HLA release that typings are checked and matched against."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

from engraft.cli.common import console, err_console
from engraft.config.mac_list import MAC_ENV_VAR, MAC_INSTALL_HINT, configured_mac_list
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.io.imgt_checksums import CHECKSUM_FILE
from engraft.io.imgt_release import (
    ENV_VAR,
    PINNED_RELEASE,
    FileProgress,
    InstalledRelease,
    configured_release,
    default_cache_dir,
    download_release,
    install_release_from,
    installed_releases,
    release_url,
)
from engraft.io.mac_list import NMDP_MAC_URL, InstalledMacList, download_mac_list, install_mac_list_from

hla_app = typer.Typer(
    help="IPD-IMGT/HLA release and NMDP MAC list: install them into the cache, show which are configured.",
    no_args_is_help=True,
)


@contextmanager
def file_progress(label: str) -> Iterator[FileProgress]:
    """A progress bar on a terminal; one line per file otherwise (logs, services, tests)."""
    if not err_console.is_terminal:

        def line(name: str, done: int, total: int) -> None:
            err_console.print(f"{label}: {done}/{total} {name}", soft_wrap=True, highlight=False, markup=False)

        yield line
        return
    columns = (
        TextColumn(f"[bold]{escape(label)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("", total=None)

        def advance(name: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=name)

        yield advance


def _fail(exc: HlaReleaseError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(1)


@hla_app.command("install")
def install(
    release: Annotated[
        str | None, typer.Argument(help=f"release number such as 3.58.0 (default: the pinned {PINNED_RELEASE})")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="copy the files from this local release folder instead of downloading them"),
    ] = None,
) -> None:
    """Install a release into the versioned cache (~/.cache/engraft/imgt-hla/<release>/).

    The release number is read from the files and checked against the one asked for.
    """
    installed: InstalledRelease
    try:
        if source is not None:
            with file_progress(f"copying from {source}") as progress:
                installed = install_release_from(source, release=release, progress=progress)
        else:
            wanted = release or PINNED_RELEASE
            origin = release_url(wanted, "")
            err_console.print(f"downloading IPD-IMGT/HLA {wanted} from {origin}", soft_wrap=True, highlight=False)
            with file_progress(f"downloading IPD-IMGT/HLA {wanted}") as progress:
                installed = download_release(wanted, progress=progress)
    except HlaReleaseError as exc:
        raise _fail(exc) from exc
    print_installed(installed)
    files = installed.files
    if os.environ.get(ENV_VAR):
        console.print(f"note: {ENV_VAR} is set and takes precedence over the cache")
    elif files.release != PINNED_RELEASE:
        console.print(
            f"note: Engraft uses the pinned release {PINNED_RELEASE} from the cache; "
            f"to use {files.release}, set {ENV_VAR}={files.root}"
        )


def print_installed(installed: InstalledRelease, out: Console = console) -> None:
    """Where the release went, how many bytes came, and which files their published MD5 vouches for."""
    files = installed.files
    size = f"{installed.fetched_bytes / 1e6:.1f} MB" if installed.fetched_bytes else "nothing new"
    out.print(f"installed IPD-IMGT/HLA {files.release} in {files.root} ({size})", soft_wrap=True, highlight=False)
    if installed.checked:
        out.print(
            f"checked against the release's {CHECKSUM_FILE}: {len(installed.checked)} files, MD5 equal",
            soft_wrap=True,
            highlight=False,
        )
    if installed.not_listed:
        out.print(
            f"not listed in {CHECKSUM_FILE} (release header checked only): {', '.join(installed.not_listed)}",
            soft_wrap=True,
            highlight=False,
        )


@hla_app.command("status")
def status() -> None:
    """Show which release is configured and where it comes from (exit status 1 when none is)."""
    cache = default_cache_dir()
    _mac_status()
    installed = installed_releases(cache)
    console.print(f"installed in {cache}: {', '.join(installed) if installed else 'none'}", soft_wrap=True)
    try:
        configured = configured_release(cache_dir=cache)
    except HlaReleaseError as exc:
        raise _fail(exc) from exc
    where = (
        f"{ENV_VAR}={configured.files.root}" if configured.source == ENV_VAR else f"the cache, {configured.files.root}"
    )
    console.print(f"configured release: IPD-IMGT/HLA {configured.files.release} (from {where})", soft_wrap=True)


@hla_app.command("install-mac")
def install_mac(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="copy this local alpha.v3.txt (or the NMDP alpha.v3.zip) instead of downloading"),
    ] = None,
    url: Annotated[str, typer.Option(help="where to download the list from (zip or text)")] = NMDP_MAC_URL,
) -> None:
    """Install the NMDP multiple-allele code list (A*01:AB) into the cache (~/.cache/engraft/nmdp-mac/).

    The list is read as a MAC list before it replaces the installed one; donor import and search, and
    the API's donor search, then expand MAC typings with it.
    """
    installed: InstalledMacList
    try:
        if source is not None:
            installed = install_mac_list_from(source)
        else:
            with _byte_progress(f"downloading the MAC list from {url}") as progress:
                installed = download_mac_list(url, progress=progress)
    except HlaReleaseError as exc:
        raise _fail(exc) from exc
    console.print(
        f"installed the MAC list ({installed.codes:,} codes) from {installed.source} in {installed.path}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    if os.environ.get(MAC_ENV_VAR):
        console.print(f"note: {MAC_ENV_VAR} is set and takes precedence over the cache")


@contextmanager
def _byte_progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(escape(label), total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield advance


def _mac_status() -> None:
    try:
        configured = configured_mac_list()
    except HlaReleaseError as exc:
        raise _fail(exc) from exc
    if configured is None:
        console.print(f"MAC list: none ({MAC_INSTALL_HINT})", soft_wrap=True, highlight=False, markup=False)
        return
    where = f"{MAC_ENV_VAR}={configured.path}" if configured.source == MAC_ENV_VAR else f"the cache, {configured.path}"
    console.print(f"MAC list: from {where}", soft_wrap=True, highlight=False, markup=False)
