"""The donor search page with signed-in clients: who may search, a search end to end, the set-up page."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Permission, Role, allows
from engraft.api.app import create_app
from engraft.api.routes_donor_search import DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.matching.grades import MatchGrade, MismatchType
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.registry.database import make_engine
from engraft.web.application import add_pages
from engraft.web.pages.donor_match_view import GRADE_TEXT, MISMATCH_TEXT
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client

HTML = {"accept": "text/html"}
PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)
_names = itertools.count()
ClientFor = Callable[[Role], SignedInClient]


def _app(path: Path, registry: DonorRegistry) -> FastAPI:
    engine = make_engine(f"sqlite:///{path}")
    return add_pages(
        create_app(engine, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY, donor_registry=registry)
    )


@pytest.fixture(scope="module")
def app(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("donor-search-page")
    nom = Nomenclature.load(imgt_dir)
    store = DonorStore.create(folder / "store", release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=2000, seed=5))
    return _app(
        folder / "engraft.db", DonorRegistry(folder / "store", imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set)
    )


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """No IPD-IMGT/HLA release and no donor registry."""
    folder = tmp_path_factory.mktemp("donor-search-bare")
    return _app(folder / "engraft.db", DonorRegistry(folder / "no-store", imgt_dir=folder / "no-release"))


def _clients(app: FastAPI) -> Iterator[ClientFor]:
    with ExitStack() as stack:

        def make(role: Role) -> SignedInClient:
            name = f"ds{next(_names)}.{role.value.replace('_', '-')}"
            return stack.enter_context(signed_in_client(app, role, name))

        yield make


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    yield from _clients(app)


@pytest.mark.parametrize("role", list(Role))
def test_only_roles_with_donor_search_may_open_it(client_for: ClientFor, role: Role) -> None:
    page = client_for(role).get("/donor-search", headers=HTML)
    assert page.status_code == (200 if allows(role, Permission.DONOR_SEARCH) else 403)


def test_a_search_ranks_donors_and_says_why(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    data = {
        "csrf_token": client.csrf_token,
        "typing_mode": "gl",
        "gl": PATIENT,
        "max_mismatches": "2",
        "donor_type": "adult",
        "patient_cmv": "negative",
        "patient_abo": "A",
        "limit": "10",
        "predict_top": "3",
    }
    answer = client.post("/donor-search", data=data, headers=HTML)
    assert answer.status_code == 200, answer.text[-3000:]
    html = answer.text
    assert "Ranked donors" in html and "Why each donor ranks where it does" in html
    for locus in ("A", "B", "C", "DRB1", "DQB1", "DPB1"):
        assert f'<th scope="col">{locus}</th>' in html
    ranks = re.findall(r'<td class="number">(\d+)</td>\s*<th scope="row"><a href="#donor-', html)
    assert ranks and ranks == [str(i) for i in range(1, len(ranks) + 1)]
    assert "HLA mismatches" in html and "best ranked" in html


def test_per_locus_fields_search_like_the_gl_string(client_for: ClientFor) -> None:
    client = client_for(Role.PHYSICIAN)
    loci = {
        "A_1": "01:01", "A_2": "03:01", "B_1": "08:01", "B_2": "07:02", "C_1": "07:01", "C_2": "07:02",
        "DRB1_1": "03:01", "DRB1_2": "15:01", "DQB1_1": "02:01", "DQB1_2": "06:02",
    }  # fmt: skip
    common = {"csrf_token": client.csrf_token, "max_mismatches": "1", "limit": "5", "predict_top": "0"}
    by_loci = client.post("/donor-search", data={**common, "typing_mode": "loci", **loci}, headers=HTML)
    by_gl = client.post("/donor-search", data={**common, "typing_mode": "gl", "gl": PATIENT}, headers=HTML)
    assert by_loci.status_code == by_gl.status_code == 200
    donors = re.compile(r'href="#donor-(\d+)"')
    assert donors.findall(by_loci.text) == donors.findall(by_gl.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"typing_mode": "gl", "gl": "HLA-A*99:99+HLA-A*01:01"}, "typing", id="unknown-allele"),
        pytest.param({"typing_mode": "gl", "gl": ""}, "typing", id="blank"),
        pytest.param({"typing_mode": "loci", "A_2": "01:01"}, "first typing is blank", id="second-without-first"),
        pytest.param({"typing_mode": "gl", "gl": PATIENT, "limit": "0"}, "limit", id="limit-out-of-range"),
    ],
)
def test_a_bad_typing_is_shown_on_the_form(client_for: ClientFor, data: dict[str, str], message: str) -> None:
    client = client_for(Role.PHYSICIAN)
    answer = client.post("/donor-search", data={"csrf_token": client.csrf_token, **data}, headers=HTML)
    assert answer.status_code == 422
    assert 'class="field__error"' in answer.text and message in answer.text


def test_a_search_without_the_csrf_token_is_refused(client_for: ClientFor) -> None:
    client = client_for(Role.PHYSICIAN)
    del client.headers["X-CSRF-Token"]
    answer = client.post("/donor-search", data={"typing_mode": "gl", "gl": PATIENT}, headers=HTML)
    assert answer.status_code == 403


def test_without_release_or_registry_the_page_explains(bare_app: FastAPI) -> None:
    for client_for in _clients(bare_app):
        client = client_for(Role.SEARCH_COORDINATOR)
        page = client.get("/donor-search", headers=HTML)
        assert page.status_code == 200
        assert "Donor search is not set up on this server" in page.text and "ENGRAFT_IMGT_DIR" in page.text
        posted = client.post("/donor-search", data={"csrf_token": client.csrf_token, "gl": PATIENT}, headers=HTML)
        assert posted.status_code == 200 and "not set up" in posted.text


def test_a_mac_typed_patient_is_searched_with_the_configured_mac_list(
    imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("donor-search-mac")
    nom = Nomenclature.load(imgt_dir)
    store = DonorStore.create(folder / "store", release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=500, seed=5))
    mac = folder / "alpha.v3.txt"
    mac.write_text("LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n", encoding="utf-8")
    app = _app(folder / "engraft.db", DonorRegistry(folder / "store", imgt_dir=imgt_dir, mac_file=mac))
    for make in _clients(app):
        client = make(Role.SEARCH_COORDINATOR)
        data = {"csrf_token": client.csrf_token, "typing_mode": "gl", "max_mismatches": "2", "limit": "5"}
        by_mac = client.post(
            "/donor-search", data={**data, "gl": PATIENT.replace("A*01:01+", "A*01:AB+")}, headers=HTML
        )
        plain = client.post("/donor-search", data={**data, "gl": PATIENT}, headers=HTML)
        assert by_mac.status_code == plain.status_code == 200, by_mac.text[-2000:]
        assert "Ranked donors" in by_mac.text


FULL_PATIENT = PATIENT + "^HLA-DPB1*04:01+HLA-DPB1*02:01^HLA-DQA1*01:02+HLA-DQA1*05:01"
"""The patient typed at DPB1 (12/12) and DQA1 (reported, never counted) too."""


def _detail(html: str, donor_id: int) -> str:
    found = re.search(rf'<details class="donor-detail" id="donor-{donor_id}">(.*?)</details>', html, re.S)
    assert found is not None, f"no detail for donor {donor_id}"
    return found.group(1)


def test_a_known_donor_shows_confidence_counts_with_dpb1_and_genotype_sources(client_for: ClientFor) -> None:
    """What the API says of the first donor (confidence, 12/12, per-locus counts, genotype source) is on the page."""
    client = client_for(Role.SEARCH_COORDINATOR)
    search = {"patient": FULL_PATIENT, "max_mismatches": 2, "limit": 5, "predict_top": 5, "patient_cmv": "negative"}
    api = client.post("/api/donor-search", json=search)
    assert api.status_code == 200, api.text
    donor = api.json()["donors"][0]
    form = {"csrf_token": client.csrf_token, "typing_mode": "gl", "gl": FULL_PATIENT, "donor_type": "adult"}
    form |= {k: str(v) for k, v in search.items() if k != "patient"}
    page = client.post("/donor-search", data=form, headers=HTML)
    assert page.status_code == 200, page.text[-2000:]
    row = re.search(rf'<a href="#donor-{donor["donor_id"]}">.*?</tr>', page.text, re.S)
    assert row is not None
    assert f"With DPB1: {donor['counts_with_dpb1']['label']}" in row.group(0)
    detail = _detail(page.text, donor["donor_id"])
    words = {"definite": "definite", "exact": "exact", "potential": "potential", "mismatch": "mismatch"}
    for name, locus in [*donor["loci"].items(), *([("DPB1", donor["dpb1"])] if donor["dpb1"] else [])]:
        for position in locus["positions"]:
            cell = f'<td class="confidence confidence--{position["confidence"]}">{words[position["confidence"]]}</td>'
            assert cell in detail, (name, position)
            grade = GRADE_TEXT[MatchGrade(position["grade"])]
            assert f"<td>{grade}" in detail and f"<td>{position['grade']}<" not in detail, (name, position)
    for name, count in donor["locus_counts"].items():
        if count["status"] == "untyped" and name not in donor["counts_with_dpb1"]["loci"]:
            continue
        cells = "".join(f'<td class="number">{count[k]}</td>' for k in ("matched", "typed", "potential", "untyped"))
        assert f'<th scope="row">{name}</th><td class="locus-status--{count["status"]}">' in detail, name
        assert cells in detail, name
    assert '<th scope="row">DQA1</th>' in detail  # typed on the patient's side: its status is shown
    prediction = donor["prediction"]
    assert prediction is not None
    sources = {"typed": "typed: unambiguous", "imputed": "imputed from the haplotype frequencies"}
    sources["unexplained"] = "not explained by the haplotype frequencies"
    for side in ("patient", "donor"):
        source = prediction[f"{side}_genotype"]
        assert f'<span class="genotype--{source}">{sources[source]}' in detail, side


def test_a_genotype_list_is_matched_and_its_ambiguity_shown(client_for: ClientFor) -> None:
    client = client_for(Role.SEARCH_COORDINATOR)
    listed = PATIENT.replace("HLA-A*01:01+HLA-A*03:01", "HLA-A*01:01+HLA-A*03:01|HLA-A*01:01+HLA-A*02:01")
    form = {"csrf_token": client.csrf_token, "typing_mode": "gl", "gl": listed, "max_mismatches": "2"}
    page = client.post("/donor-search", data={**form, "limit": "3", "predict_top": "0"}, headers=HTML)
    assert page.status_code == 200, page.text[-2000:]
    assert "A genotype list: 2 patient and 1 donor genotypes listed;" in page.text
    assert "locus-cell--potential" in page.text  # never shown as a certain match


def test_every_match_grade_and_mismatch_type_has_words() -> None:
    """The page never shows an enum value (``g_group``): each grade and mismatch type has its words."""
    assert set(GRADE_TEXT) == set(MatchGrade) and set(MISMATCH_TEXT) == set(MismatchType)
    assert len(set(GRADE_TEXT.values())) == len(GRADE_TEXT)
