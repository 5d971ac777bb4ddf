"""Complication grading and clinical definitions: pure, typed rules with provenance.

Each rule takes typed inputs and returns a result that names its value, the inputs or observations it
rests on, and the rule applied (:class:`~engraft.grading.rule.GradingRule`: citations and verification
level). Built so far: the acute GVHD overall grade from organ stages (MAGIC) and the neutrophil and
platelet engraftment day (CIBMTR). Chronic GVHD, SOS/VOD and CRS/ICANS are not built yet.
"""

from engraft.grading.acute_gvhd import (
    AcuteGvhdGrade,
    AcuteGvhdOrgan,
    OrganStages,
    grade_acute_gvhd,
)
from engraft.grading.counts import ACCEPTED_COUNT_UNITS, COUNT_UNIT, CountMeasurement, CountSeries
from engraft.grading.engraftment import (
    ANC_THRESHOLD,
    PLATELET_THRESHOLD,
    PLATELET_TRANSFUSION_FREE_DAYS,
    EngraftmentResult,
    EngraftmentStatus,
    Lineage,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.grading.rule import GradingRule
from engraft.vocabulary.events import AcuteGvhdGradingSystem

__all__ = [
    "ACCEPTED_COUNT_UNITS",
    "ANC_THRESHOLD",
    "COUNT_UNIT",
    "PLATELET_THRESHOLD",
    "PLATELET_TRANSFUSION_FREE_DAYS",
    "AcuteGvhdGrade",
    "AcuteGvhdGradingSystem",
    "AcuteGvhdOrgan",
    "CountMeasurement",
    "CountSeries",
    "EngraftmentResult",
    "EngraftmentStatus",
    "GradingRule",
    "Lineage",
    "OrganStages",
    "grade_acute_gvhd",
    "neutrophil_engraftment",
    "platelet_engraftment",
]
