"""Donor import benchmark: 1 M synthetic donors from a donor file into a new donor store (issue 13: < 60 s).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_donor_import.py --donors 1M
    .venv/bin/python benchmarks/bench_donor_import.py --donors 100K        # quick run
    .venv/bin/python benchmarks/bench_donor_import.py --donors 1M --format gl --per-record

``--format``: ``csv`` (one column per position, the default), ``gl`` (a CSV whose typings are one GL
String per donor, ``A*01:01+A*02:01^B*...``, half the donors' DRB1 written as a ``|`` genotype list of
their genotype and the one of the neighbouring haplotypes of the set, as a typing kit's ambiguity repeats
for every donor of the same typing), ``json`` (our JSON list, the CSV's keys) or ``atlas`` (an Atlas
donor-import JSON file, ``Dna`` fields, ``ser`` null), all with the same donors.

The CSV is written to ``--root`` (default ``/tmp/engraft-bench-import``, never the repository) from the
Atlas 301-haplotype set (``../shared/data/atlas-samples/hf-set-301.json`` or ``$ENGRAFT_HF_SET``) with a
fixed seed: each donor two haplotypes drawn by frequency, every position written as its G group
(``A*01:01:01G``) or as the 2-field name of its first allele (``A*01:01``), DPB1 from the demo
distribution, a registry, an ethnicity, birth year, sex, CMV and ABO. Timed (wall and process CPU):

* **import**: what ``engraft donors import FILE`` does: read and check the file, parse every donor,
  validate every typing against the release, write the store (fresh store each run);
* **peer** (same process, same file): ``pandas.read_csv`` of every column as text plus the minimal parse
  a store needs (per HLA column a ``pandas.factorize`` into codes, the donor id as int64), no validation;
* with ``--per-record``, also the per-record path the import took before (one ``donor_record`` or
  ``atlas_donor_record`` per donor, ``import_records`` in chunks of 100,000), which gives the same store
  and report (tests/io/test_donor_import_paths.py); ``ratio_per_record_to_import`` is old / new.

It prints one JSON object (figures, ratio import/peer, load average before and after).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engraft.demo.donor_registry import DPB1_DISTRIBUTION
from engraft.hla import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import import_donor_file, read_donor_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
HF_LOCI = ("a", "b", "c", "drb1", "dqb1")
LOCI = ("A", "B", "C", "DRB1", "DQB1")
SEED = 20261204


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_donors(path: Path, n: int, hf_path: Path, file_format: str = "csv") -> None:
    """``n`` donors drawn from the HF set (fixed seed) as a donor file of ``file_format``."""
    data = json.loads(hf_path.read_text(encoding="utf-8"))
    rows = data["frequencies"]
    freq = np.array([r["frequency"] for r in rows], dtype=float)
    freq /= freq.sum()
    rng = np.random.default_rng(SEED)
    hap = rng.choice(len(rows), size=(n, 2), p=freq)
    short = rng.random((n, len(LOCI), 2)) < 0.5  # half the positions written at 2-field resolution
    dpb1_names = [name for name, _ in DPB1_DISTRIBUTION]
    dpb1_p = np.array([p for _, p in DPB1_DISTRIBUTION], dtype=float)
    dpb1 = rng.choice(len(dpb1_names), size=(n, 2), p=dpb1_p / dpb1_p.sum())
    registry = rng.choice(["R1", "R2", "R3"], size=n)
    ethnicity = rng.choice(["EUR", "AFA", "API", ""], size=n)
    birth = rng.integers(1960, 2006, size=n)
    sex = rng.choice(["M", "F"], size=n)
    cmv = rng.choice(["pos", "neg", ""], size=n)
    abo = rng.choice(["O", "A", "B", "AB", ""], size=n)
    tokens = {}
    for li, (hl, locus) in enumerate(zip(HF_LOCI, LOCI, strict=True)):
        g = [f"{locus}*{r[hl]}" for r in rows]
        two = [f"{locus}*{':'.join(r[hl].rstrip('G').split(':')[:2])}" for r in rows]
        tokens[locus] = (np.array(g), np.array(two), li)
    header = ["donor_id", "registry", "ethnicity", "birth_year", "sex", "cmv", "abo"]
    header += [f"{locus}_{k}" for locus in (*LOCI, "DPB1") for k in (1, 2)]
    columns: list[np.ndarray] = [  # type: ignore[type-arg]
        np.arange(1, n + 1).astype(str),
        registry,
        ethnicity,
        birth.astype(str),
        sex,
        cmv,
        abo,
    ]
    for locus in LOCI:
        g, two, li = tokens[locus]
        for k in (0, 1):
            columns.append(np.where(short[:, li, k], two[hap[:, k]], g[hap[:, k]]))
    names = np.array(dpb1_names)
    columns += [names[dpb1[:, 0]], names[dpb1[:, 1]]]
    if file_format != "csv":
        g, two, li = tokens["DRB1"]
        near = (hap + 1) % len(rows)  # the neighbouring haplotypes of the set, written as the donor's are
        drb1_other = tuple(np.where(short[:, li, k], two[near[:, k]], g[near[:, k]]) for k in (0, 1))
        _write_other(path, file_format, header, columns, rng, (drb1_other[0], drb1_other[1]))
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        step = 100_000
        for start in range(0, n, step):
            writer.writerows(zip(*(c[start : start + step] for c in columns), strict=True))


def _write_other(
    path: Path, file_format: str, header: list[str], columns: list[Any], rng: Any, drb1_other: tuple[Any, Any]
) -> None:
    """The donors of the CSV columns as a GL-String CSV, our JSON list or an Atlas donor-import file."""
    n = len(columns[0])
    fields = header[:7]
    loci = [*LOCI, "DPB1"]
    typed = [(columns[7 + 2 * i], columns[8 + 2 * i]) for i in range(len(loci))]
    if file_format == "gl":
        listed = rng.random(n) < 0.5  # DRB1 as a '|' genotype list of its genotype and its neighbours'
        d1, d2 = drb1_other
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([*fields, "gl"])
            for row in range(n):
                parts = [f"{a[row]}+{b[row]}" for a, b in typed]
                if listed[row] and f"{d1[row]}+{d2[row]}" != parts[LOCI.index("DRB1")]:
                    parts[LOCI.index("DRB1")] += f"|{d1[row]}+{d2[row]}"
                writer.writerow([*(c[row] for c in columns[:7]), "^".join(parts)])
        return
    with path.open("w", encoding="utf-8") as fh:
        if file_format == "json":
            fh.write("[")
            for row in range(n):
                record = {name: str(c[row]) for name, c in zip(fields, columns[:7], strict=True)}
                for locus, (a, b) in zip(loci, typed, strict=True):
                    record[f"{locus}_1"], record[f"{locus}_2"] = str(a[row]), str(b[row])
                fh.write(("," if row else "") + json.dumps(record))
            fh.write("]")
            return
        fh.write('{"updateMode": "full", "donors": [')
        for row in range(n):
            hla = {
                locus: {"Dna": {"Field1": str(a[row])[len(locus) :], "Field2": str(b[row])[len(locus) :]}, "ser": None}
                for locus, (a, b) in zip(loci, typed, strict=True)
            }
            record = {
                "RecordId": int(columns[0][row]),
                "ChangeType": "N",
                "DonorType": "D",
                "donPool": str(columns[1][row]),
                "ethn": str(columns[2][row]),
                "Hla": hla,
            }
            fh.write(("," if row else "") + json.dumps(record))
        fh.write("]}")


def peer(path: Path) -> int:
    if path.suffix == ".json":  # the peer of a JSON file: json.loads, ids as int64
        data = json.loads(path.read_text(encoding="utf-8"))
        records = data["donors"] if isinstance(data, dict) else data
        key = "RecordId" if isinstance(data, dict) else "donor_id"
        return int(np.array([int(r[key]) for r in records], dtype=np.int64).size)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "gl" in frame.columns:  # the peer of a GL-String CSV: split each String into its loci
        parts = frame["gl"].str.split("^", expand=True)
        for column in parts.columns:
            pd.factorize(parts[column])
        return int(frame["donor_id"].astype(np.int64).to_numpy().size)
    ids = frame["donor_id"].astype(np.int64).to_numpy()
    for column in frame.columns:
        if "_" in column and column.split("_")[0] in (*LOCI, "DPB1"):
            pd.factorize(frame[column])
    return int(ids.size)


def _timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--donors", default="1M")
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "engraft-bench-import")
    parser.add_argument("--hf-set", type=Path, default=None)
    parser.add_argument("--imgt-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--per-record", action="store_true", help="also time the per-record path (same process)")
    parser.add_argument(
        "--path",
        choices=["columnar", "per-record"],
        default="columnar",
        help="the path timed as 'import' (run each in its own process for a cold-cache comparison)",
    )
    parser.add_argument("--format", choices=["csv", "gl", "json", "atlas"], default="csv")
    args = parser.parse_args()
    n = _size(args.donors)
    hf = args.hf_set or Path(os.environ.get("ENGRAFT_HF_SET") or SHARED / "atlas-samples" / "hf-set-301.json")
    imgt = args.imgt_dir or Path(os.environ.get("ENGRAFT_IMGT_DIR") or SHARED / "imgt-hla" / "3.58.0")
    args.root.mkdir(parents=True, exist_ok=True)
    suffix = {"csv": "csv", "gl": "gl.csv", "json": "json", "atlas": "atlas.json"}[args.format]
    source = args.root / f"donors-{n}.{suffix}"
    if not source.exists():
        write_donors(source, n, hf, args.format)
    nom = Nomenclature.load(imgt)
    load_before = _load()
    results = []
    store_dir = args.root / "store"

    def run() -> int:
        store = DonorStore.create(store_dir, release=nom.release)
        report = import_donor_file(store, nom, read_donor_file(source), per_record=args.path == "per-record")
        assert report.stored == n, (report.stored, report.invalid[:3], report.invalid_values[:3])
        return report.stored

    for _ in range(args.repeat):
        shutil.rmtree(store_dir, ignore_errors=True)

        _, p_wall, p_cpu = _timed(lambda: peer(source))
        stored, wall, cpu = _timed(run)
        results.append({"import_s": wall, "import_cpu_s": cpu, "peer_s": p_wall, "peer_cpu_s": p_cpu})
    best = min(results, key=lambda r: r["import_s"])
    if args.per_record:
        shutil.rmtree(store_dir, ignore_errors=True)

        def per_record() -> int:
            store = DonorStore.create(store_dir, release=nom.release)
            report = import_donor_file(store, nom, read_donor_file(source), per_record=True)
            assert report.stored == n
            return report.stored

        _, r_wall, r_cpu = _timed(per_record)
        best = {**best, "per_record_s": r_wall, "per_record_cpu_s": r_cpu}
    print(
        json.dumps(
            {
                "donors": n,
                "format": args.format,
                "path": args.path,
                "stored": stored,
                "csv_bytes": source.stat().st_size,
                **{k: round(v, 2) for k, v in best.items()},
                "ratio_import_to_peer": round(best["import_s"] / best["peer_s"], 2),
                **(
                    {"ratio_per_record_to_import": round(best["per_record_s"] / best["import_s"], 2)}
                    if "per_record_s" in best
                    else {}
                ),
                "target_s": 60,
                "met": best["import_s"] < 60,
                "runs": len(results),
                "load_before": load_before,
                "load_after": _load(),
                "cpus": os.cpu_count(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
