"""Where the IPD-IMGT/HLA release Engraft uses is configured, and loading it (no network, no database).

The *configured* release is, in this order,

1. the directory named by the environment variable ``ENGRAFT_IMGT_DIR`` (whatever release it holds),
2. the pinned release (:data:`PINNED_RELEASE`) in the versioned cache
   ``~/.cache/engraft/imgt-hla/<release>/`` (``$XDG_CACHE_HOME`` honoured), which ``engraft hla install``
   fills (:mod:`engraft.io.imgt_release`).

This is configuration shared by every adapter (the registry validates typings with it, the API searches
donors with it), so it sits below them all; reading the files is the core's one reader,
:mod:`engraft.hla.nomenclature.release_files`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.release_files import ReleaseFiles, missing_files, open_release_dir
from engraft.hla.nomenclature.tables import Nomenclature

#: Release used when none is named. Tests are pinned to the same release.
PINNED_RELEASE: Final = "3.58.0"

ENV_VAR: Final = "ENGRAFT_IMGT_DIR"

MIRROR_ENV_VAR: Final = "ENGRAFT_IMGT_MIRROR"
"""Base URL to download releases from instead of the official repository (same layout: ``<base>/<branch>/<path>``)."""

OFFICIAL_BASE_URL: Final = "https://raw.githubusercontent.com/ANHIG/IMGTHLA"
"""The official public repository of the IPD-IMGT/HLA files, one branch per release (``3580`` for 3.58.0)."""

#: What to do when no release is configured (shown by every "no release" error).
INSTALL_HINT: Final = f"run `engraft hla install` (or set {ENV_VAR} to an IPD-IMGT/HLA release folder)"


@dataclass(frozen=True, slots=True)
class ConfiguredRelease:
    """The release Engraft uses when none is named, and where it was found."""

    files: ReleaseFiles
    source: str  # "ENGRAFT_IMGT_DIR" or "cache"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/engraft/imgt-hla`` or ``~/.cache/engraft/imgt-hla``."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "engraft" / "imgt-hla"


def download_base_url() -> str:
    """``ENGRAFT_IMGT_MIRROR`` (a mirror of the repository; a trailing ``/`` dropped), else the official one."""
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    return mirror.rstrip("/") if mirror else OFFICIAL_BASE_URL


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


def load_nomenclature(directory: Path | str | None = None) -> Nomenclature:
    """The nomenclature of ``directory``, else of the configured release (read once per process)."""
    files = open_release_dir(directory) if directory is not None else configured_release().files
    return Nomenclature.load(files.root)
