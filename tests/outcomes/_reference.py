"""Reader for the committed R reference values (``reference/r_reference.csv``)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "r_reference.csv"


@lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], NDArray[np.float64]]:
    values: dict[tuple[str, str], list[tuple[int, float]]] = {}
    with REFERENCE_CSV.open() as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            v = float("nan") if row["value"] in ("NA", "NaN") else float(row["value"])
            values.setdefault((row["case"], row["quantity"]), []).append((int(row["index"]), v))
    return {k: np.array([v for _, v in sorted(items)], dtype=np.float64) for k, items in values.items()}


def ref(case: str, quantity: str) -> NDArray[np.float64]:
    """Values R produced for ``quantity`` in ``case`` (KeyError if absent)."""
    return _table()[(case, quantity)]


def quantities(case: str) -> list[str]:
    """All quantity names recorded for ``case``."""
    return sorted(q for c, q in _table() if c == case)


def header() -> list[str]:
    """The '#' provenance lines (R and package versions, date)."""
    with REFERENCE_CSV.open() as fh:
        return [line.rstrip("\n") for line in fh if line.startswith("#")]
