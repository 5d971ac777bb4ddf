"""The episode's cell-therapy form: who may open and send it, what is stored (audited, the change announced to the
monitoring), the htmx fragment, what a bad or stale form gets, and the kind shown on the patient page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from engraft.access import Role
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.registry.episode_changes import EpisodeChanged
from engraft.registry.models import AuditEntry
from engraft.registry.schemas.episode import EpisodeUpdate
from engraft.vocabulary import CellTherapy
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient
from tests.outcomes.test_registry_endpoints import small_registry

HTML = {"accept": "text/html"}
IEC = CellTherapy.IMMUNE_EFFECTOR_CELLS.value
HCT = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT.value


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("episode-form") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    application.state.episodes = small_registry(application.state.registry)
    return application


def _form(client: SignedInClient, app: FastAPI, episode: int, therapy: str) -> dict[str, str]:
    version = app.state.registry.get_episode(episode).version
    return {"csrf_token": client.csrf_token, "version": str(version), "cell_therapy": therapy}


def test_a_physician_changes_the_cell_therapy_and_the_patient_page_shows_it(
    app: FastAPI, client_for: object, changes: list[EpisodeChanged]
) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["b"]
    record = app.state.registry.get_episode(episode)
    before = client.get(f"/patients/{record.patient_id}", headers=HTML)
    assert "<h3>Engraftment</h3>" in before.text  # a transplant's engraftment section
    page = client.get(f"/episodes/{episode}/edit", headers=HTML)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert f'value="{HCT}" checked' in page.text and "Recorded now: Haematopoietic cell transplant." in page.text
    answer = client.post(
        f"/episodes/{episode}/edit", data=_form(client, app, episode, IEC), headers=HTML, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/episodes/{episode}/edit?saved=1"
    stored = app.state.registry.get_episode(episode)
    assert stored.cell_therapy is CellTherapy.IMMUNE_EFFECTOR_CELLS and stored.version == record.version + 1
    assert changes == [EpisodeChanged(record.patient_id, episode, frozenset({"cell_therapy"}))]
    with Session(app.state.engine) as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "transplant episode", AuditEntry.entity_id == episode)
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None and entry.changes == {"cell_therapy": IEC} and entry.actor_role == "physician"
    saved = client.get(f"/episodes/{episode}/edit?saved=1", headers=HTML)
    assert "Stored: Immune effector cells (CAR-T)." in saved.text and f'value="{IEC}" checked' in saved.text
    patient = client.get(f"/patients/{record.patient_id}", headers=HTML)
    assert "Immune effector cell infusion 1: day 0 on" in patient.text
    assert '<span class="cell-therapy">immune effector cells (CAR-T)</span>' in patient.text
    assert f'href="/episodes/{episode}/edit"' in patient.text
    assert "<h3>Engraftment</h3>" not in patient.text  # counts after CAR-T are not engraftment


def test_with_htmx_only_the_form_is_replaced(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.DATA_MANAGER)  # type: ignore[operator]
    episode = app.state.episodes["c"]
    answer = client.post(
        f"/episodes/{episode}/edit",
        data=_form(client, app, episode, IEC),
        headers={**HTML, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="episode-form"') and "<html" not in answer.text
    assert "Stored: Immune effector cells (CAR-T)." in answer.text
    assert app.state.registry.get_episode(episode).cell_therapy is CellTherapy.IMMUNE_EFFECTOR_CELLS


def test_the_chinese_form_is_translated(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN, locale="zh_Hans")  # type: ignore[operator]
    episode = app.state.episodes["d"]
    page = client.get(f"/episodes/{episode}/edit", headers=HTML)
    assert page.status_code == 200
    assert "第 0 天输注的内容" in page.text and "免疫效应细胞（CAR-T）" in page.text and "保存更改" in page.text


@pytest.mark.parametrize(
    ("therapy", "stale", "status", "shown"),
    [
        pytest.param("CAR-T", False, 422, "Choose one of the kinds of cell therapy listed.", id="unknown-therapy"),
        pytest.param("", False, 422, "Choose one of the kinds of cell therapy listed.", id="nothing-chosen"),
        pytest.param(IEC, True, 409, "Someone changed this episode after you opened the form.", id="stale-version"),
    ],
)
def test_a_bad_or_stale_form_is_refused_and_nothing_is_stored(
    app: FastAPI,
    client_for: object,
    changes: list[EpisodeChanged],
    therapy: str,
    stale: bool,
    status: int,
    shown: str,
) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["a2"]
    form = _form(client, app, episode, therapy)  # the form as opened
    if stale:  # someone else changes the episode before it is sent
        current = app.state.registry.get_episode(episode)
        app.state.registry.update_episode(episode, EpisodeUpdate(version=current.version, viability_pct=91.0))
    before = app.state.registry.get_episode(episode)
    answer = client.post(f"/episodes/{episode}/edit", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == status and shown in answer.text
    after = app.state.registry.get_episode(episode)
    assert (after.cell_therapy, after.version) == (before.cell_therapy, before.version) and changes == []


@pytest.mark.parametrize(
    "role",
    [
        pytest.param(Role.NURSE, id="nurse"),
        pytest.param(Role.RESEARCHER, id="researcher"),
        pytest.param(Role.SEARCH_COORDINATOR, id="search-coordinator"),
    ],
)
def test_who_may_not_write_episodes_gets_neither_form_nor_link(app: FastAPI, client_for: object, role: Role) -> None:
    client = client_for(role)  # type: ignore[operator]
    episode = app.state.episodes["auto"]
    before = app.state.registry.get_episode(episode)
    assert client.get(f"/episodes/{episode}/edit", headers=HTML).status_code == 403
    answer = client.post(f"/episodes/{episode}/edit", data=_form(client, app, episode, IEC), headers=HTML)
    assert answer.status_code == 403
    assert app.state.registry.get_episode(episode).version == before.version
    patient = client.get(f"/patients/{before.patient_id}", headers=HTML)
    assert f'href="/episodes/{episode}/edit"' not in patient.text


def test_a_form_without_the_csrf_token_is_refused(app: FastAPI, client_for: object) -> None:
    client = client_for(Role.PHYSICIAN)  # type: ignore[operator]
    episode = app.state.episodes["auto"]
    del client.headers["X-CSRF-Token"]
    form = _form(client, app, episode, IEC)
    form.pop("csrf_token")
    answer = client.post(f"/episodes/{episode}/edit", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == 403
    assert app.state.registry.get_episode(episode).cell_therapy is CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT
