"""Columnar, memory-mapped donor registry store with incremental updates.

Layout (one directory)::

    manifest.json                  release, registries, segment list (replaced atomically)
    dictionary/<LOCUS>-<gen>.parquet  distinct locus typings: (first, second) token pairs; row 0 = untyped
                                   (the manifest names the current file of each locus)
    seg-000001/<column>.npy        one .npy per column, opened with ``mmap_mode="r"``
    seg-000001/dead-<gen>.npy      tombstoned row numbers of that segment (optional)

Why this shape: a registry of 30 M donors has only thousands of distinct locus typings, so each donor
stores one small int code per locus (uint16 while the dictionary fits) into a per-locus dictionary of
token pairs. Search then evaluates the patient against the dictionary (thousands of entries) and
gathers the per-entry result for every donor with one ``np.take`` per locus (or once per distinct
five-locus typing, :mod:`engraft.hla.search.phenotype_index`). This is the "pre-expanded typing" idea of
Atlas (P groups per donor, ADR Phase2/002) and of Hap-E Search 2.0 (pre-calculated donor genotypes;
Urban 2020), without Atlas's ~1 TB pGroup->donor table: a segment takes about 40 bytes per donor
(1.2 GB for 30 M synthetic donors, benchmarks/results-donor-search.md), memory-mapped so the OS page
cache holds it and several processes (Dask workers) share it.

Updates follow the log-structured pattern: a batch becomes a new immutable segment; a donor id that
already exists is tombstoned in its old segment (upsert); removal only writes tombstones;
:meth:`DonorStore.compact` rewrites live rows into fresh segments and prunes the dictionaries. Donor
ids are int64 (Atlas ``RecordId``). Codes in the dictionaries are names (tokens), never
release-specific nomenclature codes, so a store can be re-read under a later IPD-IMGT/HLA release. The
attribute columns ``donor_type``, ``sex``, ``cmv`` and ``abo`` hold uint8 codes of vocabulary values;
the manifest's ``attribute_codes`` records what each code means, and :meth:`DonorStore.open` refuses a
store whose codes disagree with :mod:`engraft.hla.search.store_codes`. ``ethnicity`` (uint16) indexes the
manifest's ``ethnicities`` (the donor's population code as its file gave it, which chooses the donor's
haplotype-frequency set, :mod:`engraft.hla.prediction.set_selection`); code 0 is the empty name, not
known. A segment written before the column existed reads as 0 throughout.
Every locus of :data:`~engraft.vocabulary.hla.STORED_LOCI` has a column (DRB3/4/5 and DQA1 since the
store kept every typed locus). A store written before (its manifest lists fewer loci) opens as it is:
the loci it lacks read as untyped (code 0) in its existing segments, and the next write records the full
list. A manifest naming a locus this version does not know is refused with the locus named.
Files are replaced atomically (write, then ``os.replace``; the manifest last), so readers never see a
half-written segment; there must be a single writer at a time (no cross-process lock is taken).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from engraft.hla.search.donor_batch import DonorBatch
from engraft.hla.search.locus_dictionary import LocusDictionary
from engraft.hla.search.phenotype_index import build_phenotype_index
from engraft.hla.search.store_codes import check_manifest_codes, manifest_codes
from engraft.vocabulary.hla import MATCH_LOCI, STORED_LOCI, Locus, parse_locus

FORMAT = "engraft-donor-store/1"
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "donor_id",
    "donor_type",
    "registry",
    "birth_year",
    "sex",
    "cmv",
    "abo",
    "tnc",
    "cd34",
    "ethnicity",
)
#: Attribute columns a segment written by an earlier version may lack, with the value they read as.
_LATER_COLUMNS: dict[str, tuple[type[np.generic], int]] = {"ethnicity": (np.uint16, 0)}
DEFAULT_SEGMENT_ROWS = 2_000_000

Progress = Callable[[int, int], None]


def hla_column(locus: Locus | str) -> str:
    return f"hla_{locus}"


@dataclass(frozen=True, slots=True)
class Segment:
    """One immutable segment: memory-mapped columns and the live-row mask (tombstones applied)."""

    name: str
    rows: int
    columns: dict[str, npt.NDArray[np.generic]]
    live: npt.NDArray[np.bool_]
    dead_file: str | None = None
    phenotypes: dict[str, npt.NDArray[np.generic]] | None = None  # see engraft.hla.search.phenotype_index

    def column(self, name: str) -> npt.NDArray[np.generic]:
        return self.columns[name]


def _code_dtype(size: int) -> np.dtype[np.uint16] | np.dtype[np.int32]:
    """uint16 codes while the dictionary fits (halves the bytes a search reads), else int32."""
    return np.dtype(np.uint16) if size <= np.iinfo(np.uint16).max else np.dtype(np.int32)


class DonorStore:
    """A donor registry on disk. Create with :meth:`create`, reopen with :meth:`open`."""

    def __init__(self, root: Path, manifest: dict[str, object], dictionaries: dict[Locus, LocusDictionary]) -> None:
        self.root = root
        self._manifest = manifest
        self.dictionaries = dictionaries
        self._segments: dict[str, Segment] = {}

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(cls, root: Path | str, *, release: str, overwrite: bool = False) -> DonorStore:
        path = Path(root)
        if path.exists() and any(path.iterdir()):
            if not overwrite:
                raise FileExistsError(f"{path} is not empty")
            shutil.rmtree(path)
        (path / "dictionary").mkdir(parents=True, exist_ok=True)
        manifest: dict[str, object] = {
            "format": FORMAT,
            "release": release,
            "loci": list(STORED_LOCI),
            "registries": [],
            "attribute_codes": manifest_codes(),
            "segments": [],
            "next_segment": 1,
            "generation": 0,
        }
        store = cls(path, manifest, {locus: LocusDictionary() for locus in STORED_LOCI})
        store._write_dictionaries()
        store._write_manifest()
        return store

    @classmethod
    def open(cls, root: Path | str) -> DonorStore:
        path = Path(root)
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"{path} is not a donor store ({manifest.get('format')!r})")
        check_manifest_codes(manifest.get("attribute_codes"), store=str(path))
        dictionaries: dict[Locus, LocusDictionary] = {}
        files: dict[str, str] = manifest.get("dictionaries") or {}
        for name in manifest["loci"]:
            try:
                locus = parse_locus(name)
            except ValueError as exc:
                raise ValueError(
                    f"{path}: the donor store holds locus {name!r}, which this version cannot read"
                ) from exc
            table = pq.read_table(path / "dictionary" / files.get(name, f"{name}.parquet"))
            pairs = list(zip(table.column("first").to_pylist(), table.column("second").to_pylist(), strict=True))
            dictionaries[locus] = LocusDictionary(pairs)
        for locus in STORED_LOCI:  # a store written before this locus was stored: all its donors untyped there
            dictionaries.setdefault(locus, LocusDictionary())
        return cls(path, manifest, dictionaries)

    @staticmethod
    def stored_generation(root: Path | str) -> int:
        """Generation of the store at ``root`` as its manifest says (reads the manifest only)."""
        manifest = json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
        return int(manifest["generation"])

    @property
    def release(self) -> str:
        return str(self._manifest["release"])

    @property
    def registries(self) -> tuple[str, ...]:
        return tuple(self._registry_list())

    @property
    def generation(self) -> int:
        return int(str(self._manifest["generation"]))

    @property
    def ethnicities(self) -> tuple[str, ...]:
        """Ethnicity names by code (code 0: ``""``, not known)."""
        return tuple(self._ethnicity_list())

    def ethnicity_name(self, code: int) -> str | None:
        """The ethnicity of a code, ``None`` when not known."""
        names = self._ethnicity_list()
        return names[code] or None if 0 <= code < len(names) else None

    def _ethnicity_list(self) -> list[str]:
        names = self._manifest.setdefault("ethnicities", [""])
        assert isinstance(names, list)
        return names

    def _registry_list(self) -> list[str]:
        regs = self._manifest["registries"]
        assert isinstance(regs, list)
        return regs

    def _segment_entries(self) -> list[dict[str, object]]:
        segs = self._manifest["segments"]
        assert isinstance(segs, list)
        return segs

    # ------------------------------------------------------------------ reading
    def segments(self) -> list[Segment]:
        out: list[Segment] = []
        for entry in self._segment_entries():
            name = str(entry["name"])
            dead = entry.get("dead")
            cached = self._segments.get(name)
            if cached is None or cached.dead_file != dead:
                cached = self._load_segment(name, int(str(entry["rows"])), dead if isinstance(dead, str) else None)
                self._segments[name] = cached
            out.append(cached)
        return out

    def _load_segment(self, name: str, rows: int, dead: str | None) -> Segment:
        seg_dir = self.root / name
        cols: dict[str, npt.NDArray[np.generic]] = {}
        for col in ATTRIBUTE_COLUMNS:
            file = seg_dir / f"{col}.npy"
            if col in _LATER_COLUMNS and not file.exists():  # written before the column existed
                dtype, value = _LATER_COLUMNS[col]
                cols[col] = np.full(rows, value, dtype=dtype)
                continue
            cols[col] = np.load(file, mmap_mode="r")
        for locus in STORED_LOCI:
            file = seg_dir / f"{hla_column(locus)}.npy"
            # a segment written before the locus was stored: every donor of it untyped there
            cols[hla_column(locus)] = np.load(file, mmap_mode="r") if file.exists() else np.zeros(rows, np.uint16)
        live = np.ones(rows, dtype=bool)
        if dead:
            live[np.load(seg_dir / dead)] = False
        pheno: dict[str, npt.NDArray[np.generic]] | None = None
        if (seg_dir / "pheno_order.npy").exists():
            keys = ("pheno_order", "pheno_offsets", *(f"pheno_{locus}" for locus in MATCH_LOCI))
            pheno = {k: np.load(seg_dir / f"{k}.npy", mmap_mode="r") for k in keys}
        return Segment(name, rows, cols, live, dead, pheno)

    def __len__(self) -> int:
        """Number of live donors."""
        return sum(int(seg.live.sum()) for seg in self.segments())

    def donor_ids(self) -> npt.NDArray[np.int64]:
        parts = [np.asarray(s.columns["donor_id"])[s.live] for s in self.segments()]
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)

    def typing_tokens(self, locus: Locus, code: int) -> tuple[str, str] | None:
        """Tokens of a dictionary entry (``None`` for untyped)."""
        return None if code == 0 else self.dictionaries[locus].pairs[code]

    # ------------------------------------------------------------------ writing
    def append(
        self,
        batch: DonorBatch,
        *,
        replace_existing: bool = True,
        segment_rows: int = DEFAULT_SEGMENT_ROWS,
        progress: Progress | None = None,
    ) -> tuple[int, int]:
        """Add a validated batch; existing donors with the same id are replaced (upsert).

        Returns ``(added, replaced)``. Within the batch the last row of a repeated id wins.
        ``replace_existing=False`` skips the id look-up (for freshly generated ids).
        """
        ids = np.asarray(batch.donor_id, dtype=np.int64)
        _, last = np.unique(ids[::-1], return_index=True)
        if last.size != ids.size:
            batch = batch.take(np.sort(ids.size - 1 - last))
            ids = batch.donor_id
        replaced = self._tombstone(ids) if replace_existing else 0
        registry_map = np.array([self._registry_code(n) for n in batch.registry_names] or [0], dtype=np.uint16)
        ethnicity_map = np.array([self._ethnicity_code(n) for n in batch.ethnicity_names] or [0], dtype=np.uint16)
        n_rows = len(batch)
        ethnicity = ethnicity_map[batch.ethnicity] if batch.ethnicity is not None else np.zeros(n_rows, dtype=np.uint16)
        codes = {
            locus: self.dictionaries[locus].encode(batch.hla[locus]) for locus in STORED_LOCI if locus in batch.hla
        }
        n = len(batch)
        for start in range(0, n, segment_rows):
            rows = np.arange(start, min(n, start + segment_rows))
            columns: dict[str, npt.NDArray[np.generic]] = {
                "donor_id": ids[rows],
                "donor_type": batch.donor_type[rows],
                "registry": registry_map[batch.registry[rows]],
                "birth_year": batch.birth_year[rows],
                "sex": batch.sex[rows],
                "cmv": batch.cmv[rows],
                "abo": batch.abo[rows],
                "tnc": batch.tnc[rows],
                "cd34": batch.cd34[rows],
                "ethnicity": ethnicity[rows],
            }
            for locus in STORED_LOCI:
                code = codes.get(locus)
                dtype = _code_dtype(len(self.dictionaries[locus]))
                columns[hla_column(locus)] = (
                    code[rows].astype(dtype) if code is not None else np.zeros(rows.size, dtype=dtype)
                )
            self._write_segment(columns)
            if progress is not None:
                progress(int(rows[-1]) + 1, n)
        self._write_dictionaries()
        self._commit()
        return n, replaced

    def remove(self, donor_ids: Sequence[int] | npt.NDArray[np.int64]) -> int:
        """Tombstone donors by id; returns how many live donors were removed."""
        count = self._tombstone(np.asarray(donor_ids, dtype=np.int64))
        self._commit()
        return count

    def compact(self, *, segment_rows: int = DEFAULT_SEGMENT_ROWS) -> None:
        """Rewrite live rows into new segments and drop dictionary entries no donor uses."""
        old = self.segments()
        remaps: dict[Locus, npt.NDArray[np.int64]] = {}
        for locus in STORED_LOCI:
            used = np.zeros(len(self.dictionaries[locus]), dtype=bool)
            used[0] = True
            for seg in old:
                used[np.unique(np.asarray(seg.columns[hla_column(locus)])[seg.live])] = True
            remap = np.cumsum(used) - 1
            self.dictionaries[locus] = LocusDictionary(
                [p for p, u in zip(self.dictionaries[locus].pairs, used, strict=True) if u]
            )
            remaps[locus] = remap
        buffers: list[dict[str, npt.NDArray[np.generic]]] = []
        buffered = 0
        old_names = [seg.name for seg in old]
        self._manifest["segments"] = []
        for seg in old:
            part = {c: np.asarray(a)[seg.live] for c, a in seg.columns.items()}
            for locus in STORED_LOCI:
                dtype = _code_dtype(len(self.dictionaries[locus]))
                part[hla_column(locus)] = remaps[locus][part[hla_column(locus)]].astype(dtype)
            buffers.append(part)
            buffered += int(seg.live.sum())
            while buffered >= segment_rows:
                merged = {c: np.concatenate([p[c] for p in buffers]) for c in buffers[0]}
                self._write_segment({c: a[:segment_rows] for c, a in merged.items()})
                buffers = [{c: a[segment_rows:] for c, a in merged.items()}]
                buffered -= segment_rows
        if buffered:
            self._write_segment({c: np.concatenate([p[c] for p in buffers]) for c in buffers[0]})
        self._write_dictionaries()
        self._commit()
        for name in old_names:
            self._segments.pop(name, None)
            shutil.rmtree(self.root / name, ignore_errors=True)

    # ------------------------------------------------------------------ internals
    def _registry_code(self, name: str) -> int:
        regs = self._registry_list()
        if name not in regs:
            regs.append(name)
        return regs.index(name)

    def _ethnicity_code(self, name: str) -> int:
        names = self._ethnicity_list()
        if name not in names:
            names.append(name)
        return names.index(name)

    def _tombstone(self, ids: npt.NDArray[np.int64]) -> int:
        if ids.size == 0:
            return 0
        count = 0
        self._manifest["generation"] = self.generation + 1
        for entry, seg in zip(self._segment_entries(), self.segments(), strict=True):
            hit = np.isin(np.asarray(seg.columns["donor_id"]), ids) & seg.live
            if not hit.any():
                continue
            count += int(hit.sum())
            dead = np.flatnonzero(~(seg.live & ~hit)).astype(np.int64)
            fname = f"dead-{self.generation:06d}.npy"
            np.save(self.root / seg.name / fname, dead)
            entry["dead"] = fname
        return count

    def _write_segment(self, columns: dict[str, npt.NDArray[np.generic]]) -> None:
        number = int(str(self._manifest["next_segment"]))
        name = f"seg-{number:06d}"
        tmp = self.root / f".{name}.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        pheno = build_phenotype_index([columns[hla_column(locus)] for locus in MATCH_LOCI])
        for col, arr in (*columns.items(), *pheno.items()):
            np.save(tmp / f"{col}.npy", np.ascontiguousarray(arr))
        os.replace(tmp, self.root / name)
        self._manifest["next_segment"] = number + 1
        rows = int(columns["donor_id"].shape[0])
        self._segment_entries().append({"name": name, "rows": rows, "dead": None})

    def _write_dictionaries(self) -> None:
        """Write each dictionary under a new, generation-stamped name; the manifest switches to it.

        Segments already on disk keep decoding against the files the current manifest names until the
        new manifest replaces it, so a crash in between (or a reader holding the old manifest) never
        pairs old codes with renumbered dictionaries.
        """
        stamp = self.generation + 1
        files: dict[str, str] = {}
        for locus, dictionary in self.dictionaries.items():
            first, second = zip(*dictionary.pairs, strict=True)
            table = pa.table({"first": pa.array(first, pa.string()), "second": pa.array(second, pa.string())})
            name = f"{locus}-{stamp:06d}.parquet"
            tmp = self.root / "dictionary" / f".{name}.tmp"
            pq.write_table(table, tmp)
            os.replace(tmp, self.root / "dictionary" / name)
            files[locus] = name
        self._manifest["dictionaries"] = files

    def _commit(self) -> None:
        self._manifest["generation"] = self.generation + 1
        self._manifest["loci"] = list(STORED_LOCI)  # an older store's dictionaries now cover every locus
        self._manifest["attribute_codes"] = manifest_codes()  # a store written before they were recorded gains them
        self._write_manifest()
        self._remove_unreferenced_dictionaries()

    def _remove_unreferenced_dictionaries(self) -> None:
        files = self._manifest.get("dictionaries")
        referenced = {str(v) for v in files.values()} if isinstance(files, dict) else set()
        if not referenced:
            return
        for path in (self.root / "dictionary").glob("*.parquet"):
            if path.name not in referenced:
                path.unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        tmp = self.root / ".manifest.json.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(self._manifest, indent=1))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / "manifest.json")


def iter_live_rows(store: DonorStore) -> Iterator[tuple[Segment, npt.NDArray[np.intp]]]:
    """Segments with the row numbers of their live donors."""
    for seg in store.segments():
        yield seg, np.flatnonzero(seg.live)
