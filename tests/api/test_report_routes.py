"""The risk-report document and the consent-record routes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from engraft.registry.schemas.common import MAX_RECORD_ID


def _consent(document_hash: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "document_hash": document_hash,
        "document_version": "1",
        "document_language": "zh",
        "explained_by": "Dr Demo, transplant physician",
        "explained_at": "2025-01-01T09:30:00+00:00",
        "participants": [{"role": "patient"}, {"role": "spouse or partner"}, {"role": "child"}],
        "interpreter_used": True,
        "interpreter_language": "Cantonese",
        "questions": ["How long will I stay in hospital?", "Can my daughter visit?"],
        "decision": "consented",
    }
    return {**body, **changes}


def test_the_summary_names_the_documents_fingerprint(client: TestClient, seeded: dict[str, int]) -> None:
    answer = client.get(f"/api/episodes/{seeded['episode']}/risk-report", params={"lang": "zh"})
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["episode_id"] == seeded["episode"] and summary["language"] == "zh"
    assert len(summary["document_hash"]) == 64 and summary["centre_results_shown"] is False
    html = client.get(f"/api/episodes/{seeded['episode']}/risk-report", params={"lang": "zh", "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["x-document-hash"] == summary["document_hash"]
    assert summary["document_hash"] in html.text and "您的移植：风险说明" in html.text


def test_an_unknown_episode_is_404(client: TestClient) -> None:
    assert client.get(f"/api/episodes/{MAX_RECORD_ID}/risk-report").status_code == 404
    assert client.get(f"/api/episodes/{MAX_RECORD_ID}/consent-records").status_code == 404
    answer = client.post(f"/api/episodes/{MAX_RECORD_ID}/consent-records", json=_consent("a" * 64))
    assert answer.status_code == 404


def test_a_consent_record_is_stored_and_listed(client: TestClient, seeded: dict[str, int]) -> None:
    episode = seeded["episode"]
    document_hash = client.get(f"/api/episodes/{episode}/risk-report", params={"lang": "zh"}).json()["document_hash"]
    made = client.post(f"/api/episodes/{episode}/consent-records", json=_consent(document_hash))
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["patient_id"] == seeded["patient"] and record["document_hash"] == document_hash
    assert [p["role"] for p in record["participants"]] == ["patient", "spouse or partner", "child"]
    listed = client.get(f"/api/episodes/{episode}/consent-records").json()
    assert [r["id"] for r in listed] == [record["id"]] and listed[0]["questions"] == record["questions"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"document_hash": "A" * 64}, "document_hash", id="hash-not-lowercase-hex"),
        pytest.param({"document_hash": "a" * 63}, "document_hash", id="hash-too-short"),
        pytest.param({"participants": []}, "participants", id="nobody-present"),
        pytest.param({"interpreter_language": None}, "interpreter", id="interpreter-without-language"),
        pytest.param({"interpreter_used": False}, "interpreter", id="language-without-interpreter"),
        pytest.param({"decision": "maybe"}, "decision", id="unknown-decision"),
        pytest.param({"explained_at": "2025-01-01T09:30:00"}, "explained_at", id="time-without-zone"),
        pytest.param({"explained_at": "2999-01-01T09:30:00+00:00"}, "future", id="time-in-the-future"),
        pytest.param({"participants": [{"role": "patient", "name": "X"}]}, "name", id="names-are-not-stored"),
    ],
)
def test_a_bad_consent_record_is_refused_naming_the_field(
    client: TestClient, seeded: dict[str, int], changes: dict[str, Any], field: str
) -> None:
    answer = client.post(f"/api/episodes/{seeded['episode']}/consent-records", json={**_consent("a" * 64), **changes})
    assert answer.status_code == 422
    assert field in answer.text
