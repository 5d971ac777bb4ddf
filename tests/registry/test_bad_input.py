"""Bad input gets 422 naming the field, the value and what was expected; nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _problem(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    matches = [p for p in problems if p["field"].endswith(field)]
    assert matches, problems
    assert matches[0]["expected"]
    return dict(matches[0])


@pytest.mark.parametrize(
    ("field", "value", "expected_fragment"),
    [
        pytest.param("birth_date", "1980-02-30", "YYYY-MM-DD", id="malformed-date-feb-30"),
        pytest.param("birth_date", "17/05/1970", "YYYY-MM-DD", id="malformed-date-format"),
        pytest.param("birth_date", "2999-01-01", "before today", id="birth-in-future"),
        pytest.param("sex", "m", "male", id="unknown-sex-code"),
        pytest.param("height_cm", -170, "> 0", id="negative-height"),
        pytest.param("weight_kg", 0, "> 0", id="zero-weight"),
        pytest.param("cmv_serostatus", "pos", "positive", id="unknown-serostatus"),
    ],
)
def test_patient_field_errors(
    client: TestClient, seeded: dict[str, int], field: str, value: Any, expected_fragment: str
) -> None:
    body: dict[str, Any] = {"centre": "C1", "sex": "male", "birth_date": "1980-01-01"}
    body[field] = value
    problem = _problem(client.post("/api/patients", json=body), field)
    assert problem["value"] == value
    assert expected_fragment in problem["expected"] or expected_fragment in str(problem["message"])
    assert client.get("/api/patients").json()["total"] == 1


def test_unknown_field_is_refused(client: TestClient, seeded: dict[str, int]) -> None:
    body = {"centre": "C1", "sex": "male", "birth_date": "1980-01-01", "blood_group": "A"}
    problem = _problem(client.post("/api/patients", json=body), "blood_group")
    assert "unknown" in problem["expected"]


def test_unknown_centre_is_named(client: TestClient) -> None:
    problem = _problem(
        client.post("/api/patients", json={"centre": "ZZ", "sex": "male", "birth_date": "1980-01-01"}), "centre"
    )
    assert problem["value"] == "ZZ"


def test_duplicate_registry_id_and_mrn_are_409(client: TestClient, seeded: dict[str, int]) -> None:
    pid = seeded["patient"]
    registry_id = client.get(f"/api/patients/{pid}").json()["registry_id"]
    dup = client.post(
        "/api/patients", json={"centre": "C1", "sex": "male", "birth_date": "1980-01-01", "registry_id": registry_id}
    )
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "registry_id"
    dup_mrn = client.post(
        "/api/patients",
        json={
            "centre": "C1",
            "sex": "male",
            "birth_date": "1980-01-01",
            "identity": {"given_name": "B", "family_name": "C", "mrn": "MRN-1"},
        },
    )
    assert dup_mrn.status_code == 409
    assert client.get("/api/patients").json()["total"] == 1


def _event(seeded: dict[str, int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "neutrophil engraftment",
        "event_date": "2024-05-15",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"event_date": "2024-04-30"}, "event_date", id="engraftment-before-day0"),
        pytest.param(
            {"event_type": "acute GVHD", "event_date": "2024-04-20", "details": {"grade": 2}},
            "event_date",
            id="gvhd-before-day0",
        ),
        pytest.param({"event_type": "relapse", "event_date": "1969-01-01"}, "event_date", id="event-before-birth"),
        pytest.param({"episode_id": None}, "episode_id", id="engraftment-without-episode"),
        pytest.param({"event_type": "acute GVHD", "details": {"grade": 5}}, "details.grade", id="gvhd-grade-5"),
        pytest.param(
            {"event_type": "acute GVHD", "details": {"grade": 2, "upper_gi_stage": 2}},
            "details.upper_gi_stage",
            id="upper-gi-stage-2",
        ),
        pytest.param(
            {"event_type": "death", "details": {"primary_cause": "bad luck"}},
            "details.primary_cause",
            id="unknown-cause-of-death",
        ),
        pytest.param({"event_type": "CRS", "details": {}}, "details.grade", id="crs-without-grade"),
        pytest.param({"event_date": "2024-13-01"}, "event_date", id="malformed-event-date"),
    ],
)
def test_event_rules(client: TestClient, seeded: dict[str, int], overrides: dict[str, Any], field: str) -> None:
    _problem(client.post("/api/events", json=_event(seeded, **overrides)), field)
    assert client.get("/api/events").json()["total"] == 0


def test_relapse_may_precede_day0_but_not_birth(client: TestClient, seeded: dict[str, int]) -> None:
    response = client.post("/api/events", json=_event(seeded, event_type="relapse", event_date="2024-04-01"))
    assert response.status_code == 201


def test_no_event_after_death_and_one_death(client: TestClient, seeded: dict[str, int]) -> None:
    death = _event(seeded, event_type="death", event_date="2024-09-01", details={"primary_cause": "infection"})
    assert client.post("/api/events", json=death).status_code == 201
    _problem(
        client.post("/api/events", json=_event(seeded, event_type="relapse", event_date="2024-10-01")), "event_date"
    )
    _problem(client.post("/api/events", json=death), "event_type")
    alive_after = {"patient_id": seeded["patient"], "visit_date": "2024-12-01", "vital_status": "alive"}
    _problem(client.post("/api/follow-ups", json=alive_after), "vital_status")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"day0": "1960-01-01"}, "day0", id="day0-before-birth"),
        pytest.param({"day0": "2023-12-01"}, "day0", id="day0-before-diagnosis"),
        pytest.param({"donor_ids": []}, "donor_ids", id="allogeneic-without-donor"),
        pytest.param({"transplant_type": "autologous"}, "donor_ids", id="autologous-with-unrelated-donor"),
        pytest.param({"graft_source": "cord blood"}, "donor_ids", id="cord-graft-adult-donor"),
        pytest.param({"donor_ids": [999]}, "donor_ids", id="unknown-donor"),
        pytest.param(
            {"conditioning": [{"drug": "melphalan", "total_dose": -140, "unit": "mg/m2"}]},
            "conditioning.0.total_dose",
            id="negative-dose",
        ),
        pytest.param(
            {"conditioning": [{"drug": "melphalan", "total_dose": 140, "unit": "mg/m^2"}]},
            "conditioning.0.unit",
            id="unknown-dose-unit",
        ),
        pytest.param({"cd34_per_kg": -1}, "cd34_per_kg", id="negative-cd34"),
        pytest.param({"tnc_per_kg": 3.1}, "", id="tnc-without-unit"),
        pytest.param({"viability_pct": 101}, "viability_pct", id="viability-over-100"),
        pytest.param({"tbi_fractions": 6}, "", id="tbi-fractions-without-dose"),
    ],
)
def test_episode_rules(client: TestClient, seeded: dict[str, int], overrides: dict[str, Any], field: str) -> None:
    body: dict[str, Any] = {
        "patient_id": seeded["patient"],
        "diagnosis_id": seeded["diagnosis"],
        "centre": "C1",
        "transplant_type": "allogeneic",
        "graft_source": "peripheral blood",
        "day0": "2025-01-01",
        "donor_ids": [seeded["donor"]],
    }
    body.update(overrides)
    _problem(client.post("/api/episodes", json=body), field)
    assert client.get("/api/episodes").json()["total"] == 1


def test_follow_up_before_day0_and_bad_score(client: TestClient, seeded: dict[str, int]) -> None:
    base = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "visit_date": "2024-04-01",
        "vital_status": "alive",
    }
    _problem(client.post("/api/follow-ups", json=base), "visit_date")
    bad_score = {**base, "visit_date": "2024-06-01", "performance_scale": "karnofsky", "performance_score": 85}
    _problem(client.post("/api/follow-ups", json=bad_score), "performance_score")


def test_episode_of_another_patient_is_refused(client: TestClient, seeded: dict[str, int]) -> None:
    other = client.post("/api/patients", json={"centre": "C1", "sex": "male", "birth_date": "1990-01-01"}).json()
    visit = {
        "patient_id": other["id"],
        "episode_id": seeded["episode"],
        "visit_date": "2024-06-01",
        "vital_status": "alive",
    }
    _problem(client.post("/api/follow-ups", json=visit), "episode_id")


def _version(client: TestClient, path: str) -> int:
    return int(client.get(path).json()["version"])


@pytest.mark.parametrize(
    ("path_key", "patch", "field"),
    [
        pytest.param("patients", {"birth_date": None}, "birth_date", id="clear-required-birth-date"),
        pytest.param("patients", {"birth_date": "2024-03-01"}, "birth_date", id="birth-after-diagnosis-and-day0"),
        pytest.param("diagnoses", {"diagnosis_date": None}, "diagnosis_date", id="clear-diagnosis-date"),
        pytest.param("episodes", {"diagnosis_id": 999}, "diagnosis_id", id="unknown-diagnosis"),
        pytest.param("episodes", {"graft_source": None}, "graft_source", id="clear-graft-source"),
        pytest.param("episodes", {"tbi_fractions": 6}, "tbi_fractions", id="fractions-without-dose"),
        pytest.param("episodes", {"day0": "2024-05-20"}, "day0", id="day0-after-engraftment"),
    ],
)
def test_updates_keep_every_rule(
    client: TestClient, seeded: dict[str, int], path_key: str, patch: dict[str, Any], field: str
) -> None:
    engraftment = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "neutrophil engraftment",
        "event_date": "2024-05-15",
    }
    assert client.post("/api/events", json=engraftment).status_code == 201
    key = {"patients": "patient", "diagnoses": "diagnosis", "episodes": "episode"}[path_key]
    path = f"/api/{path_key}/{seeded[key]}"
    before = client.get(path).json()
    problem = _problem(client.patch(path, json={"version": before["version"], **patch}), field)
    assert problem["expected"]
    assert client.get(path).json() == before


def test_follow_up_update_keeps_score_with_scale(client: TestClient, seeded: dict[str, int]) -> None:
    visit = client.post(
        "/api/follow-ups", json={"patient_id": seeded["patient"], "visit_date": "2024-08-01", "vital_status": "alive"}
    ).json()
    _problem(
        client.patch(f"/api/follow-ups/{visit['id']}", json={"version": 1, "performance_score": 80}),
        "performance_scale",
    )


def test_death_cannot_precede_recorded_events(client: TestClient, seeded: dict[str, int]) -> None:
    relapse = _event(seeded, event_type="relapse", event_date="2024-09-01")
    assert client.post("/api/events", json=relapse).status_code == 201
    death = _event(seeded, event_type="death", event_date="2024-06-01", details={"primary_cause": "infection"})
    _problem(client.post("/api/events", json=death), "event_date")
    assert client.get("/api/events", params={"event_type": "death"}).json()["total"] == 0


def _stages(skin: int, liver: int, upper_gi: int, lower_gi: int) -> dict[str, int]:
    return {"skin_stage": skin, "liver_stage": liver, "upper_gi_stage": upper_gi, "lower_gi_stage": lower_gi}


@pytest.mark.parametrize(
    ("stages", "grade", "accepted"),
    [
        pytest.param(_stages(3, 0, 0, 0), 2, True, id="skin-3-is-II"),
        pytest.param(_stages(3, 0, 0, 0), 1, False, id="skin-3-not-I"),
        pytest.param(_stages(1, 2, 0, 0), 3, True, id="liver-2-is-III"),
        pytest.param(
            _stages(0, 0, 1, 0),
            4,
            False,
            id="upper-gi-never-IV",
        ),
        pytest.param({"skin_stage": 3}, 1, True, id="partial-staging-not-checked"),
    ],
)
def test_acute_gvhd_grade_must_follow_magic_stages(
    client: TestClient, seeded: dict[str, int], stages: dict[str, int], grade: int, accepted: bool
) -> None:
    event = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "acute GVHD",
        "event_date": "2024-06-01",
        "details": {"grade": grade, **stages},
    }
    response = client.post("/api/events", json=event)
    if accepted:
        assert response.status_code == 201, response.text
    else:
        problem = _problem(response, "details")
        assert "does not follow from the stages" in problem["expected"]


def test_other_grading_systems_are_stored_as_recorded(client: TestClient, seeded: dict[str, int]) -> None:
    details = {"grade": 1, "skin_stage": 3, "liver_stage": 0, "upper_gi_stage": 0, "lower_gi_stage": 0}
    event = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "event_type": "acute GVHD",
        "event_date": "2024-06-01",
        "details": {**details, "grading_system": "IBMTR"},
    }
    assert client.post("/api/events", json=event).status_code == 201
