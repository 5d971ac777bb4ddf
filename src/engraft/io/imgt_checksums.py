"""The release's ``wmda/md5checksum.txt``: the MD5 of each WMDA file, as IPD-IMGT/HLA publishes it.

Lines are BSD ``md5`` output (``MD5 (hla_nom.txt) = 841ed727...``, the form the releases use); GNU
``md5sum`` lines (``841ed727...  hla_nom.txt``) are read too. Names are relative to ``wmda/``. MD5 is
what the release publishes: it detects a damaged or truncated transfer, not a deliberate forgery.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from engraft.hla.nomenclature.errors import HlaReleaseError

CHECKSUM_FILE: Final = "wmda/md5checksum.txt"
_FOLDER: Final = "wmda/"

_BSD: Final = re.compile(r"^MD5 \((?P<name>[^)]+)\) = (?P<md5>[0-9a-fA-F]{32})$")
_GNU: Final = re.compile(r"^(?P<md5>[0-9a-fA-F]{32}) [ *](?P<name>\S.*)$")


@dataclass(frozen=True, slots=True)
class Checksums:
    """MD5 per file of one release, keyed by the path relative to the release folder (``wmda/hla_nom.txt``)."""

    md5: Mapping[str, str]
    text: str  # the file as read, stored beside the release
    origin: str  # where it was read from, for messages

    def expected(self, relative: str) -> str | None:
        """The published MD5 of ``relative`` (lower case), None when the file is not listed."""
        return self.md5.get(relative)

    def require(self, relatives: Iterable[str]) -> None:
        """:class:`HlaReleaseError` naming the files among ``relatives`` that are not listed."""
        missing = [r for r in relatives if r not in self.md5]
        if missing:
            raise HlaReleaseError(
                f"{self.origin} lists no checksum for {', '.join(missing)}; is it the release's file?"
            )


def parse_checksums(text: str, *, origin: str) -> Checksums:
    """Read ``md5checksum.txt``; :class:`HlaReleaseError` naming the line that is neither form."""
    md5: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _BSD.match(line) or _GNU.match(line)
        if match is None:
            raise HlaReleaseError(
                f"{origin} line {number}: {line[:80]!r} is not a checksum line; expected 'MD5 (name) = <32 hex digits>'"
            )
        md5[_FOLDER + match["name"].strip().removeprefix("./")] = match["md5"].lower()
    if not md5:
        raise HlaReleaseError(f"{origin} holds no checksum line; expected 'MD5 (name) = <32 hex digits>' lines")
    return Checksums(md5=md5, text=text, origin=origin)


def md5_of(data: bytes) -> str:
    """Lower-case hex MD5 of ``data`` (a checksum of the published files, not a security measure)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
