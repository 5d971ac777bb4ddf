"""The Kaplan-Meier fast paths give the curve of the plain computation, bit for bit.

Three paths build the table of distinct times: a count of whole-number times (days), a sort when
every time is distinct (continuous times), a sort with ties (anything else); large inputs are sorted
by polars and fitted with numpy's huge-page advice switched off. Each is checked against a plain
``np.unique`` + ``cumprod`` computation written as the formulas read (the code before the fast
paths), with exact equality, and against lifelines on large data.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from scipy.stats import norm

from engraft.outcomes import _memory
from engraft.outcomes._counting import POLARS_SORT_MIN
from engraft.outcomes._memory import LARGE_FIT_ROWS, no_hugepage_advice
from engraft.outcomes.kaplan_meier import KaplanMeierResult, kaplan_meier

FIELDS = ("n_risk", "n_event", "n_censor", "survival", "cumhaz_std_error", "lower", "upper")


def plain_curve(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The curve as the formulas read: distinct times by np.unique, products and sums in order."""
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event).astype(np.int64)
    uniq, inverse = np.unique(t, return_inverse=True)
    n_total = np.bincount(inverse)
    n_event = np.bincount(inverse, weights=e).astype(np.int64)
    left = np.concatenate(([0], np.cumsum(n_total)[:-1]))
    if entry is None:
        n_risk = t.size - left
    else:
        n_risk = np.searchsorted(np.sort(entry), uniq, side="left") - left
    nr, nd = n_risk.astype(np.float64), n_event.astype(np.float64)
    z = float(norm.ppf(0.975))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - nd / nr)
        se = np.sqrt(np.cumsum(nd / (nr * (nr - nd))))
        log_s = np.log(np.where((surv == 0.0) | (surv == 1.0), np.nan, surv))
        shrink = np.exp(-z * se / log_s)
        lower, upper = np.exp(log_s * shrink), np.exp(log_s / shrink)
    return {
        "time": uniq,
        "n_risk": n_risk,
        "n_event": n_event,
        "n_censor": n_total - n_event,
        "survival": surv,
        "cumhaz_std_error": se,
        "lower": lower,
        "upper": upper,
    }


def assert_same_curve(fit: KaplanMeierResult, expected: dict[str, np.ndarray], *, with_time: bool = True) -> None:
    for field in ("time", *FIELDS) if with_time else FIELDS:
        got = getattr(fit, field)
        assert got.dtype == (np.float64 if field in ("time", *FIELDS[3:]) else np.int64), field
        np.testing.assert_array_equal(got, expected[field], err_msg=field, strict=False)


event_dtypes = st.sampled_from([bool, np.int8, np.uint8, np.int32, np.int64, np.float64])


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 80))
    kind = draw(st.sampled_from(["days", "continuous", "quarters", "zeros"]))
    if kind == "days":  # ties, day 0, censoring at event times
        time = np.array(draw(st.lists(st.integers(0, 25), min_size=n, max_size=n)), dtype=np.float64)
    elif kind == "continuous":
        floats = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False)
        time = np.array(draw(st.lists(floats, min_size=n, max_size=n, unique=True)), dtype=np.float64)
    elif kind == "quarters":
        time = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=np.float64) / 4.0
    else:
        time = np.zeros(n)
    event = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))).astype(draw(event_dtypes))
    return time, event


@settings(max_examples=300, deadline=None)
@given(cohorts())
def test_every_path_gives_the_plain_curve_bit_for_bit(cohort: tuple[np.ndarray, np.ndarray]) -> None:
    time, event = cohort
    assert_same_curve(kaplan_meier(time, event), plain_curve(time, event))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), min_size=1, max_size=120))
def test_counted_days_equal_the_sorted_half_days(rows: list[tuple[int, int]]) -> None:
    days = np.array([d for d, _ in rows], dtype=np.float64)
    event = np.array([e for _, e in rows], dtype=np.int64)
    counted = kaplan_meier(days, event)  # whole numbers: np.bincount
    sorted_ = kaplan_meier(days + 0.5, event)  # the same order, not whole: the sort
    np.testing.assert_array_equal(counted.time + 0.5, sorted_.time)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(counted, field), getattr(sorted_, field), err_msg=field)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 29), st.integers(0, 1)), min_size=1, max_size=80))
def test_delayed_entry_gives_the_plain_curve(rows: list[tuple[int, int, int]]) -> None:
    time = np.array([t for t, _, _ in rows], dtype=np.float64)
    entry = np.array([min(a, t - 1) for t, a, _ in rows], dtype=np.float64)
    event = np.array([e for _, _, e in rows])
    assert_same_curve(kaplan_meier(time, event, entry=entry), plain_curve(time, event, entry))
    jitter = time + np.arange(time.size) * 1e-6  # distinct times: the no-ties path with entry
    assert_same_curve(kaplan_meier(jitter, event, entry=entry), plain_curve(jitter, event, entry))


def _large(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t1, c = rng.exponential(400.0, n), rng.uniform(30.0, 1500.0, n)
    return np.minimum(t1, c), (t1 <= c).astype(np.int64)


@pytest.mark.parametrize(
    ("rounding", "n"),
    [
        pytest.param(None, POLARS_SORT_MIN + 11, id="continuous-polars-sort"),
        pytest.param(None, LARGE_FIT_ROWS + 3, id="continuous-without-hugepage-advice"),
        pytest.param(1e-2, POLARS_SORT_MIN + 11, id="ties-not-whole-polars-sort"),
        pytest.param(1.0, LARGE_FIT_ROWS + 3, id="whole-days-counted"),
        pytest.param(None, POLARS_SORT_MIN - 1, id="continuous-numpy-sort"),
    ],
)
def test_large_inputs_give_the_plain_curve(rounding: float | None, n: int) -> None:
    time, event = _large(n, 20261204)
    if rounding is not None:
        time = np.ceil(time / rounding) * rounding
    assert_same_curve(kaplan_meier(time, event.astype(bool)), plain_curve(time, event))


@pytest.mark.parametrize("whole_days", [pytest.param(False, id="continuous"), pytest.param(True, id="whole-days")])
def test_agrees_with_lifelines(whole_days: bool) -> None:
    time, event = _large(POLARS_SORT_MIN + 1000, 20261126)
    if whole_days:
        time = np.ceil(time)
    fit = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    grid = kmf.survival_function_.index.to_numpy()
    diff = np.max(np.abs(fit.at(grid).survival - kmf.survival_function_.iloc[:, 0].to_numpy()))
    assert diff < 1e-12


def _advice() -> bool:
    switch = _memory._SET_ADVICE
    assert switch is not None
    previous = switch(True)
    switch(previous)
    return bool(previous)


@pytest.mark.skipif(_memory._SET_ADVICE is None, reason="this numpy has no huge-page switch")
def test_hugepage_advice_is_off_during_large_fits_and_restored() -> None:
    before = _advice()
    with no_hugepage_advice(LARGE_FIT_ROWS - 1):
        assert _advice() is before  # small fits leave it alone
    with no_hugepage_advice(LARGE_FIT_ROWS):
        assert _advice() is False
        with no_hugepage_advice(LARGE_FIT_ROWS):
            assert _advice() is False
        assert _advice() is False  # the inner block does not restore it under the outer one
    assert _advice() is before
    with pytest.raises(RuntimeError), no_hugepage_advice(LARGE_FIT_ROWS):
        raise RuntimeError("a failing fit")
    assert _advice() is before


@pytest.mark.skipif(_memory._SET_ADVICE is None, reason="this numpy has no huge-page switch")
def test_concurrent_fits_restore_the_advice_once_both_end() -> None:
    before = _advice()
    entered, release = threading.Event(), threading.Event()

    def other_fit() -> None:
        with no_hugepage_advice(LARGE_FIT_ROWS):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other_fit)
    thread.start()
    assert entered.wait(10)
    with no_hugepage_advice(LARGE_FIT_ROWS):
        pass
    assert _advice() is False  # the other fit still runs
    release.set()
    thread.join(10)
    assert _advice() is before
