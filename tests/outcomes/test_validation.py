"""Bad input is refused with an error naming the field, the value and the expectation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engraft.outcomes._validation import OutcomeInputError
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
