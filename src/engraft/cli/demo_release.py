"""``serve --demo`` on first start: the IPD-IMGT/HLA release, downloaded when none is configured.

A new user's demo should have HLA typings and a searchable donor registry, and both need a release
(typings are never stored unchecked). When none is configured (no ``ENGRAFT_IMGT_DIR``, nothing in the
cache), the pinned release is downloaded into the versioned cache, as ``engraft hla install`` does, with
its MD5 checks and progress. Without network access the demo still starts, and the start says what is
missing and how to get it without network.
"""

from __future__ import annotations

from rich.markup import escape

from engraft.cli.common import err_console
from engraft.cli.hla import file_progress, print_installed
from engraft.config.hla_release import PINNED_RELEASE, configured_release, default_cache_dir
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.io.imgt_release import ReleaseUnreachable, download_release, release_url

WITHOUT_RELEASE = (
    "the demo starts without HLA typings and without a donor registry (donor search answers 503 saying so); "
    "once a release is installed, start again: the donor registry is then built, and a new demo database "
    "(delete demo.db) also gets typed patients and donors"
)


def ensure_demo_release() -> bool:
    """True when a release is configured, after downloading the pinned one if none was; never raises."""
    try:
        configured_release()
        return True
    except HlaReleaseError:
        pass
    origin = release_url(PINNED_RELEASE, "")
    err_console.print(
        f"no IPD-IMGT/HLA release is configured: downloading the pinned release {PINNED_RELEASE} from {origin} "
        f"into {default_cache_dir() / PINNED_RELEASE} (first start only; `engraft hla install` does the same)",
        soft_wrap=True,
        highlight=False,
    )
    try:
        with file_progress(f"downloading IPD-IMGT/HLA {PINNED_RELEASE}") as progress:
            installed = download_release(PINNED_RELEASE, progress=progress)
    except ReleaseUnreachable as exc:
        err_console.print(f"[bold yellow]no network:[/bold yellow] {escape(str(exc))}", soft_wrap=True, highlight=False)
        err_console.print(WITHOUT_RELEASE, soft_wrap=True, highlight=False)
        return False
    except HlaReleaseError as exc:
        err_console.print(f"[bold yellow]warning:[/bold yellow] {escape(str(exc))}", soft_wrap=True, highlight=False)
        err_console.print(WITHOUT_RELEASE, soft_wrap=True, highlight=False)
        return False
    print_installed(installed, err_console)
    return True
