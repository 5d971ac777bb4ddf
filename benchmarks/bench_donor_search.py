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
typed or imputed). The page cache is warm (the registry was just written or read). ``--earlier`` runs every
predicted patient also with the earlier donor path (each imputed donor's genotype list, capped at 2,000
genotypes, as before the aggregated prediction) in the same process, with the largest difference between
its probabilities and ours (what the cap changed); ``--peer-patients N`` predicts the first N patients also
from the donors' *uncapped* genotype lists with cold caches, the exact answer ours must give (asserted to
1e-12).
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
from engraft.hla import LocusTyping, Nomenclature, typings_from_gl
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.match_prediction import MatchPredictor
from engraft.hla.search import DonorSearch, SearchCriteria, SearchResult
from engraft.hla.search.donor_store import DonorStore
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from long_tail import long_tail  # benchmarks/ (the script's folder) is on sys.path

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
    name = f"registry-{n}" if not args.long_tail else f"registry-lt{args.long_tail}-mix{args.mixed}-{n}"
    return imgt, hf, Path(args.root).expanduser() / name


def _sets(
    args: argparse.Namespace, nom: Nomenclature, hf_path: Path
) -> tuple[HaplotypeFrequencySet, HaplotypeFrequencySet, int]:
    """The registry's HF set, the prediction set and how many haplotypes of the registry set are common
    (the Atlas sample; the rest is the tail). Without ``--long-tail``: the Atlas sample for all three."""
    sample = load_atlas_hf_set(nom, hf_path)
    if not args.long_tail:
        return sample, sample, sample.size
    total = sample.size + args.long_tail
    tail = long_tail(sample, max(total, args.predict_haplotypes), seed=2026)
    registry = tail.prefix(nom, total, name=f"registry set ({total} haplotypes)")
    if args.predict_haplotypes <= total:
        return registry, registry, sample.size
    predict = tail.prefix(nom, args.predict_haplotypes, name=f"prediction set ({args.predict_haplotypes} haplotypes)")
    return registry, predict, sample.size


def generate(args: argparse.Namespace) -> dict[str, object]:
    n = _size(args.size)
    imgt, hf_path, root = _paths(args, n)
    if (root / "manifest.json").exists() and len(DonorStore.open(root)) == n:
        return {"size": n, "generated": False}
    nom = Nomenclature.load(imgt)
    start = time.perf_counter()
    hf, _, _ = _sets(args, nom, hf_path)
    set_s = time.perf_counter() - start
    store = DonorStore.create(root, release=nom.release, overwrite=True)
    config = GeneratorConfig(n_donors=n, chunk_size=1_000_000, seed=2026, mixed_fraction=args.mixed)
    generate_registry(store, nom, hf, config)
    seconds = time.perf_counter() - start
    disk = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    groups = sum(int(seg.phenotypes["pheno_offsets"].shape[0]) - 1 for seg in store.segments() if seg.phenotypes)
    return {
        "size": n,
        "generated": True,
        "haplotypes": hf.size,
        "hf_set_s": round(set_s, 1),
        "seconds": round(seconds, 1),
        "disk_mib": disk // 2**20,
        "phenotype_groups": groups,
        "dictionary_sizes": {str(locus): len(d) for locus, d in store.dictionaries.items()},
        **_status(),
    }


def _patients(hf: HaplotypeFrequencySet, count: int, seed: int, rows: tuple[int, int] | None = None) -> list[str]:
    """GL strings of ``count`` patients, two haplotypes drawn with the set's frequencies among ``rows``
    (a half-open range of haplotypes; default all), G-group typed, plus two DPB1 alleles."""
    rng = np.random.default_rng(seed)
    low, high = rows or (0, hf.size)
    p = hf.frequencies[low:high] / hf.frequencies[low:high].sum()
    haps = low + rng.choice(high - low, size=(count, 2), p=p)
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


def _timed(
    engine: DonorSearch, patient: dict[str, LocusTyping], criteria: SearchCriteria
) -> tuple[float, float, SearchResult]:
    """Wall and CPU seconds of one search (CPU: this process only; the machine is shared)."""
    w0, c0 = time.perf_counter(), time.process_time()
    r = engine.search(patient, criteria)
    return time.perf_counter() - w0, time.process_time() - c0, r


def _differences(a: SearchResult, b: SearchResult) -> float | None:
    """The largest difference between two searches' probabilities (overall, > 2 and per locus), or None
    when they do not hold the same donors with answers in the same places."""
    if len(a.donors) != len(b.donors):
        return None
    largest = 0.0
    for x, y in zip(a.donors, b.donors, strict=True):
        p, q = x.prediction, y.prediction
        if x.donor_id != y.donor_id or (p is None) != (q is None):
            return None
        if p is None or q is None:
            continue
        if (p.p_mismatches is None) != (q.p_mismatches is None):
            return None
        if p.p_mismatches is None or q.p_mismatches is None or p.per_locus is None or q.per_locus is None:
            continue
        mine = [*p.p_mismatches, p.p_more or 0.0, *(v for locus in p.loci for v in p.per_locus[locus])]
        theirs = [*q.p_mismatches, q.p_more or 0.0, *(v for locus in q.loci for v in q.per_locus[locus])]
        largest = max(largest, max(abs(u - v) for u, v in zip(mine, theirs, strict=True)))
    return largest


def _searches(
    engine: DonorSearch,
    patients: list[dict[str, LocusTyping]],
    args: argparse.Namespace,
    peer: DonorSearch | None,
    earlier: MatchPredictor | None,
) -> dict[str, object]:
    result: dict[str, object] = {}
    for k in (0, 1, 2):
        times, cpu, matching = [], [], []
        for p in patients:
            wall, used, r = _timed(engine, p, SearchCriteria(max_mismatches=k, limit=100))
            times.append(wall)
            cpu.append(used)
            matching.append(r.matching_donors)
        result[f"mm{k}"] = {**_pct(times), "cpu": _pct(cpu), "median_matching_donors": int(np.median(matching))}
    times, cpu, plain, plain_cpu, sources = [], [], [], [], Counter[str]()
    earlier_times, earlier_cpu, cap_effect = [], [], []
    criteria = SearchCriteria(max_mismatches=2, limit=args.predict_top, predict_top=args.predict_top)
    ours_predictor = engine.predictor
    for p in patients[: args.predict_patients]:
        wall, used, _ = _timed(engine, p, SearchCriteria(max_mismatches=2, limit=args.predict_top))
        plain.append(wall)  # the peer: the same search without prediction
        plain_cpu.append(used)
        wall, used, r = _timed(engine, p, criteria)
        times.append(wall)
        cpu.append(used)
        for d in r.donors:
            pr = d.prediction
            if pr is not None:
                sources["answered" if pr.p_mismatches is not None else f"unexplained:{pr.donor_unexplained}"] += 1
                sources[f"donor_{pr.donor_genotype.value}"] += 1
        if earlier is not None:  # the earlier donor path (capped genotype lists), its own warm cache
            engine.predictor = earlier
            wall, used, r_earlier = _timed(engine, p, criteria)
            engine.predictor = ours_predictor
            earlier_times.append(wall)
            earlier_cpu.append(used)
            diff = _differences(r, r_earlier)
            assert diff is not None, "the earlier path must answer for the same donors"
            cap_effect.append(diff)
    result["mm2_predict_top"] = {
        **_pct(times),
        "cpu": _pct(cpu),
        "top": args.predict_top,
        "patients": len(times),
        "without_prediction": {**_pct(plain), "cpu": _pct(plain_cpu)},
        "ratio_p50": round(float(np.median(times)) / max(float(np.median(plain)), 1e-9), 2),
        "ratio_cpu_p50": round(float(np.median(cpu)) / max(float(np.median(plain_cpu)), 1e-9), 2),
        "predictions": dict(sources),
    }
    if earlier is not None:
        result["mm2_predict_top_earlier_capped_path"] = {
            **_pct(earlier_times),
            "cpu": _pct(earlier_cpu),
            "ratio_cpu_p50": round(float(np.median(earlier_cpu)) / max(float(np.median(cpu)), 1e-9), 2),
            "largest_probability_difference_from_ours": float(max(cap_effect)),
        }
    if peer is not None and args.peer_patients:
        # the uncapped genotype list (the exact answer the aggregation must give), cold caches
        ours, theirs, largest = [], [], 0.0
        for p in patients[: args.peer_patients]:
            for eng, out in ((engine, ours), (peer, theirs)):
                assert eng.predictor is not None
                eng.predictor.clear_cache()
                out.append(_timed(eng, p, criteria))
            diff = _differences(ours[-1][2], theirs[-1][2])
            assert diff is not None and diff <= 1e-12, f"the uncapped genotype list must agree (difference {diff})"
            largest = max(largest, diff)
        result["peer_uncapped_genotype_list_cold_cache"] = {
            "patients": len(ours),
            "ours": {**_pct([t[0] for t in ours]), "cpu": _pct([t[1] for t in ours])},
            "uncapped_list": {**_pct([t[0] for t in theirs]), "cpu": _pct([t[1] for t in theirs])},
            "largest_probability_difference": largest,
        }
    return result


def search(args: argparse.Namespace) -> dict[str, object]:
    n = _size(args.size)
    imgt, hf_path, root = _paths(args, n)
    nom = Nomenclature.load(imgt)
    t0 = time.perf_counter()
    hf, predict_hf, n_common = _sets(args, nom, hf_path)
    sets_s = time.perf_counter() - t0
    start = time.perf_counter()
    engine = DonorSearch(DonorStore.open(root), nom, hf=predict_hf, use_phenotype_index=not args.scan)
    peer = None
    if args.peer_patients:
        peer = DonorSearch(engine.store, nom, hf=predict_hf, use_phenotype_index=not args.scan)
        peer.predictor = MatchPredictor(predict_hf, aggregate=False, max_genotypes=None)
    for locus in ("A", "B", "C", "DRB1", "DQB1", "DPB1"):
        engine.index(locus)
    live = len(engine.store)
    load = time.perf_counter() - start
    result: dict[str, object] = {
        "size": live,
        "scan": args.scan,
        "registry_haplotypes": hf.size,
        "prediction_haplotypes": predict_hf.size,
        "hf_sets_s": round(sets_s, 1),
        "load_s": round(load, 2),
        "after_load": _status(),
    }
    groups: dict[str, tuple[int, int] | None] = {"all": None}
    if args.long_tail:  # common: both haplotypes from the Atlas sample; rare: both from the tail
        groups = {"common": (0, n_common), "rare": (n_common, hf.size)}
    for label, rows in groups.items():
        patients = [typings_from_gl(nom, gl) for gl in _patients(hf, args.patients, seed=7, rows=rows)]
        # the earlier donor path, per group its own cache (as a fresh process would have)
        earlier = MatchPredictor(predict_hf, aggregate=False) if args.earlier else None
        found = _searches(engine, patients, args, peer, earlier)
        if label == "all":
            result.update(found)
        else:
            result[label] = found
    result["memory_mib"] = _status()
    return result


def run(args: argparse.Namespace) -> None:
    common = ["--root", args.root, "--patients", str(args.patients), "--predict-top", str(args.predict_top)]
    common += ["--predict-patients", str(args.predict_patients), *(["--scan"] if args.scan else [])]
    common += ["--long-tail", str(args.long_tail), "--mixed", str(args.mixed)]
    common += ["--predict-haplotypes", str(args.predict_haplotypes), "--peer-patients", str(args.peer_patients)]
    common += ["--earlier"] if args.earlier else []
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
    parser.add_argument(
        "--peer-patients",
        type=int,
        default=0,
        help="patients also predicted from the donors' uncapped genotype lists (the exact answer, cold caches)",
    )
    parser.add_argument(
        "--earlier",
        action="store_true",
        help="every predicted patient also with the earlier donor path (capped genotype lists), same process",
    )
    parser.add_argument("--scan", action="store_true", help="force the column scan (no phenotype index)")
    parser.add_argument(
        "--long-tail", type=int, default=0, help="registry set: the Atlas sample plus this many tail haplotypes"
    )
    parser.add_argument("--mixed", type=float, default=0.0, help="share of donors typed at mixed resolution")
    parser.add_argument(
        "--predict-haplotypes", type=int, default=100_000, help="prediction set size (with --long-tail)"
    )
    args = parser.parse_args()
    if args.phase == "run":
        run(args)
    else:
        print(json.dumps((generate if args.phase == "generate" else search)(args)))


if __name__ == "__main__":
    main()
