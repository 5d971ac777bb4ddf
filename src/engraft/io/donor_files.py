"""Donor files (CSV, JSON, Atlas donor-import JSON) read into a donor registry store.

The formats are described in :mod:`engraft.hla.search.donor_import`, which maps each parsed record to
a donor and validates the typings; the spellings each coded field (donor type, sex, CMV, ABO) accepts
are the synonym tables of :mod:`engraft.hla.search.donor_fields`. A donor with an invalid typing or a
value its field does not accept is reported in :class:`ImportReport` (``invalid``,
``invalid_values``) and not stored; the rest of the file is. This module only reads the files.

A file is read whole and checked before anything is written (:func:`read_donor_file`): the format is
taken from the content when not given (a JSON list: our JSON; a JSON object: an Atlas donor-import
file; else a CSV whose header names ``donor_id``), and a file that is not what it claims to be (bad
JSON, a CSV without a ``donor_id`` column, bytes that are not UTF-8, a broken CSV row) raises
:class:`DonorFileError`, one sentence naming the file, where and what was expected, before a store
is touched.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_columns import import_columns
from engraft.hla.search.donor_import import (
    DEFAULT_CHUNK,
    ImportReport,
    donor_record,
    import_atlas_donors,
    import_records,
)
from engraft.hla.search.donor_record_columns import RecordColumns, atlas_columns, record_columns
from engraft.hla.search.donor_store import DonorStore, Progress

__all__ = [
    "DonorFile",
    "DonorFileError",
    "DonorFileFormat",
    "ImportReport",
    "detect_format",
    "import_atlas_json",
    "import_csv",
    "import_donor_file",
    "import_donor_file_per_record",
    "import_json",
    "read_donor_file",
]


class DonorFileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    ATLAS = "atlas"


class DonorFileError(ValueError):
    """A donor file that cannot be read as the format it is given or guessed as (nothing was imported)."""


@dataclass(frozen=True, slots=True)
class DonorFile:
    """A donor file read whole and checked: its format, its records (JSON) or text (CSV), and their number."""

    path: Path
    format: DonorFileFormat
    records: list[object] | Mapping[str, object] | str  # a CSV stays text: rows are read again on import
    count: int

    def rows(self) -> Iterator[object]:
        """The donor records of a CSV or JSON list (not of an Atlas file, whose records carry changes)."""
        if isinstance(self.records, str):
            yield from csv.DictReader(io.StringIO(self.records, newline=""))
        elif isinstance(self.records, list):
            yield from self.records


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DonorFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DonorFileError(f"{path} is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})") from exc


def detect_format(text: str) -> DonorFileFormat:
    """JSON list: our JSON; JSON object: Atlas donor-import JSON; anything else is taken for a CSV."""
    head = text.lstrip()[:1]
    if head == "[":
        return DonorFileFormat.JSON
    if head == "{":
        return DonorFileFormat.ATLAS
    return DonorFileFormat.CSV


def _json(path: Path, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DonorFileError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc


def _csv_rows(path: Path, text: str) -> int:
    """Check every row of a donor CSV (without keeping them); the number of rows (empty lines skipped)."""
    if not text.strip():
        raise DonorFileError(f"{path} is empty: expected a CSV header naming donor_id, or JSON")
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, [])
        fields = [f.strip() for f in header]
        if "donor_id" not in fields:
            shown = ", ".join(fields[:6]) + (" ..." if len(fields) > 6 else "")
            raise DonorFileError(
                f"{path} is neither JSON nor a donor CSV: its first line ({shown}) has no donor_id column"
            )
        width = len(header)
        rows = 0
        for row in reader:
            if len(row) > width:
                raise DonorFileError(f"{path} line {reader.line_num}: more values than the header has columns")
            rows += bool(row)
    except csv.Error as exc:
        raise DonorFileError(f"{path} line {reader.line_num}: not a readable CSV row ({exc})") from exc
    return rows


def read_donor_file(path: Path | str, file_format: DonorFileFormat | None = None) -> DonorFile:
    """Read and check a donor file, guessing the format from its content when ``file_format`` is ``None``."""
    path = Path(path)
    text = _text(path)
    fmt = file_format or detect_format(text)
    if fmt is DonorFileFormat.CSV:
        return DonorFile(path, fmt, text, _csv_rows(path, text))
    data = _json(path, text)
    if fmt is DonorFileFormat.JSON:
        if not isinstance(data, list):
            raise DonorFileError(f"{path}: donor JSON must be a list of donor objects, not a {type(data).__name__}")
        return DonorFile(path, fmt, data, len(data))
    if not isinstance(data, Mapping) or not isinstance(data.get("donors"), list):
        raise DonorFileError(f"{path}: an Atlas donor-import file must be a JSON object with a 'donors' list")
    donors = data["donors"]
    return DonorFile(path, fmt, data, len(donors) if isinstance(donors, list) else 0)


def import_donor_file(
    store: DonorStore,
    nom: Nomenclature,
    source: DonorFile,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
    per_record: bool = False,
) -> ImportReport:
    """Import a file already read by :func:`read_donor_file`; MAC typings need ``mac``.

    Every format takes the columnar path (:func:`import_columns`: each rule applied once per distinct
    value); ``per_record=True`` takes the per-record path instead (one donor at a time, as before;
    kept as the reference the columnar path is tested against and for the benchmark).
    """
    if per_record:
        return import_donor_file_per_record(store, nom, source, chunk_size=chunk_size, progress=progress, mac=mac)
    if isinstance(source.records, str):
        columns = _csv_columns(source)
        if columns is None:  # the C parser read another number of rows than the check counted
            return import_donor_file_per_record(store, nom, source, chunk_size=chunk_size, progress=progress, mac=mac)
        return import_columns(store, nom, columns, mac=mac, progress=progress, chunk_size=chunk_size)
    read = _atlas_columns(source.records) if isinstance(source.records, Mapping) else record_columns(source.records)
    return _import_read(store, nom, read, chunk_size=chunk_size, progress=progress, mac=mac)


def _atlas_columns(data: Mapping[str, object]) -> RecordColumns:
    donors = data.get("donors")
    if not isinstance(donors, list):
        raise ValueError("Atlas donor file has no 'donors' list")
    return atlas_columns(donors)


def _import_read(
    store: DonorStore,
    nom: Nomenclature,
    read: RecordColumns,
    *,
    chunk_size: int,
    progress: Progress | None,
    mac: MacDictionary | None,
) -> ImportReport:
    return import_columns(
        store,
        nom,
        read.columns,
        mac=mac,
        progress=progress,
        chunk_size=chunk_size,
        preset=read.preset,
        deletions=read.deletions,
        total=read.records,
    )


def import_donor_file_per_record(
    store: DonorStore,
    nom: Nomenclature,
    source: DonorFile,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """The per-record import of a file read by :func:`read_donor_file` (one donor record at a time)."""
    if isinstance(source.records, Mapping):
        return import_atlas_donors(store, nom, source.records, chunk_size=chunk_size, progress=progress, mac=mac)
    records = (donor_record(nom, rec, mac) for rec in source.rows())
    return import_records(store, nom, records, total=source.count, chunk_size=chunk_size, progress=progress, mac=mac)


def _csv_columns(source: DonorFile) -> dict[str, npt.NDArray[np.object_]] | None:
    """A donor CSV's columns as text (pandas' C parser), or ``None`` for the per-record path.

    The per-record path stays, as a safety net, for a file the C parser reads into a different number of
    rows than the check counted.
    """
    import pandas as pd  # heavy: imported when a file is read

    assert isinstance(source.records, str)
    frame = pd.read_csv(io.StringIO(source.records), dtype=str, keep_default_na=False, na_filter=False)
    if len(frame) != source.count or "donor_id" not in frame.columns:
        return None
    return {str(name): frame[name].to_numpy(dtype=object) for name in frame.columns}


def import_csv(
    store: DonorStore,
    nom: Nomenclature,
    path: Path | str,
    *,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import a CSV file with one donor per row (columns: :mod:`engraft.hla.search.donor_import`)."""
    return import_donor_file(store, nom, read_donor_file(path, DonorFileFormat.CSV), progress=progress, mac=mac)


def import_json(
    store: DonorStore,
    nom: Nomenclature,
    path: Path | str,
    *,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import a JSON list of donor objects (same keys as the CSV columns)."""
    return import_donor_file(store, nom, read_donor_file(path, DonorFileFormat.JSON), progress=progress, mac=mac)


def import_atlas_json(
    store: DonorStore,
    nom: Nomenclature,
    source: Path | str | Mapping[str, object],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import an Atlas donor-import JSON file (or its parsed dict); MAC typings need ``mac``."""
    if isinstance(source, Mapping):
        return _import_read(store, nom, _atlas_columns(source), chunk_size=chunk_size, progress=progress, mac=mac)
    checked = read_donor_file(source, DonorFileFormat.ATLAS)
    return import_donor_file(store, nom, checked, chunk_size=chunk_size, progress=progress, mac=mac)
