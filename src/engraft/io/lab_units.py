"""Unit spellings lab systems send in HL7 v2 OBX-6, mapped explicitly to Engraft's UCUM codes.

HL7 v2 feeds rarely send pure UCUM: analysers and lab systems write ``x10E9/L`` or ``mg/dl``. A spelling is
accepted only if it is a UCUM code of the closed set (:class:`~engraft.measurements.Ucum`) or is listed
in :data:`LAB_UNIT_SPELLINGS` below, each entry naming the one UCUM code it can only mean. Anything else
(``IU/L``, which may be enzyme units or international units; ``G/L``, which may be giga per litre or grams)
is refused with the spelling named, never guessed. A centre can add its own spellings
(:func:`unit_table`) after checking what its analysers mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from engraft.measurements import Ucum, UnitError, parse_unit

LAB_UNIT_SPELLINGS: Final[Mapping[str, Ucum]] = MappingProxyType(
    {
        # cell counts per litre (10^9/L = 10^3/uL)
        "x10E9/L": Ucum.E9_PER_L,
        "X10E9/L": Ucum.E9_PER_L,
        "x10^9/L": Ucum.E9_PER_L,
        "10^9/L": Ucum.E9_PER_L,
        "10E9/L": Ucum.E9_PER_L,
        "x10*9/L": Ucum.E9_PER_L,
        "10*9/l": Ucum.E9_PER_L,
        "x10E3/uL": Ucum.E3_PER_UL,
        "x10^3/uL": Ucum.E3_PER_UL,
        "10^3/uL": Ucum.E3_PER_UL,
        "K/uL": Ucum.E3_PER_UL,
        "x10E12/L": Ucum.E12_PER_L,
        "x10^12/L": Ucum.E12_PER_L,
        # concentrations
        "umol/l": Ucum.UMOL_PER_L,
        "µmol/L": Ucum.UMOL_PER_L,
        "μmol/L": Ucum.UMOL_PER_L,
        "mmol/l": Ucum.MMOL_PER_L,
        "mg/dl": Ucum.MG_PER_DL,
        "mg/l": Ucum.MG_PER_L,
        "g/dl": Ucum.G_PER_DL,
        "g/l": Ucum.G_PER_L,
        "ng/ml": Ucum.NG_PER_ML,
        "u/l": Ucum.U_PER_L,
        "IU/mL": Ucum.IU_PER_ML,
        "IU/ml": Ucum.IU_PER_ML,
        "copies/mL": Ucum.COPIES_PER_ML,
        "copies/ml": Ucum.COPIES_PER_ML,
        # vital signs
        "degC": Ucum.CELSIUS,
        "°C": Ucum.CELSIUS,
        "degF": Ucum.FAHRENHEIT,
        "°F": Ucum.FAHRENHEIT,
        "mmHg": Ucum.MM_HG,
        "bpm": Ucum.BEATS_PER_MIN,
    }
)
"""Non-UCUM spellings and the one UCUM code each means (case matters, as in UCUM)."""


def unit_table(extra: Mapping[str, str] | None = None) -> dict[str, Ucum]:
    """The default spellings plus a centre's own (``spelling -> UCUM code``, each code checked)."""
    table = dict(LAB_UNIT_SPELLINGS)
    for spelling, code in (extra or {}).items():
        table[spelling] = parse_unit(code)
    return table


def lab_unit(spelling: str, table: Mapping[str, Ucum] = LAB_UNIT_SPELLINGS) -> Ucum:
    """The UCUM code ``spelling`` stands for: a UCUM code itself, or a listed spelling; else :class:`UnitError`."""
    text = spelling.strip()
    try:
        return Ucum(text)
    except ValueError:
        pass
    if text in table:
        return table[text]
    raise UnitError(
        f"unit {spelling!r} is neither a supported UCUM code nor a lab spelling Engraft maps "
        f"(e.g. {', '.join(sorted(list(table)[:6]))}); add it to the feed's unit table if it has one meaning"
    )
