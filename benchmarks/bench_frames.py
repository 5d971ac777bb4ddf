"""Benchmark: the data-frame interface (grouped Kaplan-Meier and cumulative incidence) on 1 M episodes.

Run from the repository root::

    .venv/bin/python benchmarks/bench_frames.py [--n 1000000] [--repeat 5]

Synthetic competing-risks data (fixed seed) with day-level ties, as registry data has, in 3 groups.
Timed in the same process, median of ``--repeat`` runs:

- ``kaplan_meier_frame(df, by="group")`` from a pandas and from a polars frame, against the fair peer
  a lifelines user writes: ``KaplanMeierFitter().fit(...)`` for each ``df.groupby("group")`` group;
- ``cumulative_incidence_frame(df, by="group")`` (both causes, with cmprsk's variance) against
  ``cumulative_incidence`` called on each group's numpy arrays (group codes computed outside the
  timing), i.e. what the frame layer costs;
- ``to_frame()`` of the grouped CIF (tidy table of every step of both causes in every group).

The largest absolute difference between the two survival curves of each group is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import polars as pl

from engraft.outcomes import cumulative_incidence, cumulative_incidence_frame, kaplan_meier_frame

SEED = 20261204
T = TypeVar("T")


def cohort(n: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    t1 = rng.exponential(400.0 * (1.0 + 0.3 * group), n)
    t2 = rng.exponential(900.0, n)
    c = rng.uniform(30.0, 1500.0, n)
    raw = np.minimum(np.minimum(t1, t2), c)
    status = np.where(raw == c, 0, np.where(t1 < t2, 1, 2))
    labels = np.array(["MSD", "MUD", "haplo"])[group]
    return pd.DataFrame({"days": np.floor(raw), "status": status, "donor": labels})


def median_of(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    assert out is not None
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from lifelines import KaplanMeierFitter

    df = cohort(args.n)
    frame_pl = pl.from_pandas(df)
    any_event = (df["status"] > 0).astype(np.int64)

    def engraft_km(frame: object) -> Callable[[], object]:
        return lambda: kaplan_meier_frame(frame, time="days", event="status", by="donor", event_codes=(1, 2))

    def lifelines_km() -> dict[str, KaplanMeierFitter]:
        return {g: KaplanMeierFitter().fit(sub["days"], any_event[sub.index]) for g, sub in df.groupby("donor")}

    rows = []
    t_pd, km = median_of(engraft_km(df), args.repeat)
    t_pl, _ = median_of(engraft_km(frame_pl), args.repeat)
    t_ll, fits = median_of(lifelines_km, args.repeat)
    diff = 0.0
    for label, kmf in fits.items():
        grid = kmf.survival_function_.index.to_numpy()
        ours = km[label].at(grid).survival  # type: ignore[attr-defined]
        diff = max(diff, float(np.max(np.abs(ours - kmf.survival_function_.iloc[:, 0].to_numpy()))))
    rows.append(("Kaplan-Meier by donor, pandas frame", t_pd, "lifelines per groupby group", t_ll, diff))
    rows.append(("Kaplan-Meier by donor, polars frame", t_pl, "lifelines per groupby group", t_ll, diff))

    t, s = df["days"].to_numpy(), df["status"].to_numpy()
    levels, code = np.unique(df["donor"].to_numpy(), return_inverse=True)  # outside the timing: estimator cost only

    def arrays_cif() -> dict[str, object]:
        return {str(label): cumulative_incidence(t[code == k], s[code == k]) for k, label in enumerate(levels)}

    t_cif_pd, cif = median_of(
        lambda: cumulative_incidence_frame(df, time="days", status="status", by="donor"), args.repeat
    )
    t_cif_pl, _ = median_of(
        lambda: cumulative_incidence_frame(frame_pl, time="days", status="status", by="donor"), args.repeat
    )
    t_arrays, alone = median_of(arrays_cif, args.repeat)
    diff_cif = max(float(np.max(np.abs(cif[g].cif - alone[g].cif))) for g in alone)  # type: ignore[attr-defined]
    rows.append(
        ("Aalen-Johansen by donor with variance, pandas frame", t_cif_pd, "numpy arrays per group", t_arrays, diff_cif)
    )
    rows.append(
        ("Aalen-Johansen by donor with variance, polars frame", t_cif_pl, "numpy arrays per group", t_arrays, diff_cif)
    )
    t_tidy, tidy = median_of(lambda: cif.to_frame("polars"), args.repeat)

    print(f"n = {args.n:,} episodes in 3 groups, day-level ties, seed {SEED}, median of {args.repeat}\n")
    print("| engraft | time (s) | peer | peer time (s) | peer / engraft | max abs diff |")
    print("|---|---:|---|---:|---:|---:|")
    for name, ours, peer, theirs, d in rows:
        print(f"| {name} | {ours:.3f} | {peer} | {theirs:.3f} | {theirs / ours:.2f}x | {d:.2e} |")
    print(f"\ntidy CIF table ({tidy.height:,} rows, polars): {t_tidy:.3f} s")


if __name__ == "__main__":
    main()
