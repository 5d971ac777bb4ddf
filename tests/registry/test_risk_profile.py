"""POST /api/episodes/{id}/risk-profile: every applicable instrument, stored as Assessments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

ITEMS = dict.fromkeys(
    [
        "arrhythmia",
        "cardiac",
        "inflammatory_bowel_disease",
        "diabetes",
        "cerebrovascular",
        "psychiatric",
        "hepatic_mild",
        "obesity",
        "infection",
        "rheumatologic",
        "peptic_ulcer",
        "renal",
        "pulmonary_moderate",
        "prior_solid_tumour",
        "heart_valve_disease",
        "pulmonary_severe",
        "hepatic_moderate_severe",
    ],
    False,
)


def _by_instrument(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["instrument"]: a for a in profile["assessments"]}


def test_profile_from_registry_facts_and_request(client: TestClient, seeded: dict[str, int]) -> None:
    items = {**ITEMS, "diabetes": True, "pulmonary_moderate": True, "infection": True}
    request = {
        "hct_ci": {"items": items},
        "performance_score": 90,
        "donor_screening": [
            {"donor_id": seeded["donor"], "screening_complete": True, "screening_risk_factor_identified": False}
        ],
    }
    response = client.post(f"/api/episodes/{seeded['episode']}/risk-profile", json=request)
    assert response.status_code == 200, response.text
    profile = response.json()
    found = _by_instrument(profile)
    assert found["hct-ci"]["value"] == 4
    assert found["hct-ci-age"]["value"] == 5
    assert found["karnofsky"]["value"] == 90
    ebmt = found["ebmt-risk"]
    assert ebmt["value"] == 3
    assert ebmt["inputs"]["donor_relation"] == "matched unrelated" and ebmt["inputs"]["age_years"] == 53
    assert ebmt["inputs"]["status"] == "CR1" and ebmt["inputs"]["disease"] == "aml"
    assert "graft-quality" in found
    for assessment in profile["assessments"]:
        assert assessment["citation"] and assessment["instrument_version"]
    skipped = {s["instrument"]: s["reason"] for s in profile["skipped"]}
    assert "route" in skipped["conditioning-intensity"]
    assert "refined-dri" in skipped
    assert "markers missing" in skipped[f"donor-eligibility (donor {seeded['donor']})"]
    stored = client.get("/api/assessments", params={"episode_id": seeded["episode"]}).json()
    assert stored["total"] == len(profile["assessments"])


def test_profile_without_extras_skips_with_reasons(client: TestClient, seeded: dict[str, int]) -> None:
    profile = client.post(f"/api/episodes/{seeded['episode']}/risk-profile").json()
    skipped = {s["instrument"]: s["reason"] for s in profile["skipped"]}
    assert "hct_ci" in skipped["hct-ci"]
    assert "performance_score" in skipped["karnofsky"]
    assert any(name.startswith("donor-eligibility") for name in skipped)
    assert {a["instrument"] for a in profile["assessments"]} >= {"ebmt-risk", "graft-quality"}


def test_bad_hct_ci_input_is_refused_and_nothing_stored(client: TestClient, seeded: dict[str, int]) -> None:
    response = client.post(f"/api/episodes/{seeded['episode']}/risk-profile", json={"hct_ci": {"items": {}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("hct_ci.items")
    assert client.get("/api/assessments").json()["total"] == 0


def test_unknown_episode_is_404(client: TestClient) -> None:
    assert client.post("/api/episodes/999/risk-profile").status_code == 404


PANEL = [
    "HIV-1/2 antibody",
    "HIV-1 NAT",
    "HBsAg",
    "anti-HBc",
    "HCV antibody",
    "HCV NAT",
    "HTLV-I/II antibody",
    "syphilis",
    "CMV antibody",
]


def test_full_marker_panel_gives_an_eligibility_decision(client: TestClient, seeded: dict[str, int]) -> None:
    markers = [{"test": t, "result": "non-reactive", "result_date": "2025-01-20"} for t in PANEL]
    donor = client.post(
        "/api/donors", json={"donor_code": "D-2", "relation": "matched sibling", "sex": "female", "markers": markers}
    ).json()
    episode = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "diagnosis_id": seeded["diagnosis"],
            "centre": "C1",
            "transplant_type": "allogeneic",
            "graft_source": "bone marrow",
            "day0": "2025-02-01",
            "donor_ids": [donor["id"]],
            "conditioning": [
                {"drug": "busulfan", "total_dose": 12.8, "unit": "mg/kg", "route": "iv"},
                {"drug": "cyclophosphamide", "total_dose": 120, "unit": "mg/kg"},
            ],
        },
    ).json()
    screening = [{"donor_id": donor["id"], "screening_complete": True, "screening_risk_factor_identified": False}]
    profile = client.post(f"/api/episodes/{episode['id']}/risk-profile", json={"donor_screening": screening}).json()
    found = _by_instrument(profile)
    assert found["donor-eligibility"]["band"].startswith("eligible")
    assert found["conditioning-intensity"]["band"] == "myeloablative"
    assert found["ebmt-risk"]["inputs"]["donor_relation"] == "matched sibling"
    assert (
        found["ebmt-risk"]["result"]["components"][3]["input"]
        == "donor_relation=matched sibling -> HLA-identical sibling"
    )


def test_registry_age_wins_and_unknown_relation_or_fractions_are_skipped(
    client: TestClient, seeded: dict[str, int]
) -> None:
    donor = client.post("/api/donors", json={"donor_code": "D-3", "relation": "other related", "sex": "male"}).json()
    episode = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "diagnosis_id": seeded["diagnosis"],
            "centre": "C1",
            "transplant_type": "allogeneic",
            "graft_source": "peripheral blood",
            "day0": "2025-03-01",
            "donor_ids": [donor["id"]],
            "tbi_dose_gy": 6.0,
        },
    ).json()
    contradicting = {"hct_ci": {"items": ITEMS, "age_years": 20}}
    refused = client.post(f"/api/episodes/{episode['id']}/risk-profile", json=contradicting)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "hct_ci.age_years"
    request = {"hct_ci": {"items": ITEMS}}
    response = client.post(f"/api/episodes/{episode['id']}/risk-profile", json=request)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert _by_instrument(profile)["hct-ci"]["inputs"]["age_years"] == 54
    skipped = {s["instrument"]: s["reason"] for s in profile["skipped"]}
    assert "other related" in skipped["ebmt-risk"]
    assert "fractions" in skipped["conditioning-intensity"]
    bad = client.post(f"/api/episodes/{episode['id']}/risk-profile", json={"conditioning_variant": "mine"})
    assert bad.status_code == 422


def test_an_assessment_day_in_the_past_is_stored_and_one_in_the_future_refused(
    client: TestClient, seeded: dict[str, int]
) -> None:
    profile = client.post(f"/api/episodes/{seeded['episode']}/risk-profile", json={"assessed_on": "2025-11-20"})
    assert profile.status_code == 200, profile.text
    assert {a["assessed_at"][:16] for a in profile.json()["assessments"]} == {"2025-11-20T12:00"}
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    refused = client.post(f"/api/episodes/{seeded['episode']}/risk-profile", json={"assessed_on": tomorrow})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "assessed_on"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert (
        client.post(f"/api/episodes/{seeded['episode']}/risk-profile", json={"assessed_on": today}).status_code == 200
    )
