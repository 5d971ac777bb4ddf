"""Unit conversions looked up once and applied to whole arrays of values (the monitoring engine's columns).

:func:`conversion` parses both units once per (from, to[, analyte, basis]) and returns a :class:`Conversion`
whose :meth:`Conversion.apply` does to a NumPy array exactly the arithmetic :func:`convert` and
:func:`convert_concentration` do to one number, step by step in the same order (IEEE 754 double precision
elementwise), so a value converted either way is the same number, bit for bit. Refusals are the same too: a
conversion that is not defined raises the same :class:`UnitError` when it is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engraft.measurements.analytes import Analyte, ConversionBasis, umol_per_l_per_mg_per_dl
from engraft.measurements.units import Dimension, UnitError, convert, unit_info

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Step:
    """One :func:`convert` call (``(value * factor + offset - target_offset) / target_factor``), or a scale."""

    factor: float = 1.0
    offset: float = 0.0
    target_offset: float = 0.0
    target_factor: float = 1.0
    multiply: float | None = None
    divide: float | None = None

    def apply(self, values: FloatArray) -> FloatArray:
        if self.multiply is not None:
            return values * self.multiply
        if self.divide is not None:
            return values / self.divide
        base = values * self.factor + self.offset
        return (base - self.target_offset) / self.target_factor


@dataclass(frozen=True, slots=True)
class Conversion:
    """From one UCUM unit to another, as a sequence of the scalar functions' steps."""

    from_unit: str
    to_unit: str
    steps: tuple[_Step, ...]

    def apply(self, values: FloatArray) -> FloatArray:
        """``values`` (in ``from_unit``) in ``to_unit``; a new array (the identity returns a copy)."""
        result = np.array(values, dtype=np.float64, copy=True)
        for step in self.steps:
            result = step.apply(result)
        return result


def _convert_steps(from_unit: str, to_unit: str) -> tuple[_Step, ...]:
    convert(1.0, from_unit, to_unit)  # the same refusal (UnitError) as the scalar conversion
    source, target = unit_info(from_unit), unit_info(to_unit)
    if source.code is target.code:
        return ()
    return (_Step(source.factor, source.offset, target.offset, target.factor),)


@lru_cache(maxsize=4096)
def conversion(
    from_unit: str, to_unit: str, analyte: Analyte | None = None, basis: ConversionBasis | None = None
) -> Conversion:
    """The conversion :func:`convert` (or, with ``analyte`` and ``basis``, :func:`convert_concentration`) does.

    Raises :class:`UnitError` as they do when the conversion is not defined. Cached: the unit strings are parsed
    once per combination.
    """
    if analyte is None or basis is None:
        return Conversion(from_unit, to_unit, _convert_steps(from_unit, to_unit))
    source, target = unit_info(from_unit), unit_info(to_unit)
    concentrations = (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION)
    for unit in (source, target):
        if unit.dimension not in concentrations:
            raise UnitError(
                f"{analyte.value}: unit {unit.code.value} ({unit.dimension.value}) is not a mass or substance "
                "concentration"
            )
    if source.dimension is target.dimension:
        return Conversion(from_unit, to_unit, _convert_steps(source.code, target.code))
    factor = umol_per_l_per_mg_per_dl(analyte, basis)
    if source.dimension is Dimension.MASS_CONCENTRATION:
        steps = (*_convert_steps(source.code, "mg/dL"), _Step(multiply=factor), *_convert_steps("umol/L", target.code))
    else:
        steps = (*_convert_steps(source.code, "umol/L"), _Step(divide=factor), *_convert_steps("mg/dL", target.code))
    return Conversion(from_unit, to_unit, steps)
