"""Donor import into a :class:`DonorStore` from already-parsed donor records (ours or Atlas's).

Reading the files (CSV, JSON, Atlas donor-import JSON) is :mod:`engraft.io.donor_files`; this module
maps each parsed record to a :class:`DonorRecord`, validates the typings against the release and
appends them to the store.

Atlas format (``Schemas/DonorUpdateFileSchema.json``; Atlas README_DonorImport.md): ``{updateMode,
donors: [{RecordId, ChangeType, DonorType, donPool, ethn, Hla: {A: {Dna: {Field1, Field2}, ser: {Field1,
Field2}}, ...}}]}``. ``Dna`` fields are written without the locus (``"*03:112"``); ``ser`` fields are
antigen numbers. Keys are matched case-insensitively (``recordId``/``RecordId``, as Newtonsoft.Json
does). ``ChangeType`` ``D`` deletes (applied after the file's upserts), ``N``, ``U`` and ``NU`` upsert;
``DonorType`` ``D`` is an adult donor, ``C`` a cord unit, anything else (including ``B``, banked, which
Atlas does not support either) is reported. ``RecordId`` must be an integer (it may be given as a
string; leading zeros are not kept). Atlas donor files carry no age, sex, CMV or ABO, so these are
stored as unknown.

CSV / JSON format (ours): one row/object per donor with ``donor_id`` (integer), optional
``donor_type`` (``adult``/``cord``), ``registry``, ``birth_year``, ``sex`` (M/F), ``cmv`` (pos/neg),
``abo`` (O/A/B/AB), ``tnc`` (x1e7), ``cd34`` (x1e6), and the typing either as a ``gl`` GL String or as
``A_1``, ``A_2``, ... ``DPB1_2`` columns (JSON also accepts ``hla: {"A": ["A*01:01", "A*02:01"]}``).

Every rejected donor is reported with donor id, locus, token and reason (:class:`InvalidTyping`);
imports run in chunks with a ``progress(done, total)`` callback, so library code never prints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.serology import LOCUS_TO_SEROLOGY_PREFIX
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_batch import (
    Abo,
    Cmv,
    DonorBatch,
    DonorType,
    InvalidTyping,
    LocusColumn,
    Sex,
    validate_batch,
)
from engraft.hla.search.donor_store import DonorStore, Progress
from engraft.vocabulary.hla import STORED_LOCI, Locus, parse_locus

DEFAULT_CHUNK = 100_000

_SEX = {"m": Sex.MALE, "male": Sex.MALE, "f": Sex.FEMALE, "female": Sex.FEMALE}
_CMV = {"pos": Cmv.POSITIVE, "positive": Cmv.POSITIVE, "+": Cmv.POSITIVE, "1": Cmv.POSITIVE}
_CMV.update({"neg": Cmv.NEGATIVE, "negative": Cmv.NEGATIVE, "-": Cmv.NEGATIVE, "0": Cmv.NEGATIVE})
_ABO = {"o": Abo.O, "a": Abo.A, "b": Abo.B, "ab": Abo.AB}


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of one import: counts and every rejected typing."""

    read: int
    stored: int
    replaced: int
    removed: int
    invalid: tuple[InvalidTyping, ...]

    @property
    def rejected_donors(self) -> int:
        return len({i.donor_id for i in self.invalid})


@dataclass(slots=True)
class DonorRecord:
    """One donor as read from a file, before validation (HLA as token pairs per locus)."""

    donor_id: int
    donor_type: int = DonorType.ADULT
    registry: str = ""
    birth_year: int = 0
    sex: int = Sex.UNKNOWN
    cmv: int = Cmv.UNKNOWN
    abo: int = Abo.UNKNOWN
    tnc: float = math.nan
    cd34: float = math.nan
    hla: dict[Locus, tuple[str | None, str | None]] | None = None


def records_to_batch(rows: list[DonorRecord]) -> DonorBatch:
    registries: dict[str, int] = {}
    reg = np.array([registries.setdefault(r.registry, len(registries)) for r in rows], dtype=np.uint16)
    hla = {
        locus: LocusColumn.from_pairs([(r.hla or {}).get(locus, (None, None)) for r in rows]) for locus in STORED_LOCI
    }
    return DonorBatch(
        donor_id=np.array([r.donor_id for r in rows], dtype=np.int64),
        donor_type=np.array([r.donor_type for r in rows], dtype=np.uint8),
        registry=reg,
        registry_names=tuple(registries),
        birth_year=np.array([r.birth_year for r in rows], dtype=np.int16),
        sex=np.array([r.sex for r in rows], dtype=np.uint8),
        cmv=np.array([r.cmv for r in rows], dtype=np.uint8),
        abo=np.array([r.abo for r in rows], dtype=np.uint8),
        tnc=np.array([r.tnc for r in rows], dtype=np.float32),
        cd34=np.array([r.cd34 for r in rows], dtype=np.float32),
        hla=hla,
    )


def _chunks(items: Iterable[DonorRecord | InvalidTyping], size: int) -> Iterator[list[DonorRecord | InvalidTyping]]:
    chunk: list[DonorRecord | InvalidTyping] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_records(
    store: DonorStore,
    nom: Nomenclature,
    rows: Iterable[DonorRecord | InvalidTyping],
    *,
    deletions: Iterable[int] = (),
    total: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Validate and upsert donor records chunk by chunk (records that failed to parse arrive as InvalidTyping)."""
    invalid: list[InvalidTyping] = []
    read = stored = replaced = 0
    for chunk in _chunks(rows, chunk_size):
        good = [r for r in chunk if isinstance(r, DonorRecord)]
        invalid.extend(r for r in chunk if isinstance(r, InvalidTyping))
        read += len(chunk)
        if good:
            valid, report = validate_batch(nom, records_to_batch(good), mac=mac)
            invalid.extend(report)
            if len(valid):
                added, rep = store.append(valid)
                stored += added
                replaced += rep
        if progress is not None:
            progress(read, total if total is not None else read)
    removed = store.remove(np.fromiter(deletions, dtype=np.int64))
    return ImportReport(read, stored, replaced, removed, tuple(invalid))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _attributes(row: DonorRecord, record: Mapping[str, object]) -> None:
    dtype = _text(record.get("donor_type")).lower()
    row.donor_type = DonorType.CORD if dtype in ("cord", "c", "cbu") else DonorType.ADULT
    row.registry = _text(record.get("registry"))
    year = _text(record.get("birth_year"))
    row.birth_year = int(year) if year else 0
    row.sex = _SEX.get(_text(record.get("sex")).lower(), Sex.UNKNOWN)
    row.cmv = _CMV.get(_text(record.get("cmv")).lower(), Cmv.UNKNOWN)
    row.abo = _ABO.get(_text(record.get("abo")).lower().rstrip("+-"), Abo.UNKNOWN)
    tnc, cd34 = _text(record.get("tnc")), _text(record.get("cd34"))
    row.tnc = float(tnc) if tnc else math.nan
    row.cd34 = float(cd34) if cd34 else math.nan


def donor_record(
    nom: Nomenclature, record: Mapping[str, object], mac: MacDictionary | None = None
) -> DonorRecord | InvalidTyping:
    """A record of our CSV/JSON format (see the module docstring), or the reason it cannot be read."""
    raw_id = _text(record.get("donor_id"))
    try:
        row = DonorRecord(int(raw_id))
    except ValueError:
        return InvalidTyping(-1, "", raw_id, "donor_id is not an integer")
    try:
        _attributes(row, record)
    except ValueError as exc:
        return InvalidTyping(row.donor_id, "", "", f"bad attribute: {exc}")
    hla: dict[Locus, tuple[str | None, str | None]] = {}
    gl = _text(record.get("gl"))
    nested = record.get("hla")
    if gl:
        try:
            typings = typings_from_gl(nom, gl, mac=mac)
        except HlaNomenclatureError as exc:
            return InvalidTyping(row.donor_id, "GL", exc.token, exc.detail or str(exc))
        for name, t in typings.items():
            if (locus := _stored_locus(name)) is not None:  # other loci (DRB3, DQA1 ...) are not stored
                hla[locus] = (t.positions[0].token, t.positions[1].token)
    elif isinstance(nested, Mapping):
        for name, pair in nested.items():
            if isinstance(pair, list | tuple) and pair and (locus := _stored_locus(str(name))) is not None:
                second = pair[1] if len(pair) > 1 else None
                hla[locus] = (_text(pair[0]) or None, _text(second) or None)
    else:
        for locus in STORED_LOCI:
            a, b = _text(record.get(f"{locus}_1")), _text(record.get(f"{locus}_2"))
            if a or b:
                hla[locus] = (a or None, b or None)
    row.hla = hla
    return row


def _ci(record: object, key: str) -> object:
    """Case-insensitive key lookup: Atlas (Newtonsoft.Json) accepts ``RecordId`` and ``recordId`` alike."""
    if not isinstance(record, Mapping):
        return None
    if key in record:
        return record[key]
    lower = key.lower()
    return next((v for k, v in record.items() if str(k).lower() == lower), None)


def _atlas_locus(locus: Locus, value: object) -> tuple[str | None, str | None]:
    dna = _ci(value, "Dna")
    if isinstance(dna, Mapping) and (_ci(dna, "Field1") or _ci(dna, "Field2")):
        first, second = (_text(_ci(dna, k)) for k in ("Field1", "Field2"))
        return (f"{locus}{first}" if first.startswith("*") else first or None), (
            f"{locus}{second}" if second.startswith("*") else second or None
        )
    ser = _ci(value, "Ser")
    if isinstance(ser, Mapping):
        prefix = LOCUS_TO_SEROLOGY_PREFIX[locus]
        first, second = (_text(_ci(ser, k)) for k in ("Field1", "Field2"))
        return (f"{prefix}{first}" if first else None), (f"{prefix}{second}" if second else None)
    return (None, None)


def _atlas_id(record: Mapping[str, object]) -> int | None:
    try:
        return int(_text(_ci(record, "RecordId")))
    except ValueError:
        return None


def atlas_donor_record(record: Mapping[str, object]) -> DonorRecord | InvalidTyping:
    """A donor of an Atlas donor-import file (upserts only: deletions are taken by :func:`import_atlas_donors`)."""
    donor_id = _atlas_id(record)
    if donor_id is None:
        return InvalidTyping(-1, "", _text(_ci(record, "RecordId")), "RecordId is not an integer")
    kind = _text(_ci(record, "DonorType")).upper()
    if kind not in ("D", "C"):
        # Atlas ImportDonorType: D adult, C cord; B (banked) is in the schema but unsupported, as here
        return InvalidTyping(donor_id, "", kind, "DonorType must be D (adult) or C (cord)")
    row = DonorRecord(donor_id, donor_type=DonorType.CORD if kind == "C" else DonorType.ADULT)
    row.registry = _text(_ci(record, "donPool"))
    hla = _ci(record, "Hla")
    if isinstance(hla, Mapping):
        row.hla = {locus: _atlas_locus(locus, _ci(hla, locus)) for locus in STORED_LOCI}
    return row


def import_atlas_donors(
    store: DonorStore,
    nom: Nomenclature,
    data: Mapping[str, object],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Import a parsed Atlas donor-import file (``ChangeType`` ``D`` deletes); MAC typings need ``mac``."""
    donors = data.get("donors")
    if not isinstance(donors, list):
        raise ValueError("Atlas donor file has no 'donors' list")
    deleted = [_text(_ci(d, "ChangeType")).upper() == "D" for d in donors]
    deletions = [i for d, gone in zip(donors, deleted, strict=True) if gone and (i := _atlas_id(d)) is not None]
    upserts = (atlas_donor_record(d) for d, gone in zip(donors, deleted, strict=True) if not gone)
    return import_records(
        store,
        nom,
        upserts,
        deletions=deletions,
        total=len(donors),
        chunk_size=chunk_size,
        progress=progress,
        mac=mac,
    )


def _stored_locus(name: str) -> Locus | None:
    try:
        locus = parse_locus(name)
    except ValueError:
        return None
    return locus if locus in STORED_LOCI else None
