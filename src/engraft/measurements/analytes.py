"""Mass <-> substance concentration for named analytes: exact molar masses and the clinical factors.

Two bases exist and give slightly different numbers, so every caller names the one it uses:

``ConversionBasis.MOLAR_MASS``
    The exact factor from the molar mass (bilirubin C33H36N4O6, 584.66 g/mol: 1 mg/dL = 17.104 umol/L;
    creatinine C4H7N3O, 113.12 g/mol: 1 mg/dL = 88.40 umol/L). Used to store observations in a
    canonical unit and to move a value between two LOINC codes of the same analyte.
``ConversionBasis.CLINICAL_FACTOR``
    The rounded factors of the SI conversion tables clinicians and score authors use (bilirubin 17.1,
    creatinine 88.4 umol/L per mg/dL). A score whose thresholds were written in mg/dL against these
    factors (HCT-CI, MAGIC liver stages) converts with them, and says so in its result.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from engraft.measurements.units import Dimension, UnitError, convert, unit_info
from engraft.provenance import Citation, FrozenModel, VerificationLevel


class Analyte(StrEnum):
    """Analytes with a defined mass <-> substance concentration conversion."""

    BILIRUBIN = "bilirubin"
    CREATININE = "creatinine"


class ConversionBasis(StrEnum):
    """Which factor converts mass to substance concentration."""

    MOLAR_MASS = "molar mass"
    CLINICAL_FACTOR = "clinical factor"


class MolarMass(FrozenModel):
    """An analyte's molar mass, from its molecular formula."""

    analyte: Analyte
    formula: str
    g_per_mol: float
    citation: Citation
    verification: VerificationLevel
    note: str


class ClinicalFactor(FrozenModel):
    """The rounded umol/L per mg/dL factor of the SI conversion tables."""

    analyte: Analyte
    umol_per_l_per_mg_per_dl: float
    citation: Citation
    verification: VerificationLevel
    note: str


_CIAAW_2021: Final = Citation(
    authors="Prohaska T, Irrgeher J, Benefield J, et al.",
    title="Standard atomic weights of the elements 2021 (IUPAC Technical Report)",
    journal="Pure Appl Chem",
    year=2022,
    volume_pages="94(5):573-600",
    doi="10.1515/pac-2019-0603",
)
_MOLAR_MASS_NOTE: Final = (
    "computed from the molecular formula with the conventional standard atomic weights "
    "(C 12.011, H 1.008, N 14.007, O 15.999)"
)

MOLAR_MASSES: Final[dict[Analyte, MolarMass]] = {
    Analyte.BILIRUBIN: MolarMass(
        analyte=Analyte.BILIRUBIN,
        formula="C33H36N4O6",
        g_per_mol=584.66,
        citation=_CIAAW_2021,
        verification=VerificationLevel.PRIMARY,
        note=_MOLAR_MASS_NOTE,
    ),
    Analyte.CREATININE: MolarMass(
        analyte=Analyte.CREATININE,
        formula="C4H7N3O",
        g_per_mol=113.12,
        citation=_CIAAW_2021,
        verification=VerificationLevel.PRIMARY,
        note=_MOLAR_MASS_NOTE,
    ),
}

_SI_TABLE: Final = Citation(
    authors="Young DS",
    title="Implementation of SI units for clinical laboratory data. Style specifications and conversion tables",
    journal="Ann Intern Med",
    year=1987,
    volume_pages="106(1):114-129",
    doi="10.7326/0003-4819-106-1-114",
    pmid="3538968",
)
_SI_NOTE: Final = (
    "factor seen in the SI conversion table of the JAMA/AMA author instructions (conventional unit x factor = "
    "SI unit) as reproduced by two independent public copies; the 1987 primary table was not read"
)

CLINICAL_FACTORS: Final[dict[Analyte, ClinicalFactor]] = {
    Analyte.BILIRUBIN: ClinicalFactor(
        analyte=Analyte.BILIRUBIN,
        umol_per_l_per_mg_per_dl=17.1,
        citation=_SI_TABLE,
        verification=VerificationLevel.SECONDARY,
        note=_SI_NOTE,
    ),
    Analyte.CREATININE: ClinicalFactor(
        analyte=Analyte.CREATININE,
        umol_per_l_per_mg_per_dl=88.4,
        citation=_SI_TABLE,
        verification=VerificationLevel.SECONDARY,
        note=_SI_NOTE,
    ),
}


def umol_per_l_per_mg_per_dl(analyte: Analyte, basis: ConversionBasis) -> float:
    """How many umol/L one mg/dL of ``analyte`` is, on the named basis."""
    if basis is ConversionBasis.CLINICAL_FACTOR:
        return CLINICAL_FACTORS[analyte].umol_per_l_per_mg_per_dl
    # 1 mg/dL = 10 mg/L = 10 / M mmol/L = 10,000 / M umol/L
    return 10_000.0 / MOLAR_MASSES[analyte].g_per_mol


_MASS = Dimension.MASS_CONCENTRATION
_SUBSTANCE = Dimension.SUBSTANCE_CONCENTRATION


def convert_concentration(
    value: float, from_unit: str, to_unit: str, analyte: Analyte, basis: ConversionBasis
) -> float:
    """``value`` of ``analyte`` in ``from_unit`` expressed in ``to_unit``, mass and substance units alike.

    Within one dimension this is the plain conversion; across mass and substance concentration it uses
    the factor of ``basis``. Any other unit is refused with :class:`UnitError`.
    """
    source, target = unit_info(from_unit), unit_info(to_unit)
    for unit in (source, target):
        if unit.dimension not in (_MASS, _SUBSTANCE):
            raise UnitError(
                f"{analyte.value}: unit {unit.code.value} ({unit.dimension.value}) is not a mass or substance "
                "concentration"
            )
    if source.dimension is target.dimension:
        return convert(value, source.code, target.code)
    factor = umol_per_l_per_mg_per_dl(analyte, basis)
    if source.dimension is _MASS:
        return convert(convert(value, source.code, "mg/dL") * factor, "umol/L", target.code)
    return convert(convert(value, source.code, "umol/L") / factor, "mg/dL", target.code)
