"""The configured IPD-IMGT/HLA release: finding it, and installing one (download or local copy).

The WMDA files are published per release on the ``ANHIG/IMGTHLA`` GitHub repository, one branch per
release (``3580`` for 3.58.0). Their licence (CC BY-ND) discourages mirroring and forbids shipping
modified copies, so Engraft never bundles them. The *configured* release is, in this order,

1. the directory named by the environment variable ``ENGRAFT_IMGT_DIR`` (whatever release it holds),
2. the pinned release (:data:`PINNED_RELEASE`) in the versioned cache
   ``~/.cache/engraft/imgt-hla/<release>/`` (``$XDG_CACHE_HOME`` honoured),

and ``engraft hla install`` fills that cache, by download (:func:`download_release`) or by copying the
required files from a local folder (:func:`install_release_from`). The directory layout is the
repository's own (``wmda/hla_nom.txt``, ``tce/dpb_tce.csv``, ``Allelelist.txt`` ...), so a shallow
checkout of one branch works as is. Reading the files is the core's one reader,
:mod:`engraft.hla.nomenclature.release_files`.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.release_files import REQUIRED_FILES, ReleaseFiles, missing_files, open_release_dir
from engraft.hla.nomenclature.tables import Nomenclature

#: Release used when none is named. Tests are pinned to the same release.
PINNED_RELEASE: Final = "3.58.0"

RAW_URL_TEMPLATE: Final = "https://raw.githubusercontent.com/ANHIG/IMGTHLA/{branch}/{path}"

ENV_VAR: Final = "ENGRAFT_IMGT_DIR"

#: What to do when no release is configured (shown by every "no release" error).
INSTALL_HINT: Final = f"run `engraft hla install` (or set {ENV_VAR} to an IPD-IMGT/HLA release folder)"

Fetcher = Callable[[str], bytes]
FileProgress = Callable[[str, int, int], None]
"""Called after each file with ``(relative path, files done, files in total)``."""


@dataclass(frozen=True, slots=True)
class ConfiguredRelease:
    """The release Engraft uses when none is named, and where it was found."""

    files: ReleaseFiles
    source: str  # "ENGRAFT_IMGT_DIR" or "cache"


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


def installed_releases(cache_dir: Path | None = None) -> list[str]:
    """Releases with every required file in the cache, oldest first."""
    root = cache_dir or default_cache_dir()
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+", p.name)]
    found = [name for name in found if not missing_files(root / name)]
    return sorted(found, key=lambda name: tuple(int(part) for part in name.split(".")))


def configured_release(*, cache_dir: Path | None = None) -> ConfiguredRelease:
    """``ENGRAFT_IMGT_DIR``, else the pinned release in the cache; :class:`HlaReleaseError` if neither."""
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            return ConfiguredRelease(open_release_dir(env), ENV_VAR)
        except HlaReleaseError as exc:
            raise HlaReleaseError(f"{ENV_VAR} names no usable IPD-IMGT/HLA release: {exc}") from exc
    cached = (cache_dir or default_cache_dir()) / PINNED_RELEASE
    if cached.is_dir() and not missing_files(cached):
        return ConfiguredRelease(open_release_dir(cached, expected_release=PINNED_RELEASE), "cache")
    raise HlaReleaseError(f"no IPD-IMGT/HLA release is configured: {INSTALL_HINT}")


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
    if os.environ.get(ENV_VAR):
        return configured_release(cache_dir=cache_dir).files
    cached = (cache_dir or default_cache_dir()) / release
    if cached.is_dir() and not missing_files(cached):
        return open_release_dir(cached, expected_release=release)
    if not allow_download:
        raise HlaReleaseError(
            f"no IPD-IMGT/HLA release found: {INSTALL_HINT}; from Python, pass a directory "
            f"or allow a download of {release} into {cached}"
        )
    return download_release(release, cache_dir=cache_dir, fetch=fetch)


def load_nomenclature(directory: Path | str | None = None) -> Nomenclature:
    """The nomenclature of ``directory``, else of the configured release (read once per process)."""
    files = open_release_dir(directory) if directory is not None else configured_release().files
    return Nomenclature.load(files.root)


def _urlopen_fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def _store(dest: Path, data: bytes) -> None:
    """Write through a ``.part`` file renamed into place, so no half-written file passes as complete."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
    except OSError as exc:
        raise HlaReleaseError(f"cannot write {dest}: {exc}") from exc


def download_release(
    release: str = PINNED_RELEASE,
    *,
    cache_dir: Path | None = None,
    fetch: Fetcher | None = None,
    progress: FileProgress | None = None,
) -> ReleaseFiles:
    """Download the required files of ``release`` into ``<cache_dir>/<release>/``.

    Files already there are kept (an interrupted download resumes). ``fetch`` (URL -> bytes) can be
    replaced, e.g. by a test or by a proxy-aware client.
    """
    branch = release_branch(release)
    target = (cache_dir or default_cache_dir()) / release
    getter = fetch or _urlopen_fetch
    for done, rel in enumerate(REQUIRED_FILES, start=1):
        dest = target / rel
        if not dest.is_file():
            url = RAW_URL_TEMPLATE.format(branch=branch, path=rel)
            try:
                data = getter(url)
            except Exception as exc:  # network errors come in many types
                raise HlaReleaseError(f"download of {url} failed: {exc}") from exc
            _store(dest, data)
        if progress is not None:
            progress(rel, done, len(REQUIRED_FILES))
    return open_release_dir(target, expected_release=release)


def install_release_from(
    source: Path | str,
    *,
    release: str | None = None,
    cache_dir: Path | None = None,
    progress: FileProgress | None = None,
) -> ReleaseFiles:
    """Copy the required files of the release in ``source`` into ``<cache_dir>/<release>/``.

    The release number is read from the files; when ``release`` is given they must hold that one.
    """
    files = open_release_dir(source, expected_release=release)
    target = (cache_dir or default_cache_dir()) / files.release
    if target.resolve() == files.root:
        return files
    for done, rel in enumerate(REQUIRED_FILES, start=1):
        origin = files.path(rel)
        try:
            data = origin.read_bytes()
        except OSError as exc:
            raise HlaReleaseError(f"cannot read {origin}: {exc}") from exc
        _store(target / rel, data)
        if progress is not None:
            progress(rel, done, len(REQUIRED_FILES))
    return open_release_dir(target, expected_release=files.release)
