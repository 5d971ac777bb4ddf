"""The one reader of IPD-IMGT/HLA release files: a release directory given by an explicit path.

A release directory has the layout of the ``ANHIG/IMGTHLA`` repository (``wmda/hla_nom.txt``,
``tce/dpb_tce.csv``, ``Allelelist.txt`` ...); :func:`open_release_dir` checks that every file in
:data:`REQUIRED_FILES` is there and reads the release number from the files themselves, and
:func:`read_release_tables` parses them into :class:`ReleaseTables` (plain rows, nothing interpreted;
:class:`~engraft.hla.nomenclature.tables.Nomenclature` and :mod:`engraft.hla.nomenclature.serology` do
that). Finding the configured release (``ENGRAFT_IMGT_DIR``, the versioned cache) and downloading one
are adapter work: :mod:`engraft.io.imgt_release`.

Formats are described in ``wmda/README.md`` of each release. ``rel_dna_ser.txt`` exists in two layouts,
detected from the file itself:

* ``pre2026`` - 6 ``;``-separated fields: locus, allele, unambiguous serology, possible serologies,
  assumed serology, expert-assigned exceptions;
* ``hats2026`` - from release 3.64.0, a 7th field with the specificity assigned by HATS
  (2026 HLA Nomenclature Report), e.g. ``A*;01:07;1;;;;3002``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

from engraft.hla.nomenclature.errors import HlaReleaseError

#: Files the nomenclature needs, relative to the release root.
REQUIRED_FILES: Final[tuple[str, ...]] = (
    "wmda/hla_nom.txt",
    "wmda/hla_nom_g.txt",
    "wmda/hla_nom_p.txt",
    "wmda/rel_dna_ser.txt",
    "wmda/rel_ser_ser.txt",
    "tce/dpb_tce.csv",
    "Allelelist.txt",
)

#: Optional file: sequence status per allele (full/partial, gDNA/cDNA) for the gDNA/cDNA/protein match
#: grades (Atlas ``AlleleStatusExtractor``). Without it those grades are not claimed (G group at best).
ALLELE_STATUS_FILE: Final[str] = "Allele_status.txt"

RelDnaSerFormat = Literal["pre2026", "hats2026"]

_VERSION_RE = re.compile(r"^#\s*version:\s*IPD-IMGT/HLA\s+(\d+\.\d+\.\d+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ReleaseFiles:
    """A directory holding one release, with the release number read from the files themselves."""

    root: Path
    release: str

    def path(self, relative: str) -> Path:
        """Absolute path of ``relative`` (one of :data:`REQUIRED_FILES`)."""
        return self.root / relative


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


def missing_files(root: Path) -> list[str]:
    """Members of :data:`REQUIRED_FILES` that ``root`` lacks."""
    return [rel for rel in REQUIRED_FILES if not (root / rel).is_file()]


def open_release_dir(root: Path | str, *, expected_release: str | None = None) -> ReleaseFiles:
    """Check that ``root`` holds every required file and return it with its release number."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise HlaReleaseError(f"IPD-IMGT/HLA release directory {root} does not exist")
    missing = missing_files(root)
    if missing:
        raise HlaReleaseError(f"IPD-IMGT/HLA release directory {root} lacks {', '.join(missing)}")
    release = read_release_version(root)
    if expected_release is not None and release != expected_release:
        raise HlaReleaseError(f"{root} holds release {release}, not the requested {expected_release}")
    return ReleaseFiles(root=root, release=release)


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


class AlleleStatusRow(NamedTuple):
    allele: str  # full name with locus: "A*01:01:01:01"
    full: bool  # sequence "Full" (else "Partial")
    dna: str  # "gDNA" or "cDNA"


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


def parse_allele_status(path: Path) -> tuple[AlleleStatusRow, ...]:
    """``Allele_status.txt``: ``Allele,Cells,Groups,Confirmed,Start,End,Partial,Type`` (header skipped)."""
    rows = []
    for line in _data_lines(path):
        if line.startswith("Allele,"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 8:
            raise HlaReleaseError(f"{path}: expected 8 ','-separated fields, got {line!r}")
        rows.append(AlleleStatusRow(parts[0], parts[6] == "Full", parts[7]))
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


@dataclass(frozen=True, slots=True)
class ReleaseTables:
    """Every table of one release as read from its files (``root`` is ``None`` for tables built in memory)."""

    release: str
    root: Path | None
    allele_names: tuple[str, ...]
    g_groups: tuple[GroupRow, ...]
    p_groups: tuple[GroupRow, ...]
    hla_nom: tuple[HlaNomRow, ...]
    rel_dna_ser_format: RelDnaSerFormat
    rel_dna_ser: tuple[RelDnaSerRow, ...]
    rel_ser_ser: tuple[RelSerSerRow, ...]
    dpb_tce: tuple[TceRow, ...]
    allele_status: tuple[AlleleStatusRow, ...] = ()  # empty when the release lacks Allele_status.txt


def read_release_tables(files: ReleaseFiles) -> ReleaseTables:
    """Parse every required file of an opened release directory."""
    fmt, dna_rows = parse_rel_dna_ser(files.path("wmda/rel_dna_ser.txt"))
    return ReleaseTables(
        release=files.release,
        root=files.root,
        allele_names=parse_allelelist(files.path("Allelelist.txt")),
        g_groups=parse_group_file(files.path("wmda/hla_nom_g.txt")),
        p_groups=parse_group_file(files.path("wmda/hla_nom_p.txt")),
        hla_nom=parse_hla_nom(files.path("wmda/hla_nom.txt")),
        rel_dna_ser_format=fmt,
        rel_dna_ser=dna_rows,
        rel_ser_ser=parse_rel_ser_ser(files.path("wmda/rel_ser_ser.txt")),
        dpb_tce=parse_dpb_tce(files.path("tce/dpb_tce.csv")),
        allele_status=parse_allele_status(status) if (status := files.path(ALLELE_STATUS_FILE)).is_file() else (),
    )
