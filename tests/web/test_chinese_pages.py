"""Pages in Simplified Chinese show no English: the core's texts (bands, rules, cohorts, notes, donor ranking
reasons, outcome labels) are translated, and only names, codes, units and citations stay in Latin script.

A signed-in browser switches the language to zh_Hans (the switcher), then opens the risk pages (every
instrument, blank and with a result), an episode's risk profile (run and stored), the patient list and
records, the outcomes pages (grouped and per endpoint) and the donor search (adult donors and cord blood),
and reads each page's text (tests/web/chinese_page_text.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from engraft.access import Role
from engraft.api.app import create_app
from engraft.api.routes_donor_search import DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.registry.database import make_engine
from engraft.scores.catalog import CATALOG
from engraft.web.application import add_pages
from engraft.web.forms import build_form, form_values
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client
from tests.demo_cohort import DEMO_SEED, load_demo_cohort
from tests.outcomes.test_registry_endpoints import small_registry
from tests.web.chinese_page_text import allowed, untranslated
from tests.web.core_examples import instrument_inputs
from tests.web.test_donor_search_page import FULL_PATIENT, PATIENT

HTML = {"accept": "text/html"}
USERNAME = "crawl.physician"
_serial = itertools.count(1)


def _app(folder: Path, registry: DonorRegistry | None = None) -> FastAPI:
    engine = make_engine(f"sqlite:///{folder / 'engraft.db'}")
    extra = {"donor_registry": registry} if registry is not None else {}
    application = add_pages(create_app(engine, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY, **extra))
    application.state.episodes = small_registry(application.state.registry)
    return application


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return _app(tmp_path_factory.mktemp("chinese-pages"))


def _chinese(app: FastAPI, name: str) -> Iterator[SignedInClient]:
    with signed_in_client(app, Role.PHYSICIAN, f"{name}.{next(_serial)}") as client:
        switched = client.get("/language?lang=zh_Hans&next=/risk", follow_redirects=False)
        assert switched.status_code == 303
        yield client


@pytest.fixture
def chinese(app: FastAPI) -> Iterator[SignedInClient]:
    yield from _chinese(app, USERNAME)


def _names(client: SignedInClient) -> set[str]:
    """Names this test's data puts on pages: the signed-in account's name (shown in the header)."""
    return {client.account.username, *client.account.username.split(".")}


def _check(
    client: SignedInClient, path: str, *, data: dict[str, str] | None = None, extra: set[str] | None = None
) -> str:
    """Open ``path`` (post ``data``) and fail on English outside the allow-list (``extra``: the data's words)."""
    answer = client.post(path, data=data, headers=HTML) if data is not None else client.get(path, headers=HTML)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[-1500:]}"
    assert 'lang="zh-Hans"' in answer.text
    left = untranslated(answer.text, _names(client) | (extra or set()))
    assert not left, f"{path}: English left on the Chinese page: {left}"
    return answer.text


def test_the_risk_pages_are_chinese_blank_and_with_every_result(chinese: SignedInClient) -> None:
    _check(chinese, "/risk")
    for name in CATALOG:
        _check(chinese, f"/risk/{name}")
    for name, payload in instrument_inputs():
        entry = CATALOG[name]
        data = entry.input_model.model_validate(payload)
        values = form_values(build_form(entry.input_model), data)
        html = _check(chinese, f"/risk/{name}", data={**values, "csrf_token": chinese.csrf_token})
        assert 'class="risk-result"' in html


def test_an_episode_risk_profile_is_chinese_run_and_stored(chinese: SignedInClient, app: FastAPI) -> None:
    for key in ("a", "b", "c", "auto"):
        episode = app.state.episodes[key]
        _check(chinese, f"/episodes/{episode}/risk")
        _check(chinese, f"/episodes/{episode}/risk", data={"performance_score": "80", "csrf_token": chinese.csrf_token})
        _check(chinese, f"/episodes/{episode}/risk")


def test_the_patient_pages_are_chinese(chinese: SignedInClient, app: FastAPI) -> None:
    for key in ("a", "b", "c", "auto"):
        episode = app.state.episodes[key]
        chinese.post(f"/episodes/{episode}/risk", data={"performance_score": "80", "csrf_token": chinese.csrf_token})
    _check(chinese, "/patients")
    for key in ("a", "b", "c", "d", "auto"):
        patient = app.state.registry.get_episode(app.state.episodes[key]).patient_id
        _check(chinese, f"/patients/{patient}")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="overall-survival"),
        pytest.param("?group_by=transplant_type", id="by-transplant-type"),
        pytest.param("?endpoint=relapse&group_by=transplant_type", id="relapse"),
        pytest.param("?endpoint=nrm&group_by=centre", id="nrm-by-centre"),
        pytest.param("?centre=C9", id="a-centre-without-transplants"),
        pytest.param("?endpoint=cgvhd&centre=C9", id="allogeneic-endpoint-without-transplants"),
        pytest.param("?group_by=transplant_type&centre=C1", id="a-single-group"),
    ],
)
def test_the_outcomes_pages_are_chinese(chinese: SignedInClient, query: str) -> None:
    html = _check(chinese, f"/outcomes{query}")
    assert "C9" not in query or "没有可分析的" in html
    _check(chinese, f"/outcomes/benchmark{query}")


@pytest.fixture(scope="module")
def donor_app(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("chinese-donor-search")
    nomenclature = Nomenclature.load(imgt_dir)
    store = DonorStore.create(folder / "store", release=nomenclature.release)
    generate_registry(store, nomenclature, demo_hf_set(nomenclature), GeneratorConfig(n_donors=2000, seed=5))
    registry = DonorRegistry(folder / "store", imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set)
    return _app(folder, registry)


LISTED_PATIENT = FULL_PATIENT.replace("HLA-A*01:01+HLA-A*03:01", "HLA-A*01:01+HLA-A*03:01|HLA-A*01:01+HLA-A*02:01")


@pytest.mark.parametrize(
    ("donor_type", "patient"),
    [
        pytest.param("adult", PATIENT, id="adult"),
        pytest.param("cord", PATIENT, id="cord"),
        pytest.param("adult", LISTED_PATIENT, id="adult-dpb1-dqa1-genotype-list"),
    ],
)
def test_the_donor_search_and_why_each_donor_ranks_are_chinese(
    donor_app: FastAPI, donor_type: str, patient: str
) -> None:
    """Per-locus detail too: confidence, counts with DPB1, DQA1's status, genotype lists, genotype sources."""
    for client in _chinese(donor_app, f"crawl.search.{donor_type}"):
        _check(client, "/donor-search")
        data = {
            "csrf_token": client.csrf_token,
            "typing_mode": "gl",
            "gl": patient,
            "max_mismatches": "2",
            "donor_type": donor_type,
            "patient_cmv": "negative",
            "patient_abo": "A",
            "limit": "10",
            "predict_top": "3",
        }
        html = _check(client, "/donor-search", data=data)
        assert 'href="#donor-' in html
        if patient == LISTED_PATIENT:
            assert "基因型列表" in html and 'class="genotype--' in html and "含 DPB1" in html
            saved = client.post("/donor-search/save", data=data | {"patient": patient}, headers=HTML)
            assert saved.status_code == 200 and "供者检索报告" in saved.text, saved.text[-1500:]
            report = _check(client, saved.url.path)  # the coordinator's report as a page, reasons and counts
            assert "排名第一。" in report and "决定因素" in report and "各位点的位置数" in report


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("HLA-DRB1", True, id="gene-name"),
        pytest.param("mg/kg", True, id="unit"),
        pytest.param("Sorror ML et al", True, id="citation"),
        pytest.param("hct-ci", True, id="instrument-code"),
        pytest.param("coronary_artery_disease", True, id="field-code"),
        pytest.param("DR17", True, id="antigen-code"),
        pytest.param("not present", False, id="english-words"),
        pytest.param("NOT MET", False, id="english-in-capitals"),
        pytest.param("HLA mismatches", False, id="code-with-english"),
    ],
)
def test_the_allow_list_lets_names_and_codes_through_and_nothing_else(run: str, expected: bool) -> None:
    assert allowed(run) is expected


def test_the_check_finds_english_outside_code_and_citations() -> None:
    html = (
        '<p title="Dose">剂量 <code>age_years=45</code> not present</p><cite>Sorror ML. Blood 2005</cite>'
        "<script>var x = 'hidden';</script>"
    )
    assert untranslated(html) == ["Dose", "not present"]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The synthetic demo cohort (40 transplants at 3 centres, no HLA typings) behind the pages."""
    path = tmp_path_factory.mktemp("chinese-demo") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    load_demo_cohort(application.state.registry, transplants=40, centres=3, seed=DEMO_SEED, hla_typings=False)
    return application


def _data_words(app: FastAPI) -> set[str]:
    """The words of the registry's own data a page shows as it is: patients' names, centres, WHO diagnoses."""
    with app.state.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT given_name || ' ' || family_name FROM patient_identity "
                "UNION SELECT who_name FROM diagnosis UNION SELECT code FROM centre"
            )
        ).scalars()
        return {word for row in rows for word in re.findall(r"[A-Za-z][A-Za-z0-9_+\-'’/.*]*", row)}


def test_the_demo_cohort_pages_are_chinese_but_for_their_data(demo_app: FastAPI) -> None:
    data = _data_words(demo_app)
    for client in _chinese(demo_app, "crawl.demo"):
        for query in ("", "?group_by=centre", "?endpoint=relapse&group_by=conditioning_intensity", "?endpoint=nrm"):
            _check(client, f"/outcomes{query}", extra=data)
            _check(client, f"/outcomes/benchmark{query}", extra=data)
        _check(client, "/patients", extra=data)
        for episode in demo_app.state.registry.list_episodes(limit=12, offset=0).items:
            form = {"performance_score": "80", "csrf_token": client.csrf_token}
            _check(client, f"/episodes/{episode.id}/risk", data=form, extra=data)
            _check(client, f"/patients/{episode.patient_id}", extra=data)
