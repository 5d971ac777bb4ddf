"""Measurements: the one units module, analyte conversions and the LOINC observation catalogue.

Units are never guessed: a value travels with a UCUM code from the closed set :class:`Ucum`, is
converted only within its :class:`Dimension`, and mass <-> substance concentration only for a named
analyte on a named :class:`ConversionBasis` (exact molar mass, or the rounded clinical factor a score was
written against). Anything else is refused with :class:`UnitError` (e.g. CMV DNA copies/mL vs IU/mL,
which depend on the assay).
"""

from engraft.measurements.analytes import (
    CLINICAL_FACTORS,
    MOLAR_MASSES,
    Analyte,
    ClinicalFactor,
    ConversionBasis,
    MolarMass,
    convert_concentration,
    umol_per_l_per_mg_per_dl,
)
from engraft.measurements.conversion import Conversion, conversion
from engraft.measurements.observation_catalogue import (
    LOCAL_CODE_PREFIX,
    LOCAL_CODE_SYSTEM,
    LOCAL_CODE_SYSTEM_HL7,
    OBSERVATION_CATALOGUE,
    OBSERVATION_CODE_PATTERN,
    ObservationKind,
    local_code,
    lookup_observation_kind,
)
from engraft.measurements.quantity import Quantity, require_dimension
from engraft.measurements.units import (
    UNITS,
    Dimension,
    Ucum,
    Unit,
    UnitError,
    convert,
    dimension_of,
    parse_unit,
    unit_info,
    units_of,
)

__all__ = [
    "CLINICAL_FACTORS",
    "LOCAL_CODE_PREFIX",
    "LOCAL_CODE_SYSTEM",
    "LOCAL_CODE_SYSTEM_HL7",
    "MOLAR_MASSES",
    "OBSERVATION_CATALOGUE",
    "OBSERVATION_CODE_PATTERN",
    "UNITS",
    "Analyte",
    "ClinicalFactor",
    "Conversion",
    "ConversionBasis",
    "Dimension",
    "MolarMass",
    "ObservationKind",
    "Quantity",
    "Ucum",
    "Unit",
    "UnitError",
    "conversion",
    "convert",
    "convert_concentration",
    "dimension_of",
    "local_code",
    "lookup_observation_kind",
    "parse_unit",
    "require_dimension",
    "umol_per_l_per_mg_per_dl",
    "unit_info",
    "units_of",
]
