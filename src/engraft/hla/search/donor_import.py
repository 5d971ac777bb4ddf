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
string; leading zeros are not kept). An unknown ``ChangeType`` is reported, not taken as an upsert.
Atlas donor files carry no age, sex, CMV or ABO, so these are stored as unknown; ``donPool`` is stored
as the registry and ``ethn`` as the ethnicity.

CSV / JSON format (ours): one row/object per donor with ``donor_id`` (integer), optional
``donor_type`` (adult donor or cord unit), ``registry``, ``ethnicity`` (or Atlas's ``ethn``: the
population code that chooses the donor's haplotype-frequency set), ``birth_year``, ``sex``, ``cmv``, ``abo``,
``tnc`` (x1e7), ``cd34`` (x1e6), and the typing either as a ``gl`` GL String or as ``A_1``, ``A_2``,
... ``DPB1_2`` columns (JSON also accepts ``hla: {"A": ["A*01:01", "A*02:01"]}``). The spellings each
coded field accepts are the synonym tables of :mod:`engraft.hla.search.donor_fields`.

Typings old registry records hold are imported as they are: serological antigens (``A2``, Atlas
``ser`` fields), XX codes, MACs (with a MAC list), ``NEW`` placeholders (``A*NEW``).

An allele name the release does not know (a newer allele, a deleted one without successor, a typo in
the fields) does not cost the donor: the position is stored as the locus's ``NEW`` placeholder (a
mismatch against every named allele, WMDA's rule for ``NEW``; inside an allele list the other items
keep the position searchable) and reported as a :class:`FlaggedAllele` (donor id, locus, token as
written, what was stored). A donor without a typing at a required locus (A, B, DRB1, as Atlas) is not
stored; it is counted and listed in :attr:`ImportReport.missing_required`.

A donor is rejected, reported and not stored when a typing is otherwise invalid (:class:`InvalidTyping`:
donor id, locus, token, reason: a malformed token, a wrong locus, an unknown MAC or antigen) or a field
holds a value it does not accept (:class:`InvalidValue`: donor id, field, value, what the field accepts;
every such field of the donor is reported); the rest of the file is imported, as Atlas does. Imports
run in chunks with a ``progress(done, total)`` callback, so library code never prints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.serology import LOCUS_TO_SEROLOGY_PREFIX
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_batch import REQUIRED_LOCI, DonorBatch, InvalidTyping, LocusColumn, validate_batch
from engraft.hla.search.donor_fields import (
    ABO_SYNONYMS,
    ATLAS_CHANGE_TYPES,
    ATLAS_DONOR_TYPES,
    CMV_SYNONYMS,
    DONOR_KIND_SYNONYMS,
    SEX_SYNONYMS,
    AtlasChange,
    InvalidValue,
    SynonymTable,
    not_a_record,
    read_birth_year,
    read_cell_count,
    read_donor_id,
)
from engraft.hla.search.donor_gl import read_gl
from engraft.hla.search.donor_store import DonorStore, Progress
from engraft.hla.search.donor_typings import FlaggedAllele, MissingLocus, UnknownAlleles, stored_locus
from engraft.hla.search.store_codes import ABO, CMV, DONOR_KIND, SEX
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex
from engraft.vocabulary.hla import STORED_LOCI, Locus

DEFAULT_CHUNK = 100_000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of one import: counts, rejected typings and values, flagged alleles, donors missing a locus."""

    read: int
    stored: int
    replaced: int
    removed: int
    invalid: tuple[InvalidTyping, ...]
    invalid_values: tuple[InvalidValue, ...] = ()
    flagged: tuple[FlaggedAllele, ...] = ()
    missing_required: tuple[MissingLocus, ...] = ()

    @property
    def rejected_donors(self) -> int:
        """Donors not stored (a record whose id could not be read counts once per record)."""
        ids = (
            [t.donor_id for t in self.invalid]
            + [v.donor_id for v in self.invalid_values]
            + [m.donor_id for m in self.missing_required]
        )
        return len({i for i in ids if i >= 0}) + sum(1 for i in ids if i < 0)

    @property
    def flagged_donors(self) -> int:
        """Donors stored with at least one allele the release does not know."""
        return len({f.donor_id for f in self.flagged})


@dataclass(slots=True)
class DonorRecord:
    """One donor as read from a file, before validation (HLA as token pairs per locus)."""

    donor_id: int
    donor_type: DonorKind = DonorKind.ADULT
    registry: str = ""
    birth_year: int = 0  # 0: unknown
    sex: Sex = Sex.UNKNOWN
    cmv: Serostatus = Serostatus.UNKNOWN
    abo: AboGroup | None = None  # None: unknown
    tnc: float = math.nan
    cd34: float = math.nan
    hla: dict[Locus, tuple[str | None, str | None]] | None = None
    ethnicity: str = ""  # "": not known


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A donor record that cannot be imported, with every problem found in it."""

    problems: tuple[InvalidTyping | InvalidValue, ...]


ParsedRecord = DonorRecord | RejectedRecord


def records_to_batch(rows: list[DonorRecord]) -> DonorBatch:
    """The records as store columns (vocabulary values become the store's codes)."""
    registries: dict[str, int] = {}
    reg = np.array([registries.setdefault(r.registry, len(registries)) for r in rows], dtype=np.uint16)
    ethnicities: dict[str, int] = {}
    eth = np.array([ethnicities.setdefault(r.ethnicity, len(ethnicities)) for r in rows], dtype=np.uint16)
    hla = {
        locus: LocusColumn.from_pairs([(r.hla or {}).get(locus, (None, None)) for r in rows]) for locus in STORED_LOCI
    }
    return DonorBatch(
        donor_id=np.array([r.donor_id for r in rows], dtype=np.int64),
        donor_type=DONOR_KIND.encode(r.donor_type for r in rows),
        registry=reg,
        registry_names=tuple(registries),
        birth_year=np.array([r.birth_year for r in rows], dtype=np.int16),
        sex=SEX.encode(r.sex for r in rows),
        cmv=CMV.encode(r.cmv for r in rows),
        abo=ABO.encode(r.abo for r in rows),
        tnc=np.array([r.tnc for r in rows], dtype=np.float32),
        cd34=np.array([r.cd34 for r in rows], dtype=np.float32),
        hla=hla,
        ethnicity=eth,
        ethnicity_names=tuple(ethnicities),
    )


def _chunks(items: Iterable[ParsedRecord], size: int) -> Iterator[list[ParsedRecord]]:
    chunk: list[ParsedRecord] = []
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
    rows: Iterable[ParsedRecord],
    *,
    deletions: Iterable[int] = (),
    total: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    mac: MacDictionary | None = None,
) -> ImportReport:
    """Validate and upsert donor records chunk by chunk (records that failed to parse arrive rejected)."""
    invalid: list[InvalidTyping] = []
    invalid_values: list[InvalidValue] = []
    flagged: list[FlaggedAllele] = []
    missing: list[MissingLocus] = []
    unknown = UnknownAlleles(typing_builder(nom), mac)
    read = stored = replaced = 0
    for chunk in _chunks(rows, chunk_size):
        good = []
        for r in chunk:
            if not isinstance(r, DonorRecord):
                continue
            unknown.flag(r.donor_id, r.hla, flagged)
            absent = tuple(locus for locus in REQUIRED_LOCI if not any((r.hla or {}).get(locus, (None, None))))
            if absent:
                missing.append(MissingLocus(r.donor_id, absent))
            else:
                good.append(r)
        for rejected in (r for r in chunk if isinstance(r, RejectedRecord)):
            invalid.extend(p for p in rejected.problems if isinstance(p, InvalidTyping))
            invalid_values.extend(p for p in rejected.problems if isinstance(p, InvalidValue))
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
    return ImportReport(
        read, stored, replaced, removed, tuple(invalid), tuple(invalid_values), tuple(flagged), tuple(missing)
    )


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _accepted(value: T | InvalidValue, problems: list[InvalidValue], placeholder: T) -> T:
    """``value`` if the field accepted it; else the problem is noted (the record will be rejected)."""
    if isinstance(value, InvalidValue):
        problems.append(value)
        return placeholder
    return value


def _attributes(donor_id: int, record: Mapping[str, object]) -> tuple[DonorRecord, list[InvalidValue]]:
    """The record's non-HLA fields read into the vocabulary, and every field whose value is not accepted."""
    bad: list[InvalidValue] = []

    def coded(table: SynonymTable[T], name: str) -> T:
        return _accepted(table.read(donor_id, name, record.get(name)), bad, table.empty)

    def cells(name: str, unit: str) -> float:
        return _accepted(read_cell_count(donor_id, name, record.get(name), unit), bad, math.nan)

    row = DonorRecord(
        donor_id,
        donor_type=coded(DONOR_KIND_SYNONYMS, "donor_type"),
        registry=_text(record.get("registry")),
        ethnicity=_text(record.get("ethnicity")) or _text(record.get("ethn")),
        birth_year=_accepted(read_birth_year(donor_id, "birth_year", record.get("birth_year")), bad, 0),
        sex=coded(SEX_SYNONYMS, "sex"),
        cmv=coded(CMV_SYNONYMS, "cmv"),
        abo=coded(ABO_SYNONYMS, "abo"),
        tnc=cells("tnc", "10^7 cells"),
        cd34=cells("cd34", "10^6 cells"),
    )
    return row, bad


def donor_record(nom: Nomenclature, record: object, mac: MacDictionary | None = None) -> ParsedRecord:
    """A record of our CSV/JSON format (see the module docstring), or every reason it cannot be imported."""
    if not isinstance(record, Mapping):
        return RejectedRecord((not_a_record(record),))
    donor_id = read_donor_id(record.get("donor_id"), "donor_id")
    if isinstance(donor_id, InvalidValue):
        return RejectedRecord((donor_id,))
    row, bad_values = _attributes(donor_id, record)
    problems: list[InvalidTyping | InvalidValue] = [*bad_values]
    hla: dict[Locus, tuple[str | None, str | None]] = {}
    gl = _text(record.get("gl"))
    nested = record.get("hla")
    if gl:
        reading = read_gl(nom, gl, mac)
        if reading.pairs is None:
            problems.append(InvalidTyping(row.donor_id, "GL", reading.token, reading.reason))
        else:
            hla.update(reading.pairs)
    elif isinstance(nested, Mapping):
        for name, pair in nested.items():
            if isinstance(pair, list | tuple) and pair and (locus := stored_locus(str(name))) is not None:
                second = pair[1] if len(pair) > 1 else None
                hla[locus] = (_text(pair[0]) or None, _text(second) or None)
    else:
        for locus in STORED_LOCI:
            a, b = _text(record.get(f"{locus}_1")), _text(record.get(f"{locus}_2"))
            if a or b:
                hla[locus] = (a or None, b or None)
    if problems:
        return RejectedRecord(tuple(problems))
    row.hla = hla
    return row


def atlas_field(record: object, key: str) -> object:
    """Case-insensitive key lookup: Atlas (Newtonsoft.Json) accepts ``RecordId`` and ``recordId`` alike."""
    if not isinstance(record, Mapping):
        return None
    if key in record:
        return record[key]
    lower = key.lower()
    return next((v for k, v in record.items() if str(k).lower() == lower), None)


def atlas_locus(locus: Locus, value: object) -> tuple[str | None, str | None]:
    dna = atlas_field(value, "Dna")
    if isinstance(dna, Mapping) and (atlas_field(dna, "Field1") or atlas_field(dna, "Field2")):
        first, second = (_text(atlas_field(dna, k)) for k in ("Field1", "Field2"))
        return (f"{locus}{first}" if first.startswith("*") else first or None), (
            f"{locus}{second}" if second.startswith("*") else second or None
        )
    ser = atlas_field(value, "Ser")
    if isinstance(ser, Mapping):
        prefix = LOCUS_TO_SEROLOGY_PREFIX[locus]
        first, second = (_text(atlas_field(ser, k)) for k in ("Field1", "Field2"))
        return (f"{prefix}{first}" if first else None), (f"{prefix}{second}" if second else None)
    return (None, None)


@dataclass(frozen=True, slots=True)
class AtlasRecordChange:
    donor_id: int
    change: AtlasChange
    record: Mapping[str, object]


def atlas_change(record: object) -> AtlasRecordChange | RejectedRecord:
    """The donor id and the change an Atlas donor record asks for, or why it cannot be applied."""
    if not isinstance(record, Mapping):
        return RejectedRecord((not_a_record(record),))
    donor_id = read_donor_id(atlas_field(record, "RecordId"), "RecordId")
    if isinstance(donor_id, InvalidValue):
        return RejectedRecord((donor_id,))
    change = ATLAS_CHANGE_TYPES.read(donor_id, "ChangeType", atlas_field(record, "ChangeType"))
    if isinstance(change, InvalidValue):
        return RejectedRecord((change,))
    return AtlasRecordChange(donor_id, change, record)


def _atlas_upserts(changes: Iterable[AtlasRecordChange | RejectedRecord]) -> Iterator[ParsedRecord]:
    for change in changes:
        if isinstance(change, RejectedRecord):
            yield change
        elif change.change == "upsert":
            yield atlas_donor_record(change.donor_id, change.record)


def atlas_donor_record(donor_id: int, record: Mapping[str, object]) -> ParsedRecord:
    """A donor of an Atlas donor-import file to upsert (``DonorType`` ``D`` adult donor, ``C`` cord unit)."""
    kind = ATLAS_DONOR_TYPES.read(donor_id, "DonorType", atlas_field(record, "DonorType"))
    if isinstance(kind, InvalidValue):
        return RejectedRecord((kind,))
    row = DonorRecord(
        donor_id,
        donor_type=kind,
        registry=_text(atlas_field(record, "donPool")),
        ethnicity=_text(atlas_field(record, "ethn")),
    )
    hla = atlas_field(record, "Hla")
    if isinstance(hla, Mapping):
        row.hla = {locus: atlas_locus(locus, atlas_field(hla, locus)) for locus in STORED_LOCI}
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
    """Import a parsed Atlas donor-import file (``ChangeType`` ``D`` deletes); MAC typings need ``mac``.

    Deletions are applied after the file's upserts; a record whose id or change type cannot be read is
    reported and neither upserted nor deleted.
    """
    donors = data.get("donors")
    if not isinstance(donors, list):
        raise ValueError("Atlas donor file has no 'donors' list")
    changes = [atlas_change(d) for d in donors]
    deletions = [c.donor_id for c in changes if isinstance(c, AtlasRecordChange) and c.change == "delete"]
    return import_records(
        store,
        nom,
        _atlas_upserts(changes),
        deletions=deletions,
        total=len(donors),
        chunk_size=chunk_size,
        progress=progress,
        mac=mac,
    )
