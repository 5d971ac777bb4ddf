"""Measurements: UCUM units and the catalogue of LOINC-coded observations Engraft accepts.

Units are never guessed: a value travels with its UCUM code, is converted only where the
conversion is defined (including mass <-> substance concentration for analytes with a known molar
mass) and is refused otherwise (e.g. CMV DNA copies/mL vs IU/mL, which depend on the assay).
"""

from engraft.measurements.observation_catalogue import (
    OBSERVATION_CATALOGUE,
    ObservationKind,
    lookup_observation_kind,
)
from engraft.measurements.ucum import UNITS, Unit, UnitError, convert, lookup_unit

__all__ = [
    "OBSERVATION_CATALOGUE",
    "UNITS",
    "ObservationKind",
    "Unit",
    "UnitError",
    "convert",
    "lookup_observation_kind",
    "lookup_unit",
]
