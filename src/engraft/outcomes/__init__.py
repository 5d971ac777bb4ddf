"""Engraft outcomes: survival and competing-risks estimators for HSCT follow-up.

Pure numpy/scipy implementations pinned, in ``tests/outcomes``, to values produced by R
``survival`` and ``cmprsk`` (see ``tests/outcomes/reference/``). Each estimator lives in its own
module; the names below are the public API.
"""

from engraft.outcomes._validation import OutcomeInputError, TimeUnit
from engraft.outcomes.cox import CoxResult, cox_ph
from engraft.outcomes.cumulative_incidence import (
    CumulativeIncidenceResult,
    cumulative_incidence,
    cumulative_incidence_by_group,
)
from engraft.outcomes.endpoints import Endpoint, convert_time, read_endpoint_csv
from engraft.outcomes.fine_gray import FineGrayResult, fine_gray
from engraft.outcomes.gray_test import GrayTestCause, GrayTestResult, gray_test
from engraft.outcomes.kaplan_meier import KaplanMeierResult, LandmarkEstimate, QuantileEstimate, kaplan_meier
from engraft.outcomes.logrank import LogRankResult, logrank_test

__all__ = [
    "CoxResult",
    "CumulativeIncidenceResult",
    "Endpoint",
    "FineGrayResult",
    "GrayTestCause",
    "GrayTestResult",
    "KaplanMeierResult",
    "LandmarkEstimate",
    "LogRankResult",
    "OutcomeInputError",
    "QuantileEstimate",
    "TimeUnit",
    "convert_time",
    "cox_ph",
    "cumulative_incidence",
    "cumulative_incidence_by_group",
    "fine_gray",
    "gray_test",
    "kaplan_meier",
    "logrank_test",
    "read_endpoint_csv",
]
