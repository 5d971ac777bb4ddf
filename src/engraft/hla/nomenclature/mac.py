"""NMDP multiple-allele codes (MACs), e.g. ``A*01:AB`` = ``A*01:01/A*01:02``.

The NMDP publishes the code list as ``alpha.v3.txt`` / ``numer.v3.txt`` (zipped, from
``https://hml.nmdp.org/mac/files/``): after a short header, one tab-separated line per code,
``[*]<TAB>CODE<TAB>allele-list`` (a leading ``*`` marks recently added codes). Two kinds of list exist:

* *generic* subtype lists, only second fields (``AB -> 01/02``): the first field comes from the typing,
  so ``A*01:AB`` -> ``A*01:01/A*01:02`` and ``A*02:AB`` -> ``A*02:01/A*02:02``;
* *allele-specific* lists with full field pairs (``01:01/02:01``): used as they are, whatever the
  first field of the typing (``A*01:XYZ`` -> ``A*01:01/A*02:01``).

The code list is not bundled (its redistribution terms are unverified); pass the file explicitly, or
install it with ``engraft hla install-mac``. The real list holds about 1.14 million codes, so each code's
allele list is kept as the text of the file (checked line by line when read, split when a code is
used): about 250 MB instead of about 600 MB as tuples, read in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from engraft.hla.nomenclature.errors import HlaNomenclatureError, HlaReleaseError

_CODE_RE = re.compile(r"^[A-Z]{2,}$")
_MAC_TYPING_RE = re.compile(r"^(?:HLA-)?([A-Z][A-Z0-9]*)\*(\d{2,4}):([A-Z]{2,})$")
_ITEM_RE = re.compile(r"^\d{2,4}(?::\d{2,4}){0,3}[NLSCAQ]?$")
_MAC_ANYWHERE_RE = re.compile(r":(?!(?:XX|NEW)(?:$|[/+^|~]))[A-Z]{2,}")
_NOT_MACS = frozenset({"XX", "NEW"})  # the XX code and the NEW placeholder look like MACs but are not
_ITEM = r"\d{2,4}(?::\d{2,4}){0,3}[NLSCAQ]?"
#: A well-formed code line (the fast path; anything else is a header, a blank line or an error).
_LINE_RE = re.compile(rf"^\*?\t([A-Z]{{2,}})\t({_ITEM}(?:/{_ITEM})*)\s*$")

EXPECTED_MAC = "a multiple-allele code typing such as 'A*01:AB' (locus*first-field:CODE)"


def mentions_mac(token: str) -> bool:
    """True if a MAC code appears anywhere in ``token`` (also in an allele string or a GL String), ``XX`` and
    ``NEW`` excluded.

    Expansions of tokens without one do not depend on the MAC dictionary, so caches key them without it.
    """
    return _MAC_ANYWHERE_RE.search(token) is not None


def is_mac_typing(token: str) -> bool:
    """True if ``token`` has the shape of a MAC typing (``A*01:AB``), ``XX`` and ``NEW`` excluded."""
    m = _MAC_TYPING_RE.match(token.strip())
    return m is not None and m.group(3) not in _NOT_MACS


class MacCodes(Mapping[str, tuple[str, ...]]):
    """Code -> allele list, kept as the file's ``/``-joined text and split on access."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, code: str) -> tuple[str, ...]:
        return tuple(self._raw[code].split("/"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, code: object) -> bool:
        return code in self._raw


@dataclass(frozen=True, slots=True, eq=False)
class MacDictionary:
    """Code -> allele list (as written in the file: ``("01", "02")`` or ``("01:01", "02:01")``).

    Compared and hashed by identity, so that it can key expansion caches.
    """

    codes: Mapping[str, tuple[str, ...]]
    source: str = ""

    @classmethod
    def from_file(cls, path: Path | str) -> MacDictionary:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise HlaReleaseError(f"cannot read MAC file {path}: {exc}") from exc
        return cls.from_text(text, source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "") -> MacDictionary:
        """Read a list in the NMDP layout; a code line whose allele list is malformed is an error."""
        raw: dict[str, str] = {}
        match_line = _LINE_RE.match
        for lineno, line in enumerate(text.splitlines(), start=1):
            m = match_line(line)
            if m is not None:
                raw[m.group(1)] = m.group(2)
                continue
            parts = [p.strip() for p in line.split("\t")]
            parts = [p for p in parts if p and p != "*"]
            if len(parts) != 2 or not _CODE_RE.match(parts[0]) or parts[0] == "CODE":
                continue  # header ("LAST UPDATED", "CODE SUBTYPE") or blank line
            code, expansion = parts
            items = tuple(i for i in expansion.split("/") if i)
            if not items or not all(_ITEM_RE.match(i) for i in items):
                raise HlaReleaseError(f"{source or 'MAC text'} line {lineno}: bad allele list {expansion!r}")
            raw[code] = "/".join(items)
        return cls(codes=MacCodes(raw), source=source)

    def __len__(self) -> int:
        return len(self.codes)

    def expand(self, token: str, *, release: str | None = None) -> tuple[str, ...]:
        """Allele names a MAC typing stands for (not yet checked against a release)."""
        m = _MAC_TYPING_RE.match(token.strip())
        if m is None or m.group(3) in _NOT_MACS:
            raise HlaNomenclatureError(token, EXPECTED_MAC, release=release, detail="malformed MAC typing")
        locus, first, code = m.groups()
        items = self.codes.get(code)
        if items is None:
            raise HlaNomenclatureError(
                token,
                EXPECTED_MAC,
                release=release,
                detail=f"code {code!r} is not in the MAC list {self.source or '(in memory)'}",
            )
        return tuple(f"{locus}*{item}" if ":" in item else f"{locus}*{first}:{item}" for item in items)
