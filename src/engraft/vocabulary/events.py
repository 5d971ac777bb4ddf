"""Coded details of clinical events: grading systems, severities, criteria, causes.

The registry stores these in an event's details, the CSV exchanges them, and the grading rules name the
systems they implement (:mod:`engraft.grading`).
"""

from __future__ import annotations

from enum import StrEnum


class AcuteGvhdGradingSystem(StrEnum):
    """Systems an acute GVHD grade may be recorded under (Engraft computes MAGIC, :mod:`engraft.grading`)."""

    MAGIC = "MAGIC"
    """Mount Sinai Acute GVHD International Consortium (Harris et al., BBMT 2016)."""
    MODIFIED_GLUCKSBERG = "modified Glucksberg"
    """Keystone consensus (Przepiorka et al., BMT 1995)."""
    IBMTR = "IBMTR"
    """IBMTR severity index (Rowlings et al., BJH 1997)."""


class ChronicGvhdSeverity(StrEnum):
    """NIH 2014 global severity of chronic GVHD (Jagasia et al., BBMT 2015)."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class OrganismClass(StrEnum):
    BACTERIAL = "bacterial"
    VIRAL = "viral"
    FUNGAL = "fungal"
    PARASITIC = "parasitic"
    OTHER = "other"


class SosVodCriteria(StrEnum):
    """The named diagnostic criteria an SOS/VOD diagnosis was made by."""

    EBMT_2016_ADULT = "EBMT 2016 adult"
    EBMT_2018_PAEDIATRIC = "EBMT 2018 paediatric"
    MODIFIED_SEATTLE = "modified Seattle"
    BALTIMORE = "Baltimore"


class SosVodSeverity(StrEnum):
    """EBMT severity grades of SOS/VOD."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    VERY_SEVERE = "very severe"


class GraftFailureKind(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class DiseaseDetectionMethod(StrEnum):
    """How a relapse or progression was detected."""

    HAEMATOLOGICAL = "haematological"
    CYTOGENETIC = "cytogenetic"
    MOLECULAR = "molecular"
    RADIOLOGICAL = "radiological"
    CLINICAL = "clinical"


class CauseOfDeath(StrEnum):
    """Primary cause of death (condensed CIBMTR Form 2900 / EBMT MED-A categories)."""

    PRIMARY_DISEASE = "primary disease"
    GVHD = "GVHD"
    INFECTION = "infection"
    ORGAN_FAILURE = "organ failure"
    GRAFT_FAILURE = "graft failure"
    SECOND_MALIGNANCY = "second malignancy"
    HAEMORRHAGE = "haemorrhage"
    VASCULAR = "vascular"
    TOXICITY = "toxicity"
    OTHER = "other"
    UNKNOWN = "unknown"
