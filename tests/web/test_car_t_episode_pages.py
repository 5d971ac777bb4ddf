"""An immune effector cell (CAR-T) episode on the pages: the transplant-only parts (risk assessment, the risk
explanation for the family, the consent records naming it, the engraftment thresholds on the count charts) are
neither offered nor drawn, a note says why, and asking for them directly is refused; a transplant keeps them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.models import Assessment
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.episode import EpisodeUpdate
from engraft.vocabulary import CellTherapy
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient
from tests.outcomes.test_registry_endpoints import small_registry

HTML = {"accept": "text/html"}
NOTE = {
    "en": "The transplant risk assessment and the risk explanation for the patient and family do not apply to "
    "immune effector cell therapy.",
    "zh_Hans": "移植风险评估以及给患者及家属的风险说明不适用于免疫效应细胞治疗。",
}
REFUSAL_TITLE = {"en": "Not for immune effector cell therapy", "zh_Hans": "不适用于免疫效应细胞治疗"}
ANC_LOINC = "26499-4"
PLATELETS_LOINC = "777-3"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Episode 'c' made a CAR-T infusion and episode 'b' left a transplant, each with low then recovering counts;
    patient 'a' has a transplant (episode 'a') and then a CAR-T infusion (episode 'a2')."""
    path: Path = tmp_path_factory.mktemp("car-t-pages") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    registry = application.state.registry
    episodes = small_registry(registry)
    for key in ("c", "a2"):
        car_t = registry.get_episode(episodes[key])
        registry.update_episode(
            car_t.id, EpisodeUpdate(version=car_t.version, cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS)
        )
    rows = []
    for key in ("b", "c"):
        episode = registry.get_episode(episodes[key])
        for day, anc, platelets in ((3, 0.2, 9.0), (8, 0.4, 15.0), (12, 1.1, 40.0)):
            at = dt.datetime.combine(episode.day0 + dt.timedelta(days=day), dt.time(6), tzinfo=dt.UTC)
            rows.append(
                ObservationRow(episode.patient_id, episode.id, at, ANC_LOINC, anc, "10*9/L", "lab feed", f"{key}a{day}")
            )
            rows.append(
                ObservationRow(
                    episode.patient_id, episode.id, at, PLATELETS_LOINC, platelets, "10*9/L", "lab feed", f"{key}p{day}"
                )
            )
    add_observations(registry, rows)
    application.state.episodes = episodes
    return application


def _patient_page(app: FastAPI, client: SignedInClient, key: str) -> str:
    patient = app.state.registry.get_episode(app.state.episodes[key]).patient_id
    page = client.get(f"/patients/{patient}", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    return page.text


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_car_t_record_page_offers_no_risk_assessment_or_explanation_and_says_why(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _patient_page(app, client, "c")
    episode = app.state.episodes["c"]
    assert f'href="/episodes/{episode}/risk"' not in page
    assert "/risk-report" not in page
    assert f'href="/episodes/{episode}/consent"' not in page  # no record yet: the consent line names the document
    assert NOTE[locale] in page


def test_a_transplant_record_page_still_offers_them(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    page = _patient_page(app, client, "b")
    episode = app.state.episodes["b"]
    assert f'href="/episodes/{episode}/risk"' in page
    assert f'href="/api/episodes/{episode}/risk-report?format=pdf&amp;lang=en"' in page
    assert f'href="/api/episodes/{episode}/risk-report?format=html&amp;lang=en"' in page
    assert f'href="/episodes/{episode}/consent"' in page
    assert NOTE["en"] not in page


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_risk_page_of_a_car_t_episode_refuses(app: FastAPI, client_for: object, locale: str) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    episode = app.state.episodes["c"]
    page = client.get(f"/episodes/{episode}/risk", headers=HTML)
    assert page.status_code == 422
    assert REFUSAL_TITLE[locale] in page.text and 'class="risk-form"' not in page.text
    with app.state.registry.read_snapshot() as session:
        before = session.query(Assessment).filter_by(episode_id=episode).count()
    sent = client.post(f"/episodes/{episode}/risk", data={"csrf_token": client.csrf_token}, headers=HTML)
    assert sent.status_code == 422 and REFUSAL_TITLE[locale] in sent.text
    with app.state.registry.read_snapshot() as session:
        assert session.query(Assessment).filter_by(episode_id=episode).count() == before


def test_the_risk_page_of_a_transplant_still_opens(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    page = client.get(f"/episodes/{app.state.episodes['b']}/risk", headers=HTML)
    assert page.status_code == 200 and 'class="risk-form"' in page.text


def test_the_consent_page_of_a_car_t_episode_offers_no_form(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["c"]
    page = client.get(f"/episodes/{episode}/consent", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert NOTE["en"] in page.text and 'name="document_hash"' not in page.text
    sent = client.post(
        f"/episodes/{episode}/consent",
        data={
            "csrf_token": client.csrf_token,
            "document_hash": "a" * 64,
            "document_version": "1",
            "document_language": "en",
            "explained_by": "Dr Ada Lin",
            "explained_at": "2025-01-01T09:30",
            "people_patient": "1",
            "interpreter_used": "no",
            "decision": "consented",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 422 and REFUSAL_TITLE["en"] in sent.text
    incomplete = client.post(f"/episodes/{episode}/consent", data={"csrf_token": client.csrf_token}, headers=HTML)
    assert incomplete.status_code == 422 and REFUSAL_TITLE["en"] in incomplete.text
    assert app.state.registry.get_episode(episode).cell_therapy is CellTherapy.IMMUNE_EFFECTOR_CELLS


def _count_charts(page: str) -> str:
    """The ANC and platelet charts' part of the page."""
    start = page.index('id="chart-anc-')
    end = page.index('id="chart-bilirubin-')
    return page[start:end]


def test_car_t_count_charts_draw_no_engraftment_threshold_but_keep_the_values(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    charts = _count_charts(_patient_page(app, client, "c"))
    assert "day-chart__threshold" not in charts and "engraftment threshold" not in charts
    assert "3 values from day +3 to day +12" in charts  # the counts are all still drawn
    car_t = app.state.registry.get_episode(app.state.episodes["c"])
    table = client.get(f"/patients/{car_t.patient_id}/episodes/{car_t.id}/labs/anc", headers={"HX-Request": "true"})
    assert table.status_code == 200 and table.text.count("<tr") == 1 + 3
    assert "below-threshold" not in table.text  # no value marked below an engraftment threshold


def test_transplant_count_charts_draw_the_engraftment_thresholds(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    charts = _count_charts(_patient_page(app, client, "b"))
    assert len(re.findall(r'class="day-chart__threshold"', charts)) == 2
    assert "Neutrophil engraftment threshold" in charts and "Platelet engraftment threshold" in charts


INFUSION_WORDS = {
    "en": (
        "Course of immune effector cell infusion 1",
        "Day from infusion",
        "Day 0 (infusion)",
    ),
    "zh_Hans": ("第 1 次免疫效应细胞输注的病程", "输注后天数", "第 0 天（输注日）"),
}
TRANSPLANT_WORDS = {
    "en": ("Course of transplant 1", "Day from transplant", "Day 0 (transplant)"),
    "zh_Hans": ("第 1 次移植的病程", "移植后天数", "第 0 天（移植日）"),
}


def _episode_section(page: str, episode: int) -> str:
    """The patient page's section of ``episode`` (its heading to the next episode's or the page's end)."""
    start = page.index(f'aria-labelledby="episode-{episode}-heading"')
    end = page.find('<section class="episode"', start)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_car_t_record_page_dates_its_course_and_charts_from_the_infusion(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _episode_section(_patient_page(app, client, "c"), app.state.episodes["c"])
    course, axis, day0 = INFUSION_WORDS[locale]
    assert course in page
    assert page.count(axis) >= 1 + 5  # the course timeline and every lab chart
    assert day0 in page
    for transplant_word in TRANSPLANT_WORDS[locale]:
        assert transplant_word not in page


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_transplant_record_page_keeps_the_transplant_wording(app: FastAPI, client_for: object, locale: str) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _episode_section(_patient_page(app, client, "b"), app.state.episodes["b"])
    course, axis, day0 = TRANSPLANT_WORDS[locale]
    assert course in page and axis in page and day0 in page
    for infusion_word in INFUSION_WORDS[locale]:
        assert infusion_word not in page


def test_a_transplant_then_an_infusion_each_keep_their_own_wording(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    page = _patient_page(app, client, "a")
    transplant = _episode_section(page, app.state.episodes["a"])
    infusion = _episode_section(page, app.state.episodes["a2"])
    assert "Course of transplant 1" in transplant and "Day from infusion" not in transplant
    assert "Course of immune effector cell infusion 1" in infusion and "Day from transplant" not in infusion
    assert "infusion 2" not in infusion  # each kind numbered on its own: the first infusion, not a second


LAB_TABLE_LEAD = {
    "en": ("Immune effector cell infusion 1: day 0 on", "Transplant 1: day 0 on"),
    "zh_Hans": ("第 1 次免疫效应细胞输注：第 0 天为", "第 1 次移植：第 0 天为"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_lab_values_page_names_the_infusion_or_the_transplant(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    infusion, transplant = LAB_TABLE_LEAD[locale]
    for key, shown, not_shown in (("c", infusion, transplant), ("b", transplant, infusion)):
        episode = app.state.registry.get_episode(app.state.episodes[key])
        page = client.get(f"/patients/{episode.patient_id}/episodes/{episode.id}/labs/anc", headers=HTML)
        assert page.status_code == 200, page.text[:300]
        assert shown in page.text and not_shown not in page.text


CONSENT_HEADING = {
    "en": ("Informed consent for immune effector cell infusion 1", "Informed consent for transplant 1"),
    "zh_Hans": ("第 1 次免疫效应细胞输注的知情同意", "第 1 次移植的知情同意"),
}
NO_EXPLANATION = {
    "en": (
        "No explanation has been recorded for this infusion yet.",
        "No explanation has been recorded for this transplant yet.",
    ),
    "zh_Hans": ("这次输注还没有讲解记录。", "这次移植还没有讲解记录。"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_consent_page_names_the_infusion_or_the_transplant(app: FastAPI, client_for: object, locale: str) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    infusion, transplant = CONSENT_HEADING[locale]
    no_infusion_record, no_transplant_record = NO_EXPLANATION[locale]
    car_t, hct = app.state.episodes["c"], app.state.episodes["b"]
    page = client.get(f"/episodes/{car_t}/consent", headers=HTML).text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert heading is not None and heading.group(1) == infusion  # numbered among the infusions, not the record id
    assert no_infusion_record in page and no_transplant_record not in page
    page = client.get(f"/episodes/{hct}/consent", headers=HTML).text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert heading is not None and heading.group(1) == transplant
    assert no_transplant_record in page and no_infusion_record not in page


LIST_WORDS = {
    "en": ("Latest transplant or infusion", "immune effector cells (CAR-T)", "infusion 2", "transplant 2"),
    "zh_Hans": ("最近一次移植或输注", "免疫效应细胞（CAR-T）", "第 2 次输注", "第 2 次移植"),
}
"""The list's head, a CAR-T episode's kind, and the badges a second infusion or transplant would have."""


def _list_row(page: str, patient_id: int) -> str:
    """The patient list's row of ``patient_id``."""
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    return next(row for row in rows if f'href="/patients/{patient_id}"' in row)


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_patient_list_says_which_kind_the_latest_episode_is(app: FastAPI, client_for: object, locale: str) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    heading, car_t_label, infusion_badge, transplant_badge = LIST_WORDS[locale]
    page = client.get("/patients", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert heading in page.text
    patient_of = {key: app.state.registry.get_episode(app.state.episodes[key]).patient_id for key in ("a", "b", "c")}
    car_t_only = _list_row(page.text, patient_of["c"])
    assert car_t_label in car_t_only
    then_car_t = _list_row(page.text, patient_of["a"])  # a transplant, then a CAR-T infusion: the latest is named
    assert car_t_label in then_car_t  # its first infusion: no badge (a count of either kind read as a second one)
    assert infusion_badge not in then_car_t and transplant_badge not in then_car_t and 'class="badge"' not in then_car_t
    transplant = _list_row(page.text, patient_of["b"])
    assert car_t_label not in transplant


EPISODES_HEADING = {
    "en": ("Immune effector cell infusions", "Transplants and immune effector cell infusions", "Transplants"),
    "zh_Hans": ("免疫效应细胞输注", "移植与免疫效应细胞输注", "移植"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_episodes_heading_names_the_kinds_the_patient_had(app: FastAPI, client_for: object, locale: str) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    car_t_only, both, transplants_only = EPISODES_HEADING[locale]
    for key, heading in (("c", car_t_only), ("a", both), ("b", transplants_only)):
        shown = re.search(r'<h2 id="transplants-heading">(.*?)</h2>', _patient_page(app, client, key))
        assert shown is not None and shown.group(1) == heading
