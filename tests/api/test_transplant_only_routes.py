"""The transplant-only routes refuse an immune effector cell (CAR-T) episode: the risk explanation, the risk
profile and a consent record naming the explanation answer the problem document naming ``cell_therapy``, its
value and what was expected, and nothing is written; the episode's existing consent records are still listed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from engraft.vocabulary import CellTherapy

IEC = CellTherapy.IMMUNE_EFFECTOR_CELLS.value


@pytest.fixture
def car_t_episode(client: TestClient, seeded: dict[str, int]) -> int:
    """The seeded episode, made an immune effector cell infusion."""
    episode = seeded["episode"]
    version = client.get(f"/api/episodes/{episode}").json()["version"]
    changed = client.patch(f"/api/episodes/{episode}", json={"version": version, "cell_therapy": IEC})
    assert changed.status_code == 200, changed.text
    return episode


def _refused_naming_cell_therapy(answer: Any) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    (error,) = body["errors"]
    assert error["field"] == "cell_therapy" and error["value"] == IEC
    assert error["expected"] == "a haematopoietic cell transplant episode"
    assert "cell_therapy" in body["detail"]


@pytest.mark.parametrize("document_format", ["json", "html", "pdf"])
def test_the_risk_report_of_a_car_t_episode_is_refused_naming_cell_therapy(
    client: TestClient, car_t_episode: int, document_format: str
) -> None:
    answer = client.get(f"/api/episodes/{car_t_episode}/risk-report", params={"format": document_format, "lang": "zh"})
    _refused_naming_cell_therapy(answer)


def test_the_risk_profile_of_a_car_t_episode_is_refused_and_nothing_stored(
    client: TestClient, car_t_episode: int
) -> None:
    before = client.get("/api/assessments", params={"episode_id": car_t_episode}).json()["total"]
    _refused_naming_cell_therapy(client.post(f"/api/episodes/{car_t_episode}/risk-profile", json={}))
    assert client.get("/api/assessments", params={"episode_id": car_t_episode}).json()["total"] == before


def test_a_consent_record_of_a_car_t_episode_is_refused_and_the_list_still_answers(
    client: TestClient, car_t_episode: int
) -> None:
    body = {
        "document_hash": "a" * 64,
        "document_version": "1",
        "document_language": "en",
        "explained_by": "Dr Demo, transplant physician",
        "explained_at": "2025-01-01T09:30:00+00:00",
        "participants": [{"role": "patient"}],
        "interpreter_used": False,
        "decision": "consented",
    }
    _refused_naming_cell_therapy(client.post(f"/api/episodes/{car_t_episode}/consent-records", json=body))
    listed = client.get(f"/api/episodes/{car_t_episode}/consent-records")
    assert listed.status_code == 200 and listed.json() == []


def test_a_transplant_episode_still_has_its_risk_report(client: TestClient, seeded: dict[str, int]) -> None:
    answer = client.get(f"/api/episodes/{seeded['episode']}/risk-report")
    assert answer.status_code == 200, answer.text
