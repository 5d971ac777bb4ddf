"""Donor files (CSV, JSON, Atlas donor-import JSON) read into a donor registry store.

The formats are described in :mod:`engraft.hla.search.donor_import`, which maps each parsed record to
a donor and validates the typings; the spellings each coded field (donor type, sex, CMV, ABO) accepts
are the synonym tables of :mod:`engraft.hla.search.donor_fields`. A donor with an invalid typing or a
value its field does not accept is reported in :class:`ImportReport` (``invalid``,
``invalid_values``) and not stored; the rest of the file is. This module only reads the files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_import import (
    DEFAULT_CHUNK,
    ImportReport,
    donor_record,
    import_atlas_donors,
    import_records,
)
from engraft.hla.search.donor_store import DonorStore, Progress

__all__ = ["ImportReport", "import_atlas_json", "import_csv", "import_json"]


def import_csv(
    store: DonorStore,
    nom: Nomenclature,
    path: Path | str,
    *,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import a CSV file with one donor per row (columns: :mod:`engraft.hla.search.donor_import`)."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        records = (donor_record(nom, rec, mac) for rec in csv.DictReader(fh))
        return import_records(store, nom, records, progress=progress, mac=mac)


def import_json(
    store: DonorStore,
    nom: Nomenclature,
    path: Path | str,
    *,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import a JSON list of donor objects (same keys as the CSV columns)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError("donor JSON must be a list of objects")
    records = (donor_record(nom, rec, mac) for rec in data)
    return import_records(store, nom, records, total=len(data), progress=progress, mac=mac)


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
    data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ValueError("Atlas donor file must be a JSON object with a 'donors' list")
    return import_atlas_donors(store, nom, data, chunk_size=chunk_size, progress=progress, mac=mac)
