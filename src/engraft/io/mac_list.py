"""Installing the NMDP multiple-allele code (MAC) list: download, or copy of a local file, into the cache.

The NMDP publishes the list at ``https://hml.nmdp.org/mac/files/alpha.v3.zip`` (a zip holding
``alpha.v3.txt``; Atlas fetches it nightly, py-ard at first use). Its redistribution terms are
unverified, so Engraft never bundles it: ``engraft hla install-mac`` downloads it (or copies a local
``alpha.v3.txt`` or ``.zip``) into the cache that :mod:`engraft.config.mac_list` reads. The content is
checked by reading it as a MAC list (:class:`~engraft.hla.nomenclature.mac.MacDictionary`: every code
line must hold an allele list) before it replaces the cached list, through a ``.part`` file renamed into
place, so a failed or interrupted download never leaves a half-written list that passes as installed.
"""

from __future__ import annotations

import io
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engraft.config.mac_list import MAC_FILE_NAME, cached_mac_file, default_mac_cache_dir, load_mac_dictionary
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.mac import MacDictionary

NMDP_MAC_URL: Final = "https://hml.nmdp.org/mac/files/alpha.v3.zip"
_CHUNK = 1 << 16

ByteProgress = Callable[[int, int | None], None]
"""Called as bytes arrive with ``(bytes received, bytes in total or None when the server does not say)``."""


@dataclass(frozen=True, slots=True)
class InstalledMacList:
    """Where the list was installed, how many codes it holds and where it came from."""

    path: Path
    codes: int
    source: str


def _download(url: str, progress: ByteProgress | None, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            buffer = io.BytesIO()
            while chunk := response.read(_CHUNK):
                buffer.write(chunk)
                if progress is not None:
                    progress(buffer.tell(), total)
    except Exception as exc:  # network errors come in many types (URLError, HTTPError, timeouts, ValueError)
        raise HlaReleaseError(f"download of the MAC list from {url} failed: {exc}") from exc
    data = buffer.getvalue()
    if total is not None and len(data) != total:
        raise HlaReleaseError(f"download of the MAC list from {url} stopped at {len(data)} of {total} bytes")
    return data


def mac_text(data: bytes, source: str) -> str:
    """The text of a MAC list given as ``alpha.v3.txt`` bytes or as the NMDP zip holding it."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [n for n in archive.namelist() if n.endswith(".txt")]
                if not members:
                    raise HlaReleaseError(f"{source} is a zip without a .txt MAC list")
                preferred = [n for n in members if n.rsplit("/", 1)[-1] == MAC_FILE_NAME]
                data = archive.read((preferred or members)[0])
        except zipfile.BadZipFile as exc:
            raise HlaReleaseError(f"{source} is not a readable zip: {exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HlaReleaseError(f"{source} is not a text MAC list (byte {exc.start} is not UTF-8)") from exc


def _install(text: str, source: str, cache_dir: Path | None) -> InstalledMacList:
    parsed = MacDictionary.from_text(text, source=source)
    if len(parsed) == 0:
        raise HlaReleaseError(f"{source} holds no MAC code lines ('<TAB>CODE<TAB>allele/allele')")
    dest = cached_mac_file(cache_dir)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        part.write_text(text, encoding="utf-8")
        part.replace(dest)
    except OSError as exc:
        raise HlaReleaseError(f"cannot write {dest}: {exc}") from exc
    return InstalledMacList(dest, len(parsed), source)


def download_mac_list(
    url: str = NMDP_MAC_URL,
    *,
    cache_dir: Path | None = None,
    progress: ByteProgress | None = None,
    timeout: float = 120.0,
) -> InstalledMacList:
    """Download the MAC list (zip or text) from ``url``, check it and install it into the cache."""
    data = _download(url, progress, timeout)
    return _install(mac_text(data, url), url, cache_dir)


def install_mac_list_from(source: Path | str, *, cache_dir: Path | None = None) -> InstalledMacList:
    """Check a local ``alpha.v3.txt`` (or the NMDP zip) and copy it into the cache."""
    path = Path(source).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HlaReleaseError(f"cannot read MAC list {path}: {exc.strerror or exc}") from exc
    return _install(mac_text(data, str(path)), str(path), cache_dir)


__all__ = [
    "NMDP_MAC_URL",
    "ByteProgress",
    "InstalledMacList",
    "default_mac_cache_dir",
    "download_mac_list",
    "install_mac_list_from",
    "load_mac_dictionary",
    "mac_text",
]
