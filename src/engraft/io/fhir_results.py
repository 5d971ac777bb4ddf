"""FHIR R4 results in: Observation resources, transaction Bundles, MedicationAdministration for transfusions.

Resources are parsed with the ``fhir.resources`` models of FHIR R4B (the 4.3 release, which keeps R4's
Observation, Bundle, Patient and MedicationAdministration; the package ships no plain R4 module), then
mapped to the registry's items (:mod:`engraft.registry.ingest`) by explicit tables only:

- **codes**: an Observation's ``code`` must carry a LOINC coding (``http://loinc.org``) from Engraft's
  observation catalogue (:data:`engraft.measurements.OBSERVATION_CATALOGUE`, each code with its display and
  canonical unit, e.g. ANC 751-8 / 26499-4, platelets 777-3 / 26515-7, bilirubin 1975-2 / 14631-6,
  creatinine 2160-0 / 14682-9, CMV DNA 72493-0 in [IU]/mL and 30247-1 in {copies}/mL, body temperature
  8310-5, weight 29463-7); a blood product must be coded in HL7 table 0426 (blood product) or 0566 (blood
  unit type) as listed in :data:`TRANSFUSION_PRODUCTS`;
- **units**: ``valueQuantity`` must give a UCUM code (``system`` ``http://unitsofmeasure.org``) from the
  closed set that fits the LOINC code's dimension; the registry converts it to the canonical unit;
- **patients**: the ``subject`` names the patient by an identifier: the medical record number under the
  configured system (:attr:`FhirSettings.mrn_system`), or the Engraft patient id under
  :data:`ENGRAFT_PATIENT_ID_SYSTEM`; a reference to a Patient entry of the same Bundle uses that entry's
  identifiers;
- **identity**: a result's first ``identifier`` (system and value) becomes its ``(source_system,
  source_id)``, so a re-sent resource is stored once; a resource without one falls back to its ``id``
  (``Observation/<id>`` under :data:`RESOURCE_ID_SYSTEM`); a Bundle's ``identifier`` becomes the message's
  control id; an Observation of status ``amended`` or ``corrected`` replaces the result stored under its
  identifier (:mod:`engraft.registry.ingest_corrections`), while other content under a ``final`` result's
  identifier is refused.

Nothing is guessed: each resource that cannot be mapped is reported with its index in the Bundle (1-based
entry number), the code or value at fault and the reason, and the caller stores nothing. Resource types
Engraft does not store (DiagnosticReport, Specimen, ...) are listed as ignored, never silently dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import pydantic
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference

from engraft.measurements import (
    LOCAL_CODE_SYSTEM,
    OBSERVATION_CATALOGUE,
    UnitError,
    local_code,
    lookup_observation_kind,
    parse_unit,
)
from engraft.registry.errors import Problem
from engraft.registry.ingest import IncomingObservation, IncomingTransfusion, MessageKey, PatientKey
from engraft.vocabulary import InboundProtocol, TransfusionProduct

LOINC_SYSTEM: Final = "http://loinc.org"
UCUM_SYSTEM: Final = "http://unitsofmeasure.org"
ENGRAFT_PATIENT_ID_SYSTEM: Final = "urn:engraft:patient-id"
"""Identifier system of the Engraft patient id (the registry's record id, a positive integer)."""
DEFAULT_MRN_SYSTEM: Final = "urn:engraft:mrn"
RESOURCE_ID_SYSTEM: Final = "urn:engraft:fhir-resource-id"
BLOOD_PRODUCT_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0426"
BLOOD_UNIT_TYPE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0566"
STORED_OBSERVATION_STATUSES: Final = frozenset({"final", "amended", "corrected"})
CORRECTED_OBSERVATION_STATUSES: Final = frozenset({"amended", "corrected"})
"""An Observation of these statuses replaces the result stored under its identifier
(:mod:`engraft.registry.ingest_corrections`)."""
BUNDLE_TYPES: Final = frozenset({"transaction", "batch", "collection"})

TRANSFUSION_PRODUCTS: Final[Mapping[tuple[str, str], tuple[TransfusionProduct, str]]] = {
    (BLOOD_PRODUCT_SYSTEM, "PLT"): (TransfusionProduct.PLATELETS, "Platelet Concentrate"),
    (BLOOD_PRODUCT_SYSTEM, "PLTNEO"): (TransfusionProduct.PLATELETS, "Reduced Volume Platelets"),
    (BLOOD_PRODUCT_SYSTEM, "PLTP"): (TransfusionProduct.PLATELETS, "Pooled Platelets"),
    (BLOOD_PRODUCT_SYSTEM, "PLTPH"): (TransfusionProduct.PLATELETS, "Platelet Pheresis"),
    (BLOOD_PRODUCT_SYSTEM, "PLTPHLR"): (TransfusionProduct.PLATELETS, "Leukoreduced Platelet Pheresis"),
    (BLOOD_PRODUCT_SYSTEM, "PC"): (TransfusionProduct.RED_CELLS, "Packed Cells"),
    (BLOOD_PRODUCT_SYSTEM, "PCA"): (TransfusionProduct.RED_CELLS, "Autologous Packed Cells"),
    (BLOOD_PRODUCT_SYSTEM, "PCNEO"): (TransfusionProduct.RED_CELLS, "Packed Cells - Neonatal"),
    (BLOOD_PRODUCT_SYSTEM, "PCW"): (TransfusionProduct.RED_CELLS, "Washed Packed Cells"),
    (BLOOD_UNIT_TYPE_SYSTEM, "PLT"): (TransfusionProduct.PLATELETS, "Platelets"),
    (BLOOD_UNIT_TYPE_SYSTEM, "RBC"): (TransfusionProduct.RED_CELLS, "Red Blood Cells"),
}
"""Blood product codes Engraft stores as transfusions (HL7 tables 0426 and 0566; plasma, cryoprecipitate and
whole blood are not among them and are reported)."""


@dataclass(frozen=True, slots=True)
class FhirSettings:
    """How a FHIR sender names patients: the identifier system of its medical record numbers."""

    mrn_system: str = DEFAULT_MRN_SYSTEM


@dataclass(frozen=True, slots=True)
class FhirResults:
    """What a FHIR document carries, mapped; ``problems`` non-empty means nothing may be stored."""

    observations: tuple[IncomingObservation, ...]
    transfusions: tuple[IncomingTransfusion, ...]
    message: MessageKey | None
    problems: tuple[Problem, ...]
    ignored: tuple[Problem, ...] = field(default=())
    """Entries of resource types Engraft does not store (reported, not refused)."""


class FhirDocumentError(ValueError):
    """The document is not a FHIR resource Engraft reads at all (no ``resourceType``, wrong type)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.describe())


def read_fhir(document: Any, settings: FhirSettings = FhirSettings()) -> FhirResults:
    """Map a Bundle, an Observation or a MedicationAdministration (parsed JSON) to registry items."""
    if not isinstance(document, dict):
        raise FhirDocumentError(Problem("resourceType", type(document).__name__, "a FHIR resource (a JSON object)"))
    kind = document.get("resourceType")
    if kind == "Bundle":
        return _read_bundle(document, settings)
    if kind in ("Observation", "MedicationAdministration"):
        reader = _Reader(settings, {})
        reader.resource(1, "resource", document)
        return reader.results(None)
    expected = "Bundle, Observation or MedicationAdministration"
    raise FhirDocumentError(Problem("resourceType", kind, expected))


def _read_bundle(document: dict[str, Any], settings: FhirSettings) -> FhirResults:
    bundle_type = document.get("type")
    if bundle_type not in BUNDLE_TYPES:
        raise FhirDocumentError(Problem("Bundle.type", bundle_type, f"one of {', '.join(sorted(BUNDLE_TYPES))}"))
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise FhirDocumentError(Problem("Bundle.entry", type(entries).__name__, "a list of entries"))
    patients: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            resource = entry["resource"]
            if resource.get("resourceType") == "Patient":
                for name in (entry.get("fullUrl"), f"Patient/{resource.get('id')}" if resource.get("id") else None):
                    if isinstance(name, str):
                        patients[name] = resource
    reader = _Reader(settings, patients)
    for index, entry in enumerate(entries, start=1):
        label = f"entry[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            reader.problem(index, f"{label}.resource", None, "an entry with a resource")
            continue
        reader.resource(index, label, entry["resource"])
    return reader.results(_bundle_key(document))


def _bundle_key(document: dict[str, Any]) -> MessageKey | None:
    identifier = document.get("identifier")
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str) or not identifier["value"]:
        return None
    system = identifier.get("system")
    return MessageKey(InboundProtocol.FHIR, system if isinstance(system, str) else "", identifier["value"])


class _Reader:
    """Collects items and problems resource by resource."""

    def __init__(self, settings: FhirSettings, patients: dict[str, dict[str, Any]]) -> None:
        self.settings = settings
        self.patients = patients
        self.observations: list[IncomingObservation] = []
        self.transfusions: list[IncomingTransfusion] = []
        self.problems: list[Problem] = []
        self.ignored: list[Problem] = []

    def results(self, message: MessageKey | None) -> FhirResults:
        return FhirResults(
            tuple(self.observations), tuple(self.transfusions), message, tuple(self.problems), tuple(self.ignored)
        )

    def problem(self, index: int, where: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(where, value, expected, index))

    def resource(self, index: int, label: str, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        model: type[Observation] | type[MedicationAdministration]
        if kind == "Observation":
            model = Observation
        elif kind == "MedicationAdministration":
            model = MedicationAdministration
        else:
            if kind != "Patient":
                expected = "Observation or MedicationAdministration (other resources are not stored)"
                self.ignored.append(Problem(f"{label}.resourceType", kind, expected, index))
            return
        try:
            parsed = model.model_validate(resource)
        except pydantic.ValidationError as exc:
            for error in exc.errors()[:5]:
                where = ".".join(str(part) for part in error["loc"])
                self.problem(index, f"{label} {kind}.{where}", _shown(error.get("input")), error["msg"])
            return
        if isinstance(parsed, Observation):
            self._observation(index, f"{label} Observation", parsed)
        else:
            self._administration(index, f"{label} MedicationAdministration", parsed)

    # ---- Observation ----------------------------------------------------------------------------
    def _observation(self, index: int, label: str, obs: Observation) -> None:
        start = len(self.problems)
        if obs.status not in STORED_OBSERVATION_STATUSES:
            expected = f"one of {', '.join(sorted(STORED_OBSERVATION_STATUSES))} (other results are not stored)"
            self.problem(index, f"{label}.status", obs.status, expected)
        patient = self._patient(index, label, obs.subject)
        observed_at = self._time(index, label, obs.effectiveDateTime or obs.effectiveInstant, obs.effectivePeriod)
        system, source_id = self._identity(index, label, "Observation", obs.identifier, obs.id)
        measured: list[tuple[str, str, Quantity | None, str]] = []
        if obs.component and obs.valueQuantity is None:
            for n, component in enumerate(obs.component, start=1):
                loinc = self._loinc(index, f"{label}.component[{n}].code", component.code)
                if loinc is not None:
                    measured.append((f"{label}.component[{n}]", loinc, _component_quantity(component), f"#{loinc}"))
        else:
            loinc = self._loinc(index, f"{label}.code", obs.code)
            if loinc is not None:
                measured.append((label, loinc, obs.valueQuantity, ""))
        values = [
            (where, loinc, self._quantity(index, where, loinc, q), suffix) for where, loinc, q, suffix in measured
        ]
        if len(self.problems) > start or patient is None or observed_at is None or source_id is None:
            return
        for where, loinc, value, suffix in values:
            if value is None:
                continue
            number, unit = value
            corrects = obs.status in CORRECTED_OBSERVATION_STATUSES
            self.observations.append(
                IncomingObservation(
                    index,
                    where,
                    patient,
                    observed_at,
                    loinc,
                    number,
                    unit,
                    system,
                    source_id + suffix,
                    corrects=corrects,
                )
            )

    def _loinc(self, index: int, where: str, concept: CodeableConcept | None) -> str | None:
        codings = (concept.coding if concept is not None else None) or []
        loincs = [c.code for c in codings if c.system == LOINC_SYSTEM and c.code]
        for code in loincs:
            if code in OBSERVATION_CATALOGUE:
                return code
        for c in codings:  # a finding without a LOINC code: Engraft's local code under its own system
            if (local := local_code(c.system, c.code)) is not None:
                return local
        given = ", ".join(f"{c.system or '?'}|{c.code}" for c in codings) or (concept.text if concept else None)
        expected = (
            f"a LOINC coding ({LOINC_SYSTEM}) of Engraft's observation catalogue "
            f"({len(OBSERVATION_CATALOGUE)} codes, docs/data-dictionary.md), or a local code under {LOCAL_CODE_SYSTEM}"
        )
        self.problem(index, where, given, expected)
        return None

    def _quantity(self, index: int, where: str, loinc: str, quantity: Quantity | None) -> tuple[float, str] | None:
        if quantity is None or quantity.value is None:
            self.problem(index, f"{where}.valueQuantity", None, "a valueQuantity with a value (numeric results only)")
            return None
        kind = lookup_observation_kind(loinc)
        accepted = ", ".join(u.value for u in kind.accepted_units())
        if quantity.system != UCUM_SYSTEM or not quantity.code:
            given = f"{quantity.system or '?'}|{quantity.code or quantity.unit or ''}"
            self.problem(index, f"{where}.valueQuantity.code", given, f"a UCUM code ({UCUM_SYSTEM}): one of {accepted}")
            return None
        value = float(quantity.value) if isinstance(quantity.value, Decimal | int | float) else None
        if value is None:
            self.problem(index, f"{where}.valueQuantity.value", quantity.value, "a number")
            return None
        try:
            parse_unit(quantity.code)
            kind.to_canonical(value, quantity.code)
        except UnitError as exc:
            self.problem(index, f"{where}.valueQuantity.code", quantity.code, str(exc))
            return None
        return value, quantity.code

    # ---- MedicationAdministration -----------------------------------------------------------------
    def _administration(self, index: int, label: str, given: MedicationAdministration) -> None:
        start = len(self.problems)
        if given.status != "completed":
            self.problem(index, f"{label}.status", given.status, "completed (only given products are stored)")
        product = self._product(index, label, given.medicationCodeableConcept)
        patient = self._patient(index, label, given.subject)
        at = self._time(index, label, given.effectiveDateTime, given.effectivePeriod)
        system, source_id = self._identity(index, label, "MedicationAdministration", given.identifier, given.id)
        if len(self.problems) > start or product is None or patient is None or at is None or source_id is None:
            return
        self.transfusions.append(IncomingTransfusion(index, label, patient, product, at, system, source_id))

    def _product(self, index: int, label: str, concept: CodeableConcept | None) -> TransfusionProduct | None:
        codings = (concept.coding if concept is not None else None) or []
        for coding in codings:
            found = TRANSFUSION_PRODUCTS.get((coding.system or "", coding.code or ""))
            if found is not None:
                return found[0]
        given = ", ".join(f"{c.system or '?'}|{c.code}" for c in codings) or None
        expected = "a platelet or red cell product coded in HL7 table 0426 or 0566 (see TRANSFUSION_PRODUCTS)"
        self.problem(index, f"{label}.medicationCodeableConcept", given, expected)
        return None

    # ---- shared -----------------------------------------------------------------------------------
    def _patient(self, index: int, label: str, subject: Reference | None) -> PatientKey | None:
        identifiers: list[Identifier] = []
        if subject is not None and subject.identifier is not None:
            identifiers.append(subject.identifier)
        if subject is not None and subject.reference and subject.reference in self.patients:
            with contextlib.suppress(pydantic.ValidationError):  # an invalid Patient entry resolves to nothing
                identifiers += Patient.model_validate(self.patients[subject.reference]).identifier or []
        for identifier in identifiers:
            if identifier.system == self.settings.mrn_system and identifier.value:
                return PatientKey(mrn=identifier.value)
            if identifier.system == ENGRAFT_PATIENT_ID_SYSTEM and identifier.value:
                if identifier.value.isdigit() and 1 <= int(identifier.value) < 2**31:
                    return PatientKey(engraft_id=int(identifier.value))
                self.problem(
                    index, f"{label}.subject.identifier", identifier.value, "an Engraft patient id (1 or more)"
                )
                return None
        given = subject.reference if subject is not None and subject.reference else None
        if given is None and identifiers:
            given = ", ".join(f"{i.system or '?'}|{i.value}" for i in identifiers)
        expected = (
            f"a patient identified by MRN (identifier system {self.settings.mrn_system}) or Engraft id "
            f"(system {ENGRAFT_PATIENT_ID_SYSTEM}), directly or through a Patient entry of the Bundle"
        )
        self.problem(index, f"{label}.subject", given, expected)
        return None

    def _time(self, index: int, label: str, moment: Any, period: Any) -> dt.datetime | None:
        if moment is None and period is not None:
            moment = period.start
        if isinstance(moment, dt.datetime) and moment.utcoffset() is not None:
            return moment
        self.problem(index, f"{label}.effective[x]", _shown(moment), "a date and time with a time zone")
        return None

    def _identity(
        self, index: int, label: str, kind: str, identifiers: list[Identifier] | None, resource_id: str | None
    ) -> tuple[str, str | None]:
        for identifier in identifiers or []:
            if identifier.value:
                return identifier.system or "", identifier.value
        if resource_id:
            return RESOURCE_ID_SYSTEM, f"{kind}/{resource_id}"
        self.problem(index, f"{label}.identifier", None, "an identifier (or a resource id) that names the result")
        return "", None


def _component_quantity(component: ObservationComponent) -> Quantity | None:
    quantity = component.valueQuantity
    return quantity if isinstance(quantity, Quantity) else None


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:200]
