"""Every registry route: create, read, list with pagination, update with version, health, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_database(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_openapi_lists_every_resource(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/api/patients",
        "/api/patients/{patient_id}",
        "/api/donors",
        "/api/episodes",
        "/api/events",
        "/api/follow-ups",
        "/api/observations/bulk",
        "/api/diagnoses",
        "/api/centres",
        "/api/health",
    ]:
        assert path in paths, path


def test_centres_create_and_list(client: TestClient) -> None:
    client.post("/api/centres", json={"code": "B2", "name": "Centre B", "country": "DE"})
    client.post("/api/centres", json={"code": "A1", "name": "Centre A", "country": "FR"})
    assert [c["code"] for c in client.get("/api/centres").json()] == ["A1", "B2"]
    again = client.post("/api/centres", json={"code": "A1", "name": "Again", "country": "FR"})
    assert again.status_code == 409


def test_patient_round_trip_keeps_identity_apart(client: TestClient, seeded: dict[str, int]) -> None:
    pid = seeded["patient"]
    plain = client.get(f"/api/patients/{pid}").json()
    assert plain["identity"] is None
    assert plain["registry_id"].startswith("ENG-")
    assert plain["birth_date"] == "1970-05-17"
    assert plain["centre"] == "C1"
    full = client.get(f"/api/patients/{pid}", params={"include_identity": True}).json()
    assert full["identity"] == {"given_name": "Ann", "family_name": "Example", "mrn": "MRN-1"}
    assert plain["created_at"].endswith(("Z", "+00:00"))


def test_patient_update_bumps_version(client: TestClient, seeded: dict[str, int]) -> None:
    pid = seeded["patient"]
    updated = client.patch(f"/api/patients/{pid}", json={"version": 1, "weight_kg": 60.5})
    assert updated.status_code == 200
    assert updated.json()["weight_kg"] == 60.5
    assert updated.json()["version"] == 2


def test_patient_list_paginates(client: TestClient, seeded: dict[str, int]) -> None:
    for i in range(4):
        client.post("/api/patients", json={"centre": "C1", "sex": "male", "birth_date": f"198{i}-01-01"})
    first = client.get("/api/patients", params={"limit": 2, "offset": 0}).json()
    second = client.get("/api/patients", params={"limit": 2, "offset": 2}).json()
    third = client.get("/api/patients", params={"limit": 2, "offset": 4}).json()
    assert first["total"] == second["total"] == third["total"] == 5
    ids = [p["id"] for p in first["items"] + second["items"] + third["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert client.get("/api/patients", params={"centre": "nowhere"}).json()["total"] == 0
    assert client.get("/api/patients", params={"limit": 0}).status_code == 422


def test_diagnosis_routes(client: TestClient, seeded: dict[str, int]) -> None:
    did = seeded["diagnosis"]
    got = client.get(f"/api/diagnoses/{did}").json()
    assert got["icd10"] == "C92.0"
    listed = client.get("/api/diagnoses", params={"patient_id": seeded["patient"]}).json()
    assert [d["id"] for d in listed["items"]] == [did]
    patched = client.patch(f"/api/diagnoses/{did}", json={"version": 1, "status_at_transplant": "CR2"}).json()
    assert patched["status_at_transplant"] == "CR2"


def test_donor_routes(client: TestClient, seeded: dict[str, int]) -> None:
    did = seeded["donor"]
    donor = client.get(f"/api/donors/{did}").json()
    assert donor["markers"] == [{"test": "HBsAg", "result": "non-reactive", "result_date": "2024-04-20"}]
    assert client.get("/api/donors").json()["total"] == 1
    patched = client.patch(f"/api/donors/{did}", json={"version": 1, "consent_date": "2024-04-01"}).json()
    assert patched["consent_date"] == "2024-04-01" and patched["version"] == 2
    dup = client.post("/api/donors", json={"donor_code": "D-1", "relation": "matched unrelated"})
    assert dup.status_code == 409


def test_episode_routes(client: TestClient, seeded: dict[str, int]) -> None:
    eid = seeded["episode"]
    episode = client.get(f"/api/episodes/{eid}").json()
    assert episode["sequence_number"] == 1
    assert episode["donor_ids"] == [seeded["donor"]]
    assert [a["drug"] for a in episode["conditioning"]] == ["fludarabine", "busulfan"]
    assert episode["gvhd_prophylaxis"] == ["tacrolimus", "methotrexate"]
    listed = client.get("/api/episodes", params={"patient_id": seeded["patient"], "centre": "C1"}).json()
    assert listed["total"] == 1
    patched = client.patch(f"/api/episodes/{eid}", json={"version": 1, "viability_pct": 95.5}).json()
    assert patched["viability_pct"] == 95.5


def test_event_routes(client: TestClient, seeded: dict[str, int]) -> None:
    body = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "acute GVHD",
        "event_date": "2024-05-30",
        "details": {"grade": 2, "skin_stage": 3},
    }
    created = client.post("/api/events", json=body)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["details"]["grade"] == 2 and event["details"]["grading_system"] == "MAGIC"
    assert client.get(f"/api/events/{event['id']}").json()["event_type"] == "acute GVHD"
    listed = client.get("/api/events", params={"patient_id": seeded["patient"], "event_type": "acute GVHD"}).json()
    assert listed["total"] == 1
    patched = client.patch(
        f"/api/events/{event['id']}", json={"version": 1, "details": {"grade": 3, "lower_gi_stage": 2}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["details"]["grade"] == 3


def test_follow_up_routes(client: TestClient, seeded: dict[str, int]) -> None:
    body = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "visit_date": "2024-08-09",
        "vital_status": "alive",
        "performance_scale": "karnofsky",
        "performance_score": 80,
        "disease_status": "CR1",
    }
    visit = client.post("/api/follow-ups", json=body).json()
    assert client.get(f"/api/follow-ups/{visit['id']}").json()["performance_score"] == 80
    assert client.get("/api/follow-ups", params={"episode_id": seeded["episode"]}).json()["total"] == 1
    patched = client.patch(f"/api/follow-ups/{visit['id']}", json={"version": 1, "performance_score": 90}).json()
    assert patched["performance_score"] == 90


def test_missing_records_are_404(client: TestClient) -> None:
    for path in [
        "/api/patients/999",
        "/api/donors/999",
        "/api/episodes/999",
        "/api/events/999",
        "/api/follow-ups/999",
        "/api/diagnoses/999",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "999" in response.json()["detail"]
