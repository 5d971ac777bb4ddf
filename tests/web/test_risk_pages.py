"""Risk pages with signed-in clients: the instruments (any role), an episode's risk profile (risk.assess, CSRF)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Role, allows
from engraft.access.permissions import Permission
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.scores.catalog import CATALOG
from engraft.web.application import add_pages
from engraft.web.forms import build_form, form_values
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client
from tests.outcomes.test_registry_endpoints import small_registry
from tests.scores.test_catalog import EXAMPLES

HTML = {"accept": "text/html"}
_names = itertools.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("risk-pages") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    application.state.episodes = small_registry(application.state.registry)
    return application


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[object]:
    opened: list[object] = []

    def make(role: Role) -> SignedInClient:
        context = signed_in_client(app, role, f"risk{next(_names)}.{role.value.replace('_', '-')}")
        client = context.__enter__()
        opened.append(context)
        return client

    yield make
    for context in opened:
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_open_the_instruments(client_for: object, role: Role) -> None:
    client = client_for(role)  # type: ignore[operator]
    page = client.get("/risk", headers=HTML)
    assert page.status_code == 200
    assert all(f'href="/risk/{name}"' in page.text for name in CATALOG)


def test_anonymous_is_sent_to_sign_in(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as client:
        answer = client.get("/risk/hct-ci", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize("name", list(CATALOG))
def test_each_instrument_page_renders_its_form_and_runs_an_example(client_for: object, name: str) -> None:
    client = client_for(Role.NURSE)  # type: ignore[operator]
    page = client.get(f"/risk/{name}", headers=HTML)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    entry = CATALOG[name]
    values = form_values(build_form(entry.input_model), entry.input_model.model_validate(EXAMPLES[name]))
    answer = client.post(f"/risk/{name}", data={**values, "csrf_token": client.csrf_token}, headers=HTML)
    assert answer.status_code == 200, answer.text[-2000:]
    expected = entry.run(EXAMPLES[name])
    assert f"Result: {expected.instrument}" in answer.text
    assert 'class="verification verification--' in answer.text or not expected.components


def test_invalid_input_is_shown_beside_the_field(client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    answer = client.post("/risk/karnofsky", data={"score": "85", "csrf_token": client.csrf_token}, headers=HTML)
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and "Please correct the form" in answer.text


def test_add_a_row_adds_a_row_and_runs_nothing(client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    answer = client.post(
        "/risk/conditioning-intensity",
        data={"agents._rows": "3", "add_row": "agents", "csrf_token": client.csrf_token},
        headers=HTML,
    )
    assert answer.status_code == 200
    assert 'name="agents.3.agent"' in answer.text and "Result:" not in answer.text


def test_the_page_is_translated(client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    client.cookies.set("engraft_lang", "zh_Hans")
    page = client.get("/risk/hct-ci", headers=HTML)
    assert "风险评估" in page.text and "合并症条目" in page.text


@pytest.mark.parametrize("role", list(Role))
def test_episode_risk_profile_needs_risk_assess(client_for: object, app: FastAPI, role: Role) -> None:
    client = client_for(role)  # type: ignore[operator]
    episode = app.state.episodes["a"]
    page = client.get(f"/episodes/{episode}/risk", headers=HTML)
    assert page.status_code == (200 if allows(role, Permission.RISK_ASSESS) else 403)


def test_episode_risk_profile_runs_and_stores(client_for: object, app: FastAPI) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["b"]
    data = {"performance_score": "80", "csrf_token": client.csrf_token}
    answer = client.post(f"/episodes/{episode}/risk", data=data, headers=HTML)
    assert answer.status_code == 200, answer.text[-2000:]
    assert "Result: karnofsky" in answer.text
    assert "Not applicable" in answer.text and "no comorbidity data given" in answer.text
    stored = app.state.registry.list_assessments(episode_id=episode).items
    assert "karnofsky" in {a.instrument for a in stored}
    again = client.get(f"/episodes/{episode}/risk", headers=HTML)
    assert "Stored assessments" in again.text and "karnofsky" in again.text


def test_episode_risk_profile_without_csrf_token_is_refused(client_for: object, app: FastAPI) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    del client.headers["X-CSRF-Token"]
    episode = app.state.episodes["c"]
    before = len(app.state.registry.list_assessments(episode_id=episode).items)
    answer = client.post(f"/episodes/{episode}/risk", data={"performance_score": "80"}, headers=HTML)
    assert answer.status_code == 403
    wrong = client.post(
        f"/episodes/{episode}/risk", data={"performance_score": "80", "csrf_token": "not-the-token"}, headers=HTML
    )
    assert wrong.status_code == 403
    assert len(app.state.registry.list_assessments(episode_id=episode).items) == before


def test_unknown_episode_and_instrument_are_404(client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    assert client.get("/episodes/999999/risk", headers=HTML).status_code == 404
    assert client.get("/risk/astrology", headers=HTML).status_code == 404
