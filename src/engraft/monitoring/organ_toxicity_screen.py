"""Which episodes cannot meet an organ-toxicity signal, told from the columns before any typed reading is built.

The organ-toxicity kind reports a signal only when the grading finds it met (:mod:`engraft.grading.organ_toxicity`).
:func:`may_meet` answers "could it be met?" with NumPy over the signal's results after the baseline, with a margin
(it says yes near a threshold): weight gain and creatinine doubling are met when the highest value meets them (the
grading is asked about that one reading), a bilirubin doubling needs a bilirubin at least twice one measured up to
48 h before it, a bilirubin rising on 3 consecutive days is read off the UTC days
(:func:`engraft.monitoring.bilirubin_rise.rises`, with the margin). When it says no, the grading would not have found
the signal either, and no reading is built; when it says yes (or the baseline is ambiguous, or a unit would be
refused, or the results are time-stamped in another zone than UTC), the grading reads the whole series as before.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engraft.grading.organ_toxicity import (
    BILIRUBIN_DOUBLING_RATIO,
    BILIRUBIN_DOUBLING_WINDOW,
    CREATININE_DOUBLING_RATIO,
    SignalStatus,
    weight_gain,
)
from engraft.grading.timed import Reading
from engraft.measurements import Analyte, ConversionBasis, UnitError
from engraft.monitoring.bilirubin_rise import rises
from engraft.monitoring.episode_series import EpisodeSeries, in_utc
from engraft.monitoring.model import MonitoringRule

_MARGIN: Final = 1e-6
"""Relative and absolute margin: a value this near a threshold goes to the grading."""


def may_meet(rule: MonitoringRule, series: EpisodeSeries, signal: str, codes: tuple[str, ...], before_day: int) -> bool:
    """Whether the grading may find ``signal`` met in ``series`` (False only when it surely would not)."""
    rows = series.rows_of(codes)
    days = series.day[rows]
    before = rows[days < before_day]
    if not len(before):
        return False  # no baseline: the signal is not evaluated
    base_us = series.observed_us[before[-1]]
    if (series.observed_us[before] == base_us).sum() > 1:
        return True  # several results at the baseline's time: let the grading choose the baseline
    base = before[-1:]
    watched = rows[
        (series.observed_us[rows] > base_us) & (days >= rule.applies.day_from) & (days <= rule.applies.day_to)
    ]
    if not len(watched):
        return False
    try:
        if signal == "weight gain":
            return _weight_gain_may_meet(series, base, watched, rule)
        analyte = Analyte.CREATININE if signal == "creatinine doubling" else Analyte.BILIRUBIN
        values = series.values_in(np.concatenate((base, watched)), "mg/dL", analyte, ConversionBasis.CLINICAL_FACTOR)
    except UnitError:
        return True  # the grading raises its own error
    if signal == "creatinine doubling":
        return bool((values[1:] >= _nearly(CREATININE_DOUBLING_RATIO * values[:1])).any())
    if signal == "bilirubin doubling":
        times = series.observed_us[np.concatenate((base, watched))]
        return _doubles_within(values, times, BILIRUBIN_DOUBLING_WINDOW.total_seconds() * 1e6)
    if not in_utc(series, np.concatenate((base, watched))):
        return True  # calendar days in another time zone: read by the grading
    return rises(series.day[watched], values[1:], float(values[0]), _MARGIN)  # bilirubin rising


def _weight_gain_may_meet(series: EpisodeSeries, base: np.ndarray, watched: np.ndarray, rule: MonitoringRule) -> bool:
    kg = series.values_in(watched, "kg")
    if (kg <= 0).any() or series.values_in(base, "kg")[0] <= 0:
        return True  # the grading refuses such a weight: let it say so
    criteria = getattr(rule.parameters, "criteria", None)
    if criteria is None:
        return True
    heaviest = series.observation(int(watched[int(np.argmax(kg))]))
    baseline = series.observation(int(base[0]))
    signal = weight_gain(
        Reading(at=baseline.observed_at, quantity=baseline.quantity),
        [Reading(at=heaviest.observed_at, quantity=heaviest.quantity)],
        criteria,
    )
    return signal.status is SignalStatus.MET


def _nearly(threshold: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A little below ``threshold`` (relative and absolute margin): what may meet it after the grading's rounding."""
    return np.asarray(threshold - np.abs(threshold) * _MARGIN - _MARGIN, dtype=np.float64)


def _doubles_within(values: np.ndarray, times: np.ndarray, window_us: float) -> bool:
    """Whether some value is (nearly) twice a value observed strictly before it, at most ``window_us`` before."""
    n = len(values)
    for lag in range(1, n):
        later, earlier = values[lag:], values[:-lag]
        gap = times[lag:] - times[:-lag]
        inside = (gap > 0) & (gap <= window_us)
        if not inside.any():
            if (gap > window_us).all():
                break  # every pair this far apart (or farther) is outside the window
            continue
        if (inside & (later >= _nearly(BILIRUBIN_DOUBLING_RATIO * earlier))).any():
            return True
    return False
