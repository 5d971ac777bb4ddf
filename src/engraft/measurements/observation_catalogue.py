"""LOINC-coded observations Engraft accepts, with their canonical UCUM unit and plausible range.

Codes follow the CIBMTR Reporting IG lab value sets (ANC 751-8/753-4/26499-4, platelets
777-3/778-1/26515-7, bilirubin 1975-2/14631-6, creatinine 2160-0/14682-9, CMV DNA 30247-1/72493-0)
and LOINC's vital-sign panel (85353-1). A code outside this catalogue is refused rather than stored
with a meaning Engraft cannot check. The plausible range (in the canonical unit) rejects
impossible values such as negative counts; it is deliberately wide, not a reference range.
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.measurements.ucum import UNITS, UnitError, convert, lookup_unit


@dataclass(frozen=True, slots=True)
class ObservationKind:
    """One LOINC code: what it measures, its canonical unit and the values that are possible."""

    loinc: str
    name: str
    canonical_unit: str
    minimum: float
    maximum: float
    molar_mass_g_per_mol: float | None = None
    units: tuple[str, ...] | None = None
    """Accepted units when not every unit of the dimension fits (beats vs breaths per minute)."""

    @property
    def dimension(self) -> str:
        return UNITS[self.canonical_unit].dimension

    def accepted_units(self) -> tuple[str, ...]:
        """UCUM codes a value of this kind may be sent in (convertible to the canonical unit)."""
        if self.units is not None:
            return self.units
        dims = {self.dimension}
        if self.molar_mass_g_per_mol is not None:
            dims |= {"mass concentration", "substance concentration"}
        return tuple(sorted(code for code, unit in UNITS.items() if unit.dimension in dims))

    def to_canonical(self, value: float, unit: str) -> float:
        """Convert ``value`` in ``unit`` to the canonical unit, refusing unknown or foreign units."""
        lookup_unit(unit)
        if unit not in self.accepted_units():
            raise UnitError(
                f"unit {unit!r} does not fit LOINC {self.loinc} ({self.name}): expected one of "
                f"{', '.join(self.accepted_units())}"
            )
        return convert(value, unit, self.canonical_unit, molar_mass_g_per_mol=self.molar_mass_g_per_mol)


_BILIRUBIN_G_PER_MOL = 584.66
_CREATININE_G_PER_MOL = 113.12

_KINDS: tuple[ObservationKind, ...] = (
    ObservationKind("751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*9/L", 0, 500),
    ObservationKind("753-4", "Neutrophils [#/volume] in Blood by Manual count", "10*9/L", 0, 500),
    ObservationKind("26499-4", "Neutrophils [#/volume] in Blood", "10*9/L", 0, 500),
    ObservationKind("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*9/L", 0, 1000),
    ObservationKind("731-0", "Lymphocytes [#/volume] in Blood by Automated count", "10*9/L", 0, 1000),
    ObservationKind("777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L", 0, 5000),
    ObservationKind("778-1", "Platelets [#/volume] in Blood by Manual count", "10*9/L", 0, 5000),
    ObservationKind("26515-7", "Platelets [#/volume] in Blood", "10*9/L", 0, 5000),
    ObservationKind("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 0, 30),
    ObservationKind(
        "1975-2",
        "Bilirubin.total [Mass/volume] in Serum or Plasma",
        "mg/dL",
        0,
        100,
        molar_mass_g_per_mol=_BILIRUBIN_G_PER_MOL,
    ),
    ObservationKind(
        "14631-6",
        "Bilirubin.total [Moles/volume] in Serum or Plasma",
        "umol/L",
        0,
        1710,
        molar_mass_g_per_mol=_BILIRUBIN_G_PER_MOL,
    ),
    ObservationKind(
        "2160-0",
        "Creatinine [Mass/volume] in Serum or Plasma",
        "mg/dL",
        0,
        40,
        molar_mass_g_per_mol=_CREATININE_G_PER_MOL,
    ),
    ObservationKind(
        "14682-9",
        "Creatinine [Moles/volume] in Serum or Plasma",
        "umol/L",
        0,
        3540,
        molar_mass_g_per_mol=_CREATININE_G_PER_MOL,
    ),
    ObservationKind("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in S/P", "U/L", 0, 20000),
    ObservationKind("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in S/P", "U/L", 0, 20000),
    ObservationKind("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in S/P", "U/L", 0, 50000),
    ObservationKind("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 0, 10),
    ObservationKind("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "mg/L", 0, 1000),
    ObservationKind("2276-4", "Ferritin [Mass/volume] in Serum or Plasma", "ng/mL", 0, 200000),
    ObservationKind("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 80, 200),
    ObservationKind("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 0.5, 15),
    ObservationKind("11253-2", "Tacrolimus [Mass/volume] in Blood", "ng/mL", 0, 200),
    ObservationKind("30247-1", "Cytomegalovirus DNA [#/volume] (viral load) in S/P by NAA", "{copies}/mL", 0, 1e10),
    ObservationKind("72493-0", "Cytomegalovirus DNA [Units/volume] in Plasma by NAA", "[IU]/mL", 0, 1e10),
    ObservationKind("8310-5", "Body temperature", "Cel", 25, 45),
    ObservationKind("8867-4", "Heart rate", "/min", 0, 300, units=("/min", "{beats}/min")),
    ObservationKind("9279-1", "Respiratory rate", "/min", 0, 100, units=("/min", "{breaths}/min")),
    ObservationKind("8480-6", "Systolic blood pressure", "mm[Hg]", 0, 300),
    ObservationKind("8462-4", "Diastolic blood pressure", "mm[Hg]", 0, 200),
    ObservationKind("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 0, 100),
    ObservationKind("29463-7", "Body weight", "kg", 0.3, 400),
    ObservationKind("8302-2", "Body height", "cm", 20, 250),
)

OBSERVATION_CATALOGUE: dict[str, ObservationKind] = {kind.loinc: kind for kind in _KINDS}


def lookup_observation_kind(loinc: str) -> ObservationKind:
    """Return the catalogue entry for ``loinc`` or raise :class:`UnitError` naming the code."""
    kind = OBSERVATION_CATALOGUE.get(loinc)
    if kind is None:
        raise UnitError(
            f"LOINC code {loinc!r} is not in Engraft's observation catalogue "
            f"({len(OBSERVATION_CATALOGUE)} codes; see docs/data-dictionary.md)"
        )
    return kind
