"""Saved donor searches through the API (SQLite and PostgreSQL): run and keep one, list, read, its report.

The report's figures are read back from the PDF's text and compared with the saved search result; the
record's audit row names the coordinator who ran it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.api.app import create_app
from engraft.api.routes_donor_search import DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.rank_explanation import RANK_ATTRIBUTES
from engraft.io.donor_search_report_render import format_probability
from engraft.registry.database import make_engine
from engraft.registry.models import AuditEntry
from engraft.reports.languages import ReportLanguage
from tests.auth_clients import TeamClient, team_client
from tests.io.donor_search_report_checks import checked_pdf, pdf_text, squeezed

PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)
SEARCH: dict[str, Any] = {"patient": PATIENT, "max_mismatches": 2, "limit": 8, "predict_top": 4}


@pytest.fixture(scope="module")
def donor_store(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    nom = Nomenclature.load(imgt_dir)
    path = tmp_path_factory.mktemp("donors") / "store"
    store = DonorStore.create(path, release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=4000, seed=7))
    return path


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:
    """SQLite and PostgreSQL (the saved request and result are JSON there, JSONB here)."""
    made = make_engine(migrated_database_url)
    yield made
    made.dispose()


@pytest.fixture
def client(donor_store: Path, imgt_dir: Path, engine: Engine) -> Iterator[TestClient]:
    registry = DonorRegistry(donor_store, imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set)
    with team_client(create_app(engine, donor_registry=registry)) as test_client:
        yield test_client


def _patient(client: TestClient) -> int:
    centre = client.post("/api/centres", json={"code": "C1", "name": "Centre One", "country": "GB"})
    assert centre.status_code == 201, centre.text
    patient = client.post("/api/patients", json={"centre": "C1", "sex": "female", "birth_date": "1984-05-06"})
    assert patient.status_code == 201, patient.text
    return int(patient.json()["id"])


def _saved(client: TestClient, **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/donor-search/saved", json={**SEARCH, **extra})
    assert answer.status_code == 201, answer.text
    saved: dict[str, Any] = answer.json()
    return saved


def test_a_saved_search_keeps_the_result_as_searched_and_is_audited(client: TestClient, engine: Engine) -> None:
    patient_id = _patient(client)
    searched = client.post("/api/donor-search", json=SEARCH).json()
    saved = _saved(client, patient_id=patient_id, note="for the MDT")
    assert saved["result"] == searched and saved["result"]["donors"]
    assert saved["patient_typing"] == PATIENT and saved["patient_id"] == patient_id
    assert saved["criteria"]["max_mismatches"] == 2 and saved["criteria"]["predict_top"] == 4
    assert saved["hla_release"] == "3.58.0" and saved["donors_in_registry"] == 4000
    role = client.last_role
    assert isinstance(client, TeamClient) and role is not None
    who = f"team.{role.value.replace('_', '-')}"
    assert saved["run_by"] == who and re.fullmatch(r"[0-9a-f]{64}", saved["content_hash"])
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry).where(AuditEntry.entity == "saved donor search")).all()
    assert [(str(r.action), r.entity_id, r.actor, r.actor_role) for r in rows] == [
        ("create", saved["id"], who, role.value)
    ]
    assert rows[0].changes["donor_ids"] == [d["donor_id"] for d in saved["result"]["donors"]]
    assert rows[0].changes["content_hash"] == saved["content_hash"]


def test_saved_searches_are_listed_per_patient_and_read_back(client: TestClient) -> None:
    patient_id = _patient(client)
    first = _saved(client, patient_id=patient_id)
    other = _saved(client)
    listed = client.get("/api/donor-search/saved", params={"patient_id": patient_id}).json()
    assert [s["id"] for s in listed] == [first["id"]]
    assert {s["id"] for s in client.get("/api/donor-search/saved").json()} == {first["id"], other["id"]}
    assert client.get(f"/api/donor-search/saved/{first['id']}").json() == first


def test_reading_saved_searches_is_audited_once_per_read(client: TestClient, engine: Engine) -> None:
    """A saved search holds a patient's HLA typing: each read (one search, a list, the report) leaves one row."""
    patient_id = _patient(client)
    saved = _saved(client, patient_id=patient_id)

    def reads() -> list[tuple[str, int | None, dict[str, Any]]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "saved donor search", AuditEntry.action == "read")
                .order_by(AuditEntry.id)
            ).all()
        return [(str(r.action), r.entity_id, r.changes) for r in rows]

    assert reads() == []
    assert client.get(f"/api/donor-search/saved/{saved['id']}").status_code == 200
    assert reads() == [("read", saved["id"], {"patient_id": patient_id})]
    assert client.get("/api/donor-search/saved", params={"patient_id": patient_id}).status_code == 200
    assert reads()[1:] == [("read", None, {"ids": [saved["id"]], "patient_ids": [patient_id]})]
    assert client.get("/api/donor-search/saved", params={"patient_id": patient_id + 1}).json() == []
    assert len(reads()) == 2  # an empty list hands nothing out: nothing to audit
    assert client.get(f"/api/donor-search/saved/{saved['id']}/report").status_code == 200
    assert len(reads()) == 3


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        pytest.param("/api/donor-search/saved/999", None, 404, id="unknown-search"),
        pytest.param("/api/donor-search/saved/999/report", None, 404, id="unknown-report"),
        pytest.param("/api/donor-search/saved", {**SEARCH, "patient_id": 999}, 404, id="unknown-patient"),
        pytest.param("/api/donor-search/saved", {**SEARCH, "patient": "HLA-A*99:99"}, 422, id="unknown-allele"),
        pytest.param("/api/donor-search/saved", {**SEARCH, "result": {}}, 422, id="result-from-the-client"),
    ],
)
def test_refusals_are_problem_documents(
    client: TestClient, path: str, body: dict[str, Any] | None, status: int
) -> None:
    answer = client.post(path, json=body) if body is not None else client.get(path)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/donor-search/saved").json() == []


def _expected_row(donor: dict[str, Any], language: ReportLanguage) -> str:
    """The ranked-donor row as the PDF's text holds it (values in the document's words for English)."""
    p = donor["prediction"]["p_mismatches"] if donor["prediction"] else None
    probabilities = [format_probability(x, language) for x in p] if p else ["—"] * 3
    tce = donor["dpb1_tce"]["category"].replace("_", " ") if donor["dpb1_tce"] else "—"
    cells = [str(donor["rank"]), str(donor["donor_id"]), donor["donor_type"], donor["registry"], donor["match_label"]]
    cells += [*probabilities, tce, str(donor["age"]) if donor["age"] is not None else "—", donor["sex"]]
    cells += [donor["ethnicity"] or "notknown", donor["cmv"], donor["abo"] or "—"]  # spaces squeezed
    return "".join(cells)


def _reason_summary(donors: list[dict[str, Any]], donor: dict[str, Any]) -> str:
    """The start of the report's reason for ``donor`` (which attribute decided is checked in tests/io)."""
    if donor["rank"] == 1:
        return "Ranked first."
    above = donors[donor["rank"] - 2]
    return f"Placed below donor {above['donor_id']} (rank {above['rank']}), decided by"


def test_the_pdf_report_shows_the_figures_of_the_saved_search(client: TestClient) -> None:
    patient_id = _patient(client)
    saved = _saved(client, patient_id=patient_id)
    answer = client.get(f"/api/donor-search/saved/{saved['id']}/report", params={"format": "pdf"})
    if answer.status_code == 503:
        pytest.skip(answer.json()["detail"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-document-hash"] == saved["content_hash"]
    checked_pdf(answer.content, ReportLanguage.EN, "donor-search-report.en")
    text = squeezed(pdf_text(answer.content))
    donors = saved["result"]["donors"]
    predicted = [d for d in donors if d["prediction"] and d["prediction"]["p_mismatches"]]
    assert predicted, "the search predicted none: the probabilities would go unchecked"
    for donor in donors:
        assert _expected_row(donor, ReportLanguage.EN) in text, donor["donor_id"]
        assert squeezed(f"Donor {donor['donor_id']}: rank {donor['rank']}") in text
        assert squeezed(_reason_summary(donors, donor)) in text
        for name, locus in donor["loci"].items():
            grades = [
                f"{pos['patient_token']}↔{pos['donor_token']}(Grade:{pos['grade'].replace('_', '')}"
                for pos in locus["positions"]
            ]
            assert all(squeezed(g) in text.replace("_", "") for g in grades), (donor["donor_id"], name)
    for fact in ("IPD-IMGT/HLARelease3.58.0", f"Registeredpatient{patient_id}", "Donorsintheregistry4,000"):
        assert fact.lower() in text.lower(), fact
    assert saved["content_hash"] in text and saved["run_by"] in text
    assert squeezed("HLA-DRB1*03:01 + HLA-DRB1*15:01") in text
    matching = f"{saved['result']['matching_donors']:,}"
    assert squeezed(f"Donors within the mismatches allowed {matching}") in text


def test_the_report_in_chinese_and_as_html(client: TestClient) -> None:
    saved = _saved(client)
    html = client.get(f"/api/donor-search/saved/{saved['id']}/report", params={"format": "html", "lang": "zh"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    page = html.text
    assert "供者检索报告" in page and 'lang="zh-Hans"' in page and saved["content_hash"] in page
    for donor in saved["result"]["donors"]:
        assert f"供者 {donor['donor_id']}：第 {donor['rank']} 名" in page
    pdf = client.get(f"/api/donor-search/saved/{saved['id']}/report", params={"format": "pdf", "lang": "zh"})
    if pdf.status_code == 503:
        pytest.skip(pdf.json()["detail"])
    checked_pdf(pdf.content, ReportLanguage.ZH, "donor-search-report.zh")
    text = squeezed(pdf_text(pdf.content))
    assert "供者检索报告" in text
    for donor in saved["result"]["donors"]:
        assert squeezed(f"供者 {donor['donor_id']}：第 {donor['rank']} 名") in text


def test_the_saved_reasons_are_the_engines_in_meaning_and_chinese_in_the_chinese_report(client: TestClient) -> None:
    """The sort keys are saved with each donor; the report's steps say what the engine's English sentence says."""
    saved = _saved(client)
    donors = saved["result"]["donors"]
    assert donors and all(len(d["rank_key"]) == len(RANK_ATTRIBUTES) for d in donors)
    english = client.get(f"/api/donor-search/saved/{saved['id']}/report", params={"format": "html", "lang": "en"}).text
    steps = re.findall(r'<ol class="rank-why">(.*?)</ol>', english, re.S)
    assert len(steps) == len(donors)
    for donor, listed in zip(donors, steps, strict=True):
        items = dict(re.findall(r"<li(?: class=\"decisive\")?>([^:<]*): ([^<]*)</li>", listed))
        assert items["HLA mismatches"] == str(donor["mismatch_count"])
        assert f"({donor['mismatch_count']} mismatch" in donor["reason"]
        dpb1 = items["DPB1 T-cell epitope match"]
        assert dpb1 in donor["reason"], (dpb1, donor["reason"])  # the same words as the engine's sentence
        assert items["Donor id (a stable tie-break)"] == str(donor["donor_id"])
        if donor["age"] is not None:
            band = items["Donor age (younger first, in age bands)"].replace("≤ ", "18–")
            low, high = (int(x) for x in band.split("–"))
            assert low <= donor["age"] <= high or (donor["age"] < low and low == 18)
    chinese = client.get(f"/api/donor-search/saved/{saved['id']}/report", params={"format": "html", "lang": "zh"}).text
    assert "排名第一。" in chinese and chinese.count("之后，决定因素：") == len(donors) - 1
    assert "Ranked first" not in chinese and "Placed below" not in chinese and "HLA mismatches" not in chinese
