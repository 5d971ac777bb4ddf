"""The patient list and patient record pages: who may open them, what each role sees, filters, the audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from types import MappingProxyType

import pytest
from babel import dates
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from engraft.access import Permission, Role, policy
from engraft.registry.audit import AuditAction
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.models import AuditEntry
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import (
    DiseaseStatus,
    DonorEligibility,
    DonorRelation,
    EventSource,
    EventType,
    GraftSource,
    Serostatus,
    Sex,
    TransplantType,
    VitalStatus,
)
from engraft.web.application import create_application
from engraft.web.i18n import ENGLISH, LANGUAGE_COOKIE
from engraft.web.pages.patients_panels import (
    Alert,
    AlertContext,
    AlertSeverity,
    register_alert_provider,
    unregister_alert_provider,
)
from tests.auth_clients import signed_in_client

TODAY = dt.date.today()
BIRTH_DATE_EN = dates.format_date(dt.date(1970, 5, 17), format="medium", locale=ENGLISH.locale)
"""The birth date as the English pages write it (the platform's format for English)."""
DAY0 = TODAY - dt.timedelta(days=30)
PATIENT_HLA = "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*07:02"
DONOR_HLA = "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02"


@dataclass(frozen=True)
class Registry:
    app: FastAPI
    engine: Engine
    ann: int
    bob: int


def _anc(day: int) -> float:
    return 0.2 if day < 14 else 0.8  # engrafts on day 14 by the CIBMTR rule


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('patients') / 'engraft.db'}")
    app = create_application(engine, validate_hla=False)
    service = RegistryService(make_session_factory(engine), actor="test", typing_validator=lambda _gl: None)
    service.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
    ann = service.create_patient(
        PatientIn(
            centre="C1",
            sex=Sex.FEMALE,
            birth_date=dt.date(1970, 5, 17),
            cmv_serostatus=Serostatus.POSITIVE,
            hla_gl_string=PATIENT_HLA,
            identity=IdentityIn(given_name="Annabel", family_name="Examplewoman", mrn="MRN-70001"),
        )
    ).id
    diagnosis = service.create_diagnosis(
        DiagnosisIn(
            patient_id=ann,
            who_name="Acute myeloid leukaemia",
            icd10="C92.0",
            diagnosis_date=dt.date(2024, 1, 2),
            status_at_transplant=DiseaseStatus.STABLE_DISEASE,
        )
    )
    donor = service.create_donor(
        DonorIn(
            donor_code="D-UNREL-9",
            relation=DonorRelation.MATCHED_UNRELATED,
            age_years=31,
            sex=Sex.MALE,
            cmv_serostatus=Serostatus.NEGATIVE,
            hla_gl_string=DONOR_HLA,
            eligibility=DonorEligibility.ELIGIBLE,
        )
    )
    episode = service.create_episode(
        EpisodeIn(
            patient_id=ann,
            diagnosis_id=diagnosis.id,
            centre="C1",
            transplant_type=TransplantType.ALLOGENEIC,
            graft_source=GraftSource.PERIPHERAL_BLOOD,
            day0=DAY0,
            donor_ids=[donor.id],
            cd34_per_kg=5.2,
        )
    )
    service.create_event(
        EventIn(
            patient_id=ann,
            episode_id=episode.id,
            event_type=EventType.PLATELET_ENGRAFTMENT,
            event_date=DAY0 + dt.timedelta(days=20),
            source=EventSource.MANUAL,
            details={},
        )
    )
    service.create_follow_up(
        FollowUpIn(
            patient_id=ann,
            episode_id=episode.id,
            visit_date=DAY0 + dt.timedelta(days=28),
            vital_status=VitalStatus.ALIVE,
        )
    )
    rows = []
    for day in range(-5, 26):
        at = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(6), tzinfo=dt.UTC)
        for loinc, unit, value in (
            ("751-8", "10*9/L", _anc(day)),
            ("777-3", "10*9/L", 10.0 if day < 18 else 45.0),
            ("14631-6", "umol/L", 12.0 + day),
            ("30247-1", "{copies}/mL", 0.0 if day < 10 else 150.0 * (day - 9)),
        ):
            rows.append(ObservationRow(ann, episode.id, at, loinc, value, unit, "lab feed", f"{loinc}/{day}"))
    add_observations(service, rows)
    bob = service.create_patient(
        PatientIn(
            centre="C1",
            sex=Sex.MALE,
            birth_date=dt.date(1980, 1, 1),
            identity=IdentityIn(given_name="Bob", family_name="Waitinglist", mrn="MRN-70002"),
        )
    ).id
    yield Registry(app, engine, ann, bob)
    engine.dispose()


@pytest.fixture(scope="module")
def signed_in(registry: Registry) -> Iterator[dict[Role, TestClient]]:
    """One browser per role, signed in through the real sign-in route (tests/auth_clients.py)."""
    with ExitStack() as stack:
        yield {role: stack.enter_context(signed_in_client(registry.app, role)) for role in Role}


@pytest.fixture
def as_role(signed_in: dict[Role, TestClient]) -> Callable[..., TestClient]:
    """``as_role(Role.NURSE)``: the signed-in browser of that role; ``locale="zh_Hans"`` chooses the language."""

    def pick(role: Role, locale: str = "en") -> TestClient:
        client = signed_in[role]
        client.cookies.set(LANGUAGE_COOKIE, locale)
        return client

    return pick


def _reads(engine: Engine, patient_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == AuditAction.READ)
    if patient_id is not None:
        stmt = stmt.where(AuditEntry.entity == "patient", AuditEntry.entity_id == patient_id)
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


@pytest.mark.parametrize("role", [pytest.param(Role.RESEARCHER, id="researcher"), pytest.param(Role.ADMIN, id="admin")])
@pytest.mark.parametrize("path", ["/patients", "/patients/{ann}"])
def test_roles_without_patient_read_get_403(
    as_role: Callable[..., TestClient], registry: Registry, role: Role, path: str
) -> None:
    response = as_role(role).get(path.format(ann=registry.ann))
    assert response.status_code == 403
    assert "Examplewoman" not in response.text and "MRN-70001" not in response.text


def test_nobody_signed_in_is_sent_to_sign_in(registry: Registry) -> None:
    with TestClient(registry.app, base_url="https://testserver") as client:
        response = client.get(f"/patients/{registry.ann}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=/patients/")


@pytest.mark.parametrize(
    "role",
    [pytest.param(r, id=r.value) for r in (Role.NURSE, Role.PHYSICIAN, Role.DATA_MANAGER, Role.SEARCH_COORDINATOR)],
)
def test_clinical_roles_see_identity(as_role: Callable[..., TestClient], registry: Registry, role: Role) -> None:
    client = as_role(role)
    listing = client.get("/patients")
    assert listing.status_code == 200
    assert "Examplewoman, Annabel" in listing.text and "MRN-70001" in listing.text
    assert 'id="patient-search"' in listing.text
    record = client.get(f"/patients/{registry.ann}")
    assert record.status_code == 200
    assert "Examplewoman, Annabel" in record.text and "MRN-70001" in record.text
    assert BIRTH_DATE_EN in record.text


@pytest.fixture
def identity_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """A nurse's role without the right to see identity (the policy table patched for this test)."""
    table = dict(policy.ROLE_PERMISSIONS)
    table[Role.NURSE] = frozenset({Permission.PATIENT_READ})
    monkeypatch.setattr(policy, "ROLE_PERMISSIONS", MappingProxyType(table))


def test_without_identity_no_name_mrn_or_birth_date_anywhere(
    as_role: Callable[..., TestClient], registry: Registry, identity_hidden: None
) -> None:
    client = as_role(Role.NURSE)
    pages = [
        client.get("/patients"),
        client.get("/patients?sort=latest-transplant&order=asc"),
        client.get("/patients", headers={"HX-Request": "true", "HX-Target": "patient-results"}),
        client.get(f"/patients/{registry.ann}"),
        client.get(f"/patients/{registry.ann}?window=all"),
        client.get(f"/patients/{registry.bob}"),
    ]
    for page in pages:
        assert page.status_code == 200, page.text
        for secret in (
            "Examplewoman",
            "Annabel",
            "MRN-70001",
            "Waitinglist",
            "MRN-70002",
            BIRTH_DATE_EN,
            "1970-05-17",
        ):
            assert secret not in page.text
    assert 'id="patient-search"' not in pages[0].text
    assert "1970" in pages[3].text  # the birth year only


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("q=Examplewoman", id="search"),
        pytest.param("sort=name", id="name-sort"),
        pytest.param("sort=mrn", id="mrn-sort"),
    ],
)
def test_without_identity_identity_features_are_refused(
    as_role: Callable[..., TestClient], identity_hidden: None, query: str
) -> None:
    response = as_role(Role.NURSE).get(f"/patients?{query}")
    assert response.status_code == 400
    assert "<table" not in response.text and "MRN-70001" not in response.text


def test_record_page_view_is_audited_exactly_once(as_role: Callable[..., TestClient], registry: Registry) -> None:
    before = _reads(registry.engine, registry.ann)
    assert as_role(Role.NURSE).get(f"/patients/{registry.ann}").status_code == 200
    assert _reads(registry.engine, registry.ann) == before + 1
    with registry.engine.connect() as conn:
        entry = conn.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.actor == "test.nurse" and entry.actor_role == "nurse"
    assert entry.changes["fields"] == ["birth_date", "given_name", "family_name", "mrn"]


def test_list_view_with_identity_is_audited_once(as_role: Callable[..., TestClient], registry: Registry) -> None:
    before = _reads(registry.engine)
    assert as_role(Role.PHYSICIAN).get("/patients").status_code == 200
    assert _reads(registry.engine) == before + 1
    assert as_role(Role.PHYSICIAN).get("/patients?q=nobody-by-this-name").status_code == 200
    assert _reads(registry.engine) == before + 1  # an empty list reveals nothing and is not logged


def test_missing_patient_is_404(as_role: Callable[..., TestClient]) -> None:
    assert as_role(Role.NURSE).get("/patients/999999").status_code == 404


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        pytest.param("phase=pre-transplant", "Waitinglist", "Examplewoman", id="pre-transplant"),
        pytest.param("phase=day+0-100", "Examplewoman", "Waitinglist", id="day-0-100"),
        pytest.param("q=mrn-70002", "Waitinglist", "Examplewoman", id="search-mrn"),
        pytest.param("group=AML", "Examplewoman", "Waitinglist", id="aml"),
        pytest.param("group=missing", "Waitinglist", "Examplewoman", id="no-diagnosis"),
        pytest.param("centre=C1&sort=name&order=desc", "Waitinglist", "", id="centre-sorted"),
    ],
)
def test_list_filters(as_role: Callable[..., TestClient], query: str, shown: str, hidden: str) -> None:
    page = as_role(Role.NURSE).get(f"/patients?{query}")
    assert page.status_code == 200
    assert shown in page.text
    if hidden:
        assert hidden not in page.text


def test_follow_up_filter_shows_nobody_here(as_role: Callable[..., TestClient]) -> None:
    page = as_role(Role.NURSE).get("/patients?phase=follow-up")
    assert "No patient matches these filters." in page.text
    assert "<table" not in page.text


def test_sort_order_by_name(as_role: Callable[..., TestClient]) -> None:
    text = as_role(Role.NURSE).get("/patients?sort=name&order=asc").text
    assert text.index("Examplewoman") < text.index("Waitinglist")
    assert 'aria-sort="ascending"' in text


def test_page_past_the_end_says_so(as_role: Callable[..., TestClient]) -> None:
    page = as_role(Role.NURSE).get("/patients?page=5")
    assert page.status_code == 200
    assert "past the end of the list (2 patients)" in page.text


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("phase=someday", id="unknown-phase"),
        pytest.param("sort=age", id="unknown-sort"),
        pytest.param("size=7", id="unoffered-page-size"),
        pytest.param("group=Flu", id="unknown-group"),
        pytest.param("order=up", id="unknown-order"),
    ],
)
def test_bad_list_parameters_say_what_is_wrong(as_role: Callable[..., TestClient], query: str) -> None:
    page = as_role(Role.NURSE).get(f"/patients?{query}")
    assert page.status_code == 400
    assert query.split("=")[0] in page.text and "expected" in page.text


def test_htmx_gets_the_results_alone_and_plain_get_the_page(as_role: Callable[..., TestClient]) -> None:
    client = as_role(Role.NURSE)
    fragment = client.get(
        "/patients?phase=pre-transplant", headers={"HX-Request": "true", "HX-Target": "patient-results"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Waitinglist" in fragment.text
    whole = client.get("/patients?phase=pre-transplant")
    assert whole.text.startswith("<!doctype html>") and 'id="patient-results"' in whole.text
    # paging and sort links are plain links too (they work without JavaScript)
    assert re.search(r'<a href="/patients\?[^"]*sort=name', whole.text)


def test_record_page_shows_course_charts_donor_and_hla(as_role: Callable[..., TestClient], registry: Registry) -> None:
    first = (dt.date.today() - DAY0).days  # the page's day, read on either side of the request (midnight)
    text = as_role(Role.PHYSICIAN).get(f"/patients/{registry.ann}").text
    last = (dt.date.today() - DAY0).days
    for chart in ("Absolute neutrophil count (ANC)", "Platelets", "Total bilirubin", "Creatinine", "CMV viral load"):
        assert chart in text
    assert text.count("<svg") == 6  # five lab charts and the timeline
    assert "Neutrophil engraftment threshold 0.5 ×10⁹/L" in text
    assert "Platelet engraftment threshold 20 ×10⁹/L" in text
    assert "Neutrophil engraftment: Day +14" in text  # computed from the ANC values
    assert "Platelet engraftment: Day +20" in text  # recorded
    assert "computed from the ANC values" in text
    assert "µmol/L" in text  # the unit shown (its UCUM code is in the value table, on request)
    assert "No results in these days" in text  # creatinine: none recorded
    assert "Values as a table" in text
    assert any(f"today is day +{day}" in text for day in range(first, last + 1))
    assert 'id="alerts"' in text and "No alerts." in text
    assert "D-UNREL-9" in text and "matched unrelated" in text
    assert "A*01:01+A*03:01" in text and "A*01:01+A*02:01" in text
    assert "Follow-up visit" in text


def _table_links(text: str) -> dict[str, str]:
    """The record page's value-table URLs by chart key (the ``hx-get`` of each "Values as a table")."""
    links = dict(re.findall(r'<details class="values" hx-get="(/patients/\d+/episodes/\d+/labs/([a-z-]+)[^"]*)"', text))
    return {key: url for url, key in links.items()}


def test_value_tables_come_on_request_with_a_link_that_works_without_javascript(
    as_role: Callable[..., TestClient], registry: Registry
) -> None:
    client = as_role(Role.PHYSICIAN)
    page = client.get(f"/patients/{registry.ann}").text
    links = _table_links(page)
    assert set(links) == {"anc", "platelets", "bilirubin", "cmv-copies"}  # creatinine: no values, no table
    assert f'<a href="{links["bilirubin"]}">Open the table of the 31 values</a>' in page
    assert "<tbody>\n  <tr" not in page  # no value rows in the page itself
    fragment = client.get(links["bilirubin"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "µmol/L" in fragment.text and "umol/L" in fragment.text  # the unit shown and its UCUM code
    assert fragment.text.count("<tr") == 1 + 31  # the header and day -5 to +25
    whole = client.get(links["bilirubin"])
    assert whole.text.startswith("<!doctype html>") and fragment.text.strip() in whole.text
    assert f'href="/patients/{registry.ann}"' in whole.text


def test_anc_table_marks_values_below_the_threshold(as_role: Callable[..., TestClient], registry: Registry) -> None:
    client = as_role(Role.NURSE)
    links = _table_links(client.get(f"/patients/{registry.ann}").text)
    table = client.get(links["anc"], headers={"HX-Request": "true"}).text
    assert table.count('<tr class="below-threshold">') == 19  # ANC 0.2 from day -5 to +13


def test_value_table_follows_the_window(as_role: Callable[..., TestClient], registry: Registry) -> None:
    client = as_role(Role.NURSE)
    links = _table_links(client.get(f"/patients/{registry.ann}?window=all").text)
    assert links["anc"].endswith("?window=all")
    assert "Whole course" in client.get(links["anc"]).text


def test_a_value_table_is_not_an_identifying_read(as_role: Callable[..., TestClient], registry: Registry) -> None:
    client = as_role(Role.PHYSICIAN)
    links = _table_links(client.get(f"/patients/{registry.ann}").text)
    before = _reads(registry.engine)
    for url in links.values():
        answer = client.get(url)
        assert answer.status_code == 200
        assert "Examplewoman" not in answer.text and "MRN-70001" not in answer.text
    assert _reads(registry.engine) == before


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/patients/{ann}/episodes/{episode}/labs/sodium", id="unknown-chart"),
        pytest.param("/patients/{bob}/episodes/{episode}/labs/anc", id="episode-of-another-patient"),
        pytest.param("/patients/{ann}/episodes/999999/labs/anc", id="unknown-episode"),
    ],
)
def test_value_table_of_nothing_is_404(as_role: Callable[..., TestClient], registry: Registry, path: str) -> None:
    client = as_role(Role.NURSE)
    episode = re.search(r"/episodes/(\d+)/", client.get(f"/patients/{registry.ann}").text)
    assert episode is not None
    url = path.format(ann=registry.ann, bob=registry.bob, episode=episode.group(1))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [pytest.param(Role.RESEARCHER, id="researcher"), pytest.param(Role.ADMIN, id="admin")])
def test_roles_without_patient_read_get_no_value_table(
    as_role: Callable[..., TestClient], registry: Registry, role: Role
) -> None:
    links = _table_links(as_role(Role.NURSE).get(f"/patients/{registry.ann}").text)
    assert as_role(role).get(links["anc"]).status_code == 403


def test_cmv_log_chart_marks_undetected_values(as_role: Callable[..., TestClient], registry: Registry) -> None:
    text = as_role(Role.PHYSICIAN).get(f"/patients/{registry.ann}").text
    assert "day-chart__point--below" in text


def test_whole_course_window(as_role: Callable[..., TestClient], registry: Registry) -> None:
    text = as_role(Role.NURSE).get(f"/patients/{registry.ann}?window=all").text
    assert '<span aria-current="true">Whole course</span>' in text


def test_no_inline_styles_or_scripts(as_role: Callable[..., TestClient], registry: Registry) -> None:
    client = as_role(Role.NURSE)
    for path in ("/patients", f"/patients/{registry.ann}"):
        text = client.get(path).text
        assert "style=" not in text
        assert re.search(r"<script(?![^>]*\bsrc=)", text) is None
        assert re.search(r"<[^>]+\son[a-z]+=", text) is None


def test_pages_in_simplified_chinese(as_role: Callable[..., TestClient], registry: Registry) -> None:
    client = as_role(Role.NURSE, locale="zh_Hans")
    listing = client.get("/patients").text
    assert 'lang="zh-Hans"' in listing
    assert "患者" in listing
    record = client.get(f"/patients/{registry.ann}").text
    assert "中性粒细胞" in record
    assert "1970年5月17日" in record
    assert "<td>疾病稳定</td>" in record and "stable disease" not in record  # disease status at transplant


def test_alert_providers_fill_the_alerts_region(as_role: Callable[..., TestClient], registry: Registry) -> None:
    def low_counts(context: AlertContext) -> list[Alert]:
        return [Alert(AlertSeverity.DANGER, f"ANC low for patient {context.patient_id}", source="monitoring")]

    def broken(context: AlertContext) -> list[Alert]:
        raise RuntimeError("monitor down")

    register_alert_provider(low_counts)
    register_alert_provider(broken)
    try:
        text = as_role(Role.NURSE).get(f"/patients/{registry.ann}").text
    finally:
        unregister_alert_provider(low_counts)
        unregister_alert_provider(broken)
    assert f"ANC low for patient {registry.ann}" in text
    assert "notice--danger" in text
    assert "An alert source could not be read" in text


def test_the_record_links_to_risk_assessment_and_donor_search_by_role(
    as_role: Callable[..., TestClient], registry: Registry
) -> None:
    physician = as_role(Role.PHYSICIAN).get(f"/patients/{registry.ann}").text
    assert re.search(r'href="/episodes/\d+/risk"', physician)
    assert f'href="/donor-search?patient_id={registry.ann}"' in physician
    nurse = as_role(Role.NURSE).get(f"/patients/{registry.ann}").text
    assert not re.search(r'href="/episodes/\d+/risk"', nurse) and "/donor-search?" not in nurse


@pytest.mark.parametrize(
    ("locale", "lang"), [pytest.param(None, "en", id="english"), pytest.param("zh_Hans", "zh", id="chinese")]
)
def test_each_transplant_links_the_risk_explanation_in_the_page_language(
    as_role: Callable[..., TestClient], registry: Registry, locale: str | None, lang: str
) -> None:
    client = as_role(Role.PHYSICIAN, locale=locale) if locale else as_role(Role.PHYSICIAN)
    page = client.get(f"/patients/{registry.ann}").text
    links = re.findall(r'href="(/api/episodes/(\d+)/risk-report\?format=(pdf|html)&amp;lang=([a-z]+))"', page)
    assert {(fmt, language) for _, _, fmt, language in links} == {("pdf", lang), ("html", lang)}
    html_link = next(url for url, _, fmt, _ in links if fmt == "html").replace("&amp;", "&")
    document = client.get(html_link)  # the page's own session reaches the document
    assert document.status_code == 200, document.text[:300]
    assert document.headers["content-type"].startswith("text/html")
    assert document.headers["X-Document-Hash"]
