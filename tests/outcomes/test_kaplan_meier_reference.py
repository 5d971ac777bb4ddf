"""Kaplan-Meier estimates, Greenwood errors, log-log limits, quantiles and landmarks pinned to R survfit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engraft.outcomes.kaplan_meier import KaplanMeierResult, kaplan_meier
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import ref

TOL = 1e-8


def _any(df: pd.DataFrame) -> object:
    return (df["status"] > 0).astype(int)


CASES: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[pd.DataFrame], object], bool]] = {
    "km_bmt_any": (data.bmt, _any, False),
    "km_cgvhd_any": (data.cgvhd, _any, False),
    "km_cgvhd_death": (data.cgvhd, lambda df: (df["status"] == 3).astype(int), False),
    "km_syn_any": (data.synthetic, _any, False),
    "km_syn_g0_rel": (
        lambda: data.synthetic().query("group == 0"),
        lambda df: (df["status"] == 1).astype(int),
        False,
    ),
    "km_syn_entry": (lambda: data.synthetic().query("time > 0"), _any, True),
    "km_allcens": (data.synthetic, lambda df: np.zeros(len(df), dtype=int), False),
    "km_edge": (data.edge, _any, False),
}


def _fit(case: str) -> KaplanMeierResult:
    load, event, late = CASES[case]
    df = load()
    return kaplan_meier(df["time"], event(df), entry=df["entry"] if late else None)


def assert_close(got: np.ndarray, expected: np.ndarray, tol: float = TOL) -> None:
    got = np.asarray(got, dtype=float)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol, equal_nan=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_curve_matches_survfit(case: str) -> None:
    fit = _fit(case)
    assert_close(fit.time, ref(case, "time"), 0)
    assert_close(fit.n_risk, ref(case, "n_risk"), 0)
    assert_close(fit.n_event, ref(case, "n_event"), 0)
    assert_close(fit.n_censor, ref(case, "n_censor"), 0)
    assert_close(fit.survival, ref(case, "surv"))
    assert_close(fit.cumhaz_std_error, ref(case, "std_err"))
    assert_close(fit.lower, ref(case, "lower"))
    assert_close(fit.upper, ref(case, "upper"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_quantiles_match_quantile_survfit(case: str) -> None:
    fit = _fit(case)
    probs = ref(case, "q_prob")
    quantiles = [fit.quantile(float(p)) for p in probs]
    assert_close(np.array([q.estimate for q in quantiles]), ref(case, "q_est"))
    assert_close(np.array([q.lower for q in quantiles]), ref(case, "q_lower"))
    assert_close(np.array([q.upper for q in quantiles]), ref(case, "q_upper"))


@pytest.mark.parametrize("case", [c for c in sorted(CASES) if c != "km_allcens"])
def test_landmarks_match_summary_survfit(case: str) -> None:
    fit = _fit(case)
    lm = fit.at(ref(case, "lm_time"))
    assert_close(lm.survival, ref(case, "lm_surv"))
    assert_close(lm.std_error, ref(case, "lm_se"))
    assert_close(lm.lower, ref(case, "lm_lower"))
    assert_close(lm.upper, ref(case, "lm_upper"))


def test_median_is_quantile_half() -> None:
    fit = _fit("km_syn_any")
    assert fit.median() == fit.quantile(0.5)
    assert fit.median().time_unit == "days"


def test_landmark_beyond_follow_up_is_nan() -> None:
    fit = kaplan_meier([1.0, 2.0, 3.0], [1, 0, 1])
    lm = fit.survival_at([0.5, 3.0, 10.0])
    assert lm.survival[0] == 1.0
    assert lm.survival[1] == 0.0
    assert np.isnan(lm.survival[2])


def test_events_at_time_zero() -> None:
    fit = kaplan_meier([0.0, 0.0, 1.0, 2.0], [1, 0, 1, 1])
    assert fit.time[0] == 0.0
    assert fit.survival[0] == pytest.approx(0.75)
    assert fit.survival[-1] == 0.0
    assert np.isinf(fit.cumhaz_std_error[-1])
