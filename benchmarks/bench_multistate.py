"""Benchmark: multi-state models (R mstate's pipeline) and restricted mean survival time.

Run from the repository root::

    .venv/bin/python benchmarks/bench_multistate.py [--n 1000000] [--repeat 3] [--ebmt4 PATH]

Multi-state: a synthetic illness-death cohort after transplant (fixed seed; times in whole days, as
registries record them): transplant -> adverse event or recovery -> relapse or death, with direct
transplant -> relapse or death and censoring. Timed separately: long format (msprep), Nelson-Aalen
hazards with both variances (msfit), Aalen-Johansen probabilities with variance from every state
(probtrans). With ``--ebmt4`` the same steps on mstate's ebmt4 data (6 states, 2,279 patients). No
Python peer has multi-state models (lifelines has none), so these figures stand alone.

RMST: engraft's ``restricted_mean`` (Kaplan-Meier, area and Greenwood plug-in variance) against
lifelines' ``KaplanMeierFitter`` + ``restricted_mean_survival_time`` (area only) on the same data in the
same process; the areas are compared. Medians of ``--repeat`` runs; prints Markdown.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from engraft.outcomes.multistate_data import prepare_long
from engraft.outcomes.multistate_hazards import nelson_aalen
from engraft.outcomes.multistate_probabilities import aalen_johansen
from engraft.outcomes.multistate_transitions import TransitionMatrix, ebmt_recovery_adverse_event, illness_death
from engraft.outcomes.rmst import restricted_mean

SEED = 20261204
T = TypeVar("T")


def illness_death_cohort(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) time and status matrices in days: column 1 adverse event/recovery, column 2 relapse/death."""
    rng = np.random.default_rng(seed)
    event1 = np.ceil(rng.exponential(120.0, n))
    direct = np.ceil(rng.exponential(700.0, n))
    after = event1 + np.ceil(rng.exponential(500.0, n))
    censor = np.ceil(rng.uniform(30.0, 2000.0, n))
    ill = (event1 < direct) & (event1 < censor)
    end = np.where(ill, np.minimum(after, censor), np.minimum(direct, censor))
    dead = np.where(ill, after <= censor, direct <= censor)
    nan = np.full(n, np.nan)
    time = np.column_stack((nan, np.where(ill, event1, end), end))
    status = np.column_stack((nan, ill.astype(float), dead.astype(float)))
    return time, status


CPU_TIMES: list[float] = []
"""Process CPU seconds of the last ``median_of`` (median); on a loaded machine wall time overstates."""


def median_of(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall-clock seconds of ``repeat`` runs and the last result (CPU median in ``CPU_TIMES[-1]``)."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert out is not None
    CPU_TIMES.append(statistics.median(cpu))
    return statistics.median(times), out


def multistate_rows(label: str, tm: TransitionMatrix, t: np.ndarray, s: np.ndarray, repeat: int) -> list[str]:
    prep_t, data = median_of(lambda: prepare_long(tm, t, s), repeat)
    haz_t, hazards = median_of(lambda: nelson_aalen(data), repeat)
    aj_t, probs = median_of(lambda: aalen_johansen(hazards), repeat)
    total = prep_t + haz_t + aj_t
    cpu = sum(CPU_TIMES[-3:])
    return [
        f"| {label} | {t.shape[0]:,} | {data.n_rows:,} | {hazards.times.size:,} | {prep_t:.3f} | {haz_t:.3f}"
        f" | {aj_t:.3f} | {total:.3f} | {cpu:.3f} |",
        f"<!-- P(0, last) from state 1: {np.round(probs.probabilities[-1, 0], 4).tolist()} -->",
    ]


def rmst_pair(times: np.ndarray, dead: np.ndarray, tau: float, repeat: int) -> tuple[float, float, float, float]:
    """engraft (area and its variance) and lifelines (KM fit and area; its ``return_variance`` is the variance
    of min(T, tau), not of the estimate, so it is not asked for): median seconds and the two areas."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    ours_t, ours = median_of(lambda: restricted_mean(times, dead, tau), repeat)
    ours_cpu = CPU_TIMES[-1]

    def peer() -> float:
        km = KaplanMeierFitter().fit(times, dead)
        return float(restricted_mean_survival_time(km, t=tau))

    peer_t, peer_rmst = median_of(peer, repeat)
    CPU_TIMES.append(CPU_TIMES[-1] / ours_cpu)  # CPU ratio lifelines / engraft
    return ours_t, ours.rmst, peer_t, peer_rmst


def ebmt4(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cols = (None, "rec", "ae", "recae", "rel", "srv")
    t = np.array([[np.nan if c is None else float(r[c]) / 365.25 for c in cols] for r in rows])
    s = np.array([[np.nan if c is None else float(r[f"{c}.s"]) for c in cols] for r in rows])
    return t, s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ebmt4", type=Path, default=None, help="path of ebmt4.csv (../shared/data/mstate-ebmt4)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print(
        "| data | patients | long rows | event times | msprep s | Nelson-Aalen s | Aalen-Johansen s | total s"
        " | total CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    if args.ebmt4 is not None:
        t, s = ebmt4(args.ebmt4)
        print("\n".join(multistate_rows("ebmt4 (6 states)", ebmt_recovery_adverse_event(), t, s, args.repeat)))
    t, s = illness_death_cohort(args.n)
    print("\n".join(multistate_rows("illness-death, days", illness_death(), t, s, args.repeat)))

    survival_time = np.where(np.isnan(t[:, 2]), t[:, 1], t[:, 2])
    dead = s[:, 2].astype(np.int64)
    jitter = np.random.default_rng(SEED).uniform(0, 1, survival_time.size)
    print()
    print(
        "| RMST, tau = 730 days | patients | engraft s | lifelines s | lifelines / engraft (wall) | (CPU)"
        " | abs diff RMST |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, times in (("days (ties)", survival_time), ("continuous", survival_time - jitter)):
        ours_t, ours, peer_t, peer_rmst = rmst_pair(times, dead, 730.0, args.repeat)
        print(
            f"| {label} | {times.size:,} | {ours_t:.3f} | {peer_t:.3f} | {peer_t / ours_t:.1f}x"
            f" | {CPU_TIMES[-1]:.1f}x | {abs(ours - peer_rmst):.2e} |"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
