"""LOINC-coded observations Engraft accepts, with their canonical UCUM unit and plausible range.

A few clinical findings have no verified LOINC code (the MAGIC acute GVHD skin, upper and lower GI findings;
the ICE score and the other ICANS findings): they carry local codes starting ``ENGRAFT-`` (:data:`LOCAL_CODE_PREFIX`),
named as local in the catalogue.

Codes follow the CIBMTR Reporting IG lab value sets (ANC 751-8/753-4/26499-4, platelets
777-3/778-1/26515-7, bilirubin 1975-2/14631-6, creatinine 2160-0/14682-9, CMV DNA 30247-1/72493-0)
and LOINC's vital-sign panel (85353-1). A code outside this catalogue is refused rather than stored
with a meaning Engraft cannot check. The plausible range (in the canonical unit) rejects
impossible values such as negative counts; it is deliberately wide, not a reference range.

A value must be sent in a unit of its code's own dimension: LOINC names the property it measures
(``[Mass/volume]`` vs ``[Moles/volume]``), so bilirubin in mg/dL under the umol/L code 14631-6 is refused,
not converted. Moving a value between the two codes of one analyte is a separate, explicit step
(:func:`engraft.measurements.convert_concentration`, with the analyte each entry names).
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.measurements.analytes import Analyte
from engraft.measurements.units import UNITS, Dimension, Ucum, UnitError, convert, parse_unit, units_of


@dataclass(frozen=True, slots=True)
class ObservationKind:
    """One LOINC code: what it measures, its canonical unit and the values that are possible."""

    loinc: str
    name: str
    canonical_unit: Ucum
    minimum: float
    maximum: float
    analyte: Analyte | None = None
    """The analyte, where another code measures the same substance in the other dimension."""
    units: tuple[Ucum, ...] | None = None
    """Accepted units when not every unit of the dimension fits (beats vs breaths per minute)."""

    @property
    def dimension(self) -> Dimension:
        return UNITS[self.canonical_unit].dimension

    def accepted_units(self) -> tuple[Ucum, ...]:
        """UCUM codes a value of this kind may be sent in: its own dimension's units, or the listed ones."""
        return self.units if self.units is not None else units_of(self.dimension)

    def to_canonical(self, value: float, unit: str) -> float:
        """Convert ``value`` in ``unit`` to the canonical unit, refusing unknown or foreign units."""
        code = parse_unit(unit)
        if code not in self.accepted_units():
            raise UnitError(
                f"unit {unit!r} does not fit LOINC {self.loinc} ({self.name}, {self.dimension.value}): "
                f"expected one of {', '.join(u.value for u in self.accepted_units())}"
            )
        return convert(value, code, self.canonical_unit)


def _local(code: str, meaning: str, maximum: int, score: bool = False) -> ObservationKind:
    """A local ``ENGRAFT-`` code of a finding coded 0 to ``maximum``: points in ``{score}``, or an ordinal in ``1``."""
    unit = Ucum.SCORE if score else Ucum.ONE
    return ObservationKind(code, f"{meaning} [local Engraft code, not LOINC]", unit, 0, maximum, units=(unit,))


_KINDS: tuple[ObservationKind, ...] = (
    ObservationKind("751-8", "Neutrophils [#/volume] in Blood by Automated count", Ucum.E9_PER_L, 0, 500),
    ObservationKind("753-4", "Neutrophils [#/volume] in Blood by Manual count", Ucum.E9_PER_L, 0, 500),
    ObservationKind("26499-4", "Neutrophils [#/volume] in Blood", Ucum.E9_PER_L, 0, 500),
    ObservationKind("6690-2", "Leukocytes [#/volume] in Blood by Automated count", Ucum.E9_PER_L, 0, 1000),
    ObservationKind("731-0", "Lymphocytes [#/volume] in Blood by Automated count", Ucum.E9_PER_L, 0, 1000),
    ObservationKind("777-3", "Platelets [#/volume] in Blood by Automated count", Ucum.E9_PER_L, 0, 5000),
    ObservationKind("778-1", "Platelets [#/volume] in Blood by Manual count", Ucum.E9_PER_L, 0, 5000),
    ObservationKind("26515-7", "Platelets [#/volume] in Blood", Ucum.E9_PER_L, 0, 5000),
    ObservationKind("718-7", "Hemoglobin [Mass/volume] in Blood", Ucum.G_PER_DL, 0, 30),
    ObservationKind(
        "1975-2",
        "Bilirubin.total [Mass/volume] in Serum or Plasma",
        Ucum.MG_PER_DL,
        0,
        100,
        analyte=Analyte.BILIRUBIN,
    ),
    ObservationKind(
        "14631-6",
        "Bilirubin.total [Moles/volume] in Serum or Plasma",
        Ucum.UMOL_PER_L,
        0,
        1710,
        analyte=Analyte.BILIRUBIN,
    ),
    ObservationKind(
        "2160-0",
        "Creatinine [Mass/volume] in Serum or Plasma",
        Ucum.MG_PER_DL,
        0,
        40,
        analyte=Analyte.CREATININE,
    ),
    ObservationKind(
        "14682-9",
        "Creatinine [Moles/volume] in Serum or Plasma",
        Ucum.UMOL_PER_L,
        0,
        3540,
        analyte=Analyte.CREATININE,
    ),
    ObservationKind("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in S/P", Ucum.U_PER_L, 0, 20000),
    ObservationKind("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in S/P", Ucum.U_PER_L, 0, 20000),
    ObservationKind("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in S/P", Ucum.U_PER_L, 0, 50000),
    ObservationKind("1751-7", "Albumin [Mass/volume] in Serum or Plasma", Ucum.G_PER_DL, 0, 10),
    ObservationKind("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", Ucum.MG_PER_L, 0, 1000),
    ObservationKind("2276-4", "Ferritin [Mass/volume] in Serum or Plasma", Ucum.NG_PER_ML, 0, 200000),
    ObservationKind("2951-2", "Sodium [Moles/volume] in Serum or Plasma", Ucum.MMOL_PER_L, 80, 200),
    ObservationKind("2823-3", "Potassium [Moles/volume] in Serum or Plasma", Ucum.MMOL_PER_L, 0.5, 15),
    ObservationKind("11253-2", "Tacrolimus [Mass/volume] in Blood", Ucum.NG_PER_ML, 0, 200),
    ObservationKind(
        "30247-1", "Cytomegalovirus DNA [#/volume] (viral load) in S/P by NAA", Ucum.COPIES_PER_ML, 0, 1e10
    ),
    ObservationKind("72493-0", "Cytomegalovirus DNA [Units/volume] in Plasma by NAA", Ucum.IU_PER_ML, 0, 1e10),
    ObservationKind("8310-5", "Body temperature", Ucum.CELSIUS, 25, 45),
    ObservationKind("8867-4", "Heart rate", Ucum.PER_MIN, 0, 300, units=(Ucum.PER_MIN, Ucum.BEATS_PER_MIN)),
    ObservationKind("9279-1", "Respiratory rate", Ucum.PER_MIN, 0, 100, units=(Ucum.PER_MIN, Ucum.BREATHS_PER_MIN)),
    ObservationKind("8480-6", "Systolic blood pressure", Ucum.MM_HG, 0, 300),
    ObservationKind("8462-4", "Diastolic blood pressure", Ucum.MM_HG, 0, 200),
    ObservationKind("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", Ucum.PERCENT, 0, 100),
    # LOINC 3151-8 as US Core's pulse oximetry profile uses it (component "Inhaled oxygen flow rate", L/min): the
    # oxygen flow the ASTCT CRS hypoxia grade reads (engraft.monitoring.crs_kinds); the device is not coded here.
    ObservationKind(
        "3151-8", "Inhaled oxygen flow rate", Ucum.L_PER_MIN, 0, 100, units=(Ucum.L_PER_MIN, Ucum.ML_PER_MIN)
    ),
    ObservationKind("29463-7", "Body weight", Ucum.KG, 0.3, 400),
    ObservationKind("8302-2", "Body height", Ucum.CM, 20, 250),
    # Findings of the MAGIC acute GVHD organ stages (engraft.grading.acute_gvhd_staging) for which no LOINC code
    # was verified: local codes, prefixed LOCAL_CODE_PREFIX, never presented as LOINC. Total bilirubin and body
    # weight, the other findings, have LOINC codes above.
    ObservationKind(
        "ENGRAFT-RASH-BSA",
        "Acute GVHD active erythematous (maculopapular) rash, % body surface area [local Engraft code, not LOINC]",
        Ucum.PERCENT,
        0,
        100,
        units=(Ucum.PERCENT,),
    ),
    ObservationKind(
        "ENGRAFT-BULLAE",
        "Acute GVHD bullous formation and desquamation, % body surface area [local Engraft code, not LOINC]",
        Ucum.PERCENT,
        0,
        100,
        units=(Ucum.PERCENT,),
    ),
    ObservationKind(
        "ENGRAFT-STOOL-D",
        "Non-formed stool output over a day (the day's figure MAGIC stages) [local Engraft code, not LOINC]",
        Ucum.ML_PER_DAY,
        0,
        20000,
        units=(Ucum.ML_PER_DAY, Ucum.L_PER_DAY),
    ),
    ObservationKind(
        "ENGRAFT-UGI",
        "Persistent nausea, vomiting or anorexia (MAGIC upper GI), 1 present / 0 absent "
        "[local Engraft code, not LOINC]",
        Ucum.ONE,
        0,
        1,
        units=(Ucum.ONE,),
    ),
    ObservationKind(
        "ENGRAFT-BLOODYST",
        "Grossly bloody stool (MAGIC lower GI stage 4), 1 present / 0 absent [local Engraft code, not LOINC]",
        Ucum.ONE,
        0,
        1,
        units=(Ucum.ONE,),
    ),
    # Findings of the ASTCT ICANS grade (engraft.grading.icans, read by engraft.monitoring.icans_kinds) for which no
    # LOINC code was found: local codes, one per finding of the grading module, ordinal values as listed.
    _local("ENGRAFT-ICE", "ICE score (immune effector cell-associated encephalopathy, ASTCT 2019), points", 10, True),
    _local(
        "ENGRAFT-ICANSLOC",
        "ICANS depressed level of consciousness: 0 not depressed, 1 awakens spontaneously, 2 awakens to voice, "
        "3 awakens only to tactile stimulus, 4 unarousable (or needs vigorous or repetitive tactile stimuli), "
        "stupor or coma",
        4,
    ),
    _local(
        "ENGRAFT-SEIZURE",
        "ICANS seizure: 0 none, 1 clinical seizure resolving rapidly (or EEG seizures resolving with intervention), "
        "2 life-threatening prolonged (> 5 min) or repetitive seizures without return to baseline",
        2,
    ),
    _local("ENGRAFT-MOTORWK", "ICANS deep focal motor weakness (hemiparesis, paraparesis), 1 present / 0 absent", 1),
    _local(
        "ENGRAFT-OEDEMA",
        "ICANS cerebral oedema on neuroimaging: 0 none, 1 focal/local oedema, 2 diffuse cerebral oedema",
        2,
    ),
    _local("ENGRAFT-POSTURE", "ICANS decerebrate or decorticate posturing, 1 present / 0 absent", 1),
    _local("ENGRAFT-CN6PALSY", "ICANS cranial nerve VI palsy, 1 present / 0 absent", 1),
    _local("ENGRAFT-PAPILLOE", "ICANS papilloedema, 1 present / 0 absent", 1),
    _local("ENGRAFT-CUSHING", "ICANS Cushing's triad, 1 present / 0 absent", 1),
)

LOCAL_CODE_PREFIX = "ENGRAFT-"
"""Catalogue codes starting with this are Engraft's own (no verified LOINC code exists for the finding)."""
LOCAL_CODE_SYSTEM = "urn:engraft:observation-code"
"""The FHIR ``Coding.system`` of Engraft's local codes (``ENGRAFT-ICE`` under it, never under LOINC's system)."""
LOCAL_CODE_SYSTEM_HL7 = "99ENGRAFT"
"""The HL7 v2 coding system (OBX-3.3, a local ``99zzz`` name of table 0396) of Engraft's local codes."""


def local_code(system: str | None, code: str | None) -> str | None:
    """``code`` when it is an Engraft local catalogue code sent under Engraft's own code system (FHIR or HL7 v2)."""
    if system not in (LOCAL_CODE_SYSTEM, LOCAL_CODE_SYSTEM_HL7) or not code or not code.startswith(LOCAL_CODE_PREFIX):
        return None
    return code if code in OBSERVATION_CATALOGUE else None


OBSERVATION_CODE_PATTERN = r"^([0-9]{1,7}-[0-9]|ENGRAFT-[A-Z0-9-]{1,8})$"
"""The shape of a catalogue code: a LOINC code, or a local code (:data:`LOCAL_CODE_PREFIX`, at most 16 characters)."""

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
