"""Restricted mean survival time (survRM2 ``rmst2``, unadjusted) on figures derived independently.

- a worked example integrated by hand (exact fractions), its variance from the formula term by term;
- the survRM2 vignette's published example (pbc trial data, tau = 10 years): RMST difference
  D-penicillamine minus placebo printed as -0.137 years (Uno et al., "Vignette for survRM2 package:
  Comparing two survival curves using the restricted mean survival time", CRAN survRM2,
  https://rdrr.io/cran/survRM2/f/vignettes/survRM2-vignette3-2.Rmd); data: R survival's pbc rows 1-312
  (tests/outcomes/reference/pbc_trial.csv), prepared as ``rmst2.sample.data()`` prepares them;
- lifelines' ``restricted_mean_survival_time`` for the area itself;
- Hypothesis: 0 <= RMST <= tau, RMST non-decreasing in tau, variance >= 0.
"""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy.stats import norm

from engraft.outcomes import OutcomeInputError
from engraft.outcomes.rmst import compare_restricted_means, restricted_mean

PBC = Path(__file__).resolve().parent / "reference" / "pbc_trial.csv"

TIME = [1, 2, 3, 4, 5]
EVENT = [1, 0, 1, 1, 0]


def _pbc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with PBC.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    time = np.array([float(r["time"]) / 365.25 for r in rows])
    status = np.array([1 if r["status"] == "2" else 0 for r in rows])
    arm = np.array([1 if r["trt"] == "1" else 0 for r in rows])
    return time, status, arm


def test_worked_example_by_hand() -> None:
    # KM: 4/5 after day 1, unchanged at the censoring on day 2, x 2/3 on day 3, x 1/2 on day 4.
    s1, s3, s4 = Fraction(4, 5), Fraction(8, 15), Fraction(4, 15)
    area = 1 + s1 + s1 + s3 + s4 * Fraction(1, 2)  # up to tau = 4.5
    # Greenwood plug-in: (area from t_i to tau)^2 * d_i / (Y_i (Y_i - d_i)) at the event times 1, 3, 4
    tail1, tail3, tail4 = area - 1, s3 + s4 / 2, s4 / 2
    variance = tail1**2 / 20 + tail3**2 / 6 + tail4**2 / 2
    got = restricted_mean(TIME, EVENT, 4.5)
    assert area == Fraction(49, 15)
    assert got.rmst == pytest.approx(float(area), rel=1e-15)
    assert got.variance == pytest.approx(float(variance), rel=1e-14)
    assert got.std_error == pytest.approx(float(variance) ** 0.5, rel=1e-14)
    assert got.rmtl == pytest.approx(4.5 - float(area), rel=1e-14)
    assert (got.lower, got.upper) == pytest.approx(
        (got.rmst - 1.959963984540054 * got.std_error, got.rmst + 1.959963984540054 * got.std_error)
    )


@pytest.mark.parametrize(
    ("tau", "expected"),
    [
        pytest.param(0.5, Fraction(1, 2), id="before-first-event"),
        pytest.param(1, Fraction(1), id="at-first-event"),
        pytest.param(3, Fraction(1) + Fraction(4, 5) * 2, id="at-an-event"),
        pytest.param(10, Fraction(1) + Fraction(8, 5) + Fraction(8, 15) + Fraction(4, 15) * 6, id="past-last-time"),
    ],
)
def test_area_at_boundaries(tau: float, expected: Fraction) -> None:
    assert restricted_mean(TIME, EVENT, tau).rmst == pytest.approx(float(expected), rel=1e-15)


def test_survrm2_vignette_pbc_difference() -> None:
    time, status, arm = _pbc()
    assert (int((arm == 1).sum()), int((arm == 0).sum())) == (158, 154)  # as the vignette's data
    assert int(status.sum()) == 125  # deaths among the 312 trial patients (Fleming & Harrington 1991)
    result = compare_restricted_means(time, status, arm, tau=10, reference=0)
    assert result.tau == 10
    assert abs(result.difference.estimate - (-0.137)) <= 0.0005  # printed to 3 decimals
    assert result.difference.lower < result.difference.estimate < result.difference.upper
    # the ratio contrasts agree with the difference's direction and the per-group figures
    assert result.ratio.estimate == pytest.approx(result.arm.rmst / result.control.rmst, rel=1e-14)
    assert result.rmtl_ratio.estimate == pytest.approx(result.arm.rmtl / result.control.rmtl, rel=1e-14)


def test_difference_variance_is_the_sum_of_group_variances() -> None:
    time, status, arm = _pbc()
    result = compare_restricted_means(time, status, arm, tau=10, reference=0)
    one = restricted_mean(time[arm == 1], status[arm == 1], 10)
    zero = restricted_mean(time[arm == 0], status[arm == 0], 10)
    se = (one.variance + zero.variance) ** 0.5
    assert result.difference.estimate == pytest.approx(one.rmst - zero.rmst, rel=1e-14)
    assert result.difference.upper - result.difference.lower == pytest.approx(2 * 1.959963984540054 * se, rel=1e-12)
    z = result.difference.estimate / se
    assert result.difference.p_value == pytest.approx(2 * norm.sf(abs(z)), rel=1e-12)


def test_area_matches_lifelines() -> None:
    time, status, arm = _pbc()
    for group in (0, 1):
        km = KaplanMeierFitter().fit(time[arm == group], status[arm == group])
        assert restricted_mean(time[arm == group], status[arm == group], 10).rmst == pytest.approx(
            float(restricted_mean_survival_time(km, t=10)), rel=1e-9
        )


@pytest.mark.parametrize(
    ("time", "event", "group", "tau"),
    [
        pytest.param([1, 4, 2, 5], [1, 1, 1, 1], [0, 0, 1, 1], 5.0, id="both-end-in-events-larger"),
        pytest.param([1, 4, 2, 5], [1, 0, 1, 0], [0, 0, 1, 1], 4.0, id="both-censored-smaller"),
        pytest.param([1, 4, 2, 5], [1, 0, 1, 1], [0, 0, 1, 1], 4.0, id="censored-group-ends-first"),
        pytest.param([1, 6, 2, 5], [1, 0, 1, 1], [0, 0, 1, 1], 6.0, id="event-group-ends-first"),
    ],
)
def test_default_tau_rule(time: list[float], event: list[int], group: list[int], tau: float) -> None:
    assert compare_restricted_means(time, event, group).tau == tau


def test_tau_beyond_the_estimable_range_is_refused() -> None:
    with pytest.raises(OutcomeInputError, match=r"tau: got 4.5; expected at most 4.0"):
        compare_restricted_means([1, 4, 2, 5], [1, 0, 1, 0], [0, 0, 1, 1], tau=4.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"group": [0, 0, 0, 0]}, "expected exactly 2", id="one-group"),
        pytest.param({"reference": "x"}, "reference: got 'x'", id="unknown-reference"),
        pytest.param({"tau": -1.0}, "tau: got -1.0", id="negative-tau"),
        pytest.param({"alpha": 1.5}, "alpha: got 1.5", id="alpha-out-of-range"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"time": [1, 4, 2, 5], "event": [1, 1, 1, 1], "group": [0, 0, 1, 1], **kwargs}
    with pytest.raises(OutcomeInputError, match=message):
        compare_restricted_means(**args)  # type: ignore[arg-type]


_samples = st.lists(st.tuples(st.integers(1, 50), st.booleans()), min_size=1, max_size=40)


@given(_samples, st.floats(0.1, 60), st.floats(0.1, 60))
def test_rmst_invariants(sample: list[tuple[int, bool]], tau_a: float, tau_b: float) -> None:
    time = [float(t) for t, _ in sample]
    event = [int(e) for _, e in sample]
    lo, hi = sorted((tau_a, tau_b))
    small, large = restricted_mean(time, event, lo), restricted_mean(time, event, hi)
    for r in (small, large):
        assert 0.0 <= r.rmst <= r.tau + 1e-12
        assert r.variance >= 0.0
    assert small.rmst <= large.rmst + 1e-12
    assert large.rmst - small.rmst <= hi - lo + 1e-12  # the curve is at most 1


def test_tidy_frame_is_rmst2s_table() -> None:
    time, status, arm = _pbc()
    result = compare_restricted_means(time, status, arm, tau=10, reference=0)
    frame = result.to_frame()
    assert frame["measure"].tolist() == [
        "RMST (1)",
        "RMST (0)",
        "RMST (1)-(0)",
        "RMST (1)/(0)",
        "RMTL (1)/(0)",
    ]
    assert frame["estimate"].iloc[2] == pytest.approx(result.difference.estimate)
    assert frame["p_value"].iloc[2] == pytest.approx(result.difference.p_value)
