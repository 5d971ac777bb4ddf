"""Parsers for the IPD-IMGT/HLA WMDA files (formats described in ``wmda/README.md`` of each release).

Plain Python, one function per file, returning tuples of small named tuples. Nothing here interprets
the content; :mod:`engraft.hla.nomenclature` and :mod:`engraft.hla.serology` do.

``rel_dna_ser.txt`` exists in two layouts, detected from the file itself:

* ``pre2026`` - 6 ``;``-separated fields: locus, allele, unambiguous serology, possible serologies,
  assumed serology, expert-assigned exceptions;
* ``hats2026`` - from release 3.64.0, a 7th field with the specificity assigned by HATS
  (2026 HLA Nomenclature Report), e.g. ``A*;01:07;1;;;;3002``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal, NamedTuple

from engraft.hla.errors import HlaReleaseError

RelDnaSerFormat = Literal["pre2026", "hats2026"]


class HlaNomRow(NamedTuple):
    locus: str  # "A*" for alleles, "A" / "Cw" / "DR" for serological antigens
    name: str
    assigned: str
    deleted: str
    identical_to: str
    reason: str


class GroupRow(NamedTuple):
    locus: str  # "A*"
    alleles: tuple[str, ...]  # names without locus: "01:01:01:01"
    group: str  # "01:01:01G" / "01:01P", or "" for an allele in a group of its own


class RelDnaSerRow(NamedTuple):
    locus: str
    allele: str
    unambiguous: str
    possible: tuple[str, ...]
    assumed: str
    expert: tuple[str, ...]
    hats: str


class RelSerSerRow(NamedTuple):
    locus: str
    antigen: str
    splits: tuple[str, ...]
    associated: tuple[str, ...]


class TceRow(NamedTuple):
    allele: str
    protein: str
    v1: str
    v2: str
    comment: str


def _data_lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                line = raw.rstrip("\r\n")
                if line and not line.startswith("#"):
                    yield line
    except OSError as exc:
        raise HlaReleaseError(f"cannot read {path}: {exc}") from exc


def _split_slash(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split("/") if v)


def parse_hla_nom(path: Path) -> tuple[HlaNomRow, ...]:
    rows = []
    for line in _data_lines(path):
        parts = line.split(";")
        if len(parts) < 6:
            raise HlaReleaseError(f"{path}: expected 6 ';'-separated fields, got {line!r}")
        rows.append(HlaNomRow(*(p.strip() for p in parts[:6])))
    return tuple(rows)


def parse_group_file(path: Path) -> tuple[GroupRow, ...]:
    """``hla_nom_g.txt`` / ``hla_nom_p.txt``: ``locus;allele/allele/...;group``."""
    rows = []
    for line in _data_lines(path):
        parts = line.split(";")
        if len(parts) < 3:
            raise HlaReleaseError(f"{path}: expected 3 ';'-separated fields, got {line!r}")
        rows.append(GroupRow(parts[0].strip(), _split_slash(parts[1].strip()), parts[2].strip()))
    return tuple(rows)


def detect_rel_dna_ser_format(path: Path) -> RelDnaSerFormat:
    """``pre2026`` (6 fields) or ``hats2026`` (7 fields), from the first data line."""
    for line in _data_lines(path):
        n = line.count(";") + 1
        if n == 6:
            return "pre2026"
        if n == 7:
            return "hats2026"
        raise HlaReleaseError(f"{path}: rel_dna_ser line has {n} fields, expected 6 or 7: {line!r}")
    raise HlaReleaseError(f"{path}: no data lines")


def parse_rel_dna_ser(path: Path) -> tuple[RelDnaSerFormat, tuple[RelDnaSerRow, ...]]:
    fmt = detect_rel_dna_ser_format(path)
    width = 6 if fmt == "pre2026" else 7
    rows = []
    for line in _data_lines(path):
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != width:
            raise HlaReleaseError(f"{path}: expected {width} fields ({fmt} format), got {line!r}")
        hats = parts[6] if width == 7 else ""
        rows.append(
            RelDnaSerRow(parts[0], parts[1], parts[2], _split_slash(parts[3]), parts[4], _split_slash(parts[5]), hats)
        )
    return fmt, tuple(rows)


def parse_rel_ser_ser(path: Path) -> tuple[RelSerSerRow, ...]:
    rows = []
    for line in _data_lines(path):
        parts = [p.strip() for p in line.split(";")]
        if len(parts) < 4:
            raise HlaReleaseError(f"{path}: expected 4 ';'-separated fields, got {line!r}")
        rows.append(RelSerSerRow(parts[0], parts[1], _split_slash(parts[2]), _split_slash(parts[3])))
    return tuple(rows)


def parse_dpb_tce(path: Path) -> tuple[TceRow, ...]:
    rows = []
    for line in _data_lines(path):
        if line.startswith("Allele,"):
            continue
        parts = [p.strip() for p in line.split(",", 4)]
        parts += [""] * (5 - len(parts))
        rows.append(TceRow(*parts))
    return tuple(rows)


def parse_allelelist(path: Path) -> tuple[str, ...]:
    """Current allele names (``A*01:01:01:01``) in file order."""
    names = []
    for line in _data_lines(path):
        if line.startswith("AlleleID"):
            continue
        _, _, name = line.partition(",")
        if name:
            names.append(name.strip())
    return tuple(names)
