"""FHIR R4 results: mapping by explicit tables (valid, unknown code, unknown unit, bad patient), and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from engraft.io.fhir_results import (
    ENGRAFT_PATIENT_ID_SYSTEM,
    TRANSFUSION_PRODUCTS,
    FhirDocumentError,
    FhirSettings,
    read_fhir,
)
from engraft.measurements import OBSERVATION_CATALOGUE
from engraft.registry.ingest import PatientKey
from engraft.registry.models import InboundMessage, Observation, Transfusion
from engraft.registry.result_hooks import RESULT_HOOKS, CommittedResults
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol, TransfusionProduct
from tests.io.feeds import LOINC, MRN_SYSTEM, bundle, observation, platelet_transfusion, register_patient

FHIR_JSON = {"content-type": "application/fhir+json"}


def test_a_valid_bundle_maps_each_observation_and_transfusion() -> None:
    document = bundle(
        observation("r-1", "751-8", 0.4, "10*9/L"),
        observation("r-2", "1975-2", 2.1, "mg/dL"),
        observation("r-3", "8310-5", 101.3, "[degF]"),
        platelet_transfusion("t-1"),
        identifier="b-1",
    )
    results = read_fhir(document)
    assert results.problems == ()
    assert [(o.item, o.loinc, o.value, o.unit, o.source_id) for o in results.observations] == [
        (1, "751-8", 0.4, "10*9/L", "r-1"),
        (2, "1975-2", 2.1, "mg/dL", "r-2"),
        (3, "8310-5", 101.3, "[degF]", "r-3"),
    ]
    assert {o.patient for o in results.observations} == {PatientKey(mrn="MRN-100")}
    assert results.observations[0].observed_at == dt.datetime(2024, 10, 1, 11, 45, tzinfo=dt.UTC)
    (given,) = results.transfusions
    assert (given.item, given.product, given.source_system, given.source_id) == (
        4,
        TransfusionProduct.PLATELETS,
        "urn:blood-bank:issues",
        "t-1",
    )
    assert results.message is not None and results.message.control_id == "b-1"
    assert results.message.protocol is InboundProtocol.FHIR


@pytest.mark.parametrize(
    ("resource", "field", "value", "says"),
    [
        pytest.param(observation("x", code="99999-9"), "entry[2] Observation.code", "http://loinc.org|99999-9",
                     "observation catalogue", id="unknown-loinc"),
        pytest.param({**observation("x"), "code": {"coding": [{"system": "urn:local", "code": "ANC"}]}},
                     "entry[2] Observation.code", "urn:local|ANC", "LOINC coding", id="local-code-without-loinc"),
        pytest.param(observation("x", unit="x10E9/L"), "entry[2] Observation.valueQuantity.code", "x10E9/L",
                     "not a supported UCUM code", id="unit-not-ucum"),
        pytest.param(observation("x", unit_system="urn:lab:units"), "entry[2] Observation.valueQuantity.code",
                     "urn:lab:units|10*9/L", "a UCUM code", id="unit-outside-ucum-system"),
        pytest.param(observation("x", code="14631-6", value=2.0, unit="mg/dL"),
                     "entry[2] Observation.valueQuantity.code", "mg/dL", "does not fit", id="unit-of-other-dimension"),
        pytest.param(observation("x", subject={"reference": "Patient/7"}), "entry[2] Observation.subject",
                     "Patient/7", "identified by MRN", id="patient-by-foreign-reference"),
        pytest.param(observation("x", subject={"identifier": {"system": "urn:other", "value": "9"}}),
                     "entry[2] Observation.subject", "urn:other|9", "identified by MRN", id="patient-other-system"),
        pytest.param(observation("x", subject={"identifier": {"system": ENGRAFT_PATIENT_ID_SYSTEM, "value": "x1"}}),
                     "entry[2] Observation.subject.identifier", "x1", "Engraft patient id", id="engraft-id-not-number"),
        pytest.param(observation("x", at="2024-10-01"), "entry[2] Observation.effective[x]", "2024-10-01",
                     "time zone", id="date-without-time"),
        pytest.param(observation("x", status="preliminary"), "entry[2] Observation.status", "preliminary",
                     "final", id="preliminary"),
        pytest.param(platelet_transfusion("t", code="FFP"),
                     "entry[2] MedicationAdministration.medicationCodeableConcept",
                     "http://terminology.hl7.org/CodeSystem/v2-0426|FFP", "platelet or red cell", id="plasma"),
    ],
)  # fmt: skip
def test_each_resource_that_cannot_be_mapped_is_reported_with_index_code_and_reason(
    resource: dict[str, Any], field: str, value: str, says: str
) -> None:
    results = read_fhir(bundle(observation("ok"), resource))
    assert [(p.row, p.field, p.value) for p in results.problems] == [(2, field, value)]
    assert says in results.problems[0].expected
    assert [o.source_id for o in results.observations] == ["ok"]  # the caller stores nothing: problems exist


def test_a_patient_entry_of_the_bundle_names_the_patient_by_its_identifiers() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:other", "value": "X"}, {"system": "urn:hospital:mrn", "value": "H-7"}],
    }
    document = bundle(observation("a", subject={"reference": "urn:uuid:1b4e"}), observation("b"))
    document["entry"].insert(0, {"fullUrl": "urn:uuid:1b4e", "resource": patient})
    results = read_fhir(document, FhirSettings(mrn_system="urn:hospital:mrn"))
    assert [p.field for p in results.problems] == ["entry[3] Observation.subject"]  # MRN-100 is under another system
    assert results.observations[0].patient == PatientKey(mrn="H-7")


def test_components_are_read_one_observation_each_and_other_resources_are_listed_as_ignored() -> None:
    pressure = observation("bp-1")
    del pressure["valueQuantity"]
    pressure["code"] = {"coding": [{"system": LOINC, "code": "85354-9"}]}
    pressure["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": code}]},
         "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
        for code, value in (("8480-6", 128), ("8462-4", 79))
    ]  # fmt: skip
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CBC"}}
    results = read_fhir(bundle(pressure, report))
    assert results.problems == ()
    assert [(o.loinc, o.value, o.source_id) for o in results.observations] == [
        ("8480-6", 128.0, "bp-1#8480-6"),
        ("8462-4", 79.0, "bp-1#8462-4"),
    ]
    assert [(p.row, p.value) for p in results.ignored] == [(2, "DiagnosticReport")]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"resourceType": "Patient"}, id="patient-alone"),
        pytest.param({"type": "transaction"}, id="no-resource-type"),
        pytest.param({"resourceType": "Bundle", "type": "searchset"}, id="search-result-bundle"),
        pytest.param(["not", "an", "object"], id="array"),
    ],
)
def test_a_document_that_is_no_results_resource_is_refused(document: Any) -> None:
    with pytest.raises(FhirDocumentError):
        read_fhir(document)


def test_an_invalid_resource_is_reported_with_the_models_reason() -> None:
    broken = observation("x")
    del broken["status"]
    results = read_fhir(bundle(broken))
    assert [(p.row, p.field) for p in results.problems] == [(1, "entry[1] Observation.status")]


def test_the_transfusion_table_covers_only_platelet_and_red_cell_products() -> None:
    assert {product for product, _display in TRANSFUSION_PRODUCTS.values()} == set(TransfusionProduct)
    assert all(display for _product, display in TRANSFUSION_PRODUCTS.values())


def test_the_issue_s_named_loinc_codes_are_in_the_catalogue() -> None:
    named = {"751-8", "26499-4", "777-3", "26515-7", "1975-2", "14631-6", "2160-0", "14682-9", "72493-0", "8310-5"}
    assert named | {"29463-7"} <= set(OBSERVATION_CATALOGUE)


# ---- through the API, on SQLite and PostgreSQL -----------------------------------------------------------


def _count(service: RegistryService, model: Any) -> int:
    with service.read_snapshot() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _post(client: TestClient, document: Any) -> Any:
    return client.post("/api/fhir", content=json.dumps(document), headers=FHIR_JSON)


@pytest.mark.parametrize("status", ["amended", "corrected"])
def test_an_amended_or_corrected_observation_replaces_the_stored_result(
    client: TestClient, service: RegistryService, status: str
) -> None:
    register_patient(service)
    assert _post(client, bundle(observation("r-1", value=0.2), identifier="B1")).json()["observations_inserted"] == 1
    changed = _post(client, bundle(observation("r-1", value=2.4, status=status), identifier="B2"))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["observations_inserted"], changed.json()["observations_corrected"]) == (0, 1)
    refused = _post(client, bundle(observation("r-1", value=3.0), identifier="B3"))  # final, other content
    assert refused.status_code == 422 and "amended or corrected" in refused.text
    with service.read_snapshot() as session:
        assert session.scalars(select(Observation.value)).all() == [2.4]


def test_a_bundle_is_stored_with_its_transfusions_and_stored_once(client: TestClient, service: RegistryService) -> None:
    patient = register_patient(service)
    received: list[CommittedResults] = []
    unregister = RESULT_HOOKS.register(received.append)
    try:
        document = bundle(
            observation("r-1"), observation("r-2", "777-3", 15), platelet_transfusion("t-1"), identifier="B1"
        )
        first = _post(client, document)
        again = _post(client, document)
    finally:
        unregister()
    assert first.status_code == 200, first.text
    assert first.json() | {"ignored": []} == {
        "already_stored": False,
        "observations_received": 2,
        "observations_inserted": 2,
        "observations_corrected": 0,
        "transfusions_received": 1,
        "transfusions_inserted": 1,
        "ignored": [],
    }
    assert again.status_code == 200 and again.json()["already_stored"] is True
    assert (_count(service, Observation), _count(service, Transfusion), _count(service, InboundMessage)) == (2, 1, 1)
    with service.read_snapshot() as session:
        stored = tuple(sorted(session.scalars(select(Observation.id))))
        (transfusion,) = session.execute(select(Transfusion.id, Transfusion.patient_id, Transfusion.product)).all()
    assert tuple(transfusion[1:]) == (patient, TransfusionProduct.PLATELETS)
    assert [(r.patient_id, r.observation_ids, r.transfusion_ids, r.protocol) for r in received] == [
        (patient, stored, (transfusion[0],), InboundProtocol.FHIR)
    ]


def test_one_bad_entry_refuses_the_whole_bundle_with_problem_json(client: TestClient, service: RegistryService) -> None:
    register_patient(service)
    answer = _post(client, bundle(observation("r-1"), observation("r-2", code="0000-0"), identifier="B2"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    (error,) = answer.json()["errors"]
    assert (error["row"], error["field"], error["value"]) == (2, "entry[2] Observation.code", "http://loinc.org|0000-0")
    assert (_count(service, Observation), _count(service, InboundMessage)) == (0, 0)


def test_an_unregistered_patient_is_refused_naming_the_entry(client: TestClient, service: RegistryService) -> None:
    register_patient(service, mrn="MRN-100")
    stranger = {"identifier": {"system": MRN_SYSTEM, "value": "MRN-999"}}
    answer = _post(client, bundle(observation("r-1"), observation("r-2", subject=stranger)))
    assert answer.status_code == 422
    assert [(e["row"], e["field"], e["value"]) for e in answer.json()["errors"]] == [
        (2, "entry[2] Observation patient", "MRN 'MRN-999'")
    ]
    assert _count(service, Observation) == 0


def test_a_single_observation_by_engraft_id_is_stored(client: TestClient, service: RegistryService) -> None:
    patient = register_patient(service)
    subject = {"identifier": {"system": ENGRAFT_PATIENT_ID_SYSTEM, "value": str(patient)}}
    answer = _post(client, observation("solo-1", "29463-7", 61.5, "kg", subject=subject))
    assert answer.status_code == 200, answer.text
    assert answer.json()["observations_inserted"] == 1
    with service.read_snapshot() as session:
        assert session.execute(select(Observation.patient_id, Observation.loinc)).all() == [(patient, "29463-7")]


@pytest.mark.parametrize("loinc", sorted(OBSERVATION_CATALOGUE))
def test_every_catalogue_code_is_read_in_each_unit_it_accepts(loinc: str) -> None:
    kind = OBSERVATION_CATALOGUE[loinc]
    resources = [observation(f"r-{n}", loinc, kind.minimum, unit.value) for n, unit in enumerate(kind.accepted_units())]
    results = read_fhir(bundle(*resources))
    assert results.problems == ()
    assert [o.unit for o in results.observations] == [u.value for u in kind.accepted_units()]
