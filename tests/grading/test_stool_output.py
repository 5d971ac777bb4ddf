"""The day's stool output MAGIC stages on: highest of the 3 days before diagnosis (onset), else the 3-day average.

Source: MAGIC data-collection guidelines (ASH 2015 abstract, Blood 126(23):3154), marked verified in
clinical-scores.md section 6.1 ("Onset stage uses the highest daily stool output in the 3 days before
diagnosis; later staging uses a 3-day average"); the NCI PDQ footnote "use 3-day averages".
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.grading import LowerGiFindings, StoolFigure, stage_lower_gi, stool_output_for_staging
from engraft.measurements import Quantity, UnitError


def q(value: float, unit: str) -> Quantity:
    return Quantity(value=value, unit=unit)


def test_onset_uses_the_highest_day_and_later_staging_the_average() -> None:
    days = [q(400, "mL/d"), q(1.2, "L/d"), q(500, "mL/d")]
    onset = stool_output_for_staging(days, StoolFigure.ONSET_HIGHEST)
    later = stool_output_for_staging(days, StoolFigure.THREE_DAY_AVERAGE)
    assert (onset.value, onset.unit.value) == (1200, "mL/d")
    assert (later.value, later.unit.value) == (700, "mL/d")
    adult = q(70, "kg")
    assert stage_lower_gi(LowerGiFindings(stool_output=onset), adult).stage == 2
    assert stage_lower_gi(LowerGiFindings(stool_output=later), adult).stage == 1


def test_per_kg_outputs_stay_per_kg() -> None:
    days = [q(12, "mL/kg/d"), q(18, "mL/kg/d"), q(24, "mL/kg/d")]
    assert stool_output_for_staging(days, StoolFigure.THREE_DAY_AVERAGE) == q(18, "mL/kg/d")


@pytest.mark.parametrize(
    ("days", "error", "match"),
    [
        pytest.param([q(500, "mL/d")] * 2, ValueError, "2 values", id="two days"),
        pytest.param([q(500, "mL/d")] * 4, ValueError, "4 values", id="four days"),
        pytest.param([q(500, "mL/d"), q(10, "mL/kg/d"), q(500, "mL/d")], UnitError, r"daily_outputs\[1\]", id="mixed"),
        pytest.param([q(500, "mL/d"), q(1, "kg"), q(500, "mL/d")], UnitError, r"daily_outputs\[1\]", id="a mass"),
        pytest.param([q(500, "mL/d"), q(500, "mL/d"), q(-1, "mL/d")], ValueError, "cannot be negative", id="negative"),
    ],
)
def test_bad_daily_outputs_are_refused(days: list[Quantity], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        stool_output_for_staging(days, StoolFigure.ONSET_HIGHEST)


volumes = st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=3, max_size=3)


@given(volumes)
def test_the_onset_figure_is_never_below_the_average(values: list[float]) -> None:
    days = [q(v, "mL/d") for v in values]
    onset = stool_output_for_staging(days, StoolFigure.ONSET_HIGHEST).value
    average = stool_output_for_staging(days, StoolFigure.THREE_DAY_AVERAGE).value
    assert min(values) - 1e-9 <= average <= onset + 1e-9
    assert onset == max(values)
