"""Donor-search benchmark: synthetic registries of 1 M / 10 M / 30 M donors, search latency, load, memory.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_donor_search.py run --sizes 1M,10M,30M
    .venv/bin/python benchmarks/bench_donor_search.py run --sizes 1M --patients 20      # quick run

Registries are generated from an Atlas HF-set JSON (default ``../shared/data/atlas-samples/hf-set-301.json``
or ``$ENGRAFT_HF_SET``) into ``--root`` (default ``~/.cache/engraft/bench-registries``), never into the
repository, and reused when present. Each size is generated and searched in its own child process so
that VmRSS/VmHWM (read from ``/proc/self/status``) belong to the search alone. Per size it reports: load
time (open the store + build the per-locus dictionary indexes), and p50/p95 latency over ``--patients``
patients drawn from the same haplotype frequencies (high-resolution typed, DPB1 included) for 10/10
searches with 0, 1 and 2 mismatches allowed (top 100, no prediction) and for 2 mismatches with match
prediction for the top 1,000 donors, beside the same search without prediction (the peer, same process:
``ratio_p50``) and how the predictions came out (answered, unexplained with the reason, donor genotype
typed or imputed). The page cache is warm (the registry was just written or read).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from engraft.demo.donor_registry import DPB1_DISTRIBUTION, GeneratorConfig, generate_registry
from engraft.hla import Nomenclature, typings_from_gl
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.search import DonorSearch, SearchCriteria
from engraft.hla.search.donor_store import DonorStore
from engraft.io.haplotype_frequencies import load_atlas_hf_set

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def _status() -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def _paths(args: argparse.Namespace, n: int) -> tuple[Path, Path, Path]:
    imgt = Path(args.imgt_dir or os.environ.get("ENGRAFT_IMGT_DIR") or SHARED / "imgt-hla" / "3.58.0")
    hf = Path(args.hf or os.environ.get("ENGRAFT_HF_SET") or SHARED / "atlas-samples" / "hf-set-301.json")
    return imgt, hf, Path(args.root).expanduser() / f"registry-{n}"


def generate(args: argparse.Namespace) -> dict[str, object]:
    n = _size(args.size)
    imgt, hf_path, root = _paths(args, n)
    if (root / "manifest.json").exists() and len(DonorStore.open(root)) == n:
        return {"size": n, "generated": False}
    nom = Nomenclature.load(imgt)
    hf = load_atlas_hf_set(nom, hf_path)
    start = time.perf_counter()
    store = DonorStore.create(root, release=nom.release, overwrite=True)
    generate_registry(store, nom, hf, GeneratorConfig(n_donors=n, chunk_size=1_000_000, seed=2026))
    seconds = time.perf_counter() - start
    disk = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    return {"size": n, "generated": True, "seconds": round(seconds, 1), "disk_mib": disk // 2**20, **_status()}


def _patients(hf: HaplotypeFrequencySet, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    haps = rng.choice(hf.size, size=(count, 2), p=hf.frequencies)
    dp_names = [name for name, _ in DPB1_DISTRIBUTION]
    dp_p = np.array([p for _, p in DPB1_DISTRIBUTION])
    dps = rng.choice(len(dp_names), size=(count, 2), p=dp_p / dp_p.sum())
    out = []
    for (h1, h2), (d1, d2) in zip(haps.tolist(), dps.tolist(), strict=True):
        loci = [f"{hf.tokens[h1][j]}+{hf.tokens[h2][j]}" for j in range(len(hf.loci))]
        out.append("^".join([*loci, f"{dp_names[d1]}+{dp_names[d2]}"]))
    return out


def _pct(values: list[float]) -> dict[str, float]:
    arr = np.array(values)
    return {"p50": round(float(np.percentile(arr, 50)), 3), "p95": round(float(np.percentile(arr, 95)), 3)}


def search(args: argparse.Namespace) -> dict[str, object]:
    n = _size(args.size)
    imgt, hf_path, root = _paths(args, n)
    nom = Nomenclature.load(imgt)
    hf = load_atlas_hf_set(nom, hf_path)
    start = time.perf_counter()
    engine = DonorSearch(DonorStore.open(root), nom, hf=hf, use_phenotype_index=not args.scan)
    for locus in ("A", "B", "C", "DRB1", "DQB1", "DPB1"):
        engine.index(locus)
    live = len(engine.store)
    load = time.perf_counter() - start
    patients = [typings_from_gl(nom, gl) for gl in _patients(hf, args.patients, seed=7)]
    result: dict[str, object] = {"size": live, "scan": args.scan, "load_s": round(load, 2), "after_load": _status()}
    for k in (0, 1, 2):
        times, matching = [], []
        for p in patients:
            t0 = time.perf_counter()
            r = engine.search(p, SearchCriteria(max_mismatches=k, limit=100))
            times.append(time.perf_counter() - t0)
            matching.append(r.matching_donors)
        result[f"mm{k}"] = {**_pct(times), "median_matching_donors": int(np.median(matching))}
    times, plain, sources = [], [], Counter[str]()
    for p in patients[: args.predict_patients]:
        t0 = time.perf_counter()
        engine.search(p, SearchCriteria(max_mismatches=2, limit=args.predict_top))
        plain.append(time.perf_counter() - t0)  # the peer: the same search without prediction
        t0 = time.perf_counter()
        r = engine.search(p, SearchCriteria(max_mismatches=2, limit=args.predict_top, predict_top=args.predict_top))
        times.append(time.perf_counter() - t0)
        for d in r.donors:
            pr = d.prediction
            if pr is not None:
                sources["answered" if pr.p_mismatches is not None else f"unexplained:{pr.donor_unexplained}"] += 1
                sources[f"donor_{pr.donor_genotype.value}"] += 1
    result["mm2_predict_top"] = {
        **_pct(times),
        "top": args.predict_top,
        "patients": len(times),
        "without_prediction": _pct(plain),
        "ratio_p50": round(float(np.median(times)) / max(float(np.median(plain)), 1e-9), 2),
        "predictions": dict(sources),
    }
    result["memory_mib"] = _status()
    return result


def run(args: argparse.Namespace) -> None:
    common = ["--root", args.root, "--patients", str(args.patients), "--predict-top", str(args.predict_top)]
    common += ["--predict-patients", str(args.predict_patients), *(["--scan"] if args.scan else [])]
    for opt in ("imgt_dir", "hf"):
        if getattr(args, opt):
            common += [f"--{opt.replace('_', '-')}", getattr(args, opt)]
    for size in args.sizes.split(","):
        for phase in ("generate", "search"):
            cmd = [sys.executable, __file__, phase, "--size", size, *common]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            print(json.dumps({"phase": phase, **json.loads(out)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=["run", "generate", "search"])
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--size", default="1M")
    parser.add_argument("--root", default="~/.cache/engraft/bench-registries")
    parser.add_argument("--imgt-dir", default=None)
    parser.add_argument("--hf", default=None)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--predict-top", type=int, default=1000)
    parser.add_argument("--predict-patients", type=int, default=100)
    parser.add_argument("--scan", action="store_true", help="force the column scan (no phenotype index)")
    args = parser.parse_args()
    if args.phase == "run":
        run(args)
    else:
        print(json.dumps((generate if args.phase == "generate" else search)(args)))


if __name__ == "__main__":
    main()
