"""Datasets shared by the outcome tests and the R reference workflow.

The two scikit-survival BMT datasets are loaded from the installed package (not committed). The
synthetic cohort was generated once by :func:`generate_synthetic` (numpy ``default_rng``, fixed
seed; times in whole weeks and covariates to two decimals, so it has many ties) and is committed as
``reference/synthetic.csv`` (400 rows), so that the tests do not depend on numpy keeping its random
streams identical across versions. ``reference/export_data.py`` writes exactly these frames to CSV
for R; the tiny :func:`edge` case is spelled out in ``reference/reference.R`` as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SYNTH_SEED = 20261126
SYNTHETIC_CSV = Path(__file__).resolve().parent / "reference" / "synthetic.csv"


def bmt() -> pd.DataFrame:
    """scikit-survival ``load_bmt`` (35 patients; status 0 censored, 1 relapse, 2 TRM)."""
    from sksurv.datasets import load_bmt

    x, y = load_bmt()
    return pd.DataFrame(
        {"time": y["ftime"].astype(float), "status": y["status"].astype(int), "dis": x["dis"].astype(int)}
    )


def cgvhd() -> pd.DataFrame:
    """scikit-survival ``load_cgvhd`` (100 patients; status 0 censored, 1 cGvHD, 2 relapse, 3 death)."""
    from sksurv.datasets import load_cgvhd

    x, y = load_cgvhd()
    return pd.DataFrame(
        {
            "time": y["ftime"].astype(float),
            "status": y["status"].astype(int),
            "dx_aml": (x["dx"].astype(str) == "AML").astype(int),
            "tx_pb": (x["tx"].astype(str) == "PB").astype(int),
            "extent_l": (x["extent"].astype(str) == "L").astype(int),
            "age": x["age"].astype(float),
        }
    )


def synthetic() -> pd.DataFrame:
    """The committed synthetic cohort (see :func:`generate_synthetic`)."""
    return pd.read_csv(SYNTHETIC_CSV, dtype={"status": int, "group": int, "stratum": int}, float_precision="round_trip")


def generate_synthetic(n: int = 400, seed: int = SYNTH_SEED) -> pd.DataFrame:
    """Competing-risks cohort with 3 groups, 2 strata, covariates, ties, time-0 events, late entry."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    stratum = rng.integers(0, 2, size=n)
    age = np.round(rng.normal(45.0, 12.0, size=n), 2)
    score = np.round(rng.normal(0.0, 1.0, size=n), 2)
    lin1 = 0.4 * group - 0.3 * score + 0.02 * (age - 45.0)
    lin2 = -0.2 * group + 0.5 * stratum
    t1 = rng.exponential(400.0 * np.exp(-lin1))
    t2 = rng.exponential(900.0 * np.exp(-lin2))
    c = rng.uniform(30.0, 1500.0, size=n)
    raw = np.minimum(np.minimum(t1, t2), c)
    time = np.floor(raw / 7.0) * 7.0  # weekly visits: heavy ties, some events at time 0
    status = np.where(raw == c, 0, np.where(t1 < t2, 1, 2))
    entry = np.floor(rng.uniform(0.0, 1.0, size=n) * time * 0.5)
    entry = np.where(rng.uniform(size=n) < 0.3, np.minimum(entry, np.maximum(time - 1.0, 0.0)), 0.0)
    return pd.DataFrame(
        {
            "time": time,
            "status": status.astype(int),
            "group": group.astype(int),
            "stratum": stratum.astype(int),
            "age": age,
            "score": score,
            "entry": entry,
        }
    )


def edge() -> pd.DataFrame:
    """Hand-made edge case: time-0 events of both causes, ties, and a final event (S reaches 0)."""
    return pd.DataFrame(
        {
            "time": [0.0, 0, 0, 1, 1, 2, 2, 2, 3, 5, 5, 8],
            "status": [1, 2, 0, 1, 1, 0, 2, 1, 1, 0, 2, 1],
            "group": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
        }
    )
