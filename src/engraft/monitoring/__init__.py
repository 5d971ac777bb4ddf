"""Safety monitoring: rule sets from a versioned file, and a pure evaluator from results to alerts.

Pure core: no database, no web, no printing. The registry stores alerts and rule-file versions and runs
:func:`evaluate` (typed observations) or :func:`evaluate_columns` (the same, from :class:`ObservationColumns`
built straight from database rows) for an episode (``engraft.registry.monitoring_service``); the API lists and
manages alerts.
"""

from engraft.monitoring.alerts import (
    AlertState,
    Detection,
    Evaluation,
    PriorAlert,
    Transition,
    TransitionKind,
)
from engraft.monitoring.columns import ObservationColumns
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.evaluator import NO_LONGER_SUPPORTED, evaluate, evaluate_columns
from engraft.monitoring.findings import DetectedEvent, Finding, RuleKindAdapter
from engraft.monitoring.kinds import ADAPTERS, adapter_of
from engraft.monitoring.model import (
    ADULT_AGE_YEARS,
    AgeGroup,
    Applicability,
    Escalation,
    MonitoringRule,
    RuleKind,
    RuleOrigin,
    RuleSet,
    RuleSetInForce,
    RuleSource,
    Severity,
)
from engraft.monitoring.rule_file import RuleFileError, default_rule_text, default_rule_texts, load_rule_set
from engraft.monitoring.series import EpisodeContext, MonitoredObservation, age_in_years, time_order

__all__ = [
    "ADAPTERS",
    "ADULT_AGE_YEARS",
    "NO_LONGER_SUPPORTED",
    "AgeGroup",
    "AlertState",
    "Applicability",
    "DetectedEvent",
    "Detection",
    "EpisodeContext",
    "EpisodeSeries",
    "Escalation",
    "Evaluation",
    "Finding",
    "MonitoredObservation",
    "MonitoringRule",
    "ObservationColumns",
    "PriorAlert",
    "RuleFileError",
    "RuleKind",
    "RuleKindAdapter",
    "RuleOrigin",
    "RuleSet",
    "RuleSetInForce",
    "RuleSource",
    "Severity",
    "Transition",
    "TransitionKind",
    "adapter_of",
    "age_in_years",
    "default_rule_text",
    "default_rule_texts",
    "evaluate",
    "evaluate_columns",
    "load_rule_set",
    "time_order",
]
