"""Reader for R mstate 0.3.3's figures on the EBMT ``ebmt4`` data (../shared/reference/mstate-ebmt4.md).

The figures stay in the shared reference document (one source); tests read its markdown tables and the
data set next to it, and skip (or fail under CI) when ../shared is absent. Each value keeps the digits
R printed, so a test can compare to half a unit of the last printed digit.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np

from engraft.outcomes._validation import FloatArray
from engraft.outcomes.multistate_data import MultiStateData, prepare_long
from engraft.outcomes.multistate_transitions import ebmt_recovery_adverse_event
from tests.conftest import SHARED_DIR, require

REFERENCE_MD = SHARED_DIR / "reference" / "mstate-ebmt4.md"
EBMT4_CSV = SHARED_DIR / "data" / "mstate-ebmt4" / "ebmt4.csv"
STATE_COLUMNS = (None, "rec", "ae", "recae", "rel", "srv")
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Printed:
    """A figure as R printed it: its value and half a unit of its last printed digit."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def tolerance(self) -> float:
        exponent = Decimal(self.text).as_tuple().exponent
        assert isinstance(exponent, int)
        return 0.5 * 10.0**exponent + 1e-15


def require_shared() -> None:
    require(REFERENCE_MD.is_file() and EBMT4_CSV.is_file(), f"mstate ebmt4 reference not found under {SHARED_DIR}")


@lru_cache(maxsize=1)
def _sections() -> list[tuple[str, list[list[str]]]]:
    """Markdown tables with the heading or bold caption above them, in document order."""
    tables: list[tuple[str, list[list[str]]]] = []
    caption = ""
    current: list[list[str]] | None = None
    for line in REFERENCE_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = []
                tables.append((caption, current))
            if not all(set(c) <= {"-"} for c in cells):
                current.append(cells)
            continue
        current = None
        if line.startswith("#") or line.startswith("**"):
            caption = line.strip("#* ").strip()
    return tables


def table(caption_start: str, index: int = 0) -> list[dict[str, str]]:
    """The rows (header -> cell) of the ``index``-th table whose caption starts with ``caption_start``."""
    matches = [rows for caption, rows in _sections() if caption.startswith(caption_start)]
    assert len(matches) > index, f"{caption_start!r}: {len(matches)} tables"
    header, *rows = matches[index]
    return [dict(zip(header, row, strict=True)) for row in rows]


def se_caption(state: int, hazard: str, method: str) -> str:
    return f"SE from state {state}, msfit vartype / probtrans method = {hazard} / {method}"


def pstate_caption(state: int) -> str:
    return f"3{'c' if state == 1 else 'd'}. From state {state}, predt=0: pstate"


def single_line(pattern: str) -> str:
    match = re.search(pattern, REFERENCE_MD.read_text(encoding="utf-8"))
    assert match is not None, pattern
    return match.group(1)


@lru_cache(maxsize=1)
def ebmt4_long() -> MultiStateData:
    """``msprep(ebmt4, tmat4, ...)`` with times in years (days / 365.25, as the reference)."""
    with Path(EBMT4_CSV).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    nan = float("nan")
    time: FloatArray = np.array(
        [[nan if c is None else float(r[c]) / DAYS_PER_YEAR for c in STATE_COLUMNS] for r in rows]
    )
    status: FloatArray = np.array([[nan if c is None else float(r[f"{c}.s"]) for c in STATE_COLUMNS] for r in rows])
    keep = {
        "match": np.array([1.0 if r["match"] == "gender mismatch" else 0.0 for r in rows]),
        "proph": np.array([1.0 if r["proph"] == "yes" else 0.0 for r in rows]),
    }
    return prepare_long(ebmt_recovery_adverse_event(), time, status, ids=[r["id"] for r in rows], keep=keep)
