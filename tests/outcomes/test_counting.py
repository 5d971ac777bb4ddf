"""The tabulation behind the estimators: counting whole-day times gives the table the sorts give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes._counting import WHOLE_RANGE_MIN, tabulate

rows = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3)), min_size=1, max_size=200)


@settings(max_examples=150, deadline=None)
@given(rows, st.sampled_from([(1,), (1, 2), (2, 1), (1, 2, 3)]))
def test_whole_days_are_counted_as_the_sorts_tabulate_them(data: list[tuple[int, int]], codes: tuple[int, ...]) -> None:
    days = np.array([d for d, _ in data], dtype=np.float64)
    status = np.array([s for _, s in data], dtype=np.int64)
    counted = tabulate(days, status, codes)  # whole numbers: the counting path
    sorted_ = tabulate(days + 0.5, status, codes)  # half days: the sorting path
    np.testing.assert_array_equal(counted[0], sorted_[0] - 0.5)
    for a, b in zip(counted[1:], sorted_[1:], strict=True):
        assert a.dtype == b.dtype == np.int64
        np.testing.assert_array_equal(a, b)
    assert counted[1].sum() == days.size
    assert counted[2].shape == (counted[0].size, len(codes))


@pytest.mark.parametrize(
    ("times", "expected_times"),
    [
        pytest.param([0.0, -0.0, 3.0, 3.0], [0.0, 3.0], id="negative-zero-is-day-0"),
        pytest.param([2.0, 2.5, 2.0], [2.0, 2.5], id="one-fraction-uses-the-sort"),
        pytest.param([0.0, float(WHOLE_RANGE_MIN) + 1e6], [0.0, float(WHOLE_RANGE_MIN) + 1e6], id="range-too-long"),
        pytest.param([7.0], [7.0], id="single-row"),
    ],
)
def test_distinct_times_and_counts(times: list[float], expected_times: list[float]) -> None:
    t = np.array(times)
    status = np.ones(t.size, dtype=np.int64)
    uniq, n_total, counts = tabulate(t, status, (1,))
    np.testing.assert_array_equal(uniq, expected_times)
    assert n_total.sum() == t.size and counts[:, 0].sum() == t.size
