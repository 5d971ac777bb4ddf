"""Each kind of episode is numbered on its own wherever the web shows an episode's number (transplant 1, 2...;
infusion 1, 2...), so a transplant and then a CAR-T infusion read "transplant 1" and "infusion 1", never "infusion 2";
and a CAR-T episode's section shows its product and lymphodepletion, not a transplant's donor graft (en and zh)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn, EpisodeUpdate
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, ConditioningDrug
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient

HTML = {"accept": "text/html"}
HCT, CAR_T = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, CellTherapy.IMMUNE_EFFECTOR_CELLS
FIRST, SECOND, THIRD = dt.date(2024, 1, 10), dt.date(2025, 3, 4), dt.date(2025, 9, 15)
PATIENTS: dict[str, tuple[tuple[CellTherapy, dt.date], ...]] = {
    "car_t": ((CAR_T, SECOND),),
    "hct": ((HCT, FIRST),),
    "hct_then_car_t": ((HCT, FIRST), (CAR_T, SECOND)),
    "hct_then_two_car_t": ((HCT, FIRST), (CAR_T, SECOND), (CAR_T, THIRD)),
    "two_hct": ((HCT, FIRST), (HCT, THIRD)),
    "changed": ((HCT, FIRST), (CAR_T, SECOND)),  # only the episode form's htmx test changes it
    "car_t_with_graft_values": ((CAR_T, SECOND),),  # a CD34+ dose and GVHD prophylaxis recorded (the kind wrong?)
}
DATES = {
    "en": {FIRST: "Jan 10, 2024", SECOND: "Mar 4, 2025", THIRD: "Sep 15, 2025"},
    "zh_Hans": {FIRST: "2024年1月10日", SECOND: "2025年3月4日", THIRD: "2025年9月15日"},
}


def _add_patient(registry: RegistryService, episodes: tuple[tuple[CellTherapy, dt.date], ...]) -> tuple[int, list[int]]:
    """A patient with ``episodes``: a transplant with its graft's doses, conditioning and GVHD prophylaxis; a
    CAR-T infusion of the patient's own cells after fludarabine and cyclophosphamide (as the demo writes one)."""
    patient = registry.create_patient(PatientIn(centre="C1", sex="female", birth_date=dt.date(1970, 1, 1))).id
    ids = []
    for cell_therapy, day0 in episodes:
        transplant = cell_therapy is HCT
        conditioning = (
            [ConditioningAgentIn(drug=ConditioningDrug.MELPHALAN, total_dose=200, unit="mg/m2")]
            if transplant
            else [
                ConditioningAgentIn(drug=ConditioningDrug.FLUDARABINE, total_dose=90, unit="mg/m2"),
                ConditioningAgentIn(drug=ConditioningDrug.CYCLOPHOSPHAMIDE, total_dose=1500, unit="mg/m2"),
            ]
        )
        episode = registry.create_episode(
            EpisodeIn(
                patient_id=patient,
                centre="C1",
                transplant_type="autologous",
                graft_source="peripheral blood",
                cell_therapy=cell_therapy,
                day0=day0,
                conditioning=conditioning,
                cd34_per_kg=4.5 if transplant else None,
                viability_pct=97,
            )
        )
        ids.append(episode.id)
    return patient, ids


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The patients of :data:`PATIENTS` (``app.state.patients``: key -> (patient id, episode ids in order))."""
    path: Path = tmp_path_factory.mktemp("episode-kind-numbers") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    registry = application.state.registry
    registry.create_centre(CentreIn(code="C1", name="Centre C1", country="GB"))
    application.state.patients = {key: _add_patient(registry, episodes) for key, episodes in PATIENTS.items()}
    odd = registry.get_episode(application.state.patients["car_t_with_graft_values"][1][0])
    registry.update_episode(
        odd.id, EpisodeUpdate(version=odd.version, cd34_per_kg=3.2, gvhd_prophylaxis=["ciclosporin"])
    )
    return application


def _get(client: SignedInClient, path: str, **headers: str) -> str:
    page = client.get(path, headers={**HTML, **headers})
    assert page.status_code == 200, page.text[:300]
    return page.text


def _record(app: FastAPI, client: SignedInClient, key: str) -> str:
    return _get(client, f"/patients/{app.state.patients[key][0]}")


def _episode_section(page: str, episode: int) -> str:
    start = page.index(f'aria-labelledby="episode-{episode}-heading"')
    end = page.find('<section class="episode"', start)
    return page[start : end if end != -1 else len(page)]


HEADINGS = {
    "en": {
        "car_t": ["Immune effector cell infusion 1: day 0 on {second}"],
        "hct": ["Transplant 1: day 0 on {first}"],
        "hct_then_car_t": ["Transplant 1: day 0 on {first}", "Immune effector cell infusion 1: day 0 on {second}"],
        "hct_then_two_car_t": [
            "Transplant 1: day 0 on {first}",
            "Immune effector cell infusion 1: day 0 on {second}",
            "Immune effector cell infusion 2: day 0 on {third}",
        ],
        "two_hct": ["Transplant 1: day 0 on {first}", "Transplant 2: day 0 on {third}"],
    },
    "zh_Hans": {
        "car_t": ["第 1 次免疫效应细胞输注：第 0 天为 {second}"],
        "hct": ["第 1 次移植：第 0 天为 {first}"],
        "hct_then_car_t": ["第 1 次移植：第 0 天为 {first}", "第 1 次免疫效应细胞输注：第 0 天为 {second}"],
        "hct_then_two_car_t": [
            "第 1 次移植：第 0 天为 {first}",
            "第 1 次免疫效应细胞输注：第 0 天为 {second}",
            "第 2 次免疫效应细胞输注：第 0 天为 {third}",
        ],
        "two_hct": ["第 1 次移植：第 0 天为 {first}", "第 2 次移植：第 0 天为 {third}"],
    },
}
COURSES = {
    "en": {
        "car_t": ["Course of immune effector cell infusion 1"],
        "hct": ["Course of transplant 1"],
        "hct_then_car_t": ["Course of transplant 1", "Course of immune effector cell infusion 1"],
        "hct_then_two_car_t": [
            "Course of transplant 1",
            "Course of immune effector cell infusion 1",
            "Course of immune effector cell infusion 2",
        ],
        "two_hct": ["Course of transplant 1", "Course of transplant 2"],
    },
    "zh_Hans": {
        "car_t": ["第 1 次免疫效应细胞输注的病程"],
        "hct": ["第 1 次移植的病程"],
        "hct_then_car_t": ["第 1 次移植的病程", "第 1 次免疫效应细胞输注的病程"],
        "hct_then_two_car_t": ["第 1 次移植的病程", "第 1 次免疫效应细胞输注的病程", "第 2 次免疫效应细胞输注的病程"],
        "two_hct": ["第 1 次移植的病程", "第 2 次移植的病程"],
    },
}


def _dated(texts: list[str], locale: str) -> list[str]:
    dates = DATES[locale]
    return [t.format(first=dates[FIRST], second=dates[SECOND], third=dates[THIRD]) for t in texts]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize("key", ["car_t", "hct", "hct_then_car_t", "hct_then_two_car_t", "two_hct"])
def test_the_record_page_numbers_each_kind_of_episode_on_its_own(
    app: FastAPI, client_for: object, locale: str, key: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _record(app, client, key)
    _, episodes = app.state.patients[key]
    headings = [
        re.search(rf'<h2 id="episode-{e}-heading">(.*?)</h2>', page, re.S).group(1)  # type: ignore[union-attr]
        for e in episodes
    ]
    assert headings == _dated(HEADINGS[locale][key], locale)
    courses = [
        re.search(r"<title[^>]*>(.*?)</title>", _episode_section(page, e).split('class="timeline-figure"', 1)[1], re.S)
        for e in episodes
    ]
    assert [c.group(1) if c else None for c in courses] == COURSES[locale][key]


BADGES = {
    # the list's badge beside the newest episode: its number among the patient's episodes of its kind, from 2
    "en": {
        "car_t": None,
        "hct": None,
        "hct_then_car_t": None,
        "hct_then_two_car_t": "infusion 2",
        "two_hct": "transplant 2",
    },
    "zh_Hans": {
        "car_t": None,
        "hct": None,
        "hct_then_car_t": None,
        "hct_then_two_car_t": "第 2 次输注",
        "two_hct": "第 2 次移植",
    },
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_list_badge_numbers_the_newest_episode_among_those_of_its_kind(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _get(client, "/patients?size=50")
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    shown = {}
    for key in BADGES[locale]:
        row = next(row for row in rows if f'href="/patients/{app.state.patients[key][0]}"' in row)
        badge = re.search(r'<span class="badge">(.*?)</span>', row)
        shown[key] = badge.group(1) if badge else None
    assert shown == BADGES[locale]


CONSENT = {
    "en": ("Informed consent for transplant 1", "Informed consent for immune effector cell infusion 2"),
    "zh_Hans": ("第 1 次移植的知情同意", "第 2 次免疫效应细胞输注的知情同意"),
}
FORM = {
    "en": ("Cell therapy of transplant 1", "Cell therapy of immune effector cell infusion 2"),
    "zh_Hans": ("第 1 次移植的细胞治疗类型", "第 2 次免疫效应细胞输注的细胞治疗类型"),
}


def _h1_and_title(page: str) -> tuple[str, str]:
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert heading is not None and title is not None
    return heading.group(1), title.group(1)


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_consent_and_episode_form_headings_number_the_episode_among_those_of_its_kind(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    transplant, _, second_infusion = app.state.patients["hct_then_two_car_t"][1]
    for path, (transplant_heading, infusion_heading) in (("consent", CONSENT[locale]), ("edit", FORM[locale])):
        heading, title = _h1_and_title(_get(client, f"/episodes/{transplant}/{path}"))
        assert heading == transplant_heading and title.startswith(transplant_heading)
        heading, title = _h1_and_title(_get(client, f"/episodes/{second_infusion}/{path}"))
        assert heading == infusion_heading and title.startswith(infusion_heading)


def test_storing_another_kind_with_htmx_renames_the_episode_in_the_heading(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    _, (_, infusion) = app.state.patients["changed"]
    assert (
        _h1_and_title(_get(client, f"/episodes/{infusion}/edit"))[0]
        == "Cell therapy of immune effector cell infusion 1"
    )
    form = {
        "csrf_token": client.csrf_token,
        "version": str(app.state.registry.get_episode(infusion).version),
        "cell_therapy": HCT.value,
    }
    answer = client.post(f"/episodes/{infusion}/edit", data=form, headers={**HTML, "HX-Request": "true"})
    assert answer.status_code == 200
    oob = re.search(r'<h1 id="episode-form-heading" hx-swap-oob="true">(.*?)</h1>', answer.text)
    assert oob is not None and oob.group(1) == "Cell therapy of transplant 2"  # now the patient's second transplant


LAB_LEADS = {
    "en": ("Transplant 1: day 0 on {first}", "Immune effector cell infusion 2: day 0 on {third}"),
    "zh_Hans": ("第 1 次移植：第 0 天为 {first}", "第 2 次免疫效应细胞输注：第 0 天为 {third}"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_lab_values_page_numbers_the_episode_among_those_of_its_kind(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    patient, (transplant, _, second_infusion) = app.state.patients["hct_then_two_car_t"]
    for episode, lead in zip((transplant, second_infusion), _dated(list(LAB_LEADS[locale]), locale), strict=True):
        page = _get(client, f"/patients/{patient}/episodes/{episode}/labs/anc")
        shown = re.search(r'<p class="lead">(.*?) · ', page, re.S)
        assert shown is not None and shown.group(1) == lead


PRODUCT = {
    # (section heading, the facts' terms, the conditioning or lymphodepletion as shown)
    "en": {
        HCT: (
            "Donor and graft",
            ["Graft source", "CD34+ cells", "Total nucleated cells", "Viability", "Conditioning", "GVHD prophylaxis"],
            "melphalan 200 mg/m2",
        ),
        CAR_T: (
            "Cell product and lymphodepletion",
            ["Source of the cells", "Viability", "Lymphodepletion"],
            "fludarabine 90 mg/m2; cyclophosphamide 1,500 mg/m2",
        ),
    },
    "zh_Hans": {
        HCT: (
            "供者与移植物",
            ["移植物来源", "CD34+ 细胞", "总有核细胞数", "细胞活性", "预处理", "GVHD 预防"],
            "美法仑 200 mg/m2",
        ),
        CAR_T: (
            "细胞产品与清淋预处理",
            ["细胞来源", "细胞活性", "清淋预处理"],
            "氟达拉滨 90 mg/m2; 环磷酰胺 1,500 mg/m2",
        ),
    },
}


def _product(section: str) -> tuple[str, list[str]]:
    """The heading of the section's part after the lab charts and its facts' terms."""
    part = section[section.index("<h3>", section.index('class="lab-charts"')) :]
    heading = re.search(r"<h3>(.*?)</h3>", part)
    assert heading is not None
    return heading.group(1), re.findall(r"<dt>(.*?)</dt>", part[: part.index("</dl>")])


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize("key", ["car_t", "hct", "hct_then_car_t"])
def test_a_car_t_section_shows_its_product_and_lymphodepletion_and_a_transplant_its_donor_graft(
    app: FastAPI, client_for: object, locale: str, key: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _record(app, client, key)
    _, episodes = app.state.patients[key]
    for (kind, _), episode in zip(PATIENTS[key], episodes, strict=True):
        section = _episode_section(page, episode)
        heading, terms = _product(section)
        expected_heading, expected_terms, conditioning = PRODUCT[locale][kind]
        assert (heading, terms) == (expected_heading, expected_terms)
        assert conditioning in section
    assert 'href="/donor-search?patient_id=' in page  # the patient may still need a donor (after CAR-T too)


CICLOSPORIN = {"en": "ciclosporin", "zh_Hans": "环孢素"}
RECORDED_GRAFT_VALUES = {
    "en": ["Source of the cells", "CD34+ cells", "Viability", "Lymphodepletion", "GVHD prophylaxis"],
    "zh_Hans": ["细胞来源", "CD34+ 细胞", "细胞活性", "清淋预处理", "GVHD 预防"],
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_a_car_t_section_still_shows_a_graft_dose_or_gvhd_prophylaxis_that_was_recorded(
    app: FastAPI, client_for: object, locale: str
) -> None:
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    page = _record(app, client, "car_t_with_graft_values")
    section = _episode_section(page, app.state.patients["car_t_with_graft_values"][1][0])
    assert _product(section) == (PRODUCT[locale][CAR_T][0], RECORDED_GRAFT_VALUES[locale])
    assert "<dd>3.2 ×10⁶/kg</dd>" in section and f"<dd>{CICLOSPORIN[locale]}</dd>" in section


RISK = {
    "en": ("Risk profile of transplant 1", "Risk profile of transplant 2"),
    "zh_Hans": ("第 1 次移植的风险概况", "第 2 次移植的风险概况"),
}


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_risk_page_numbers_the_transplant_among_the_patients_transplants(
    app: FastAPI, client_for: object, locale: str
) -> None:
    """Not by the record's id (it said "Risk profile of episode 4711"), and a CAR-T infusion between does not count."""
    client = client_for(Role.PHYSICIAN, locale)  # type: ignore[operator]
    first, second = app.state.patients["two_hct"][1]
    only_transplant = app.state.patients["hct_then_car_t"][1][0]
    for episode, expected in ((first, RISK[locale][0]), (second, RISK[locale][1]), (only_transplant, RISK[locale][0])):
        heading, title = _h1_and_title(_get(client, f"/episodes/{episode}/risk"))
        assert heading == expected and title.startswith(expected)
