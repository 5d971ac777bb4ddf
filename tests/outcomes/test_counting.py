"""The tabulation behind the estimators: counting whole-day times gives the table the sorts give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes._counting import (
    POLARS_SORT_MIN,
    WHOLE_RANGE_MIN,
    event_table,
    sort_keys,
    tabulate,
    whole_numbers,
)

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


@pytest.mark.parametrize(
    ("times", "whole"),
    [
        pytest.param(np.arange(3000.0), True, id="whole-numbers"),
        pytest.param(np.append(np.arange(3000.0), 7.5), False, id="a-fraction-after-the-first-rows"),
        pytest.param(np.append(7.5, np.arange(3000.0)), False, id="a-fraction-among-the-first-rows"),
        pytest.param(np.array([0.0, -0.0, 4.0]), True, id="negative-zero"),
        pytest.param(np.array([0.0, float(WHOLE_RANGE_MIN)]), True, id="range-at-the-limit"),
        pytest.param(np.array([0.0, float(WHOLE_RANGE_MIN) + 1.0]), False, id="range-over-the-limit"),
    ],
)
def test_whole_numbers(times: np.ndarray, whole: bool) -> None:
    found = whole_numbers(times)
    assert (found is not None) is whole
    if found is not None:
        np.testing.assert_array_equal(found[0], times)
        assert found[0].dtype == np.int64 and found[1] == int(times.max())


@settings(max_examples=150, deadline=None)
@given(rows, st.sampled_from([np.float64(0.0), np.float64(0.25), np.float64(1e-7)]))
def test_event_table_is_the_one_code_tabulation(data: list[tuple[int, int]], shift: np.float64) -> None:
    time = np.array([d for d, _ in data], dtype=np.float64) + shift  # 0: counted; otherwise sorted
    event = np.array([s % 2 for _, s in data], dtype=np.int64)
    uniq, n_total, n_event = event_table(time, event.view(np.uint64))
    expected = tabulate(time, event, (1,))
    np.testing.assert_array_equal(uniq, expected[0])
    np.testing.assert_array_equal(np.ones(uniq.size, np.int64) if n_total is None else n_total, expected[1])
    np.testing.assert_array_equal(n_event, expected[2][:, 0])
    assert n_total is not None or np.unique(time).size == time.size  # None only when no time repeats


@pytest.mark.parametrize(
    "n", [pytest.param(POLARS_SORT_MIN - 1, id="numpy"), pytest.param(POLARS_SORT_MIN, id="polars")]
)
def test_sort_keys_sorts_like_numpy(n: int) -> None:
    rng = np.random.default_rng(5)
    key = rng.integers(0, np.iinfo(np.uint64).max, n, dtype=np.uint64, endpoint=True)
    key[:10] = key[-10:]  # repeated keys
    got = sort_keys(key)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, np.sort(key))
