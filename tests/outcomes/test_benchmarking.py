"""Centre benchmarking (CIBMTR CSA manner): pseudo-values, logit fit, prediction interval, flags."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.benchmark_report import BenchmarkCohortDescription, benchmark_report
from engraft.outcomes.benchmarking import (
    benchmark_centres,
    build_design,
    complete_follow_up,
    fit_pseudo_logit,
)
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.pseudo_values import km_at, km_pseudo_values


def synthetic_registry(
    seed: int, *, n_centres: int = 10, n_per: int = 200, worse: str | None = None, older: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Exponential survival (1-year ~72% at age 50), age and disease effects, uniform censoring.

    ``worse`` has a hazard ratio of e (a true centre effect); ``older`` treats patients 15 years
    older (a case-mix difference the model should absorb).
    """
    rng = np.random.default_rng(seed)
    centre = np.repeat([f"C{k:02d}" for k in range(n_centres)], n_per)
    age = rng.normal(50.0, 12.0, centre.size)
    if older is not None:
        age[centre == older] += 15.0
    disease = rng.choice(["AML", "ALL", "MDS"], centre.size)
    linear = 0.03 * (age - 50.0) + np.where(disease == "MDS", 0.4, 0.0)
    if worse is not None:
        linear = linear + np.where(centre == worse, 1.0, 0.0)
    hazard = -np.log(0.72) / 365.0 * np.exp(linear)
    latent = rng.exponential(1.0 / hazard)
    censor = rng.uniform(370.0, 1500.0, centre.size)
    time = np.minimum(latent, censor).round()
    event = (latent <= censor).astype(np.int64)
    age_recorded = np.where(rng.random(centre.size) < 0.05, np.nan, age)
    return time, event, centre, {"age": age_recorded, "disease": disease}


# ---- pseudo-values ------------------------------------------------------------------------------


def _brute_pseudo(time: np.ndarray, event: np.ndarray, tau: float) -> np.ndarray:
    n = time.size
    full = km_at(time, event, tau)
    return np.asarray([n * full - (n - 1) * km_at(np.delete(time, i), np.delete(event, i), tau) for i in range(n)])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 1)), min_size=2, max_size=40),
    st.integers(0, 18),
)
def test_pseudo_values_match_brute_force_jackknife(rows: list[tuple[int, int]], tau: int) -> None:
    time = np.asarray([r[0] for r in rows], dtype=np.float64)
    event = np.asarray([r[1] for r in rows], dtype=np.int64)
    np.testing.assert_allclose(km_pseudo_values(time, event, float(tau)), _brute_pseudo(time, event, tau), atol=1e-9)


def test_pseudo_values_without_censoring_are_indicators() -> None:
    time = np.asarray([10.0, 200.0, 365.0, 400.0, 800.0, 50.0])
    event = np.ones(6, dtype=np.int64)
    pv = km_pseudo_values(time, event, 365.0)
    np.testing.assert_allclose(pv, (time > 365.0).astype(float), atol=1e-12)


def test_km_at_agrees_with_kaplan_meier() -> None:
    time, event, *_ = synthetic_registry(5, n_centres=1, n_per=300)
    fit = kaplan_meier(time, event)
    assert km_at(time, event, 365.0) == pytest.approx(float(fit.survival_at([365.0]).survival[0]), abs=1e-12)
    assert km_pseudo_values(time, event, 365.0).mean() == pytest.approx(km_at(time, event, 365.0), abs=0.01)


@pytest.mark.parametrize(
    ("time", "event", "tau", "match"),
    [
        pytest.param([1.0], [1], 365.0, "at least 2", id="one-subject"),
        pytest.param([1.0, 2.0], [1, 0], float("nan"), "tau", id="nan-tau"),
        pytest.param([1.0, -2.0], [1, 0], 365.0, r"time\[1\]", id="negative-time"),
        pytest.param([1.0, 2.0], [1, 3], 365.0, r"event\[1\]", id="bad-code"),
    ],
)
def test_pseudo_values_refuse_bad_input(time: list[float], event: list[int], tau: float, match: str) -> None:
    with pytest.raises(OutcomeInputError, match=match):
        km_pseudo_values(time, event, tau)


# ---- regression and design ------------------------------------------------------------------------


def test_logit_fit_reproduces_group_means_when_saturated() -> None:
    rng = np.random.default_rng(3)
    group = rng.integers(0, 3, 500)
    y = rng.random(500) * 1.4 - 0.2  # pseudo-values can fall outside [0, 1]
    design = build_design({"g": np.asarray(["a", "b", "c"])[group]}, 500)
    fit = fit_pseudo_logit(y, design.matrix, design.names, ridge=0.0)
    assert fit.converged
    for k in range(3):
        assert fit.fitted[group == k].mean() == pytest.approx(y[group == k].mean(), abs=1e-4)
    intercept_only = fit_pseudo_logit(y, np.ones((500, 1)))
    assert intercept_only.fitted[0] == pytest.approx(y.mean(), abs=1e-9)


def test_logit_fit_matches_maximum_likelihood_on_binary_outcomes() -> None:
    from scipy.optimize import minimize

    rng = np.random.default_rng(11)
    x = np.column_stack([np.ones(400), rng.normal(size=400), rng.integers(0, 2, 400)])
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.3 + 0.8 * x[:, 1] - 0.5 * x[:, 2])))).astype(float)

    def negloglik(b: np.ndarray) -> float:
        eta = x @ b
        return float(-(y @ eta - np.logaddexp(0, eta).sum()))

    reference = minimize(negloglik, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    fit = fit_pseudo_logit(y, x, ridge=0.0)
    np.testing.assert_allclose(fit.coef, reference, atol=1e-5)


def test_missing_covariate_rule() -> None:
    design = build_design(
        {
            "age": np.asarray([40.0, np.nan, 60.0, 50.0]),
            "disease": np.asarray(["AML", "", "AML", "MDS"], dtype=object),
            "constant": np.asarray([1.0, 1.0, 1.0, 1.0]),
            "nothing": np.asarray([np.nan] * 4),
        },
        4,
        min_level_size=1,
    )
    assert design.names == (
        "(intercept)",
        "age",
        "age: missing",
        "disease=MDS (vs AML)",
        "disease=missing (vs AML)",
    )
    assert design.dropped == ("constant", "nothing")
    np.testing.assert_allclose(design.matrix[:, 2], [0, 1, 0, 0])
    # the missing age is imputed with the median (50), then centred
    np.testing.assert_allclose(design.matrix[:, 1], np.asarray([40.0, 50.0, 60.0, 50.0]) - 50.0)


def test_rare_levels_are_pooled() -> None:
    labels = np.asarray(["AML"] * 30 + ["MDS"] * 20 + ["CML"] * 3 + ["CLL"] * 2 + [""] * 4, dtype=object)
    design = build_design({"disease": labels}, labels.size)
    assert design.names == ("(intercept)", "disease=MDS (vs AML)", "disease=other (rare) (vs AML)")
    assert design.matrix[:, 2].sum() == 9
    only_rare = build_design({"x": np.asarray(["a", "b", "c"], dtype=object)}, 3)
    assert only_rare.dropped == ("x",)


def test_small_all_alive_category_stays_finite() -> None:
    """Separation (a small category with every patient alive) must not give fitted survival of 1."""
    rng = np.random.default_rng(9)
    group = np.asarray(["common"] * 300 + ["small"] * 12, dtype=object)
    y = np.concatenate([(rng.random(300) < 0.7).astype(float), np.ones(12)])
    design = build_design({"g": group}, y.size)
    fit = fit_pseudo_logit(y, design.matrix, design.names)
    assert fit.converged and np.all(fit.fitted < 0.999)


# ---- benchmarking -----------------------------------------------------------------------------


def test_centre_with_truly_worse_survival_is_flagged_below() -> None:
    time, event, centre, cov = synthetic_registry(1, worse="C03")
    result = benchmark_centres(time, event, centre, cov, seed=7)
    c03 = result.for_centre("C03")
    assert c03.flag == "below" and c03.score == -1
    assert c03.observed < c03.lower < c03.expected < c03.upper
    assert c03.km_lower < c03.km_survival < c03.km_upper
    assert result.model.converged
    assert sum(c.flag == "as expected" for c in result.centres) >= 8


def test_case_mix_is_adjusted_for() -> None:
    time, event, centre, cov = synthetic_registry(3, older="C05")
    adjusted = benchmark_centres(time, event, centre, cov, seed=7).for_centre("C05")
    assert adjusted.flag == "as expected"
    assert adjusted.expected < 0.65, "older patients: lower expected survival"
    crude = benchmark_centres(time, event, centre, None, seed=7).for_centre("C05")
    assert crude.flag == "below", "without adjustment the older case mix looks like poor performance"


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"null-seed-{s}") for s in (1, 3, 4)])
def test_null_scenario_mostly_as_expected(seed: int) -> None:
    time, event, centre, cov = synthetic_registry(seed)
    result = benchmark_centres(time, event, centre, cov, seed=seed)
    flags = [c.flag for c in result.centres]
    assert flags.count("as expected") >= 9
    assert "not rated" not in flags


def test_seeded_bootstrap_is_reproducible() -> None:
    time, event, centre, cov = synthetic_registry(2, n_centres=4, n_per=100)
    first = benchmark_centres(time, event, centre, cov, seed=42, n_bootstrap=500)
    again = benchmark_centres(time, event, centre, cov, seed=42, n_bootstrap=500)
    other = benchmark_centres(time, event, centre, cov, seed=43, n_bootstrap=500)
    assert [(c.lower, c.upper) for c in first.centres] == [(c.lower, c.upper) for c in again.centres]
    assert [(c.lower, c.upper) for c in first.centres] != [(c.lower, c.upper) for c in other.centres]
    report = benchmark_report(first, BenchmarkCohortDescription(population="synthetic", transplants=400))
    assert report.seed == 42 and "Logan" in report.citation and len(report.centres) == 4
    assert [(c.centre, c.lower, c.upper) for c in report.centres] == [
        (c.centre, c.lower, c.upper) for c in first.centres
    ]


def _completeness_cohort(incomplete: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre X: 1000 patients of which ``incomplete`` are lost to follow-up before day 365."""
    rng = np.random.default_rng(8)
    n = 1000
    base_time = np.where(rng.random(n) < 0.25, rng.integers(1, 365, n), rng.integers(366, 1200, n)).astype(float)
    base_event = (base_time < 365).astype(np.int64)
    time_x, event_x = base_time.copy(), base_event.copy()
    time_x[:incomplete] = 200.0
    event_x[:incomplete] = 0
    other = rng.integers(1, 1200, 500).astype(float)
    other_event = (other < 365).astype(np.int64)
    time = np.concatenate([time_x, other])
    event = np.concatenate([event_x, other_event])
    centre = np.asarray(["X"] * n + ["Y"] * 500)
    return time, event, centre


@pytest.mark.parametrize(
    ("incomplete", "rated"),
    [
        pytest.param(100, False, id="exactly-90.0pct-not-rated"),
        pytest.param(99, True, id="90.1pct-rated"),
        pytest.param(0, True, id="complete"),
    ],
)
def test_completeness_rule_boundary(incomplete: int, rated: bool) -> None:
    time, event, centre = _completeness_cohort(incomplete)
    x = benchmark_centres(time, event, centre, seed=1, n_bootstrap=200).for_centre("X")
    assert x.completeness == pytest.approx((1000 - incomplete) / 1000)
    assert (x.flag != "not rated") is rated
    assert (x.score is None) is (not rated)


def test_complete_follow_up_definition() -> None:
    time = np.asarray([100.0, 100.0, 365.0, 366.0, 364.0, 500.0, 365.0])
    event = np.asarray([1, 0, 0, 0, 0, 1, 1])
    assert complete_follow_up(time, event, 365.0).tolist() == [True, False, False, True, False, True, True]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"n_bootstrap": 10}, "n_bootstrap", id="too-few-replicates"),
        pytest.param({"level": 1.5}, "level", id="bad-level"),
        pytest.param({"completeness_threshold": 1.0}, "completeness_threshold", id="bad-threshold"),
    ],
)
def test_benchmark_refuses_bad_settings(kwargs: dict[str, Any], match: str) -> None:
    time, event, centre, cov = synthetic_registry(1, n_centres=2, n_per=20)
    with pytest.raises(OutcomeInputError, match=match):
        benchmark_centres(time, event, centre, cov, **kwargs)
