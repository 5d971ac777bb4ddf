"""Synthetic lab-feed messages (HL7 v2 ORU^R01, FHIR R4) and the registered patients they name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engraft.registry.schemas.patient import CentreIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import Sex

MRN_SYSTEM = "urn:engraft:mrn"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def register_patient(service: RegistryService, mrn: str = "MRN-100", centre: str = "C1") -> int:
    """A patient with medical record number ``mrn`` at ``centre`` (created if missing); its id."""
    if centre not in {c.code for c in service.list_centres()}:
        service.create_centre(CentreIn(code=centre, name=f"Centre {centre}", country="GB"))
    identity = IdentityIn(given_name="Test", family_name="Patient", mrn=mrn)
    patient = service.create_patient(
        PatientIn(centre=centre, sex=Sex.FEMALE, birth_date=dt.date(1970, 5, 17), identity=identity)
    )
    return patient.id


def obx(
    n: int,
    code: str = "751-8",
    value: str = "0.4",
    unit: str = "10*9/L",
    *,
    system: str = "LN",
    value_type: str = "NM",
    status: str = "F",
    time: str = "20241001114500+0000",
) -> str:
    return f"OBX|{n}|{value_type}|{code}^Result {n}^{system}||{value}|{unit}|||||{status}|||{time}"


def oru(
    control_id: str,
    *observations: str,
    mrn: str = "MRN-100",
    filler: str = "F-1",
    header: str | None = None,
    pid: str | None = None,
) -> str:
    """An ORU^R01 message with segments separated by carriage returns."""
    msh = header or f"MSH|^~\\&|LABSYS|HOSP|ENGRAFT|TXU|20241001120000+0000||ORU^R01^ORU_R01|{control_id}|P|2.5.1"
    segments = [
        msh,
        pid if pid is not None else f"PID|1||{mrn}^^^HOSP^MR||Example^Ann||19700517|F",
        f"OBR|1||{filler}|58410-2^CBC panel^LN|||20241001113000+0000",
        *(observations or (obx(1),)),
    ]
    return "\r".join(segments) + "\r"


def observation(
    identifier: str,
    code: str = "751-8",
    value: float = 0.4,
    unit: str = "10*9/L",
    *,
    subject: dict[str, Any] | None = None,
    at: str = "2024-10-01T11:45:00+00:00",
    unit_system: str = UCUM,
    status: str = "final",
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:lab:results", "value": identifier}],
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": subject or {"identifier": {"system": MRN_SYSTEM, "value": "MRN-100"}},
        "effectiveDateTime": at,
        "valueQuantity": {"value": value, "unit": unit, "system": unit_system, "code": unit},
    }


def platelet_transfusion(identifier: str, at: str = "2024-10-01T09:00:00+00:00", code: str = "PLT") -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "identifier": [{"system": "urn:blood-bank:issues", "value": identifier}],
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0426", "code": code}]
        },
        "subject": {"identifier": {"system": MRN_SYSTEM, "value": "MRN-100"}},
        "effectiveDateTime": at,
    }


def bundle(*resources: dict[str, Any], identifier: str | None = None, kind: str = "transaction") -> dict[str, Any]:
    document: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"resource": r, "request": {"method": "POST", "url": r["resourceType"]}} for r in resources],
    }
    if identifier is not None:
        document["identifier"] = {"system": "urn:lab:bundles", "value": identifier}
    return document
