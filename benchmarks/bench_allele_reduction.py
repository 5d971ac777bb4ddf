"""Batch reduction of allele names to G groups: engraft's BatchReducer vs py-ard in the same run.

Target (HLA issue): at least 1 M typings per second. A "typing" here is one full allele name in, its G
group name out. py-ard (PyPI ``py-ard``, install with ``pip install -e '.[bench]'``) is run offline on the
same IPD-IMGT/HLA release through a temporary ``file://`` layout of symbolic links (nothing is copied);
its per-call cache is disabled so repeated names are not free. Usage:

    python benchmarks/bench_allele_reduction.py [--imgt-dir DIR] [--n 1000000] [--pyard-n 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from engraft.hla.nomenclature import BatchReducer, Nomenclature

LOCI = ("A*", "B*", "C*", "DRB1*", "DQB1*")


def pyard_layout(imgt_dir: Path, root: Path) -> Path:
    """``root/Latest/...`` as py-ard expects it, made of links to the release files."""
    latest = root / "Latest"
    (latest / "wmda").mkdir(parents=True)
    (latest / "release_version.txt").symlink_to(imgt_dir / "release_version.txt")
    (latest / "Allelelist.txt").symlink_to(imgt_dir / "Allelelist.txt")
    for name in ("hla_nom.txt", "hla_nom_g.txt", "hla_nom_p.txt", "rel_dna_ser.txt", "rel_ser_ser.txt"):
        (latest / "wmda" / name).symlink_to(imgt_dir / "wmda" / name)
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--imgt-dir", type=Path, default=Path(os.environ.get("ENGRAFT_IMGT_DIR", "../shared/data/imgt-hla/3.58.0"))
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--pyard-n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}; {dt.date.today()}"
    )

    t0 = time.perf_counter()
    nom = Nomenclature.load(args.imgt_dir)
    reducer = BatchReducer(nom)
    print(f"engraft: release {nom.release} loaded in {time.perf_counter() - t0:.1f} s (not counted)")
    pool = np.array([a for a in nom.allele_names if a.startswith(LOCI)])
    names = np.random.default_rng(args.seed).choice(pool, size=args.n)

    start = time.perf_counter()
    codes = reducer.encode(names)
    encoded = time.perf_counter()
    g_codes = reducer.reduce(codes, "g")
    reduced = time.perf_counter()
    g_names = reducer.decode(g_codes, "g")
    decoded = time.perf_counter()
    total = decoded - start
    print(
        f"engraft BatchReducer, {args.n:,} names -> G group names: encode {encoded - start:.3f} s, "
        f"reduce {reduced - encoded:.4f} s, decode {decoded - reduced:.3f} s; "
        f"total {total:.3f} s = {args.n / total:,.0f} typings/s "
        f"(codes only, encode+reduce: {args.n / (reduced - start):,.0f}/s)"
    )

    try:
        import pyard
    except ImportError:
        print("py-ard not installed: pip install -e '.[bench]' to compare")
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["IMGT_HLA_URL"] = f"file://{pyard_layout(args.imgt_dir.resolve(), Path(tmp) / 'imgt')}/"
        os.environ["PYARD_RC"] = "no"
        t0 = time.perf_counter()
        ard = pyard.init("Latest", load_mac=False, data_dir=str(Path(tmp) / "data"), cache_size=0)
        print(f"py-ard {pyard.__version__}: database built in {time.perf_counter() - t0:.1f} s (not counted)")
        sample = [str(x) for x in names[: args.pyard_n]]
        start = time.perf_counter()
        theirs = [ard.redux(x, "G") for x in sample]
        elapsed = time.perf_counter() - start
    ours_per_s = args.n / total
    theirs_per_s = len(sample) / elapsed
    print(f"py-ard redux(name, 'G'), {len(sample):,} names: {elapsed:.2f} s = {theirs_per_s:,.0f} typings/s")
    print(f"ratio engraft / py-ard: {ours_per_s / theirs_per_s:,.0f}x")
    differ = [(s, o, t) for s, o, t in zip(sample, g_names, theirs, strict=False) if (o or s) != t]
    print(f"agreement on the py-ard sample: {len(sample) - len(differ):,}/{len(sample):,}; examples {differ[:5]}")


if __name__ == "__main__":
    main()
