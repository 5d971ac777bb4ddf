"""Installing an IPD-IMGT/HLA release (download or local copy) and finding one for a named release.

The WMDA files are published per release on the ``ANHIG/IMGTHLA`` GitHub repository, one branch per
release (``3580`` for 3.58.0); ``ENGRAFT_IMGT_MIRROR`` names a mirror of the same layout instead
(:func:`engraft.config.hla_release.download_base_url`). Their licence (CC BY-ND) discourages mirroring
and forbids shipping modified copies, so Engraft never bundles them. Which release is *configured*
(``ENGRAFT_IMGT_DIR``, else the pinned release in the versioned cache) is
:mod:`engraft.config.hla_release`; ``engraft hla install`` fills that cache, by download
(:func:`download_release`) or by copying the required files from a local folder
(:func:`install_release_from`). Both check the WMDA files against the release's own
``wmda/md5checksum.txt`` (:mod:`engraft.io.imgt_checksums`) before a file takes its place in the cache;
``tce/dpb_tce.csv`` and ``Allelelist.txt`` are not listed there, so they are checked only by reading
their release header. The directory layout is the repository's own (``wmda/hla_nom.txt``,
``tce/dpb_tce.csv``, ``Allelelist.txt`` ...), so a shallow checkout of one branch works as is. Reading
the files is the core's one reader, :mod:`engraft.hla.nomenclature.release_files`.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from engraft.config.hla_release import (
    ENV_VAR,
    INSTALL_HINT,
    MIRROR_ENV_VAR,
    PINNED_RELEASE,
    ConfiguredRelease,
    configured_release,
    default_cache_dir,
    download_base_url,
    installed_releases,
    load_nomenclature,
)
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.release_files import (
    ALLELE_STATUS_FILE,
    REQUIRED_FILES,
    ReleaseFiles,
    missing_files,
    open_release_dir,
)
from engraft.io.imgt_checksums import CHECKSUM_FILE, Checksums, md5_of, parse_checksums

FileProgress = Callable[[str, int, int], None]
"""Called after each file with ``(relative path, files done, files in total)``."""

TIMEOUT_S: Final = 30.0
"""Seconds without an answer (connect or read) before a download is given up as unreachable."""

_CHUNK: Final = 1 << 16


class ReleaseUnreachable(HlaReleaseError):
    """The release's server could not be reached at all (no network, DNS, refused, timed out)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        host = urlsplit(url).netloc or url
        super().__init__(
            f"cannot reach {host} to download the IPD-IMGT/HLA release ({reason}). Without network access, "
            f"copy a release folder from a machine that has one and run `engraft hla install --from DIR`, or set "
            f"{ENV_VAR} to that folder (or {MIRROR_ENV_VAR} to a reachable mirror); then start again"
        )


@dataclass(frozen=True, slots=True)
class InstalledRelease:
    """A release now in the cache, and how its files were checked."""

    files: ReleaseFiles
    checked: tuple[str, ...]  # files whose MD5 matched the release's md5checksum.txt
    not_listed: tuple[str, ...]  # required files md5checksum.txt does not cover (release header checked only)
    fetched_bytes: int  # bytes downloaded or copied by this call (0 when everything was already there)


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
    base_url: str | None = None,
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
    return download_release(release, cache_dir=cache_dir, base_url=base_url).files


def release_url(release: str, relative: str, base_url: str | None = None) -> str:
    """Where ``relative`` (e.g. ``wmda/hla_nom.txt``) of ``release`` is downloaded from."""
    return f"{base_url or download_base_url()}/{release_branch(release)}/{relative}"


def _fetch(url: str) -> bytes:
    """The body of ``url``; :class:`ReleaseUnreachable` when no server answers, :class:`HlaReleaseError` else."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            parts: list[bytes] = []
            while chunk := response.read(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
    except urllib.error.HTTPError as exc:  # the server answered, with an error
        hint = " (is it a published release?)" if exc.code == 404 else ""
        raise HlaReleaseError(f"download of {url} failed: HTTP {exc.code} {exc.reason}{hint}") from exc
    except urllib.error.URLError as exc:
        raise ReleaseUnreachable(url, str(exc.reason)) from exc
    except (TimeoutError, ConnectionError) as exc:
        raise ReleaseUnreachable(url, str(exc) or type(exc).__name__) from exc
    except OSError as exc:  # a connection cut half-way through the body
        raise HlaReleaseError(f"download of {url} failed: {exc}") from exc


def _store(dest: Path, data: bytes) -> None:
    """Write through a ``.part`` file renamed into place, so no half-written file passes as complete."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
    except OSError as exc:
        raise HlaReleaseError(f"cannot write {dest}: {exc}") from exc


def _verified(checksums: Checksums, relative: str, data: bytes, origin: str) -> bool:
    """True when ``relative`` is listed and matches; :class:`HlaReleaseError` when listed and different."""
    expected = checksums.expected(relative)
    if expected is None:
        return False
    actual = md5_of(data)
    if actual != expected:
        raise HlaReleaseError(
            f"{relative} from {origin} does not match the release's {CHECKSUM_FILE}: MD5 {actual}, expected "
            f"{expected}; nothing was stored for it (a damaged or altered copy): try again, or use another source"
        )
    return True


def _cached_and_intact(dest: Path, checksums: Checksums, relative: str) -> bool:
    """A file kept from an earlier, interrupted download is reused only when its checksum still matches."""
    if not dest.is_file():
        return False
    expected = checksums.expected(relative)
    if expected is None:
        return True
    try:
        return md5_of(dest.read_bytes()) == expected
    except OSError:
        return False


_HEADER_VERSION = re.compile(rb"^#\s*version:\s*IPD-IMGT/HLA\s+(\d+\.\d+\.\d+)", re.MULTILINE)


def _check_header(data: bytes, release: str, name: str) -> None:
    """Refuse an optional file (not in ``md5checksum.txt``) whose header names another release, or none."""
    found = _HEADER_VERSION.search(data[:2048])
    if found is None or found.group(1).decode() != release:
        named = found.group(1).decode() if found else "no release"
        raise HlaReleaseError(f"{name}: its header names {named}; expected IPD-IMGT/HLA {release}")


def download_release(
    release: str = PINNED_RELEASE,
    *,
    cache_dir: Path | None = None,
    base_url: str | None = None,
    progress: FileProgress | None = None,
) -> InstalledRelease:
    """Download the required files of ``release`` into ``<cache_dir>/<release>/``, each checked against its MD5.

    ``wmda/md5checksum.txt`` is downloaded first; a listed file is stored only when its MD5 matches it,
    and every WMDA file must be listed. Files already in the cache are kept when they still match (an
    interrupted download resumes). The server is the official repository, else ``ENGRAFT_IMGT_MIRROR``,
    else ``base_url`` when given.
    """
    target = (cache_dir or default_cache_dir()) / release
    checksum_url = release_url(release, CHECKSUM_FILE, base_url)
    checksums = parse_checksums(_fetch(checksum_url).decode("utf-8", errors="replace"), origin=checksum_url)
    checksums.require(r for r in REQUIRED_FILES if r.startswith("wmda/"))
    checked: list[str] = []
    fetched = 0
    total = len(REQUIRED_FILES) + 1
    for done, rel in enumerate(REQUIRED_FILES, start=1):
        dest = target / rel
        if _cached_and_intact(dest, checksums, rel):
            checked += [rel] if checksums.expected(rel) else []
        else:
            url = release_url(release, rel, base_url)
            data = _fetch(url)
            if _verified(checksums, rel, data, url):
                checked.append(rel)
            _store(dest, data)
            fetched += len(data)
        if progress is not None:
            progress(rel, done, total)
    _store(target / CHECKSUM_FILE, checksums.text.encode("utf-8"))
    if progress is not None:
        progress(CHECKSUM_FILE, total, total)
    status = target / ALLELE_STATUS_FILE
    if not status.is_file():
        try:
            data = _fetch(release_url(release, ALLELE_STATUS_FILE, base_url))
        except HlaReleaseError:  # optional: without it no gDNA/cDNA/protein grade is claimed
            data = b""
        if data:
            _check_header(data, release, ALLELE_STATUS_FILE)
            _store(status, data)
            fetched += len(data)
    files = open_release_dir(target, expected_release=release)
    not_listed = tuple(r for r in REQUIRED_FILES if r not in checked)
    return InstalledRelease(files, tuple(checked), not_listed, fetched)


def install_release_from(
    source: Path | str,
    *,
    release: str | None = None,
    cache_dir: Path | None = None,
    progress: FileProgress | None = None,
) -> InstalledRelease:
    """Copy the required files of the release in ``source`` into ``<cache_dir>/<release>/``.

    The release number is read from the files; when ``release`` is given they must hold that one. When
    the folder has the release's ``wmda/md5checksum.txt``, the listed files are checked against it.
    """
    files = open_release_dir(source, expected_release=release)
    checksum_path = files.path(CHECKSUM_FILE)
    checksums = (
        parse_checksums(checksum_path.read_text(encoding="utf-8", errors="replace"), origin=str(checksum_path))
        if checksum_path.is_file()
        else None
    )
    target = (cache_dir or default_cache_dir()) / files.release
    copying = target.resolve() != files.root
    checked: list[str] = []
    copied = 0
    for done, rel in enumerate(REQUIRED_FILES, start=1):
        origin = files.path(rel)
        try:
            data = origin.read_bytes()
        except OSError as exc:
            raise HlaReleaseError(f"cannot read {origin}: {exc}") from exc
        if checksums is not None and _verified(checksums, rel, data, str(files.root)):
            checked.append(rel)
        if copying:
            _store(target / rel, data)
            copied += len(data)
        if progress is not None:
            progress(rel, done, len(REQUIRED_FILES))
    if copying and checksums is not None:
        _store(target / CHECKSUM_FILE, checksums.text.encode("utf-8"))
    status = files.path(ALLELE_STATUS_FILE)
    if copying and status.is_file():
        data = status.read_bytes()
        _check_header(data, files.release, ALLELE_STATUS_FILE)
        _store(target / ALLELE_STATUS_FILE, data)
        copied += len(data)
    installed = open_release_dir(target, expected_release=files.release)
    not_listed = tuple(r for r in REQUIRED_FILES if r not in checked)
    return InstalledRelease(installed, tuple(checked), not_listed, copied)


__all__ = [
    "ENV_VAR",
    "INSTALL_HINT",
    "PINNED_RELEASE",
    "ConfiguredRelease",
    "InstalledRelease",
    "ReleaseUnreachable",
    "configured_release",
    "default_cache_dir",
    "download_release",
    "install_release_from",
    "installed_releases",
    "load_nomenclature",
    "locate_release",
    "release_branch",
    "release_url",
]
