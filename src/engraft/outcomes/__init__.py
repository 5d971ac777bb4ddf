"""Engraft outcomes: survival and competing-risks estimators for HSCT follow-up.

Pure numpy/scipy implementations pinned, in ``tests/outcomes``, to values produced by R
``survival`` and ``cmprsk`` (see ``tests/outcomes/reference/``). Each estimator lives in its own
module; the names below are the public API. The questions asked of the registry (survival,
competing risks, comparisons, benchmarking, activity) are typed in :mod:`engraft.outcomes.queries`
and answered from the outcome table by :mod:`engraft.outcomes.answers`.
"""

from typing import TYPE_CHECKING, Any

from engraft.outcomes._validation import NothingToAnalyse, OutcomeInputError, OutcomeQueryError
from engraft.outcomes.cox import CoxResult, cox_ph
from engraft.outcomes.cumulative_incidence import (
    CumulativeIncidenceResult,
    IncidenceAtTimes,
    cumulative_incidence,
    cumulative_incidence_by_group,
)
from engraft.outcomes.endpoints import Endpoint, convert_time, make_endpoint
from engraft.outcomes.fine_gray import FineGrayResult, fine_gray
from engraft.outcomes.gray_test import GrayTestCause, GrayTestResult, gray_test
from engraft.outcomes.kaplan_meier import (
    KaplanMeierResult,
    LandmarkEstimate,
    QuantileEstimate,
    SurvivalAtTimes,
    kaplan_meier,
)
from engraft.outcomes.logrank import LogRankResult, logrank_test
from engraft.outcomes.multistate_cox import TransitionCoxResult, transition_cox
from engraft.outcomes.multistate_data import MultiStateData, from_long, prepare_long
from engraft.outcomes.multistate_hazards import TransitionHazards, VarianceMethod, nelson_aalen
from engraft.outcomes.multistate_probabilities import StateOccupation, TransitionProbabilities, aalen_johansen
from engraft.outcomes.multistate_transitions import TransitionMatrix, illness_death
from engraft.outcomes.rmst import RestrictedMean, RmstComparison, compare_restricted_means, restricted_mean
from engraft.outcomes.tidy import FrameKind

__all__ = [
    "CoxResult",
    "CumulativeIncidenceResult",
    "Endpoint",
    "FineGrayResult",
    "FrameKind",
    "GrayTestCause",
    "GrayTestResult",
    "GroupedCumulativeIncidence",
    "GroupedKaplanMeier",
    "IncidenceAtTimes",
    "KaplanMeierResult",
    "LandmarkEstimate",
    "LogRankResult",
    "MultiStateData",
    "NothingToAnalyse",
    "OutcomeInputError",
    "OutcomeQueryError",
    "QuantileEstimate",
    "RestrictedMean",
    "RmstComparison",
    "StateOccupation",
    "SurvivalAtTimes",
    "TransitionCoxResult",
    "TransitionHazards",
    "TransitionMatrix",
    "TransitionProbabilities",
    "VarianceMethod",
    "aalen_johansen",
    "compare_restricted_means",
    "convert_time",
    "cox_ph",
    "cumulative_incidence",
    "cumulative_incidence_by_group",
    "cumulative_incidence_frame",
    "fine_gray",
    "from_long",
    "gray_test",
    "illness_death",
    "kaplan_meier",
    "kaplan_meier_frame",
    "logrank_test",
    "make_endpoint",
    "nelson_aalen",
    "prepare_long",
    "restricted_mean",
    "transition_cox",
]

if TYPE_CHECKING:
    from engraft.outcomes.grouped import (
        GroupedCumulativeIncidence,
        GroupedKaplanMeier,
        cumulative_incidence_frame,
        kaplan_meier_frame,
    )

_FRAME_INTERFACE = frozenset(
    {"GroupedCumulativeIncidence", "GroupedKaplanMeier", "cumulative_incidence_frame", "kaplan_meier_frame"}
)


def __getattr__(name: str) -> Any:
    """The data-frame interface (:mod:`engraft.outcomes.grouped`), imported with Arrow when first used."""
    if name in _FRAME_INTERFACE:
        from engraft.outcomes import grouped

        return getattr(grouped, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
