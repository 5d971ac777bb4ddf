"""Bilirubin rising on 3 consecutive days, read off the columns: an evaluation strategy, not a definition.

The definition is :func:`engraft.grading.organ_toxicity.bilirubin_rising_three_days` (EBMT 2018 paediatric
SOS/VOD criteria, cited there): the highest bilirubin of each calendar day after the baseline, three consecutive
days each above the baseline and above the day before (by more than the grading's ``1e-9``). :func:`rises` answers
whether that is met from the readings' UTC days and values in mg/dL (the conversion the grading applies, bit for
bit: :func:`engraft.measurements.conversion`) without a typed :class:`~engraft.grading.timed.Reading` per result.
It holds for readings time-stamped in UTC (their calendar day is the UTC day); callers keep the grading for other
time zones. ``tests/monitoring/test_bilirubin_rise.py`` compares it with the grading on Hypothesis-drawn series.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.grading.organ_toxicity import CONSECUTIVE_RISING_DAYS

_EPS: Final = 1e-9
"""The grading's tolerance (``engraft.grading.organ_toxicity._EPS``)."""


def rises(days: npt.NDArray[np.int64], mg_per_dl: npt.NDArray[np.float64], base: float, slack: float = 0.0) -> bool:
    """Whether bilirubin rose on 3 consecutive days: ``days`` and ``mg_per_dl`` are the readings after the baseline
    (any order), ``base`` the baseline in mg/dL. ``slack`` > 0 loosens each comparison by that much (a screen that
    may say yes where the grading says no, never the reverse)."""
    if len(days) < CONSECUTIVE_RISING_DAYS:
        return False
    order = np.argsort(days, kind="stable")
    d, v = days[order], mg_per_dl[order]
    first = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
    above = base + _EPS - slack
    run, last_day, last = 0, 0, 0.0
    for day, highest in zip(d[first].tolist(), np.maximum.reduceat(v, first).tolist(), strict=True):
        if highest > above and run and day - last_day == 1 and highest > last + _EPS - slack:
            run += 1
        elif highest > above:
            run = 1
        else:
            run = 0
        if run == CONSECUTIVE_RISING_DAYS:
            return True
        last_day, last = day, highest
    return False
