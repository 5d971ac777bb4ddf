"""Locating (or downloading) one named IPD-IMGT/HLA release.

The WMDA files are published per release on the ``ANHIG/IMGTHLA`` GitHub repository, one branch per
release (``3580`` for 3.58.0). Their licence (CC BY-ND) discourages mirroring and forbids shipping
modified copies, so Engraft never bundles them: a release is read, in this order, from

1. a directory given explicitly,
2. the directory named by the environment variable ``ENGRAFT_IMGT_DIR``,
3. the versioned cache ``~/.cache/engraft/imgt-hla/<release>/`` (``$XDG_CACHE_HOME`` honoured),
4. a download of the pinned release into that cache (only when ``allow_download`` is true).

The directory layout is the repository's own (``wmda/hla_nom.txt``, ``tce/dpb_tce.csv``,
``Allelelist.txt`` ...), so a shallow checkout of one branch works as is.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engraft.hla.errors import HlaReleaseError

#: Release used when none is named. Tests are pinned to the same release.
PINNED_RELEASE = "3.58.0"

RAW_URL_TEMPLATE = "https://raw.githubusercontent.com/ANHIG/IMGTHLA/{branch}/{path}"

#: Files the nomenclature needs, relative to the release root.
REQUIRED_FILES: tuple[str, ...] = (
    "wmda/hla_nom.txt",
    "wmda/hla_nom_g.txt",
    "wmda/hla_nom_p.txt",
    "wmda/rel_dna_ser.txt",
    "wmda/rel_ser_ser.txt",
    "tce/dpb_tce.csv",
    "Allelelist.txt",
)

ENV_VAR = "ENGRAFT_IMGT_DIR"

_VERSION_RE = re.compile(r"^#\s*version:\s*IPD-IMGT/HLA\s+(\d+\.\d+\.\d+)", re.MULTILINE)

Fetcher = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class ReleaseFiles:
    """A directory holding one release, with the release number read from the files themselves."""

    root: Path
    release: str

    def path(self, relative: str) -> Path:
        """Absolute path of ``relative`` (one of :data:`REQUIRED_FILES`)."""
        return self.root / relative


def release_branch(release: str) -> str:
    """GitHub branch holding ``release``: ``"3.58.0"`` -> ``"3580"``."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", release):
        raise HlaReleaseError(f"release {release!r} is not of the form '3.58.0'")
    return release.replace(".", "")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/engraft/imgt-hla`` or ``~/.cache/engraft/imgt-hla``."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "engraft" / "imgt-hla"


def read_release_version(root: Path) -> str:
    """Release number from the ``# version:`` header of ``wmda/hla_nom.txt``."""
    path = root / "wmda" / "hla_nom.txt"
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = "".join(fh.readline() for _ in range(6))
    except OSError as exc:
        raise HlaReleaseError(f"cannot read {path}: {exc}") from exc
    m = _VERSION_RE.search(head)
    if m is None:
        raise HlaReleaseError(f"{path} has no '# version: IPD-IMGT/HLA x.y.z' header line")
    return m.group(1)


def _missing(root: Path) -> list[str]:
    return [rel for rel in REQUIRED_FILES if not (root / rel).is_file()]


def open_release_dir(root: Path | str, *, expected_release: str | None = None) -> ReleaseFiles:
    """Check that ``root`` holds every required file and return it with its release number."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise HlaReleaseError(f"IPD-IMGT/HLA release directory {root} does not exist")
    missing = _missing(root)
    if missing:
        raise HlaReleaseError(f"IPD-IMGT/HLA release directory {root} lacks {', '.join(missing)}")
    release = read_release_version(root)
    if expected_release is not None and release != expected_release:
        raise HlaReleaseError(f"{root} holds release {release}, not the requested {expected_release}")
    return ReleaseFiles(root=root, release=release)


def _urlopen_fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def download_release(
    release: str = PINNED_RELEASE,
    *,
    cache_dir: Path | None = None,
    fetch: Fetcher | None = None,
) -> ReleaseFiles:
    """Download the required files of ``release`` into ``<cache_dir>/<release>/``.

    Each file is written to a temporary name and renamed, so an interrupted download never leaves a
    half-written file that would later pass as complete. ``fetch`` (URL -> bytes) can be replaced,
    e.g. by a test or by a proxy-aware client.
    """
    branch = release_branch(release)
    target = (cache_dir or default_cache_dir()) / release
    getter = fetch or _urlopen_fetch
    for rel in REQUIRED_FILES:
        dest = target / rel
        if dest.is_file():
            continue
        url = RAW_URL_TEMPLATE.format(branch=branch, path=rel)
        try:
            data = getter(url)
        except Exception as exc:  # network errors come in many types
            raise HlaReleaseError(f"download of {url} failed: {exc}") from exc
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
    return open_release_dir(target, expected_release=release)


def locate_release(
    directory: Path | str | None = None,
    *,
    release: str = PINNED_RELEASE,
    cache_dir: Path | None = None,
    allow_download: bool = False,
    fetch: Fetcher | None = None,
) -> ReleaseFiles:
    """Find the release files (explicit directory, ``ENGRAFT_IMGT_DIR``, cache, then download).

    An explicit directory or ``ENGRAFT_IMGT_DIR`` is used whatever release it holds (its number is
    read from the files and reported in every error); the cache and the download are per ``release``.
    """
    if directory is not None:
        return open_release_dir(directory)
    env = os.environ.get(ENV_VAR)
    if env:
        return open_release_dir(env)
    cached = (cache_dir or default_cache_dir()) / release
    if cached.is_dir() and not _missing(cached):
        return open_release_dir(cached, expected_release=release)
    if not allow_download:
        raise HlaReleaseError(
            f"no IPD-IMGT/HLA release found: pass a directory, set {ENV_VAR}, "
            f"or allow a download of {release} into {cached}"
        )
    return download_release(release, cache_dir=cache_dir, fetch=fetch)
