"""The column-wise "bilirubin rising on 3 consecutive days" (``engraft.monitoring.bilirubin_rise``) against the
grading's :func:`engraft.grading.organ_toxicity.bilirubin_rising_three_days`, which stays the definition.

Hypothesis draws bilirubin series after a baseline: several readings a day (the day's highest counts), gaps of a
day or more, readings at 00:00 and 23:59:59.999999 UTC (day boundaries), mg/dL and umol/L (converted with the
clinical factor), values equal to the day before or the baseline and a hair above them (the grading's tolerance).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.grading.organ_toxicity import Population, SignalStatus, bilirubin_rising_three_days
from engraft.grading.timed import Reading
from engraft.measurements import Analyte, ConversionBasis, Quantity, conversion
from engraft.monitoring.bilirubin_rise import rises

DAY0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
_TIMES = (dt.timedelta(0), dt.timedelta(hours=6), dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999))
_STEPS = (0.0, 1e-10, 2e-9, 0.1, 0.5, -0.1, -1.0)

_reading = st.tuples(
    st.integers(0, 12),  # day
    st.integers(0, len(_TIMES) - 1),
    st.sampled_from(_STEPS),  # added to the previous value drawn
    st.booleans(),  # umol/L
)


def _mg(value: float, unit: str) -> float:
    convert = conversion(unit, "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
    return float(convert.apply(np.array([value]))[0])


@given(st.sampled_from((0.5, 1.0, 2.0)), st.booleans(), st.lists(_reading, max_size=25))
@settings(max_examples=400, deadline=None)
def test_rises_equals_the_grading(base_mg: float, base_umol: bool, drawn: list[tuple[int, int, float, bool]]) -> None:
    base_unit = "umol/L" if base_umol else "mg/dL"
    base = Reading(
        at=DAY0 - dt.timedelta(hours=1), quantity=Quantity(value=base_mg * (17.1 if base_umol else 1), unit=base_unit)
    )
    readings, days, values = [], [], []
    level = _mg(base.quantity.value, base_unit)
    for day, time, step, umol in drawn:
        level = max(0.0, level + step)
        unit = "umol/L" if umol else "mg/dL"
        value = level * 17.1 if umol else level
        readings.append(
            Reading(at=DAY0 + dt.timedelta(days=day) + _TIMES[time], quantity=Quantity(value=value, unit=unit))
        )
        days.append(day)
        values.append(_mg(value, unit))
    signal = bilirubin_rising_three_days(base, readings, Population.PAEDIATRIC)
    assert signal is not None
    met = signal.status is SignalStatus.MET
    got = rises(np.array(days, dtype=np.int64), np.array(values, dtype=np.float64), _mg(base.quantity.value, base_unit))
    assert got is met
    if met:  # the screen's slack only says yes more often
        assert rises(
            np.array(days, dtype=np.int64),
            np.array(values, dtype=np.float64),
            _mg(base.quantity.value, base_unit),
            1e-6,
        )


@pytest.mark.parametrize(
    ("highest", "met"),
    [
        pytest.param([(0, 1.1), (1, 1.2), (2, 1.3)], True, id="three-days-rising"),
        pytest.param([(0, 1.1), (1, 1.2), (3, 1.3)], False, id="a-day-missing-breaks-it"),
        pytest.param([(0, 1.1), (1, 1.1), (2, 1.3)], False, id="equal-to-the-day-before"),
        pytest.param([(0, 1.0), (1, 1.2), (2, 1.3)], False, id="first-day-at-the-baseline"),
        pytest.param([(0, 1.0 + 1e-10), (1, 1.2), (2, 1.3)], False, id="first-day-within-the-tolerance"),
        pytest.param([(0, 1.0 + 2e-9), (1, 1.2), (2, 1.3)], True, id="first-day-beyond-the-tolerance"),
        pytest.param([(0, 1.1), (1, 1.1 + 1e-10), (2, 1.3)], False, id="rise-within-the-tolerance"),
        pytest.param([(0, 1.1), (0, 0.2), (1, 1.2), (1, 1.25), (2, 1.3)], True, id="the-days-highest-counts"),
    ],
)
def test_named_rises(highest: list[tuple[int, float]], met: bool) -> None:
    base = Reading(at=DAY0 - dt.timedelta(hours=1), quantity=Quantity(value=1.0, unit="mg/dL"))
    readings = [
        Reading(at=DAY0 + dt.timedelta(days=d, hours=n), quantity=Quantity(value=v, unit="mg/dL"))
        for n, (d, v) in enumerate(highest)
    ]
    signal = bilirubin_rising_three_days(base, readings, Population.PAEDIATRIC)
    assert signal is not None and (signal.status is SignalStatus.MET) is met
    days = np.array([d for d, _ in highest], dtype=np.int64)
    assert rises(days, np.array([v for _, v in highest], dtype=np.float64), 1.0) is met
