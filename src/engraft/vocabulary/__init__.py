"""The one vocabulary of Engraft: coded values the core owns and every adapter imports.

The registry stores these values, the API and CSV exchange them, the scores and grading rules read
them. A concept has one enum here; an instrument that needs its own categories (the EBMT score's
donor type, say) maps from these enums with an exhaustive, tested mapping of its own.
"""

from engraft.vocabulary.clinical import (
    POST_INFUSION_EVENTS,
    AboGroup,
    CellTherapy,
    ConditioningDrug,
    ConditioningIntensity,
    DiseaseStatus,
    DonorEligibility,
    DonorKind,
    DonorRelation,
    DrugRoute,
    EventSource,
    EventType,
    GraftSource,
    InboundProtocol,
    MarkerResult,
    MarkerTest,
    ObservationSource,
    PerformanceScale,
    RhD,
    Serostatus,
    Sex,
    TransfusionProduct,
    TransplantType,
    VitalStatus,
)
from engraft.vocabulary.hla import MATCH_LOCI, STORED_LOCI, Locus, parse_locus
from engraft.vocabulary.time import DAYS_PER_UNIT, TimeUnit

__all__ = [
    "DAYS_PER_UNIT",
    "MATCH_LOCI",
    "POST_INFUSION_EVENTS",
    "STORED_LOCI",
    "AboGroup",
    "CellTherapy",
    "ConditioningDrug",
    "ConditioningIntensity",
    "DiseaseStatus",
    "DonorEligibility",
    "DonorKind",
    "DonorRelation",
    "DrugRoute",
    "EventSource",
    "EventType",
    "GraftSource",
    "InboundProtocol",
    "Locus",
    "MarkerResult",
    "MarkerTest",
    "ObservationSource",
    "PerformanceScale",
    "RhD",
    "Serostatus",
    "Sex",
    "TimeUnit",
    "TransfusionProduct",
    "TransplantType",
    "VitalStatus",
    "parse_locus",
]
