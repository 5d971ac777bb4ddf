"""A closed set of UCUM unit codes used for transplant labs and vitals, with exact conversions.

Only the UCUM case-sensitive codes listed here are accepted (Schadow & McDonald, *The Unified Code
for Units of Measure*, Regenstrief Institute). Each unit has a dimension and a factor to the base
unit of that dimension; temperature also has an offset. Conversion across dimensions is refused,
except mass <-> substance concentration when the caller supplies the analyte's molar mass.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnitError(ValueError):
    """A unit is unknown, or a conversion between two units is not defined."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A UCUM unit: ``value_in_base = value * factor + offset`` within ``dimension``."""

    code: str
    dimension: str
    factor: float
    description: str
    offset: float = 0.0


_DEFINITIONS: tuple[Unit, ...] = (
    # cell counts per volume; base: 10^9 per litre
    Unit("10*9/L", "number concentration", 1.0, "10^9 per litre"),
    Unit("10*3/uL", "number concentration", 1.0, "10^3 per microlitre (= 10^9/L)"),
    Unit("10*6/uL", "number concentration", 1000.0, "10^6 per microlitre (= 10^12/L)"),
    Unit("10*12/L", "number concentration", 1000.0, "10^12 per litre"),
    Unit("/uL", "number concentration", 1e-3, "per microlitre (cells/mm3)"),
    Unit("/mm3", "number concentration", 1e-3, "per cubic millimetre"),
    # mass concentration; base: g/L
    Unit("g/L", "mass concentration", 1.0, "gram per litre"),
    Unit("g/dL", "mass concentration", 10.0, "gram per decilitre"),
    Unit("mg/dL", "mass concentration", 1e-2, "milligram per decilitre"),
    Unit("mg/L", "mass concentration", 1e-3, "milligram per litre"),
    Unit("ug/L", "mass concentration", 1e-6, "microgram per litre"),
    Unit("ng/mL", "mass concentration", 1e-6, "nanogram per millilitre (= ug/L)"),
    Unit("ug/dL", "mass concentration", 1e-5, "microgram per decilitre"),
    Unit("pg/mL", "mass concentration", 1e-9, "picogram per millilitre"),
    # substance concentration; base: mol/L
    Unit("mol/L", "substance concentration", 1.0, "mole per litre"),
    Unit("mmol/L", "substance concentration", 1e-3, "millimole per litre"),
    Unit("umol/L", "substance concentration", 1e-6, "micromole per litre"),
    Unit("nmol/L", "substance concentration", 1e-9, "nanomole per litre"),
    # catalytic activity concentration; base: U/L
    Unit("U/L", "catalytic concentration", 1.0, "enzyme unit per litre"),
    # arbitrary (assay-calibrated) units per volume; base: [IU]/mL
    Unit("[IU]/mL", "arbitrary concentration", 1.0, "international unit per millilitre"),
    Unit("[IU]/L", "arbitrary concentration", 1e-3, "international unit per litre"),
    # nucleic-acid copies per volume; base: {copies}/mL
    Unit("{copies}/mL", "copy concentration", 1.0, "copies per millilitre"),
    Unit("[log_10]{copies}/mL", "log copy concentration", 1.0, "log10 copies per millilitre"),
    # temperature; base: degree Celsius
    Unit("Cel", "temperature", 1.0, "degree Celsius"),
    Unit("[degF]", "temperature", 5.0 / 9.0, "degree Fahrenheit", offset=-32.0 * 5.0 / 9.0),
    # rates; base: per minute
    Unit("/min", "rate", 1.0, "per minute"),
    Unit("{beats}/min", "rate", 1.0, "beats per minute"),
    Unit("{breaths}/min", "rate", 1.0, "breaths per minute"),
    # pressure; base: mm[Hg]
    Unit("mm[Hg]", "pressure", 1.0, "millimetre of mercury"),
    Unit("kPa", "pressure", 7.500616827, "kilopascal"),
    # fractions; base: percent
    Unit("%", "fraction", 1.0, "percent"),
    Unit("1", "fraction", 100.0, "ratio (unity)"),
    # mass; base: kg
    Unit("kg", "mass", 1.0, "kilogram"),
    Unit("g", "mass", 1e-3, "gram"),
    Unit("[lb_av]", "mass", 0.45359237, "pound (avoirdupois)"),
    # length; base: cm
    Unit("cm", "length", 1.0, "centimetre"),
    Unit("m", "length", 100.0, "metre"),
    Unit("[in_i]", "length", 2.54, "inch (international)"),
    # time; base: day
    Unit("d", "time", 1.0, "day"),
    Unit("h", "time", 1.0 / 24.0, "hour"),
    Unit("wk", "time", 7.0, "week"),
    Unit("mo", "time", 30.4375, "month (mean Julian)"),
    Unit("a", "time", 365.25, "year (Julian)"),
    # radiation dose
    Unit("Gy", "absorbed dose", 1.0, "gray"),
    Unit("cGy", "absorbed dose", 0.01, "centigray"),
    # drug doses; base: mg, mg/m2, mg/kg
    Unit("mg", "drug mass", 1.0, "milligram"),
    Unit("g{drug}", "drug mass", 1000.0, "gram of drug"),
    Unit("mg/m2", "dose per body surface", 1.0, "milligram per square metre"),
    Unit("g/m2", "dose per body surface", 1000.0, "gram per square metre"),
    Unit("mg/kg", "dose per body mass", 1.0, "milligram per kilogram"),
)


UNITS: dict[str, Unit] = {unit.code: unit for unit in _DEFINITIONS}


def lookup_unit(code: str) -> Unit:
    """Return the unit for a UCUM ``code``, or raise :class:`UnitError` naming the code."""
    unit = UNITS.get(code)
    if unit is None:
        known = ", ".join(sorted(UNITS))
        raise UnitError(f"unknown unit {code!r}: expected one of the UCUM codes {known}")
    return unit


def convert(
    value: float,
    from_code: str,
    to_code: str,
    *,
    molar_mass_g_per_mol: float | None = None,
) -> float:
    """Convert ``value`` between UCUM units, refusing any conversion that is not defined.

    Mass and substance concentrations convert only with ``molar_mass_g_per_mol`` (e.g. bilirubin
    584.66 g/mol, creatinine 113.12 g/mol); every other change of dimension is refused.
    """
    if from_code == to_code:
        return value
    source = lookup_unit(from_code)
    target = lookup_unit(to_code)
    base = value * source.factor + source.offset
    if source.dimension == target.dimension:
        return (base - target.offset) / target.factor
    pair = {source.dimension, target.dimension}
    if pair == {"mass concentration", "substance concentration"}:
        if molar_mass_g_per_mol is None:
            raise UnitError(f"cannot convert {from_code!r} to {to_code!r} without the analyte's molar mass")
        if source.dimension == "mass concentration":
            base = base / molar_mass_g_per_mol
        else:
            base = base * molar_mass_g_per_mol
        return base / target.factor
    raise UnitError(
        f"cannot convert {from_code!r} ({source.dimension}) to {to_code!r} ({target.dimension}): "
        "no conversion is defined between these dimensions"
    )
