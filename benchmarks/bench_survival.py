"""Benchmark: engraft.outcomes Kaplan-Meier and Aalen-Johansen against lifelines on 1 M episodes.

Run from the repository root::

    .venv/bin/python benchmarks/bench_survival.py [--n 1000000] [--repeat 5] [--variance-repeat 1] [--km-only]

Synthetic competing-risks data (fixed seed) in two forms: continuous times (every time distinct)
and the same times rounded up to whole days (day-level ties, as registry data has). Each estimator
is timed ``--repeat`` times in the same process, alternating the two libraries, and the median
wall-clock time and the median process CPU time are reported (the CPU time is what to read on a
loaded, shared machine); lifelines' Aalen-Johansen with variance takes about a minute, so it is
timed ``--variance-repeat`` times. The table also gives the largest absolute difference between the
two libraries' curves on lifelines' timeline (lifelines jitters tied times before its Aalen-Johansen
fit, so on day-level data its curve differs by design; its variance is a different estimator from
cmprsk's, so variances are not compared). Prints Markdown, with the UTC time and the load average
before and after.

On a kernel with transparent huge pages in ``madvise`` mode, numpy advises huge pages for large
arrays; with memory fragmented (the results of earlier runs are kept, as a user keeps them) page
faults there can stall in compaction and add more system time than the computation itself.
``--no-hugepage-advice`` switches the advice off for the whole process, so for both libraries.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from engraft.outcomes._memory import LARGE_FIT_ROWS
from engraft.outcomes.cumulative_incidence import cumulative_incidence
from engraft.outcomes.kaplan_meier import kaplan_meier

SEED = 20261126


def cpu_model() -> str:
    """The vendor, family/model and model name from /proc/cpuinfo (Linux), else the platform's name."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            info = dict(line.split(":", 1) for line in fh.read().split("\n\n")[0].splitlines() if ":" in line)
    except OSError:
        return platform.processor() or "unknown"
    fields = {k.strip(): v.strip() for k, v in info.items()}
    family = f"family {fields.get('cpu family')} model {fields.get('model')}"
    return f"{fields.get('model name')} ({fields.get('vendor_id')}, {family})"


def avx512_sort() -> str:
    """Whether numpy's runtime dispatch has AVX-512 (SKX), the kernel x86-simd-sort uses for 64-bit sorts."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    return "yes" if features.get("AVX512_SKX") else "no"


def episodes(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t1 = rng.exponential(400.0, n)
    t2 = rng.exponential(900.0, n)
    c = rng.uniform(30.0, 1500.0, n)
    time = np.minimum(np.minimum(t1, t2), c)
    status = np.where(time == c, 0, np.where(t1 < t2, 1, 2))
    return time, status


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    result: Any


def timed(fn: Callable[[], Any], repeat: int) -> Timing:
    """Median wall-clock and process CPU time of ``repeat`` calls (the last call's result)."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return Timing(float(np.median(walls)), float(np.median(cpus)), out)


def pair(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int, theirs_repeat: int) -> tuple[Timing, Timing]:
    """Time both, alternating engraft and lifelines so that a change of load hits both."""
    a: list[Timing] = []
    b: list[Timing] = []
    for i in range(max(repeat, theirs_repeat)):
        if i < repeat:
            a.append(timed(ours, 1))
        if i < theirs_repeat:
            b.append(timed(theirs, 1))

    def median(ts: list[Timing]) -> Timing:
        return Timing(float(np.median([t.wall for t in ts])), float(np.median([t.cpu for t in ts])), ts[-1].result)

    return median(a), median(b)


def lifelines_aj(t: np.ndarray, s: np.ndarray, variance: bool) -> Callable[[], Any]:
    from lifelines import AalenJohansenFitter

    def fit() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return AalenJohansenFitter(calculate_variance=variance, seed=SEED).fit(t, s, event_of_interest=1)

    return fit


def rows_for(t: np.ndarray, s: np.ndarray, args: argparse.Namespace) -> list[tuple[str, Timing, Timing, float]]:
    from lifelines import KaplanMeierFitter

    event = (s > 0).astype(np.int64)
    rows = []
    km, kmf = pair(lambda: kaplan_meier(t, event), lambda: KaplanMeierFitter().fit(t, event), args.repeat, args.repeat)
    grid = kmf.result.survival_function_.index.to_numpy()
    diff = np.max(np.abs(km.result.at(grid).survival - kmf.result.survival_function_.iloc[:, 0].to_numpy()))
    rows.append(("Kaplan-Meier", km, kmf, float(diff)))
    if args.km_only:
        return rows

    est, ll_est = pair(
        lambda: cumulative_incidence(t, s, causes=(1, 2), variance=False),
        lifelines_aj(t, s, False),
        args.repeat,
        args.repeat,
    )
    var, ll_var = pair(
        lambda: cumulative_incidence(t, s, causes=(1, 2)), lifelines_aj(t, s, True), args.repeat, args.variance_repeat
    )
    for label, ours, theirs in (
        ("AJ estimates only (both without variance)", est, ll_est),
        ("AJ with variance (engraft: cmprsk's + limits; lifelines: its own)", var, ll_var),
        ("AJ engraft with variance vs lifelines without", var, ll_est),
    ):
        grid = theirs.result.cumulative_density_.index.to_numpy()
        ours_cif = ours.result.at(grid, 1).incidence
        diff = np.max(np.abs(ours_cif - theirs.result.cumulative_density_.iloc[:, 0].to_numpy()))
        rows.append((label, ours, theirs, float(diff)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variance-repeat", type=int, default=1, help="repeats of lifelines' AJ with variance")
    parser.add_argument("--km-only", action="store_true", help="time Kaplan-Meier only (no Aalen-Johansen)")
    parser.add_argument(
        "--no-hugepage-advice",
        action="store_true",
        help="switch off numpy's madvise(MADV_HUGEPAGE) on large arrays, for the whole process (both libraries)",
    )
    args = parser.parse_args()
    if args.no_hugepage_advice:
        from numpy._core import multiarray

        multiarray._set_madvise_hugepage(False)

    import lifelines

    start = datetime.now(UTC)
    load_before = os.getloadavg()
    t, s = episodes(args.n)
    data = {"continuous times": t, "whole days (ties)": np.ceil(t)}
    tables = {name: rows_for(times, s, args) for name, times in data.items()}
    load_after = os.getloadavg()

    print(f"n = {args.n:,} episodes, seed {SEED}; medians of {args.repeat} runs", end="")
    if args.km_only:
        print("; Kaplan-Meier only.")
    else:
        print(f"\n(lifelines' AJ with variance: median of {args.variance_repeat}); engraft estimates both causes,")
        print("lifelines cause 1 only.")
    print(f"Started {start:%Y-%m-%d %H:%M:%S} UTC, ended {datetime.now(UTC):%H:%M:%S} UTC;")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f},")
    print(f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; {os.cpu_count()} CPUs,")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, lifelines {lifelines.__version__};")
    print(f"CPU: {cpu_model()}; numpy dispatches 64-bit sorts to AVX-512: {avx512_sort()};")
    advice = "off for the whole process" if args.no_hugepage_advice else "on (numpy default)"
    print(f"numpy's hugepage advice {advice} (engraft's Kaplan-Meier switches it off during its fits of")
    print(f"{LARGE_FIT_ROWS:,} rows or more, see engraft.outcomes._memory).\n")
    for name, rows in tables.items():
        print(f"{name} ({np.unique(data[name]).size:,} distinct times):\n")
        print("| estimator | engraft wall (s) | engraft CPU (s) | lifelines wall (s) | lifelines CPU (s) |", end="")
        print(" speed-up (wall) | speed-up (CPU) | max abs diff |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, a, b, d in rows:
            print(
                f"| {label} | {a.wall:.4f} | {a.cpu:.4f} | {b.wall:.4f} | {b.cpu:.4f} | "
                f"{b.wall / a.wall:.1f}x | {b.cpu / a.cpu:.1f}x | {d:.2e} |"
            )
        print()


if __name__ == "__main__":
    main()
