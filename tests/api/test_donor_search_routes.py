"""POST /api/donor-search on a small synthetic registry built from the demo haplotypes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engraft.api.app import create_app
from engraft.api.routes_donor_search import HF_SET_ENV, DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_haplotypes, demo_hf_set
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.registry.database import make_engine
from engraft.vocabulary import AboGroup, Serostatus, Sex
from tests.auth_clients import team_client
from tests.database_templates import DatabaseTemplates

PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)


@pytest.fixture(scope="module")
def donor_store(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    nom = Nomenclature.load(imgt_dir)
    path = tmp_path_factory.mktemp("donors") / "store"
    store = DonorStore.create(path, release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=4000, seed=7))
    return path


@pytest.fixture
def client(donor_store: Path, imgt_dir: Path, database_templates: DatabaseTemplates) -> Iterator[TestClient]:
    registry = DonorRegistry(donor_store, imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set)
    with database_templates.copy("sqlite") as url:
        app = create_app(make_engine(url), donor_registry=registry)
        with team_client(app) as test_client:
            yield test_client


def test_demo_haplotypes_are_valid_g_groups(imgt_dir: Path) -> None:
    nom = Nomenclature.load(imgt_dir)
    assert len(demo_haplotypes(nom)) == 25
    assert demo_hf_set(nom).frequencies.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "mismatches", [pytest.param(0, id="10-of-10"), pytest.param(1, id="9-of-10"), pytest.param(2, id="8-of-10")]
)
def test_search_ranks_donors_within_the_allowed_mismatches(client: TestClient, mismatches: int) -> None:
    body = {"patient": PATIENT, "max_mismatches": mismatches, "limit": 15}
    response = client.post("/api/donor-search", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["release"] == "3.58.0" and result["donors_in_registry"] == 4000
    donors = result["donors"]
    assert donors, result
    assert [d["rank"] for d in donors] == list(range(1, len(donors) + 1))
    counts = [d["mismatch_count"] for d in donors]
    assert counts == sorted(counts) and max(counts) <= mismatches
    for donor in donors:
        assert set(donor["loci"]) | set(donor["untyped_loci"]) == {"A", "B", "C", "DRB1", "DQB1"}
        assert donor["reason"] and donor["match_label"].endswith("/10")
        for locus in donor["loci"].values():
            assert 0 <= locus["mismatch_count"] <= 2


def test_prediction_for_top_donors(client: TestClient) -> None:
    body = {"patient": PATIENT, "max_mismatches": 2, "limit": 10, "predict_top": 5}
    donors = client.post("/api/donor-search", json=body).json()["donors"]
    predicted = [d["prediction"] for d in donors if d["prediction"] is not None]
    assert predicted
    for prediction in predicted:
        if prediction["p_mismatches"] is not None:
            assert sum(prediction["p_mismatches"]) + prediction["p_more"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"patient": "HLA-A*99:99+HLA-A*01:01"}, 422, id="unknown-allele"),
        pytest.param({"patient": PATIENT, "max_mismatches": 6}, 422, id="too-many-mismatches"),
        pytest.param({"patient": PATIENT, "donor_type": "sibling"}, 422, id="unknown-donor-type"),
        pytest.param({"patient": PATIENT, "patient_cmv": "pos"}, 422, id="cmv-not-a-vocabulary-value"),
        pytest.param({"patient": PATIENT, "patient_abo": "unknown"}, 422, id="abo-unknown-is-null"),
        pytest.param({"patient": PATIENT, "patient_abo": "a"}, 422, id="abo-is-upper-case"),
        pytest.param({"patient": PATIENT, "loci": ["A", "DPB1"]}, 422, id="dpb1-is-no-match-criterion"),
        pytest.param({"patient": PATIENT, "loci": ["A", "DRB9"]}, 422, id="unknown-locus"),
        pytest.param({"patient": PATIENT, "max_mismatches_per_locus": {"DRB9": 1}}, 422, id="unknown-locus-limit"),
    ],
)
def test_bad_requests(client: TestClient, body: dict[str, object], status: int) -> None:
    response = client.post("/api/donor-search", json=body)
    assert response.status_code == status, response.text


def test_missing_store_is_503(imgt_dir: Path, tmp_path: Path) -> None:
    registry = DonorRegistry(tmp_path / "none", imgt_dir=imgt_dir)
    with team_client(create_app(make_engine(f"sqlite:///{tmp_path / 'r.db'}"), donor_registry=registry)) as client:
        response = client.post("/api/donor-search", json={"patient": PATIENT})
    assert response.status_code == 503
    assert "engraft donors generate" in response.json()["detail"]


def test_loci_and_per_locus_limits_are_read_as_loci(client: TestClient) -> None:
    body = {
        "patient": PATIENT,
        "loci": ["A", "B", "C", "DRB1"],
        "max_mismatches": 1,
        "max_mismatches_per_locus": {"A": 0},
        "limit": 50,
    }
    result = client.post("/api/donor-search", json=body).json()
    assert result["loci"] == ["A", "B", "C", "DRB1"]
    assert result["donors"] and all(d["match_label"].endswith("/8") for d in result["donors"])
    assert all(d["loci"]["A"]["mismatch_count"] == 0 for d in result["donors"] if "A" in d["loci"])
    refused = client.post("/api/donor-search", json={**body, "loci": ["A", "DPB1"]}).json()
    assert "DPB1" in str(refused)


@pytest.mark.parametrize(
    ("donor_type", "kinds"),
    [
        pytest.param("adult", {"adult"}, id="adult"),
        pytest.param("cord", {"cord"}, id="cord"),
        pytest.param("any", {"adult", "cord"}, id="any"),
    ],
)
def test_donor_facts_are_vocabulary_values(client: TestClient, donor_type: str, kinds: set[str]) -> None:
    body = {
        "patient": PATIENT,
        "max_mismatches": 2,
        "limit": 200,
        "donor_type": donor_type,
        "patient_cmv": "equivocal",
        "patient_abo": "AB",
    }
    response = client.post("/api/donor-search", json=body)
    assert response.status_code == 200, response.text
    donors = response.json()["donors"]
    assert {d["donor_type"] for d in donors} == kinds
    assert {d["sex"] for d in donors} <= {s.value for s in Sex}
    assert {d["cmv"] for d in donors} <= {s.value for s in Serostatus}
    assert {d["abo"] for d in donors} <= {g.value for g in AboGroup} | {None}
    adults = [d for d in donors if d["donor_type"] == "adult"]
    assert all("CMV" in d["reason"] and "ABO" in d["reason"] for d in adults)


def test_prediction_names_genotype_source_and_set(client: TestClient) -> None:
    body = {"patient": PATIENT, "max_mismatches": 2, "limit": 10, "predict_top": 5, "patient_registry": "DEMO-REG-1"}
    response = client.post("/api/donor-search", json=body)
    assert response.status_code == 200, response.text
    predicted = [d["prediction"] for d in response.json()["donors"] if d["prediction"] is not None]
    assert predicted
    for prediction in predicted:
        assert prediction["patient_genotype"] == "typed"  # the patient typing is unambiguous
        assert prediction["donor_genotype"] in {"typed", "imputed", "unexplained"}
        assert (prediction["p_mismatches"] is None) == (prediction["donor_genotype"] == "unexplained")


def test_unusable_hf_set_is_503_saying_why(
    donor_store: Path, imgt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = tmp_path / "newer.json"
    row = {"a": "01:01:01G", "b": "08:01:01G", "c": "07:01:01G", "drb1": "03:01:01G", "dqb1": "02:01:01G"}
    newer.write_text(json.dumps({"nomenclatureVersion": "3.99.0", "frequencies": [{**row, "frequency": 1}]}))
    monkeypatch.setenv(HF_SET_ENV, str(newer))
    registry = DonorRegistry(donor_store, imgt_dir=imgt_dir)
    with team_client(create_app(make_engine(f"sqlite:///{tmp_path / 'r.db'}"), donor_registry=registry)) as client:
        response = client.post("/api/donor-search", json={"patient": PATIENT})
    assert response.status_code == 503
    assert "IPD-IMGT/HLA 3.99.0, newer than the release in use" in response.json()["detail"]


def test_mac_typings_use_the_configured_mac_list(
    donor_store: Path,
    imgt_dir: Path,
    database_templates: DatabaseTemplates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A patient typed with a MAC is searched with the MAC list; without one it is refused naming the command."""
    monkeypatch.delenv("ENGRAFT_MAC_FILE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    mac = tmp_path / "alpha.v3.txt"
    mac.write_text("LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n", encoding="utf-8")
    patient = PATIENT.replace("HLA-A*01:01+", "HLA-A*01:AB+")
    answers = {}
    for name, mac_file in (("with", mac), ("without", None)):
        registry = DonorRegistry(donor_store, imgt_dir=imgt_dir, mac_file=mac_file)
        with database_templates.copy("sqlite") as url:
            app = create_app(make_engine(url), donor_registry=registry)
            with team_client(app) as test_client:
                answers[name] = test_client.post("/api/donor-search", json={"patient": patient, "max_mismatches": 1})
    assert answers["with"].status_code == 200, answers["with"].text
    assert answers["with"].json()["donors"]
    refused = answers["without"]
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert "engraft hla install-mac" in refused.json()["detail"]


def test_the_rank_reason_as_codes_beside_the_english_text(client: TestClient) -> None:
    """``rank_reason`` gives the attributes in ranking order with codes, and the one that decided each rank."""
    body = {"patient": PATIENT, "max_mismatches": 2, "limit": 12, "patient_cmv": "negative", "patient_abo": "A"}
    response = client.post("/api/donor-search", json=body)
    assert response.status_code == 200, response.text
    donors = response.json()["donors"]
    assert len(donors) >= 2
    adult = ["mismatches", "potential", "gvh", "grade", "age", "dpb1", "cmv", "sex", "abo", "donor_id"]
    for above, donor in zip([None, *donors], donors, strict=False):
        reason = donor["rank_reason"]
        assert donor["reason"]  # the English text stays
        assert [s["attribute"] for s in reason["steps"]] == adult
        steps = {s["attribute"]: s for s in reason["steps"]}
        assert steps["mismatches"] == {
            "attribute": "mismatches",
            "code": "number",
            "parameters": {"value": donor["mismatch_count"]},
            "label": "HLA mismatches",
            "value": str(donor["mismatch_count"]),
        }
        assert steps["donor_id"]["parameters"] == {"value": donor["donor_id"]}
        expected_cmv = {"negative": "same_as_patient", "positive": "differs_from_patient"}.get(
            donor["cmv"], "not_known"
        )
        assert steps["cmv"]["code"] == expected_cmv
        decided = reason["decided_by"]
        if above is None:
            assert decided is None
        else:
            assert decided["above_rank"] == above["rank"]
            attribute = decided["step"]["attribute"]
            assert decided["above"]["attribute"] == attribute
            assert (
                decided["above"]["code"]
                == {s["attribute"]: s for s in above["rank_reason"]["steps"]}[attribute]["code"]
            )
