"""Donor import from columns (a CSV read whole): the rules of :mod:`engraft.hla.search.donor_import`, vectorised.

A registry file of a million donors holds a few thousand distinct HLA tokens and a few dozen distinct
values per coded field, so every rule is applied once per *distinct value* and broadcast to the rows
with numpy gathers; only the donor id is read row by row (``int()``), and only rows with a problem are
visited to write the report. The outcome is the one the per-record path gives for the same rows:
rejected values (:class:`InvalidValue`), flagged unknown alleles (stored as ``NEW``), donors missing a
required locus, invalid typings (:func:`validate_batch`). Rows are parsed and validated in chunks (the
progress callback follows them); the valid donors of every chunk are then written with one
:meth:`DonorStore.append` (a single manifest commit: an error before it leaves the store as it was).

Columns are the CSV's: ``donor_id``, optional ``donor_type``, ``registry``, ``ethnicity`` (or ``ethn``),
``birth_year``, ``sex``, ``cmv``, ``abo``, ``tnc``, ``cd34`` and ``<LOCUS>_1``/``<LOCUS>_2`` (text, missing
columns read as empty) and ``gl``: a donor's GL String, which takes the place of its ``<LOCUS>_n`` columns
when not empty, read by :class:`GlReader` once per distinct locus block (:func:`read_gl`'s answer: stored
pairs, the tokens as written when the release refuses one, or an :class:`InvalidTyping` for locus ``GL``,
reported before the chunk's other invalid typings, as the per-record path reports it).

Records of a JSON file read into these columns (:mod:`engraft.hla.search.donor_record_columns`) arrive
with ``preset``: rows already rejected, by row, with their problems (an entry that is not an object, an
Atlas record whose id, change type or donor type cannot be read), and ``deletions`` (Atlas's ``D``
records), applied after the upserts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_batch import (
    REQUIRED_LOCI,
    UNTYPED,
    DonorBatch,
    InvalidTyping,
    LocusColumn,
    concat_batches,
    validate_batch,
)
from engraft.hla.search.donor_fields import (
    ABO_SYNONYMS,
    CMV_SYNONYMS,
    DONOR_KIND_SYNONYMS,
    MAX_DONOR_ID,
    SEX_SYNONYMS,
    InvalidValue,
    SynonymTable,
    read_birth_year,
    read_cell_count,
    read_donor_id,
)
from engraft.hla.search.donor_gl import GlReader
from engraft.hla.search.donor_import import DEFAULT_CHUNK, ImportReport
from engraft.hla.search.donor_store import DonorStore, Progress
from engraft.hla.search.donor_typings import FlaggedAllele, MissingLocus, UnknownAlleles
from engraft.hla.search.store_codes import ABO, CMV, DONOR_KIND, SEX
from engraft.vocabulary.hla import STORED_LOCI, Locus

T = TypeVar("T")
Column = Sequence[str] | npt.NDArray[np.object_]
TextColumns = Mapping[str, Column]


def _factorise(values: Column) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes per row and the distinct stripped texts (Arrow's hash encoding; missing values read as empty)."""
    arr = pc.fill_null(pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True), "")
    encoded = arr.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)
    return codes, [str(u).strip() for u in encoded.dictionary.to_pylist()]


def _read_column(
    n: int,
    column: Column | None,
    read: Callable[[str], T | InvalidValue],
    empty: T,
) -> tuple[list[T], npt.NDArray[np.intp], list[InvalidValue | None]]:
    """Per distinct value: the value read (``empty`` when the column is absent) or its problem."""
    if column is None:
        return [empty], np.zeros(n, dtype=np.intp), [None]
    codes, texts = _factorise(column)
    values: list[T] = []
    problems: list[InvalidValue | None] = []
    for text in texts:
        got = read(text)
        if isinstance(got, InvalidValue):
            values.append(empty)
            problems.append(got)
        else:
            values.append(got)
            problems.append(None)
    return values, codes, problems


def _donor_ids(column: Column) -> tuple[npt.NDArray[np.int64], dict[int, InvalidValue]]:
    ids = np.empty(len(column), dtype=np.int64)
    bad: dict[int, InvalidValue] = {}
    for i, raw in enumerate(column):
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= MAX_DONOR_ID:
            problem = read_donor_id(raw, "donor_id")
            assert isinstance(problem, InvalidValue)
            bad[i] = problem
            value = -1
        ids[i] = value
    return ids, bad


@dataclass(frozen=True, slots=True)
class _Part:
    """One chunk of rows: its valid donors and what its report says."""

    batch: DonorBatch
    invalid: tuple[InvalidTyping, ...]
    invalid_values: list[InvalidValue]
    flagged: tuple[FlaggedAllele, ...]
    missing: list[MissingLocus]


def import_columns(
    store: DonorStore,
    nom: Nomenclature,
    columns: TextColumns,
    *,
    mac: MacDictionary | None = None,
    progress: Progress | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    preset: Mapping[int, Sequence[InvalidValue]] | None = None,
    deletions: Sequence[int] = (),
    total: int | None = None,
) -> ImportReport:
    """Validate the donors of a columnar file chunk by chunk, then upsert them in one write (module docstring).

    ``total`` is what ``progress`` counts towards (the file's records; default: the rows).
    """
    n = len(columns["donor_id"])
    unknown = UnknownAlleles(typing_builder(nom), mac)
    gl = GlReader(nom, mac)
    parts: list[_Part] = []
    step = max(chunk_size, 1)
    for start in range(0, n, step):
        chunk = {name: column[start : start + step] for name, column in columns.items()}
        rejected = {row - start: list(p) for row, p in (preset or {}).items() if start <= row < start + step}
        parts.append(_chunk(nom, chunk, unknown, gl, rejected))
        if progress is not None:
            progress(min(n, start + step), total if total is not None else n)
    batches = [p.batch for p in parts if len(p.batch)]
    stored = replaced = removed = 0
    if batches:
        stored, replaced = store.append(concat_batches(batches))
    if len(deletions):
        removed = store.remove(np.asarray(deletions, dtype=np.int64))
    return ImportReport(
        n,
        stored,
        replaced,
        removed,
        tuple(t for p in parts for t in p.invalid),
        tuple(v for p in parts for v in p.invalid_values),
        tuple(f for p in parts for f in p.flagged),
        tuple(m for p in parts for m in p.missing),
    )


def _chunk(
    nom: Nomenclature,
    columns: TextColumns,
    unknown: UnknownAlleles,
    gl: GlReader,
    preset: dict[int, list[InvalidValue]],
) -> _Part:
    n = len(columns["donor_id"])
    ids, bad_ids = _donor_ids(columns["donor_id"])
    rejected = np.zeros(n, dtype=bool)
    row_problems: dict[int, list[InvalidValue]] = {row: [problem] for row, problem in bad_ids.items()}
    row_problems.update(preset)  # a record rejected as it was read reports that alone
    rejected[list(row_problems)] = True

    def coded(table: SynonymTable[T], name: str) -> tuple[list[T], npt.NDArray[np.intp]]:
        values, codes, problems = _read_column(n, columns.get(name), lambda t: table.read(0, name, t), table.empty)
        _note(problems, codes, name)
        return values, codes

    def _note(problems: list[InvalidValue | None], codes: npt.NDArray[np.intp], name: str) -> None:
        bad_values = np.array([p is not None for p in problems], dtype=bool)
        for row in np.flatnonzero(bad_values[codes] & ~rejected_ids).tolist():
            problem = problems[int(codes[row])]
            assert problem is not None
            row_problems.setdefault(row, []).append(replace(problem, donor_id=int(ids[row])))

    rejected_ids = rejected.copy()  # a record whose id cannot be read reports that alone
    kind, kind_codes = coded(DONOR_KIND_SYNONYMS, "donor_type")
    birth, birth_codes, birth_problems = _read_column(
        n, columns.get("birth_year"), lambda t: read_birth_year(0, "birth_year", t), 0
    )
    _note(birth_problems, birth_codes, "birth_year")
    sex, sex_codes = coded(SEX_SYNONYMS, "sex")
    cmv, cmv_codes = coded(CMV_SYNONYMS, "cmv")
    abo, abo_codes = coded(ABO_SYNONYMS, "abo")
    cells: dict[str, npt.NDArray[np.float32]] = {}
    for name, unit in (("tnc", "10^7 cells"), ("cd34", "10^6 cells")):
        values, codes, problems = _read_column(n, columns.get(name), _cell_reader(name, unit), math.nan)
        _note(problems, codes, name)
        cells[name] = np.asarray(values, dtype=np.float32)[codes]
    columns, gl_invalid = _gl_columns(columns, ids, rejected_ids, gl)
    invalid_values = [problem for row in sorted(row_problems) for problem in row_problems[row]]
    rejected[list(row_problems)] = True
    rejected[[row for row, _ in gl_invalid]] = True

    registry_codes, registries = _factorise(columns.get("registry", [""] * n))
    ethnicity_codes, ethnicities = _factorise(_ethnicity(columns, n))

    hla, flagged = _hla_columns(columns, ids, rejected, unknown)
    missing_rows = np.zeros(n, dtype=bool)
    absent_by_locus = {}
    for locus in REQUIRED_LOCI:
        col = hla[locus]
        absent = (col.first == UNTYPED) & (col.second == UNTYPED) & ~rejected
        absent_by_locus[locus] = absent
        missing_rows |= absent
    missing = [
        MissingLocus(int(ids[row]), tuple(locus for locus in REQUIRED_LOCI if absent_by_locus[locus][row]))
        for row in np.flatnonzero(missing_rows).tolist()
    ]
    good = np.flatnonzero(~rejected & ~missing_rows)
    batch = (
        DonorBatch(
            donor_id=ids,
            donor_type=DONOR_KIND.encode(kind)[kind_codes],
            registry=registry_codes.astype(np.uint16),
            registry_names=tuple(registries),
            birth_year=np.asarray(birth, dtype=np.int16)[birth_codes],
            sex=SEX.encode(sex)[sex_codes],
            cmv=CMV.encode(cmv)[cmv_codes],
            abo=ABO.encode(abo)[abo_codes],
            tnc=cells["tnc"],
            cd34=cells["cd34"],
            hla=hla,
            ethnicity=ethnicity_codes.astype(np.uint16),
            ethnicity_names=tuple(ethnicities),
        )
        .take(good)
        .compacted()
    )  # names and tokens of the kept rows only, as the per-record batch has them
    invalid = tuple(typing for _, typing in gl_invalid)
    if len(batch):
        batch, refused = validate_batch(nom, batch, mac=gl.mac)
        invalid += refused
    return _Part(batch, invalid, invalid_values, flagged, missing)


def _gl_columns(
    columns: TextColumns, ids: npt.NDArray[np.int64], rejected_ids: npt.NDArray[np.bool_], gl: GlReader
) -> tuple[TextColumns, list[tuple[int, InvalidTyping]]]:
    """The ``<LOCUS>_n`` columns with each non-empty ``gl`` read in their place, and the GL Strings refused."""
    column = columns.get("gl")
    if column is None:
        return columns, []
    codes, texts = _factorise(column)
    readings = [gl.read(text) if text else None for text in texts]
    has_gl = np.array([r is not None for r in readings], dtype=bool)[codes]
    refused = np.array([r is not None and r.pairs is None for r in readings], dtype=bool)[codes]
    invalid = []
    for row in np.flatnonzero(refused & ~rejected_ids).tolist():
        reading = readings[int(codes[row])]
        assert reading is not None
        invalid.append((row, InvalidTyping(int(ids[row]), "GL", reading.token, reading.reason)))
    if not has_gl.any():
        return columns, invalid
    n = len(codes)
    out = dict(columns)
    for locus in STORED_LOCI:
        for pos in (0, 1):
            from_gl = np.array(
                [
                    "" if r is None or r.pairs is None else (r.pairs.get(locus, (None, None))[pos] or "")
                    for r in readings
                ],
                dtype=object,
            )[codes]
            name = f"{locus}_{pos + 1}"
            own = columns.get(name)
            written = np.asarray(own, dtype=object) if own is not None else np.full(n, "", dtype=object)
            out[name] = np.where(has_gl, from_gl, written)
    return out, invalid


def _cell_reader(name: str, unit: str) -> Callable[[str], float | InvalidValue]:
    def read(text: str) -> float | InvalidValue:
        return read_cell_count(0, name, text, unit)

    return read


def _ethnicity(columns: TextColumns, n: int) -> Column:
    """``ethnicity``, else Atlas's spelling ``ethn`` (row by row when a file has both columns)."""
    main, atlas = columns.get("ethnicity"), columns.get("ethn")
    if main is None:
        return atlas if atlas is not None else [""] * n
    if atlas is None:
        return main
    return [a if str(a).strip() else b for a, b in zip(main, atlas, strict=True)]


def _hla_columns(
    columns: TextColumns,
    ids: npt.NDArray[np.int64],
    rejected: npt.NDArray[np.bool_],
    unknown: UnknownAlleles,
) -> tuple[dict[Locus, LocusColumn], tuple[FlaggedAllele, ...]]:
    """Per locus a :class:`LocusColumn` (unknown allele names replaced by ``NEW``) and the flags, row order."""
    n = int(ids.shape[0])
    out: dict[Locus, LocusColumn] = {}
    flags: list[tuple[int, int, int, FlaggedAllele]] = []
    for li, locus in enumerate(STORED_LOCI):
        first, second = columns.get(f"{locus}_1"), columns.get(f"{locus}_2")
        if first is None and second is None:
            out[locus] = LocusColumn((), np.full(n, UNTYPED, np.int32), np.full(n, UNTYPED, np.int32))
            continue
        both = np.concatenate([np.asarray(c if c is not None else [""] * n, dtype=object) for c in (first, second)])
        codes, texts = _factorise(both)
        stored_texts = list(texts)
        replaced = np.zeros(len(texts), dtype=bool)
        reasons: list[str] = [""] * len(texts)
        for k, text in enumerate(texts):
            if text:
                hit = unknown.replacement(locus, text)
                if hit is not None:
                    stored_texts[k], reasons[k] = hit
                    replaced[k] = True
        empty = np.array([not t for t in texts], dtype=bool)
        per_row = codes.reshape(2, n)
        for pos in (0, 1):
            for row in np.flatnonzero(replaced[per_row[pos]] & ~rejected).tolist():
                k = int(per_row[pos][row])
                flag = FlaggedAllele(int(ids[row]), locus, texts[k], stored_texts[k], reasons[k])
                flags.append((row, li, pos, flag))
        # a position left empty while the other is typed reads as homozygous (LocusDictionary.encode)
        index = np.where(empty[codes], UNTYPED, codes).astype(np.int32).reshape(2, n)
        out[locus] = LocusColumn(tuple(stored_texts), index[0], index[1])
    flags.sort(key=lambda f: f[:3])
    return out, tuple(f[3] for f in flags)
