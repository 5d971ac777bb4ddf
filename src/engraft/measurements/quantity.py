"""A number with its UCUM unit, as typed inputs carry it: never a bare number where a unit matters."""

from __future__ import annotations

import math

from pydantic import field_validator

from engraft.measurements.analytes import Analyte, ConversionBasis, convert_concentration
from engraft.measurements.units import Dimension, Ucum, UnitError, convert, dimension_of, parse_unit, units_of
from engraft.provenance import FrozenModel


class Quantity(FrozenModel):
    """A finite number with a UCUM unit from the closed set of :class:`Ucum` codes."""

    value: float
    unit: Ucum

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"value {value!r} is not a finite number")
        return value

    @field_validator("unit", mode="before")
    @classmethod
    def _known_unit(cls, unit: object) -> Ucum:
        if isinstance(unit, Ucum):
            return unit
        if not isinstance(unit, str):
            raise ValueError(f"unit {unit!r} is not text; expected a UCUM code such as 'mg/dL'")
        return parse_unit(unit)

    @property
    def dimension(self) -> Dimension:
        return dimension_of(self.unit)

    def to(self, unit: str) -> float:
        """This quantity's value in ``unit`` (same dimension only)."""
        return convert(self.value, self.unit, unit)

    def concentration_in(self, unit: str, analyte: Analyte, basis: ConversionBasis) -> float:
        """This concentration of ``analyte`` in ``unit``, across mass and substance units on ``basis``."""
        return convert_concentration(self.value, self.unit, unit, analyte, basis)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit.value}"


def require_dimension(quantity: Quantity, expected: Dimension | tuple[Dimension, ...], field: str) -> Quantity:
    """Raise :class:`UnitError` naming ``field`` unless ``quantity`` has one of the ``expected`` dimensions."""
    allowed = (expected,) if isinstance(expected, Dimension) else expected
    actual = quantity.dimension
    if actual not in allowed:
        units = ", ".join(u.value for u in units_of(*allowed))
        raise UnitError(
            f"{field}: unit {quantity.unit.value!r} ({actual.value}) cannot be used; expected one of {units}"
        )
    return quantity
