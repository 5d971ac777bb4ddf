"""Endpoints from plain columns: explicit time units, checked values."""

from __future__ import annotations

import numpy as np
import pytest

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.endpoints import convert_time, make_endpoint
from engraft.vocabulary import TimeUnit


def test_unit_conversion_factors() -> None:
    np.testing.assert_allclose(convert_time(np.array([365.25]), "days", "months"), [12.0])
    np.testing.assert_allclose(convert_time(np.array([1.5]), "years", "days"), [547.875])
    with pytest.raises(OutcomeInputError, match="time_unit: got 'weeks'"):
        convert_time(np.array([1.0]), "weeks", "days")


def test_make_endpoint_converts_and_keeps_the_vocabulary_unit() -> None:
    ep = make_endpoint("os", ["a", "b"], [12.0, 6.0], [1, 0], time_unit="months", output_unit="days")
    np.testing.assert_allclose(ep.time, [365.25, 182.625])
    assert ep.time_unit is TimeUnit.DAYS
    assert ep.event.tolist() == [1, 0]


@pytest.mark.parametrize(
    ("ids", "time", "status", "pattern"),
    [
        pytest.param([], [], [], r"os_t: got no transplants", id="empty"),
        pytest.param(["a"], [1.0, 2.0], [1, 0], r"os_t: got 2 values; expected 1", id="more-times-than-ids"),
        pytest.param(["a"], [-1.0], [1], r"os_t\[0\]: got -1\.0; expected a time >= 0", id="negative-time"),
        pytest.param(["a"], [1.0], [3], r"os_s\[0\]: got 3; expected a code in \[0, 1\]", id="unknown-code"),
    ],
)
def test_make_endpoint_refuses_with_the_source_column(
    ids: list[str], time: list[float], status: list[int], pattern: str
) -> None:
    with pytest.raises(OutcomeInputError, match=pattern):
        make_endpoint("os", ids, time, status, time_unit="days", time_field="os_t", status_field="os_s")
