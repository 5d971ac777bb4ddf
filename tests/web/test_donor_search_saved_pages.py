"""Saving a donor search from the search page, the saved searches list and a saved search's report page."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.routes_donor_search import DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from tests.auth_clients import SignedInClient, signed_in_client
from tests.web.page_checks import external_references, inline_code
from tests.web.test_donor_search_page import PATIENT, _app

HTML = {"accept": "text/html"}
_names = itertools.count()
ClientFor = Callable[[Role], SignedInClient]
SEARCH = {"typing_mode": "gl", "gl": PATIENT, "max_mismatches": "2", "donor_type": "adult", "patient_cmv": "negative"}
SEARCH |= {"limit": "6", "predict_top": "3"}


@pytest.fixture(scope="module")
def app(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("saved-search-pages")
    nom = Nomenclature.load(imgt_dir)
    store = DonorStore.create(folder / "store", release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=2000, seed=5))
    registry = DonorRegistry(folder / "store", imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set)
    return _app(folder / "engraft.db", registry)


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    with ExitStack() as stack:

        def make(role: Role) -> SignedInClient:
            name = f"ss{next(_names)}.{role.value.replace('_', '-')}"
            return stack.enter_context(signed_in_client(app, role, name))

        yield make


def _save_form(html: str) -> dict[str, str]:
    """The hidden fields and note of the results' save form, as the browser would send them."""
    form = re.search(r'<form method="post" action="/donor-search/save".*?</form>', html, re.S)
    assert form is not None, "the results have no save form"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0)))


def test_a_search_saved_from_the_results_opens_as_its_report(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    results = client.post("/donor-search", data={"csrf_token": client.csrf_token, **SEARCH}, headers=HTML)
    assert results.status_code == 200, results.text[-2000:]
    shown = re.findall(r'href="#donor-(\d+)"', results.text)
    fields = _save_form(results.text)
    assert fields["patient"] == PATIENT and fields["max_mismatches"] == "2" and fields["predict_top"] == "3"
    saved = client.post(
        "/donor-search/save", data={**fields, "note": "for Friday's MDT"}, headers=HTML, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text[-2000:]
    location = saved.headers["location"]
    assert re.fullmatch(r"/donor-search/saved/\d+", location)
    page = client.get(location, headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert "Donor search report" in html and "for Friday&#39;s MDT" in html and client.account.username in html
    for donor_id in dict.fromkeys(shown):
        assert f"Donor {donor_id}: rank" in html
    search_id = location.rsplit("/", 1)[1]
    assert f"/api/donor-search/saved/{search_id}/report?format=pdf&amp;lang=en" in html
    assert inline_code(html) == [] and external_references(html) == []
    listed = client.get("/donor-search/saved", headers=HTML)
    assert listed.status_code == 200 and f'href="/donor-search/saved/{search_id}"' in listed.text
    record = client.get(f"/api/donor-search/saved/{search_id}").json()
    assert [str(d["donor_id"]) for d in record["result"]["donors"]] == list(dict.fromkeys(shown))


def test_the_report_page_is_in_the_readers_language(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    results = client.post("/donor-search", data={"csrf_token": client.csrf_token, **SEARCH}, headers=HTML)
    saved = client.post("/donor-search/save", data=_save_form(results.text), headers=HTML, follow_redirects=False)
    assert saved.status_code == 303
    client.cookies.set("engraft_lang", "zh_Hans")  # the language switcher's choice
    page = client.get(saved.headers["location"], headers=HTML)
    assert page.status_code == 200
    assert "供者检索报告" in page.text and "lang=zh" in page.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/donor-search/saved/999999", 404, id="unknown"),
        pytest.param("/donor-search/saved/0", 404, id="zero"),
        pytest.param("/donor-search/saved?patient_id=0", 404, id="patient-zero"),
    ],
)
def test_unknown_saved_searches_are_an_html_404(client_for: ClientFor, path: str, status: int) -> None:
    answer = client_for(Role.SEARCH_COORDINATOR).get(path, headers=HTML)
    assert answer.status_code == status and answer.headers["content-type"].startswith("text/html")


def test_saving_needs_the_csrf_token_and_a_valid_search(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    results = client.post("/donor-search", data={"csrf_token": client.csrf_token, **SEARCH}, headers=HTML)
    fields = _save_form(results.text)
    bad = client.post("/donor-search/save", data={**fields, "patient": "HLA-A*99:99"}, headers=HTML)
    assert bad.status_code == 422 and "HLA-A*99:99" in bad.text
    del client.headers["X-CSRF-Token"]
    refused = client.post(
        "/donor-search/save", data={k: v for k, v in fields.items() if k != "csrf_token"}, headers=HTML
    )
    assert refused.status_code == 403


def test_a_search_for_a_registered_patient_is_listed_on_the_patients_saved_searches(client_for: ClientFor) -> None:
    centre = client_for(Role.ADMIN).post("/api/centres", json={"code": "SS1", "name": "Saved Centre", "country": "GB"})
    assert centre.status_code == 201, centre.text
    manager = client_for(Role.DATA_MANAGER)
    made = manager.post("/api/patients", json={"centre": "SS1", "sex": "male", "birth_date": "1979-03-02"})
    assert made.status_code == 201, made.text
    patient_id = str(made.json()["id"])
    client = client_for(Role.SEARCH_COORDINATOR)
    data = {"csrf_token": client.csrf_token, **SEARCH, "patient_id": patient_id}
    results = client.post("/donor-search", data=data, headers=HTML)
    assert results.status_code == 200 and f'href="/donor-search/saved?patient_id={patient_id}"' in results.text
    fields = _save_form(results.text)
    assert fields["patient_id"] == patient_id
    saved = client.post("/donor-search/save", data=fields, headers=HTML, follow_redirects=False)
    assert saved.status_code == 303
    listed = client.get(f"/donor-search/saved?patient_id={patient_id}", headers=HTML).text
    assert f'href="{saved.headers["location"]}"' in listed and f'href="/patients/{patient_id}"' in listed
    report = client.get(saved.headers["location"], headers=HTML).text
    assert f"Registered patient {patient_id}" in report
