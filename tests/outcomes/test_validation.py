"""Bad input is refused with an error naming the field, the value and the expectation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engraft.outcomes._validation import OutcomeInputError, as_indicator, as_times
from engraft.outcomes.cox import cox_ph
from engraft.outcomes.cumulative_incidence import cumulative_incidence, cumulative_incidence_by_group
from engraft.outcomes.fine_gray import fine_gray
from engraft.outcomes.gray_test import gray_test
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.logrank import logrank_test


@pytest.mark.parametrize(
    ("time", "event", "pattern"),
    [
        ([1.0, -2.0, 3.0], [1, 0, 1], r"time\[1\]: got -2\.0; expected a time >= 0"),
        ([1.0, math.nan, 3.0], [1, 0, 1], r"time\[1\]: got nan; expected a finite time"),
        ([1.0, math.inf], [1, 0], r"time\[1\]: got inf"),
        ([1.0, 2.0, 3.0], [1, 0], r"event: got 2 values; expected 3"),
        ([1.0, 2.0, 3.0], [1, 2, 0], r"event\[1\]: got 2; expected a code in \[0, 1\]"),
        ([1.0, 2.0, 3.0], [1, 0.5, 0], r"event\[1\]: got 0\.5; expected an integer code"),
        ([1.0, 2.0, 3.0], [1, math.nan, 0], r"event\[1\]: got nan"),
        ([], [], r"time: got 0 values"),
        ([[1.0, 2.0]], [1], r"time: got an array of shape \(1, 2\)"),
        (["a", "b"], [1, 0], r"time: could not be read as numbers"),
    ],
)
def test_kaplan_meier_refuses(time: list[object], event: list[object], pattern: str) -> None:
    with pytest.raises(OutcomeInputError, match=pattern):
        kaplan_meier(time, event)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(np.array([True, False, True]), id="bool"),
        pytest.param(np.array([1, 0, 1], dtype=np.int8), id="int8"),
        pytest.param(np.array([1, 0, 1], dtype=np.uint16), id="uint16"),
        pytest.param(np.array([1, 0, 1], dtype=">i8"), id="big-endian-int64"),
        pytest.param(np.array([1.0, 0.0, 1.0]), id="float"),
        pytest.param([1, 0, 1], id="list"),
    ],
)
def test_event_indicators_of_any_integer_type(event: object) -> None:
    fit = kaplan_meier([2.0, 1.0, 3.0], event)
    np.testing.assert_array_equal(fit.n_event, [0, 1, 1])
    assert fit.n_event.dtype == np.int64


def test_event_indicator_is_not_copied_and_bad_codes_are_named() -> None:
    event = np.array([1, 0, 1], dtype=np.int64)
    assert np.shares_memory(as_indicator(event, "event", 3), event)
    with pytest.raises(OutcomeInputError, match=r"event\[1\]: got -1; expected a code in \[0, 1\]"):
        kaplan_meier([1.0, 2.0, 3.0], np.array([1, -1, 0], dtype=np.int8))
    with pytest.raises(OutcomeInputError, match=r"event\[2\]: got 2; expected a code in \[0, 1\]"):
        kaplan_meier([1.0, 2.0, 3.0], np.array([1, 0, 2], dtype=np.uint8))
    with pytest.raises(OutcomeInputError, match=r"event: got 2 values; expected 3"):
        kaplan_meier([1.0, 2.0, 3.0], np.array([True, False]))


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        pytest.param([0.0, -0.0, 2.0], None, id="negative-zero-accepted"),
        pytest.param([0.0, -1e-300, 2.0], r"t\[1\]: got -1e-300; expected a time >= 0", id="tiny-negative"),
        pytest.param([1.0, -math.inf], r"t\[1\]: got -inf; expected a finite time", id="minus-infinity"),
        pytest.param([1.0, -math.nan], r"t\[1\]: got nan; expected a finite time", id="nan-with-sign-bit"),
        pytest.param([1.7976931348623157e308], None, id="largest-finite"),
    ],
)
def test_times_checked_in_one_pass_at_the_edges(values: list[float], pattern: str | None) -> None:
    if pattern is None:
        np.testing.assert_array_equal(as_times(values, "t"), values)
    else:
        with pytest.raises(OutcomeInputError, match=pattern):
            as_times(values, "t")


def test_options_are_checked() -> None:
    with pytest.raises(OutcomeInputError, match=r"conf_level: got 1\.5"):
        kaplan_meier([1.0], [1], conf_level=1.5)
    with pytest.raises(OutcomeInputError, match=r"time_unit: got 'weeks'; expected one of days, months, years"):
        kaplan_meier([1.0], [1], time_unit="weeks")
    with pytest.raises(OutcomeInputError, match=r"probability: got 0"):
        kaplan_meier([1.0], [1]).quantile(0.0)


def test_entry_must_precede_exit() -> None:
    with pytest.raises(OutcomeInputError, match=r"entry\[1\]: got 5\.0 with time\[1\] = 2\.0; expected entry < time"):
        kaplan_meier([3.0, 2.0], [1, 1], entry=[0.0, 5.0])
    with pytest.raises(OutcomeInputError, match=r"entry: got 1 values; expected 2"):
        kaplan_meier([3.0, 2.0], [1, 1], entry=[0.0])


def test_competing_status_codes_must_be_declared() -> None:
    with pytest.raises(OutcomeInputError, match=r"status\[2\]: got 3; expected a code in \[0, 1, 2\]"):
        cumulative_incidence([1, 2, 3], [1, 2, 3])
    with pytest.raises(OutcomeInputError, match=r"status\[2\]: got 3"):
        gray_test([1, 2, 3, 4], [1, 2, 3, 0], [0, 0, 1, 1])
    with pytest.raises(OutcomeInputError, match=r"status\[0\]: got 9"):
        fine_gray([1, 2, 3], [9, 2, 0], [0.0, 1.0, 2.0])
    with pytest.raises(OutcomeInputError, match=r"causes: got \[0, 1\] containing censor_code 0"):
        cumulative_incidence([1, 2], [1, 0], causes=(0, 1))
    with pytest.raises(OutcomeInputError, match=r"causes: got \[1, 1\]; expected distinct"):
        cumulative_incidence([1, 2], [1, 0], causes=(1, 1))
    fit = cumulative_incidence([1, 2, 3], [7, 0, 9], causes=(7, 9), censor_code=0)
    assert fit.causes == (7, 9)
    with pytest.raises(OutcomeInputError, match=r"cause: got 1; expected one of \[7, 9\]"):
        fit.at([1.0], 1)


def test_groups_and_covariates_are_checked() -> None:
    with pytest.raises(OutcomeInputError, match=r"group: got 2 values; expected 3"):
        logrank_test([1, 2, 3], [1, 0, 1], [0, 1])
    with pytest.raises(OutcomeInputError, match=r"group\[1\]: got nan; expected a group label"):
        cumulative_incidence_by_group([1, 2, 3], [1, 0, 1], [0.0, np.nan, 1.0])
    with pytest.raises(OutcomeInputError, match=r"strata: got 1 values; expected 3"):
        gray_test([1, 2, 3], [1, 2, 1], [0, 1, 1], strata=[1])
    with pytest.raises(OutcomeInputError, match=r"covariates\[1, 0\]: got nan; expected a finite number"):
        cox_ph([1, 2, 3], [1, 0, 1], [0.0, np.nan, 1.0])
    with pytest.raises(OutcomeInputError, match=r"covariates: got 2 values; expected 3"):
        fine_gray([1, 2, 3], [1, 2, 0], [[0.0], [1.0]])
    with pytest.raises(OutcomeInputError, match=r"covariate_names: got 2 names; expected 1"):
        cox_ph([1, 2, 3], [1, 0, 1], [0.0, 2.0, 1.0], covariate_names=["a", "b"])


def test_error_is_a_value_error() -> None:
    assert issubclass(OutcomeInputError, ValueError)
