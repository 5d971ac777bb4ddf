"""The informed-consent page of an episode: who may see and record, what is stored, what a bad form gets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role, allows
from engraft.access.permissions import Permission
from engraft.api.app import create_app
from engraft.registry.consent_records import list_consent_records
from engraft.registry.database import make_engine
from engraft.reports.consent import ConsentDecision, ConsentParticipantRole
from engraft.web.application import add_pages
from engraft.web.pages.consent import MAX_PEOPLE_PER_ROLE, payload_of
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient
from tests.outcomes.test_registry_endpoints import small_registry

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("consent-pages") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    application.state.episodes = small_registry(application.state.registry)
    return application


def _form(client: SignedInClient, fingerprint: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": client.csrf_token,
        "document_version": "1",
        "document_language": "en",
        "document_hash": fingerprint,
        "explained_by": "Dr A. Example, attending physician",
        "explained_at": (dt.datetime.now() - dt.timedelta(hours=2))
        .replace(microsecond=0)
        .isoformat(timespec="minutes"),
        "people_patient": "1",
        "people_parent": "2",
        "interpreter_used": "yes",
        "interpreter_language": "Cantonese",
        "questions": "How long in hospital?\n\n  Can my sister be the donor?  \n",
        "decision": "consented",
        "notes": "Gave the printed document.",
    }
    form.update(changes)
    return form


def _fingerprint(client: SignedInClient, episode: int) -> str:
    answer = client.get(f"/api/episodes/{episode}/risk-report?lang=en")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["document_hash"])


def test_a_physician_records_an_explanation_and_it_is_stored_and_listed(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["b"]
    page = client.get(f"/episodes/{episode}/consent", headers=HTML)
    fingerprint = _fingerprint(client, episode)
    assert page.status_code == 200 and fingerprint in page.text and 'name="csrf_token"' in page.text
    answer = client.post(
        f"/episodes/{episode}/consent", data=_form(client, fingerprint), headers=HTML, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/episodes/{episode}/consent?recorded=1"
    records = list_consent_records(app.state.registry, episode)
    assert len(records) == 1
    record = records[0]
    assert record.document_hash == fingerprint and record.decision is ConsentDecision.CONSENTED
    roles = sorted(p.role.value for p in record.participants)
    assert roles == ["parent", "parent", "patient"]
    assert record.questions == ["How long in hospital?", "Can my sister be the donor?"]
    assert record.interpreter_language == "Cantonese"
    listed = client.get(f"/episodes/{episode}/consent?recorded=1", headers=HTML)
    assert "The consent record was stored." in listed.text and "Can my sister be the donor?" in listed.text
    patient = client.get(f"/patients/{records[0].patient_id}", headers=HTML)
    assert "1 record; last on" in patient.text and "Consented" in patient.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"people_patient": "0", "people_parent": "0"}, "participants", id="nobody-present"),
        pytest.param({"people_parent": str(MAX_PEOPLE_PER_ROLE + 1)}, "people_parent", id="count-above-limit"),
        pytest.param({"people_parent": "two"}, "people_parent", id="count-not-a-number"),
        pytest.param({"interpreter_language": ""}, "interpreter_language", id="interpreter-without-language"),
        pytest.param({"explained_at": "yesterday"}, "explained_at", id="time-not-a-time"),
        pytest.param({"document_hash": "abc"}, "document_hash", id="fingerprint-not-sha256"),
        pytest.param({"decision": "maybe"}, "decision", id="decision-not-offered"),
        pytest.param({"explained_by": ""}, "explained_by", id="nobody-explained"),
    ],
)
def test_a_bad_form_is_refused_naming_the_field_and_nothing_is_stored(
    app: FastAPI, client_for: object, changes: dict[str, str], field: str
) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["c"]
    before = len(list_consent_records(app.state.registry, episode))
    answer = client.post(
        f"/episodes/{episode}/consent", data=_form(client, "a" * 64, **changes), headers=HTML, follow_redirects=False
    )
    assert answer.status_code == 422
    assert f"<code>{field}</code>" in answer.text
    assert len(list_consent_records(app.state.registry, episode)) == before


def test_a_form_without_the_csrf_token_is_refused(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["d"]
    del client.headers["X-CSRF-Token"]
    form = _form(client, "b" * 64)
    form.pop("csrf_token")
    answer = client.post(f"/episodes/{episode}/consent", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == 403
    wrong = client.post(f"/episodes/{episode}/consent", data={**form, "csrf_token": "not-the-token"}, headers=HTML)
    assert wrong.status_code == 403
    assert list_consent_records(app.state.registry, episode) == []


@pytest.mark.parametrize("role", list(Role))
def test_who_may_read_and_who_may_record(app: FastAPI, client_for: object, role: Role) -> None:
    client = client_for(role)  # type: ignore[operator]
    episode = app.state.episodes["auto"]
    page = client.get(f"/episodes/{episode}/consent", headers=HTML, follow_redirects=False)
    assert page.status_code == (200 if allows(role, Permission.PATIENT_READ) else 403)
    if page.status_code == 200:
        assert ('action="/episodes/' in page.text) is allows(role, Permission.PATIENT_WRITE)
    answer = client.post(
        f"/episodes/{episode}/consent",
        data=_form(client, "c" * 64, people_parent="0"),
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == (303 if allows(role, Permission.PATIENT_WRITE) else 403)


def test_an_unknown_episode_is_a_404_page(client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    assert client.get("/episodes/999999/consent", headers=HTML).status_code == 404


def test_the_page_reads_in_chinese(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN, locale="zh_Hans")  # type: ignore[operator]
    page = client.get(f"/episodes/{app.state.episodes['a']}/consent", headers=HTML)
    assert page.status_code == 200
    for text in ("移植", "记录一次讲解", "在场人员", "保存知情同意记录", "同意"):
        assert text in page.text
    for english in ("Record an explanation", "People present", "Store the consent record"):
        assert english not in page.text


def test_every_role_count_becomes_that_many_participants() -> None:
    values = {f"people_{role.name.lower()}": "1" for role in ConsentParticipantRole}
    payload, errors = payload_of({**values, "explained_at": "2026-01-02T10:30"})
    assert errors == {}
    assert [p["role"] for p in payload["participants"]] == [r.value for r in ConsentParticipantRole]
    assert payload["explained_at"].startswith("2026-01-02T10:30")
    assert "interpreter_language" not in payload and "notes" not in payload
