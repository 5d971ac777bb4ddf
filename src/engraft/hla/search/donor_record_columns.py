"""Parsed JSON donor records (ours or an Atlas donor-import file's) as the text columns of a columnar import.

:func:`engraft.hla.search.donor_columns.import_columns` applies the import's rules once per distinct
value; this module only moves each record's fields into columns, as the per-record path
(:func:`~engraft.hla.search.donor_import.donor_record`, :func:`~engraft.hla.search.donor_import.atlas_donor_record`)
reads them, so both paths store and report the same:

* every value is read as that path reads it, as trimmed text (``None``: empty);
* our records: the CSV column names; a non-empty ``gl`` stays a column (the columnar import reads it),
  else a nested ``hla`` object (``{"A": ["A*01:01", "A*02:01"], ...}``) gives the ``<LOCUS>_n`` columns
  and the flat ones of that record are not read; an entry that is not an object is a rejected row;
* Atlas records: ``RecordId``, ``ChangeType`` and ``DonorType`` read (case-insensitive keys, as Atlas)
  with the per-record path's own functions, a problem making the row a rejected one; ``D`` records are
  deletions and not rows; ``donPool`` is the registry, ``ethn`` the ethnicity, ``Hla`` the typings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engraft.hla.search.donor_fields import ATLAS_DONOR_TYPES, InvalidValue, not_a_record
from engraft.hla.search.donor_import import (
    AtlasRecordChange,
    RejectedRecord,
    atlas_change,
    atlas_field,
    atlas_locus,
)
from engraft.hla.search.donor_typings import stored_locus
from engraft.vocabulary import DonorKind
from engraft.vocabulary.hla import STORED_LOCI

# the fields of our donor records that the import reads (donor_import's module docstring)
RECORD_FIELDS = frozenset(
    {"donor_id", "donor_type", "registry", "ethnicity", "ethn", "birth_year", "sex", "cmv", "abo", "tnc", "cd34", "gl"}
    | {f"{locus}_{k}" for locus in STORED_LOCI for k in (1, 2)}
)
_LOCUS_FIELDS = tuple((f"{locus}_1", f"{locus}_2") for locus in STORED_LOCI)
_FLAT_HLA = frozenset(name for pair in _LOCUS_FIELDS for name in pair)
_KIND_TEXT = {DonorKind.ADULT: "adult", DonorKind.CORD: "cord"}  # read back by DONOR_KIND_SYNONYMS


@dataclass(slots=True)
class RecordColumns:
    """Records as text columns, the rows rejected as read, Atlas deletions, and how many records there were."""

    columns: dict[str, list[str]]
    preset: dict[int, tuple[InvalidValue, ...]] = field(default_factory=dict)
    deletions: list[int] = field(default_factory=list)
    records: int = 0

    @property
    def rows(self) -> int:
        return len(self.columns["donor_id"])


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


class _Builder:
    def __init__(self, n: int) -> None:
        self.n = n
        self.columns: dict[str, list[str]] = {"donor_id": [""] * n}
        self.preset: dict[int, tuple[InvalidValue, ...]] = {}

    def put(self, name: str, row: int, value: str) -> None:
        if value:
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = [""] * self.n
            column[row] = value


def record_columns(records: Sequence[object]) -> RecordColumns:
    """Our JSON donor list as columns (module docstring)."""
    out = _Builder(len(records))
    for row, record in enumerate(records):
        if not isinstance(record, Mapping):
            out.preset[row] = (not_a_record(record),)
            continue
        nested = record.get("hla")
        from_nested = isinstance(nested, Mapping) and not _text(record.get("gl"))
        for name, value in record.items():
            if name in RECORD_FIELDS and not (from_nested and name in _FLAT_HLA):
                out.put(name, row, _text(value))
        if from_nested:
            assert isinstance(nested, Mapping)
            pairs: dict[str, tuple[str, str]] = {}  # a later spelling of a locus replaces an earlier one
            for key, pair in nested.items():
                if isinstance(pair, list | tuple) and pair and (locus := stored_locus(str(key))) is not None:
                    pairs[locus] = (_text(pair[0]), _text(pair[1] if len(pair) > 1 else None))
            for name, (first, second) in pairs.items():
                out.put(f"{name}_1", row, first)
                out.put(f"{name}_2", row, second)
    return RecordColumns(out.columns, out.preset, [], len(records))


def atlas_columns(donors: Sequence[object]) -> RecordColumns:
    """An Atlas donor-import file's ``donors`` as columns (module docstring); ``D`` records are deletions."""
    changes = [atlas_change(d) for d in donors]
    upserts = [c for c in changes if isinstance(c, RejectedRecord) or c.change == "upsert"]
    out = _Builder(len(upserts))
    deletions = [c.donor_id for c in changes if isinstance(c, AtlasRecordChange) and c.change == "delete"]
    kinds: dict[str, DonorKind] = {}
    for row, change in enumerate(upserts):
        if isinstance(change, RejectedRecord):
            out.preset[row] = tuple(p for p in change.problems if isinstance(p, InvalidValue))
            continue
        record, donor_id = change.record, change.donor_id
        raw_kind = atlas_field(record, "DonorType")
        kind = kinds.get(raw_kind) if isinstance(raw_kind, str) else None
        if kind is None:
            read = ATLAS_DONOR_TYPES.read(donor_id, "DonorType", raw_kind)
            if isinstance(read, InvalidValue):
                out.preset[row] = (read,)
                continue
            kind = read
            if isinstance(raw_kind, str):
                kinds[raw_kind] = kind
        out.columns["donor_id"][row] = str(donor_id)
        out.put("donor_type", row, _KIND_TEXT[kind])
        out.put("registry", row, _text(atlas_field(record, "donPool")))
        out.put("ethnicity", row, _text(atlas_field(record, "ethn")))
        hla = atlas_field(record, "Hla")
        if not isinstance(hla, Mapping):
            continue
        lowered: dict[str, object] | None = None
        for locus, (first_name, second_name) in zip(STORED_LOCI, _LOCUS_FIELDS, strict=True):
            if locus in hla:
                value = hla[locus]
            else:  # Atlas reads keys in any case; the first spelling found wins, as _ci finds it
                if lowered is None:
                    lowered = {}
                    for key, item in hla.items():
                        lowered.setdefault(str(key).lower(), item)
                value = lowered.get(locus.lower())
            first, second = _dna_fields(locus, value) or atlas_locus(locus, value)
            out.put(first_name, row, first or "")
            out.put(second_name, row, second or "")
    return RecordColumns(out.columns, out.preset, deletions, len(donors))


def _dna_fields(locus: str, value: object) -> tuple[str | None, str | None] | None:
    """:func:`atlas_locus` for the usual shape (``{"Dna": {"Field1": text, "Field2": text}}``, keys as
    written by Atlas, at least one field not empty), else ``None`` for :func:`atlas_locus` to read."""
    if type(value) is not dict:
        return None
    dna = value.get("Dna")
    if type(dna) is not dict or "Field1" not in dna or "Field2" not in dna:
        return None
    one, two = dna["Field1"], dna["Field2"]
    if not (type(one) is str or one is None) or not (type(two) is str or two is None) or not (one or two):
        return None
    first, second = (one or "").strip(), (two or "").strip()
    return (f"{locus}{first}" if first.startswith("*") else first or None), (
        f"{locus}{second}" if second.startswith("*") else second or None
    )
