"""Threshold comparisons that treat values equal within floating-point noise as equal.

Published cut-points are inclusive or exclusive (e.g. bilirubin ``<= 1.5 x ULN``); computing
``1.8 / 1.2`` gives ``1.5000000000000002``, which must still count as exactly 1.5 x ULN.
"""

from __future__ import annotations

import math

_REL_TOL = 1e-9


def eq(a: float, b: float) -> bool:
    """``a == b`` within floating-point noise."""
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=1e-12)


def le(a: float, b: float) -> bool:
    """``a <= b`` within floating-point noise."""
    return a < b or eq(a, b)


def lt(a: float, b: float) -> bool:
    """``a < b`` strictly, values equal within noise are not less."""
    return a < b and not eq(a, b)


def ge(a: float, b: float) -> bool:
    """``a >= b`` within floating-point noise."""
    return le(b, a)


def gt(a: float, b: float) -> bool:
    """``a > b`` strictly, values equal within noise are not greater."""
    return lt(b, a)
