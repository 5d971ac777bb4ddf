"""The outcomes page with signed-in clients: who may open it, what it shows (aggregates only), downloads."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI

from engraft.access import Permission, Role, allows
from engraft.api.app import create_app
from engraft.registry.database import make_engine
from engraft.web.application import add_pages
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client
from tests.outcomes.test_registry_endpoints import small_registry

HTML = {"accept": "text/html"}
_names = itertools.count()
ClientFor = Callable[[Role], SignedInClient]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("outcomes-page") / "engraft.db"
    application = add_pages(
        create_app(make_engine(f"sqlite:///{path}"), validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)
    )
    small_registry(application.state.registry)
    return application


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    with ExitStack() as stack:

        def make(role: Role) -> SignedInClient:
            name = f"oc{next(_names)}.{role.value.replace('_', '-')}"
            return stack.enter_context(signed_in_client(app, role, name))

        yield make


@pytest.mark.parametrize("role", list(Role))
def test_only_roles_with_outcomes_read_may_open_it(client_for: ClientFor, role: Role) -> None:
    client = client_for(role)
    expected = 200 if allows(role, Permission.OUTCOMES_READ) else 403
    assert client.get("/outcomes", headers=HTML).status_code == expected
    assert client.get("/outcomes/download/curves/csv").status_code == expected


def test_the_researcher_sees_estimates_and_no_identifying_data(client_for: ClientFor, app: FastAPI) -> None:
    page = client_for(Role.RESEARCHER).get("/outcomes?group_by=transplant_type", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert "Numbers at risk" in html and "Estimates" in html and "Transplant activity" in html
    assert "log-rank test across groups" in html
    assert 'src="/outcomes/download/curves/svg?group_by=transplant_type"' in html
    patients = app.state.registry.list_patients(limit=50, offset=0, include_identity=True).items
    assert patients
    for patient in patients:
        assert patient.registry_id not in html
        assert patient.birth_date.isoformat() not in html
        for value in patient.identity.model_dump().values() if patient.identity else ():
            assert not isinstance(value, str) or value not in html


def test_a_competing_endpoint_shows_cumulative_incidence(client_for: ClientFor) -> None:
    page = client_for(Role.DATA_MANAGER).get("/outcomes?endpoint=relapse&cause=2", headers=HTML)
    assert page.status_code == 200 and "Competing events" in page.text


def test_a_bad_choice_is_shown_not_crashed(client_for: ClientFor) -> None:
    page = client_for(Role.PHYSICIAN).get("/outcomes?centre=C%201&group_by=shoe_size", headers=HTML)
    assert page.status_code == 422
    assert "<code>centre</code>" in page.text and "<code>group_by</code>" in page.text


def test_a_centre_without_transplants_says_so(client_for: ClientFor) -> None:
    page = client_for(Role.PHYSICIAN).get("/outcomes?centre=NOWHERE", headers=HTML)
    assert page.status_code == 200 and "No answer for this selection" in page.text


@pytest.mark.parametrize(
    ("path", "media_type", "filename", "magic"),
    [
        pytest.param("curves/png", "image/png", "engraft-os.png", b"\x89PNG", id="curves-png"),
        pytest.param("curves/svg", "image/svg+xml", "engraft-os.svg", b"<?xml", id="curves-svg"),
        pytest.param("curves/csv", "text/csv; charset=utf-8", "engraft-os.csv", b"group,time,", id="curves-csv"),
        pytest.param("activity/png", "image/png", "engraft-activity.png", b"\x89PNG", id="activity-png"),
        pytest.param("activity/svg", "image/svg+xml", "engraft-activity.svg", b"<?xml", id="activity-svg"),
        pytest.param(
            "activity/csv", "text/csv; charset=utf-8", "engraft-activity.csv", b"centre,year,", id="activity-csv"
        ),
        pytest.param(
            "activity-by-indication/csv",
            "text/csv; charset=utf-8",
            "engraft-activity-by-indication.csv",
            b"centre,year,indication",
            id="activity-by-indication-csv",
        ),
        pytest.param("benchmark/png?n_bootstrap=200", "image/png", "engraft-benchmark.png", b"\x89PNG", id="bench-png"),
        pytest.param(
            "benchmark/svg?n_bootstrap=200", "image/svg+xml", "engraft-benchmark.svg", b"<?xml", id="bench-svg"
        ),
        pytest.param(
            "benchmark/csv?n_bootstrap=200",
            "text/csv; charset=utf-8",
            "engraft-benchmark.csv",
            b"centre,",
            id="bench-csv",
        ),
    ],
)
def test_downloads(client_for: ClientFor, path: str, media_type: str, filename: str, magic: bytes) -> None:
    answer = client_for(Role.RESEARCHER).get(f"/outcomes/download/{path}")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == media_type
    assert answer.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert answer.content.startswith(magic) and len(answer.content) > 100


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("curves/gif", 404, id="unknown-format"),
        pytest.param("patients/csv", 404, id="unknown-download"),
        pytest.param("activity-by-indication/png", 400, id="table-as-figure"),
        pytest.param("curves/png?centre=NOWHERE", 404, id="nothing-to-draw"),
        pytest.param("curves/png?n_bootstrap=5", 400, id="bad-choice"),
    ],
)
def test_download_refusals(client_for: ClientFor, path: str, status: int) -> None:
    assert client_for(Role.RESEARCHER).get(f"/outcomes/download/{path}", headers=HTML).status_code == status


def test_the_benchmark_fragment_and_page(client_for: ClientFor) -> None:
    client = client_for(Role.DATA_MANAGER)
    fragment = client.get("/outcomes/benchmark?n_bootstrap=200", headers={**HTML, "hx-request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Centre benchmark" in fragment.text
    page = client.get("/outcomes/benchmark?n_bootstrap=200", headers=HTML)
    assert page.status_code == 200 and "<html" in page.text
