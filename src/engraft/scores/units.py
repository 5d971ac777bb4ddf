"""Quantities with explicit UCUM units, and the conversions the scores need.

A value without a unit is never interpreted: the scores compare against thresholds published in a
specific unit (bilirubin and creatinine in mg/dL, doses in mg/kg or mg/m2, TBI in cGy), so every
input carries a UCUM code and is converted only where the conversion is defined.

Mass <-> molar concentration needs an analyte-specific factor: bilirubin 1 mg/dL = 17.1 umol/L,
creatinine 1 mg/dL = 88.4 umol/L (clinical-scores.md, Appendix A.3). Anything else (mg/kg <-> mg/m2,
IU/mL <-> copies/mL, U/L <-> mg/dL) is refused with a :class:`UnitError`.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final

from pydantic import field_validator

from engraft.measurements.ucum import UnitError as UnitError
from engraft.scores.provenance import FrozenModel


class Analyte(StrEnum):
    """Analytes with a defined mass <-> molar concentration factor."""

    BILIRUBIN = "bilirubin"
    CREATININE = "creatinine"


# UCUM code -> (dimension, factor to the dimension's base unit).
_UNITS: Final[dict[str, tuple[str, float]]] = {
    "mg/dL": ("mass_concentration", 10.0),
    "mg/L": ("mass_concentration", 1.0),
    "umol/L": ("molar_concentration", 1.0),
    "mmol/L": ("molar_concentration", 1000.0),
    "U/L": ("catalytic_concentration", 1.0),
    "%": ("fraction", 1.0),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "kg/m2": ("body_mass_index", 1.0),
    "mg/kg": ("dose_per_body_mass", 1.0),
    "mg/m2": ("dose_per_body_surface", 1.0),
    "g/m2": ("dose_per_body_surface", 1000.0),
    "Gy": ("absorbed_dose", 1.0),
    "cGy": ("absorbed_dose", 0.01),
    "10*5/kg": ("cells_per_body_mass", 1e5),
    "10*6/kg": ("cells_per_body_mass", 1e6),
    "10*7/kg": ("cells_per_body_mass", 1e7),
    "10*8/kg": ("cells_per_body_mass", 1e8),
    "10*6": ("cell_count", 1e6),
    "10*7": ("cell_count", 1e7),
    "10*8": ("cell_count", 1e8),
    "10*9": ("cell_count", 1e9),
}

# umol/L per mg/L (1 mg/dL = 17.1 umol/L for bilirubin, 88.4 umol/L for creatinine).
_MOLAR_PER_MASS: Final[dict[Analyte, float]] = {
    Analyte.BILIRUBIN: 1.71,
    Analyte.CREATININE: 8.84,
}

_HINTS: Final[dict[str, str]] = {
    "µmol/L": "umol/L",
    "μmol/L": "umol/L",
    "mg/dl": "mg/dL",
    "umol/l": "umol/L",
    "IU/L": "U/L",
    "mg/m²": "mg/m2",
    "kg/m²": "kg/m2",
}

KNOWN_UNITS: Final[frozenset[str]] = frozenset(_UNITS)


def check_unit(unit: str) -> str:
    """Return ``unit`` if it is a UCUM code this package knows, else raise :class:`UnitError`."""
    if unit in _UNITS:
        return unit
    hint = f"; did you mean UCUM code {_HINTS[unit]!r}?" if unit in _HINTS else ""
    raise UnitError(f"unit {unit!r} is not a supported UCUM code (expected one of {sorted(_UNITS)}){hint}")


def dimension(unit: str) -> str:
    """The physical dimension of a UCUM code, e.g. ``"mass_concentration"`` for ``mg/dL``."""
    return _UNITS[check_unit(unit)][0]


def convert(value: float, from_unit: str, to_unit: str, analyte: Analyte | None = None) -> float:
    """Convert ``value`` from ``from_unit`` to ``to_unit``, refusing undefined conversions.

    Mass <-> molar concentration requires ``analyte``; every other cross-dimension conversion is
    refused.
    """
    from_dim, from_factor = _UNITS[check_unit(from_unit)]
    to_dim, to_factor = _UNITS[check_unit(to_unit)]
    if from_dim == to_dim:
        return value * from_factor / to_factor
    concentrations = {"mass_concentration", "molar_concentration"}
    if {from_dim, to_dim} == concentrations:
        if analyte is None:
            raise UnitError(
                f"cannot convert {from_unit} to {to_unit} without naming the analyte "
                f"(defined for {[a.value for a in _MOLAR_PER_MASS]})"
            )
        base = value * from_factor
        factor = _MOLAR_PER_MASS[analyte]
        converted = base * factor if from_dim == "mass_concentration" else base / factor
        return converted / to_factor
    raise UnitError(f"cannot convert {from_unit} ({from_dim}) to {to_unit} ({to_dim}): no defined conversion")


class Quantity(FrozenModel):
    """A finite number with a UCUM unit code."""

    value: float
    unit: str

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"value {value!r} is not a finite number")
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        return check_unit(unit)

    def to(self, unit: str, analyte: Analyte | None = None) -> float:
        """This quantity's value expressed in ``unit``."""
        return convert(self.value, self.unit, unit, analyte)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def require_dimension(quantity: Quantity, expected: str | tuple[str, ...], field: str) -> Quantity:
    """Raise :class:`UnitError` naming ``field`` unless ``quantity`` has one of ``expected`` dimensions."""
    allowed = (expected,) if isinstance(expected, str) else expected
    actual = dimension(quantity.unit)
    if actual not in allowed:
        units = sorted(u for u, (d, _) in _UNITS.items() if d in allowed)
        raise UnitError(f"{field}: unit {quantity.unit!r} ({actual}) cannot be used; expected one of {units}")
    return quantity
