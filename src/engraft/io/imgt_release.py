"""Installing an IPD-IMGT/HLA release (download or local copy) and finding one for a named release.

The WMDA files are published per release on the ``ANHIG/IMGTHLA`` GitHub repository, one branch per
release (``3580`` for 3.58.0). Their licence (CC BY-ND) discourages mirroring and forbids shipping
modified copies, so Engraft never bundles them. Which release is *configured* (``ENGRAFT_IMGT_DIR``, else
the pinned release in the versioned cache) is :mod:`engraft.config.hla_release`; ``engraft hla install``
fills that cache, by download (:func:`download_release`) or by copying the
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
from pathlib import Path
from typing import Final

from engraft.config.hla_release import (
    ENV_VAR,
    INSTALL_HINT,
    PINNED_RELEASE,
    ConfiguredRelease,
    configured_release,
    default_cache_dir,
    installed_releases,
    load_nomenclature,
)
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.release_files import REQUIRED_FILES, ReleaseFiles, missing_files, open_release_dir

RAW_URL_TEMPLATE: Final = "https://raw.githubusercontent.com/ANHIG/IMGTHLA/{branch}/{path}"

Fetcher = Callable[[str], bytes]
FileProgress = Callable[[str, int, int], None]
"""Called after each file with ``(relative path, files done, files in total)``."""


def release_branch(release: str) -> str:
    """GitHub branch holding ``release``: ``"3.58.0"`` -> ``"3580"``."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", release):
        raise HlaReleaseError(f"release {release!r} is not of the form '3.58.0'")
    return release.replace(".", "")


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


__all__ = [
    "ENV_VAR",
    "INSTALL_HINT",
    "PINNED_RELEASE",
    "ConfiguredRelease",
    "configured_release",
    "default_cache_dir",
    "download_release",
    "install_release_from",
    "installed_releases",
    "load_nomenclature",
    "locate_release",
    "release_branch",
]
