"""The one closed set of UCUM units Engraft accepts, their dimensions and exact conversions.

Only the UCUM case-sensitive codes listed in :class:`Ucum` are accepted (Schadow & McDonald, *The
Unified Code for Units of Measure*, Regenstrief Institute). Each unit has a :class:`Dimension` and a
factor to its dimension's base unit (temperature also an offset). A conversion is defined only within a
dimension; mass <-> substance concentration needs an analyte and a named conversion basis and lives in
:mod:`engraft.measurements.analytes`. Every other change of dimension (mg/kg <-> mg/m2, copies/mL <->
IU/mL, U/L <-> mg/dL) is refused with a :class:`UnitError`, and so is any code outside the set, even
when converting a unit to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engraft.vocabulary.time import DAYS_PER_MONTH, DAYS_PER_YEAR


class UnitError(ValueError):
    """A unit is unknown, or a conversion between two units is not defined."""


class Dimension(StrEnum):
    """What a unit measures. Units convert into each other only within one dimension."""

    NUMBER_CONCENTRATION = "number concentration"
    MASS_CONCENTRATION = "mass concentration"
    SUBSTANCE_CONCENTRATION = "substance concentration"
    CATALYTIC_CONCENTRATION = "catalytic concentration"
    ARBITRARY_CONCENTRATION = "arbitrary concentration"
    COPY_CONCENTRATION = "copy concentration"
    LOG_COPY_CONCENTRATION = "log copy concentration"
    TEMPERATURE = "temperature"
    RATE = "rate"
    PRESSURE = "pressure"
    FRACTION = "fraction"
    MASS = "mass"
    LENGTH = "length"
    TIME = "time"
    ABSORBED_DOSE = "absorbed dose"
    DOSE_PER_BODY_SURFACE = "dose per body surface"
    DOSE_PER_BODY_MASS = "dose per body mass"
    BODY_MASS_INDEX = "body mass index"
    CELLS_PER_BODY_MASS = "cells per body mass"
    CELL_COUNT = "cell count"
    VOLUME_RATE = "volume rate"
    VOLUME_RATE_PER_BODY_MASS = "volume rate per body mass"
    SCORE = "score"


class Ucum(StrEnum):
    """The UCUM codes Engraft accepts (case-sensitive UCUM)."""

    E9_PER_L = "10*9/L"
    E3_PER_UL = "10*3/uL"
    E6_PER_UL = "10*6/uL"
    E12_PER_L = "10*12/L"
    PER_UL = "/uL"
    PER_MM3 = "/mm3"
    G_PER_L = "g/L"
    G_PER_DL = "g/dL"
    MG_PER_DL = "mg/dL"
    MG_PER_L = "mg/L"
    UG_PER_L = "ug/L"
    NG_PER_ML = "ng/mL"
    UG_PER_DL = "ug/dL"
    PG_PER_ML = "pg/mL"
    MOL_PER_L = "mol/L"
    MMOL_PER_L = "mmol/L"
    UMOL_PER_L = "umol/L"
    NMOL_PER_L = "nmol/L"
    U_PER_L = "U/L"
    IU_PER_ML = "[IU]/mL"
    IU_PER_L = "[IU]/L"
    COPIES_PER_ML = "{copies}/mL"
    LOG10_COPIES_PER_ML = "[log_10]{copies}/mL"
    CELSIUS = "Cel"
    FAHRENHEIT = "[degF]"
    PER_MIN = "/min"
    BEATS_PER_MIN = "{beats}/min"
    BREATHS_PER_MIN = "{breaths}/min"
    L_PER_MIN = "L/min"
    ML_PER_MIN = "mL/min"
    MM_HG = "mm[Hg]"
    KPA = "kPa"
    PERCENT = "%"
    ONE = "1"
    KG = "kg"
    G = "g"
    MG = "mg"
    G_DRUG = "g{drug}"
    POUND = "[lb_av]"
    CM = "cm"
    M = "m"
    INCH = "[in_i]"
    DAY = "d"
    HOUR = "h"
    WEEK = "wk"
    MONTH = "mo"
    YEAR = "a"
    GY = "Gy"
    CGY = "cGy"
    MG_PER_M2 = "mg/m2"
    G_PER_M2 = "g/m2"
    MG_PER_KG = "mg/kg"
    KG_PER_M2 = "kg/m2"
    E5_PER_KG = "10*5/kg"
    E6_PER_KG = "10*6/kg"
    E7_PER_KG = "10*7/kg"
    E8_PER_KG = "10*8/kg"
    E6 = "10*6"
    E7 = "10*7"
    E8 = "10*8"
    E9 = "10*9"
    ML_PER_DAY = "mL/d"
    L_PER_DAY = "L/d"
    ML_PER_KG_PER_DAY = "mL/kg/d"
    SCORE = "{score}"


@dataclass(frozen=True, slots=True)
class Unit:
    """A UCUM unit: ``value_in_base = value * factor + offset`` within ``dimension``."""

    code: Ucum
    dimension: Dimension
    factor: float
    description: str
    offset: float = 0.0


_D = Dimension
_DEFINITIONS: Final[tuple[Unit, ...]] = (
    # cell counts per volume; base: 10^9 per litre
    Unit(Ucum.E9_PER_L, _D.NUMBER_CONCENTRATION, 1.0, "10^9 per litre"),
    Unit(Ucum.E3_PER_UL, _D.NUMBER_CONCENTRATION, 1.0, "10^3 per microlitre (= 10^9/L)"),
    Unit(Ucum.E6_PER_UL, _D.NUMBER_CONCENTRATION, 1000.0, "10^6 per microlitre (= 10^12/L)"),
    Unit(Ucum.E12_PER_L, _D.NUMBER_CONCENTRATION, 1000.0, "10^12 per litre"),
    Unit(Ucum.PER_UL, _D.NUMBER_CONCENTRATION, 1e-3, "per microlitre (cells/mm3)"),
    Unit(Ucum.PER_MM3, _D.NUMBER_CONCENTRATION, 1e-3, "per cubic millimetre"),
    # mass concentration; base: g/L
    Unit(Ucum.G_PER_L, _D.MASS_CONCENTRATION, 1.0, "gram per litre"),
    Unit(Ucum.G_PER_DL, _D.MASS_CONCENTRATION, 10.0, "gram per decilitre"),
    Unit(Ucum.MG_PER_DL, _D.MASS_CONCENTRATION, 1e-2, "milligram per decilitre"),
    Unit(Ucum.MG_PER_L, _D.MASS_CONCENTRATION, 1e-3, "milligram per litre"),
    Unit(Ucum.UG_PER_L, _D.MASS_CONCENTRATION, 1e-6, "microgram per litre"),
    Unit(Ucum.NG_PER_ML, _D.MASS_CONCENTRATION, 1e-6, "nanogram per millilitre (= ug/L)"),
    Unit(Ucum.UG_PER_DL, _D.MASS_CONCENTRATION, 1e-5, "microgram per decilitre"),
    Unit(Ucum.PG_PER_ML, _D.MASS_CONCENTRATION, 1e-9, "picogram per millilitre"),
    # substance concentration; base: mol/L
    Unit(Ucum.MOL_PER_L, _D.SUBSTANCE_CONCENTRATION, 1.0, "mole per litre"),
    Unit(Ucum.MMOL_PER_L, _D.SUBSTANCE_CONCENTRATION, 1e-3, "millimole per litre"),
    Unit(Ucum.UMOL_PER_L, _D.SUBSTANCE_CONCENTRATION, 1e-6, "micromole per litre"),
    Unit(Ucum.NMOL_PER_L, _D.SUBSTANCE_CONCENTRATION, 1e-9, "nanomole per litre"),
    # catalytic activity concentration; base: U/L
    Unit(Ucum.U_PER_L, _D.CATALYTIC_CONCENTRATION, 1.0, "enzyme unit per litre"),
    # arbitrary (assay-calibrated) units per volume; base: [IU]/mL
    Unit(Ucum.IU_PER_ML, _D.ARBITRARY_CONCENTRATION, 1.0, "international unit per millilitre"),
    Unit(Ucum.IU_PER_L, _D.ARBITRARY_CONCENTRATION, 1e-3, "international unit per litre"),
    # nucleic-acid copies per volume; base: {copies}/mL
    Unit(Ucum.COPIES_PER_ML, _D.COPY_CONCENTRATION, 1.0, "copies per millilitre"),
    Unit(Ucum.LOG10_COPIES_PER_ML, _D.LOG_COPY_CONCENTRATION, 1.0, "log10 copies per millilitre"),
    # temperature; base: degree Celsius
    Unit(Ucum.CELSIUS, _D.TEMPERATURE, 1.0, "degree Celsius"),
    Unit(Ucum.FAHRENHEIT, _D.TEMPERATURE, 5.0 / 9.0, "degree Fahrenheit", offset=-32.0 * 5.0 / 9.0),
    # rates; base: per minute
    Unit(Ucum.PER_MIN, _D.RATE, 1.0, "per minute"),
    Unit(Ucum.BEATS_PER_MIN, _D.RATE, 1.0, "beats per minute"),
    Unit(Ucum.BREATHS_PER_MIN, _D.RATE, 1.0, "breaths per minute"),
    # pressure; base: mm[Hg]
    Unit(Ucum.MM_HG, _D.PRESSURE, 1.0, "millimetre of mercury"),
    Unit(Ucum.KPA, _D.PRESSURE, 7.500616827, "kilopascal"),
    # fractions; base: percent
    Unit(Ucum.PERCENT, _D.FRACTION, 1.0, "percent"),
    Unit(Ucum.ONE, _D.FRACTION, 100.0, "ratio (unity)"),
    # mass (body weight and flat drug doses); base: kg
    Unit(Ucum.KG, _D.MASS, 1.0, "kilogram"),
    Unit(Ucum.G, _D.MASS, 1e-3, "gram"),
    Unit(Ucum.MG, _D.MASS, 1e-6, "milligram"),
    Unit(Ucum.G_DRUG, _D.MASS, 1e-3, "gram of drug"),
    Unit(Ucum.POUND, _D.MASS, 0.45359237, "pound (avoirdupois)"),
    # length; base: cm
    Unit(Ucum.CM, _D.LENGTH, 1.0, "centimetre"),
    Unit(Ucum.M, _D.LENGTH, 100.0, "metre"),
    Unit(Ucum.INCH, _D.LENGTH, 2.54, "inch (international)"),
    # time; base: day (month and year are the mean Julian ones, as in engraft.vocabulary.time)
    Unit(Ucum.DAY, _D.TIME, 1.0, "day"),
    Unit(Ucum.HOUR, _D.TIME, 1.0 / 24.0, "hour"),
    Unit(Ucum.WEEK, _D.TIME, 7.0, "week"),
    Unit(Ucum.MONTH, _D.TIME, DAYS_PER_MONTH, "month (mean Julian)"),
    Unit(Ucum.YEAR, _D.TIME, DAYS_PER_YEAR, "year (Julian)"),
    # radiation dose; base: Gy
    Unit(Ucum.GY, _D.ABSORBED_DOSE, 1.0, "gray"),
    Unit(Ucum.CGY, _D.ABSORBED_DOSE, 0.01, "centigray"),
    # drug doses scaled to the patient; bases: mg/m2, mg/kg
    Unit(Ucum.MG_PER_M2, _D.DOSE_PER_BODY_SURFACE, 1.0, "milligram per square metre"),
    Unit(Ucum.G_PER_M2, _D.DOSE_PER_BODY_SURFACE, 1000.0, "gram per square metre"),
    Unit(Ucum.MG_PER_KG, _D.DOSE_PER_BODY_MASS, 1.0, "milligram per kilogram"),
    Unit(Ucum.KG_PER_M2, _D.BODY_MASS_INDEX, 1.0, "kilogram per square metre"),
    # graft cell doses; base: cells per kg, and cells
    Unit(Ucum.E5_PER_KG, _D.CELLS_PER_BODY_MASS, 1e5, "10^5 cells per kilogram"),
    Unit(Ucum.E6_PER_KG, _D.CELLS_PER_BODY_MASS, 1e6, "10^6 cells per kilogram"),
    Unit(Ucum.E7_PER_KG, _D.CELLS_PER_BODY_MASS, 1e7, "10^7 cells per kilogram"),
    Unit(Ucum.E8_PER_KG, _D.CELLS_PER_BODY_MASS, 1e8, "10^8 cells per kilogram"),
    Unit(Ucum.E6, _D.CELL_COUNT, 1e6, "10^6 cells"),
    Unit(Ucum.E7, _D.CELL_COUNT, 1e7, "10^7 cells"),
    Unit(Ucum.E8, _D.CELL_COUNT, 1e8, "10^8 cells"),
    Unit(Ucum.E9, _D.CELL_COUNT, 1e9, "10^9 cells"),
    # output volumes per day (stool output for acute GVHD staging); bases: mL/d, mL/kg/d
    Unit(Ucum.ML_PER_DAY, _D.VOLUME_RATE, 1.0, "millilitre per day"),
    Unit(Ucum.L_PER_DAY, _D.VOLUME_RATE, 1000.0, "litre per day"),
    # oxygen flow (CRS hypoxia), same dimension: 1 L/min = 1000 mL x 1440 min/d
    Unit(Ucum.L_PER_MIN, _D.VOLUME_RATE, 1_440_000.0, "litre per minute"),
    Unit(Ucum.ML_PER_MIN, _D.VOLUME_RATE, 1440.0, "millilitre per minute"),
    Unit(Ucum.ML_PER_KG_PER_DAY, _D.VOLUME_RATE_PER_BODY_MASS, 1.0, "millilitre per kilogram per day"),
    # points of a clinical assessment scale (UCUM annotation {score}, dimensionless; e.g. the ICE score 0-10)
    Unit(Ucum.SCORE, _D.SCORE, 1.0, "score (points of an assessment scale)"),
)

UNITS: Final[dict[Ucum, Unit]] = {unit.code: unit for unit in _DEFINITIONS}
_INFO: Final[dict[str, Unit]] = {unit.code.value: unit for unit in _DEFINITIONS}
"""By code text: the parse done once (a :class:`Ucum` member, a str, finds its entry too)."""

#: Common non-UCUM spellings and the code they most likely mean (used only for the error message).
_HINTS: Final[dict[str, Ucum]] = {
    "µmol/L": Ucum.UMOL_PER_L,
    "μmol/L": Ucum.UMOL_PER_L,
    "umol/l": Ucum.UMOL_PER_L,
    "mg/dl": Ucum.MG_PER_DL,
    "g/dl": Ucum.G_PER_DL,
    "mmol/l": Ucum.MMOL_PER_L,
    "IU/L": Ucum.U_PER_L,
    "IU/mL": Ucum.IU_PER_ML,
    "copies/mL": Ucum.COPIES_PER_ML,
    "x10^9/L": Ucum.E9_PER_L,
    "10^9/L": Ucum.E9_PER_L,
    "°C": Ucum.CELSIUS,
    "C": Ucum.CELSIUS,
    "bpm": Ucum.BEATS_PER_MIN,
    "l/min": Ucum.L_PER_MIN,
    "lpm": Ucum.L_PER_MIN,
    "mmHg": Ucum.MM_HG,
    "mg/m²": Ucum.MG_PER_M2,
    "kg/m²": Ucum.KG_PER_M2,
}


_BY_CODE: Final[dict[str, Ucum]] = {unit.value: unit for unit in Ucum}


def parse_unit(code: str) -> Ucum:
    """The :class:`Ucum` member for ``code``, or :class:`UnitError` naming it and the accepted codes."""
    found = _BY_CODE.get(code) if isinstance(code, str) else None
    if found is not None:
        return found
    try:
        return Ucum(code)
    except ValueError:
        pass
    hint = f"; did you mean UCUM code {_HINTS[code].value!r}?" if code in _HINTS else ""
    raise UnitError(
        f"unit {code!r} is not a supported UCUM code (expected one of {', '.join(u.value for u in Ucum)}){hint}"
    )


def unit_info(code: str) -> Unit:
    """The definition of a unit given by its code (checked against the closed set)."""
    found = _INFO.get(code) if isinstance(code, str) else None
    return found if found is not None else UNITS[parse_unit(code)]


def dimension_of(code: str) -> Dimension:
    """The :class:`Dimension` of a unit, e.g. ``MASS_CONCENTRATION`` for ``mg/dL``."""
    return unit_info(code).dimension


def units_of(*dimensions: Dimension) -> tuple[Ucum, ...]:
    """Every accepted unit of the given dimensions, in the table's order."""
    return tuple(u.code for u in _DEFINITIONS if u.dimension in dimensions)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``; both must be accepted codes of one dimension."""
    if from_unit == to_unit and from_unit in _INFO:
        return value
    source = unit_info(from_unit)
    target = unit_info(to_unit)
    if source.code is target.code:
        return value
    if source.dimension is not target.dimension:
        concentrations = {Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION}
        how = (
            "; mass <-> substance concentration needs the analyte and a conversion basis "
            "(engraft.measurements.convert_concentration)"
            if {source.dimension, target.dimension} == concentrations
            else ""
        )
        raise UnitError(
            f"cannot convert {source.code.value} ({source.dimension.value}) to {target.code.value} "
            f"({target.dimension.value}): no conversion is defined between these dimensions{how}"
        )
    base = value * source.factor + source.offset
    return (base - target.offset) / target.factor
