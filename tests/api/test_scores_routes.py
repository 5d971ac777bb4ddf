"""Risk instruments over HTTP and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from engraft.api.app import create_app
from engraft.cli import app as cli_app
from engraft.registry.database import make_engine
from engraft.scores.catalog import CATALOG
from tests.auth_clients import team_client
from tests.database_templates import DatabaseTemplates


@pytest.fixture
def client(database_templates: DatabaseTemplates) -> Iterator[TestClient]:
    with database_templates.copy("sqlite") as url, team_client(create_app(make_engine(url))) as test_client:
        yield test_client


def test_list_has_every_instrument_with_schema_and_citation(client: TestClient) -> None:
    listed = client.get("/api/scores").json()
    assert [i["name"] for i in listed] == list(CATALOG)
    for item in listed:
        assert item["input_schema"]["type"] == "object"
        assert item["citation"]["year"] > 1900


def test_run_karnofsky(client: TestClient) -> None:
    result = client.post("/api/scores/karnofsky", json={"score": 80})
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["instrument"] and body["value"] == 80 and body["citation"]["authors"]


def test_invalid_input_names_field(client: TestClient) -> None:
    result = client.post("/api/scores/karnofsky", json={"score": 85})
    assert result.status_code == 422
    assert result.json()["errors"][0]["field"] == "score"
    assert result.json()["errors"][0]["value"] == 85


def test_unknown_instrument_is_404(client: TestClient) -> None:
    assert client.get("/api/scores/astrology").status_code == 404
    assert client.post("/api/scores/astrology", json={}).status_code == 404


def test_cli_list_schema_and_run(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["score", "--list"])
    assert listed.exit_code == 0 and "hct-ci" in listed.output
    schema = runner.invoke(cli_app, ["score", "karnofsky", "--schema"])
    assert json.loads(schema.output)["type"] == "object"
    payload = tmp_path / "kps.json"
    payload.write_text(json.dumps({"score": 70}))
    ran = runner.invoke(cli_app, ["score", "karnofsky", "--input", str(payload)])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["value"] == 70
    payload.write_text(json.dumps({"score": 75}))
    bad = runner.invoke(cli_app, ["score", "karnofsky", "--input", str(payload)])
    assert bad.exit_code == 1


EBMT = {
    "age_years": 30,
    "disease": "aml",
    "status": "CR2",
    "months_diagnosis_to_transplant": 5,
    "donor_relation": "matched unrelated",
    "donor_sex": "female",
    "recipient_sex": "male",
}


def test_result_shows_verification_levels_and_both_citations(client: TestClient) -> None:
    response = client.post("/api/scores/ebmt-risk", json=EBMT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verification"] == "secondary"
    assert {c["verification"] for c in body["components"]} == {"secondary"}
    handbook = [o for o in body["outcomes"] if o["verification"] == "secondary"]
    assert handbook and all(o["source"]["pmid"] == "19642176" and o["reproduced_in"] for o in handbook)
    assert {o["verification"] for o in body["outcomes"]} == {"secondary", "primary-abstract"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("age_years", "60", id="text-60-for-age"),
        pytest.param("months_diagnosis_to_transplant", "5", id="text-5-for-months"),
        pytest.param("age_years", True, id="boolean-for-age"),
    ],
)
def test_strict_input_refused_naming_the_field(client: TestClient, field: str, value: object) -> None:
    response = client.post("/api/scores/ebmt-risk", json={**EBMT, field: value})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_proper_json_types_accepted(client: TestClient) -> None:
    # A whole JSON number for a decimal field and a JSON boolean for a flag are proper types.
    assert client.post("/api/scores/ebmt-risk", json={**EBMT, "months_diagnosis_to_transplant": 5.5}).status_code == 200
    hct = client.post("/api/scores/hct-ci-age", json={"age_years": 45, "hct_ci_score": 2})
    assert hct.status_code == 200 and hct.json()["value"] == 3
    refused = client.post("/api/scores/hct-ci-age", json={"age_years": 45, "hct_ci_score": "2"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "hct_ci_score"
