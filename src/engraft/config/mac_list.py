"""Where the NMDP multiple-allele code (MAC) list Engraft uses is configured, and loading it (no network).

The *configured* MAC list is, in this order,

1. the file named by the environment variable ``ENGRAFT_MAC_FILE`` (an NMDP ``alpha.v3.txt``),
2. the list ``engraft hla install-mac`` put in the cache, ``~/.cache/engraft/nmdp-mac/alpha.v3.txt``
   (``$XDG_CACHE_HOME`` honoured; :mod:`engraft.io.mac_list` downloads or copies it there).

Without either, typings holding a MAC (``A*01:AB``) are refused with a message naming the command. The
file format is described in :mod:`engraft.hla.nomenclature.mac`; the list is read once per file and
modification time, so a re-installed list is picked up by the next search engine opened.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.mac import MacDictionary

MAC_ENV_VAR: Final = "ENGRAFT_MAC_FILE"
MAC_FILE_NAME: Final = "alpha.v3.txt"

#: What to do when no MAC list is configured.
MAC_INSTALL_HINT: Final = f"run `engraft hla install-mac` (or set {MAC_ENV_VAR} to an NMDP alpha.v3.txt file)"


@dataclass(frozen=True, slots=True)
class ConfiguredMacList:
    """The MAC list file Engraft uses and where it was found."""

    path: Path
    source: str  # "ENGRAFT_MAC_FILE", "cache" or "explicit"


def default_mac_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/engraft/nmdp-mac`` or ``~/.cache/engraft/nmdp-mac``."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "engraft" / "nmdp-mac"


def cached_mac_file(cache_dir: Path | None = None) -> Path:
    """Path of the installed list in the cache (it may not exist)."""
    return (cache_dir or default_mac_cache_dir()) / MAC_FILE_NAME


def configured_mac_list(*, cache_dir: Path | None = None) -> ConfiguredMacList | None:
    """``ENGRAFT_MAC_FILE``, else the cached list, else ``None``; a named file that is missing is an error."""
    env = os.environ.get(MAC_ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise HlaReleaseError(f"{MAC_ENV_VAR} names {path}, which is not a file")
        return ConfiguredMacList(path, MAC_ENV_VAR)
    cached = cached_mac_file(cache_dir)
    return ConfiguredMacList(cached, "cache") if cached.is_file() else None


def load_mac_dictionary(path: Path | str | None = None) -> MacDictionary | None:
    """The MAC list in ``path``, else the configured one, else ``None`` (read once per file version)."""
    if path is not None:
        target = Path(path).expanduser()
        if not target.is_file():
            raise HlaReleaseError(f"MAC list {target} is not a file")
    else:
        configured = configured_mac_list()
        if configured is None:
            return None
        target = configured.path
    try:
        stat = target.stat()
    except OSError as exc:
        raise HlaReleaseError(f"cannot read MAC list {target}: {exc}") from exc
    key = (str(target.resolve()), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = MacDictionary.from_file(target)
            _LOADED.clear()  # keep one list in memory: the real one holds about a million codes
            _LOADED[key] = loaded
    return loaded


_LOADED: dict[tuple[str, int, int], MacDictionary] = {}
_LOCK = threading.Lock()

__all__ = [
    "MAC_ENV_VAR",
    "MAC_FILE_NAME",
    "MAC_INSTALL_HINT",
    "ConfiguredMacList",
    "cached_mac_file",
    "configured_mac_list",
    "default_mac_cache_dir",
    "load_mac_dictionary",
]
