"""Property-based invariants of the estimators (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes.cumulative_incidence import cumulative_incidence
from engraft.outcomes.gray_test import gray_test
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.logrank import logrank_test

# integer times give many ties; 0 is allowed (events at time zero)
cohorts = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=20), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=2), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=2), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(cohorts)
def test_kaplan_meier_is_a_survival_curve(cohort: tuple[list[int], list[int], list[int]]) -> None:
    time, status, _ = cohort
    fit = kaplan_meier(time, [int(s > 0) for s in status])
    assert np.all((fit.survival >= 0.0) & (fit.survival <= 1.0))
    assert np.all(np.diff(fit.survival) <= 0.0)
    ok = ~np.isnan(fit.lower)
    assert np.all(fit.lower[ok] <= fit.survival[ok] + 1e-12)
    assert np.all(fit.survival[ok] <= fit.upper[ok] + 1e-12)
    assert fit.n_event.sum() + fit.n_censor.sum() == len(time)


@settings(max_examples=200, deadline=None)
@given(cohorts)
def test_cifs_and_event_free_survival_sum_to_one(cohort: tuple[list[int], list[int], list[int]]) -> None:
    time, status, _ = cohort
    fit = cumulative_incidence(time, status)
    total = fit.cif.sum(axis=1) + fit.event_free_survival
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert np.all(np.diff(fit.cif, axis=0) >= -1e-15)
    assert np.all(fit.variance >= -1e-15)
    km = kaplan_meier(time, [int(s > 0) for s in status])
    np.testing.assert_allclose(fit.event_free_survival, km.survival, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(cohorts)
def test_tests_are_invariant_to_row_order(cohort: tuple[list[int], list[int], list[int]]) -> None:
    time, status, group = cohort
    if len(set(group)) < 2:
        return
    perm = np.random.default_rng(0).permutation(len(time))
    t, s, g = np.array(time), np.array(status), np.array(group)
    a = logrank_test(t, (s > 0).astype(int), g)
    b = logrank_test(t[perm], (s[perm] > 0).astype(int), g[perm])
    assert np.isclose(a.statistic, b.statistic, rtol=1e-9, atol=1e-12) or (
        np.isnan(a.statistic) and np.isnan(b.statistic)
    )
    ga = gray_test(t, s, g)
    gb = gray_test(t[perm], s[perm], g[perm])
    for x, y in zip(ga.tests, gb.tests, strict=True):
        assert (np.isnan(x.statistic) and np.isnan(y.statistic)) or np.isclose(
            x.statistic, y.statistic, rtol=1e-8, atol=1e-10
        )


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.floats(min_value=0.1, max_value=10.0),
    st.floats(min_value=-5.0, max_value=5.0),
)
def test_cox_coefficient_is_equivariant_to_covariate_scale(seed: int, scale: float, shift: float) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    x = rng.normal(size=n)
    time = np.floor(rng.exponential(10.0 * np.exp(-0.5 * x)))
    event = (rng.uniform(size=n) < 0.7).astype(int)
    if event.sum() < 3:
        return
    from engraft.outcomes.cox import cox_ph

    base = cox_ph(time, event, x)
    scaled = cox_ph(time, event, x * scale + shift)
    if not (base.converged and scaled.converged):
        return  # monotone likelihood (infinite estimate): nothing to compare
    np.testing.assert_allclose(scaled.coef * scale, base.coef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(scaled.loglik, base.loglik, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("time", "status", "group"),
    [
        pytest.param([3, 0, 2, 0], [1, 1, 1, 1], ["b", "a", "b", "a"], id="every-subject-has-the-event"),
        pytest.param([3, 1, 1, 2], [2, 2, 2, 2], ["a", "b", "c", "a"], id="only-competing-events"),
        pytest.param(
            [1, 1, 1, 1, 0, 2, 3], [0, 1, 1, 1, 0, 1, 1], list("baaabbb"), id="a-group-all-events-at-one-time"
        ),
    ],
)
def test_gray_test_on_groups_whose_event_free_survival_reaches_zero(
    time: list[float], status: list[int], group: list[str]
) -> None:
    """A variance of 0/0 (no one left event-free) makes the statistic undefined (NaN), never an error."""
    for result in gray_test(time, status, group).tests:
        assert np.isnan(result.statistic) and np.isnan(result.p_value)
