"""Engraft outcomes: survival and competing-risks estimators for HSCT follow-up.

Pure numpy/scipy implementations pinned, in ``tests/outcomes``, to values produced by R
``survival`` and ``cmprsk`` (see ``tests/outcomes/reference/``). Each estimator lives in its own
module; the names below are the public API. The questions asked of the registry (survival,
competing risks, comparisons, benchmarking, activity) are typed in :mod:`engraft.outcomes.queries`
and answered from the outcome table by :mod:`engraft.outcomes.answers`.
"""

from engraft.outcomes._validation import NothingToAnalyse, OutcomeInputError, OutcomeQueryError
from engraft.outcomes.cox import CoxResult, cox_ph
from engraft.outcomes.cumulative_incidence import (
    CumulativeIncidenceResult,
    cumulative_incidence,
    cumulative_incidence_by_group,
)
from engraft.outcomes.endpoints import Endpoint, convert_time, make_endpoint
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
    "NothingToAnalyse",
    "OutcomeInputError",
    "OutcomeQueryError",
    "QuantileEstimate",
    "convert_time",
    "cox_ph",
    "cumulative_incidence",
    "cumulative_incidence_by_group",
    "fine_gray",
    "gray_test",
    "kaplan_meier",
    "logrank_test",
    "make_endpoint",
]
