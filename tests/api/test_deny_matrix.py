"""Who may call what: every operation of the served OpenAPI document, for nobody and for every role.

:data:`DECLARED` is the one table of what each operation needs; it is written out here, by hand, and checked
three ways: it must name exactly the operations the server serves (a new route missing here fails), it must
agree with the permission each route declares (``x-permission``), and for every operation x {anonymous, each
role} the server must answer 401 (nobody signed in), 403 (the role lacks the permission) or neither (allowed:
the request gets past authorisation, to whatever the route then says about the dummy request).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engraft.access import ROLE_PERMISSIONS, Permission, Role, allows
from engraft.api.app import create_app
from engraft.api.auth import declare_permissions, require
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.scores.catalog import CATALOG
from tests.auth_clients import TEST_ACCOUNT_POLICY, SignedInClient, signed_in_client

P = Permission
_REGISTRY = {
    "centres": (P.CENTRE_WRITE, P.SIGNED_IN, None, None),
    "patients": (P.PATIENT_WRITE, P.PATIENT_IDENTITY_READ, P.PATIENT_IDENTITY_READ, P.PATIENT_WRITE),
    "diagnoses": (P.PATIENT_WRITE, P.PATIENT_READ, P.PATIENT_READ, P.PATIENT_WRITE),
    "donors": (P.DONOR_WRITE, P.DONOR_READ, P.DONOR_READ, P.DONOR_WRITE),
    "episodes": (P.PATIENT_WRITE, P.PATIENT_READ, P.PATIENT_READ, P.PATIENT_WRITE),
    "events": (P.PATIENT_WRITE, P.PATIENT_READ, P.PATIENT_READ, P.PATIENT_WRITE),
    "follow-ups": (P.PATIENT_WRITE, P.PATIENT_READ, P.PATIENT_READ, P.PATIENT_WRITE),
}
_ID = {
    "patients": "patient_id",
    "diagnoses": "diagnosis_id",
    "donors": "donor_id",
    "episodes": "episode_id",
    "events": "event_id",
    "follow-ups": "visit_id",
}


def _declared() -> dict[tuple[str, str], Permission]:
    table: dict[tuple[str, str], Permission] = {
        ("GET", "/api/health"): P.PUBLIC,
        ("GET", "/api/health/ready"): P.PUBLIC,
        ("POST", "/api/auth/sign-in"): P.PUBLIC,
        ("POST", "/api/auth/sign-out"): P.SIGNED_IN,
        ("GET", "/api/auth/me"): P.SIGNED_IN,
        ("POST", "/api/auth/password"): P.SIGNED_IN,
        ("POST", "/api/auth/totp"): P.SIGNED_IN,
        ("POST", "/api/auth/totp/confirm"): P.SIGNED_IN,
        ("GET", "/api/scores"): P.SIGNED_IN,
        ("POST", "/api/episodes/{episode_id}/risk-profile"): P.RISK_ASSESS,
        ("GET", "/api/assessments"): P.PATIENT_READ,
        ("GET", "/api/episodes/{episode_id}/risk-report"): P.PATIENT_READ,
        ("POST", "/api/episodes/{episode_id}/consent-records"): P.PATIENT_WRITE,
        ("GET", "/api/episodes/{episode_id}/consent-records"): P.PATIENT_READ,
        ("POST", "/api/observations/bulk"): P.OBSERVATION_WRITE,
        ("POST", "/api/fhir"): P.OBSERVATION_WRITE,
        ("GET", "/api/observations"): P.PATIENT_READ,
        ("GET", "/api/alerts"): P.PATIENT_READ,
        ("GET", "/api/alerts/{alert_id}"): P.PATIENT_READ,
        ("POST", "/api/alerts/{alert_id}/acknowledge"): P.ALERT_MANAGE,
        ("POST", "/api/alerts/{alert_id}/resolve"): P.ALERT_MANAGE,
        ("POST", "/api/episodes/{episode_id}/monitoring/evaluate"): P.OBSERVATION_WRITE,
        ("POST", "/api/donor-search"): P.DONOR_SEARCH,
        ("POST", "/api/donor-search/saved"): P.DONOR_SEARCH,
        ("GET", "/api/donor-search/saved"): P.DONOR_SEARCH,
        ("GET", "/api/donor-search/saved/{search_id}"): P.DONOR_SEARCH,
        ("GET", "/api/donor-search/saved/{search_id}/report"): P.DONOR_SEARCH,
        ("GET", "/api/audit"): P.AUDIT_READ,
        ("GET", "/api/audit.csv"): P.AUDIT_READ,
        ("GET", "/api/research/patients"): P.RESEARCH_READ,
        ("GET", "/api/research/episodes"): P.RESEARCH_READ,
        ("GET", "/api/admin/users"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/users"): P.ACCOUNTS_MANAGE,
        ("PATCH", "/api/admin/users/{user_id}"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/users/{user_id}/disable"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/users/{user_id}/reset-password"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/users/{user_id}/reset-2fa"): P.ACCOUNTS_MANAGE,
        ("GET", "/api/admin/tokens"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/tokens"): P.ACCOUNTS_MANAGE,
        ("POST", "/api/admin/tokens/{token_id}/revoke"): P.ACCOUNTS_MANAGE,
    }
    for name in ("endpoints", "survival", "cif", "grfs", "compare", "benchmark", "activity"):
        table[("GET", f"/api/outcomes/{name}")] = P.OUTCOMES_READ
    for name in ("multistate", "rmst", "cox", "finegray"):
        table[("POST", f"/api/outcomes/{name}")] = P.OUTCOMES_READ
    for name in CATALOG:
        table[("GET", f"/api/scores/{name}")] = P.SIGNED_IN
        table[("POST", f"/api/scores/{name}")] = P.SIGNED_IN
    for resource, (create, list_, read, update) in _REGISTRY.items():
        table[("POST", f"/api/{resource}")] = create
        table[("GET", f"/api/{resource}")] = list_
        if read is not None and update is not None:
            table[("GET", f"/api/{resource}/{{{_ID[resource]}}}")] = read
            table[("PATCH", f"/api/{resource}/{{{_ID[resource]}}}")] = update
    return table


DECLARED = _declared()
"""(method, OpenAPI path) -> the permission the operation needs. The expectation, written independently."""
WHO: tuple[Role | None, ...] = (None, *Role)


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    from engraft.registry.database import make_engine

    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('deny') / 'engraft.db'}")
    return create_app(engine, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)


@pytest.fixture(scope="module")
def clients(matrix_app: FastAPI) -> Iterator[dict[Role | None, TestClient]]:
    opened: dict[Role | None, TestClient] = {}
    contexts = []
    for role in Role:
        context = signed_in_client(matrix_app, role, f"matrix.{role.value.replace('_', '-')}")
        contexts.append(context)
        opened[role] = context.__enter__()
    anonymous = TestClient(matrix_app, base_url="https://testserver")
    opened[None] = anonymous.__enter__()
    try:
        yield opened
    finally:
        anonymous.__exit__(None, None, None)
        for context in reversed(contexts):
            context.__exit__(None, None, None)


def _operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


def test_the_table_names_exactly_the_served_operations(matrix_app: FastAPI) -> None:
    served = set(_operations(matrix_app))
    missing = sorted(served - set(DECLARED))
    stale = sorted(set(DECLARED) - served)
    assert not missing, f"operations without a declared permission in DECLARED: {missing}"
    assert not stale, f"DECLARED names operations the server does not serve: {stale}"


def test_each_route_declares_the_tables_permission(matrix_app: FastAPI) -> None:
    declared_by_routes = {key: op.get("x-permission") for key, op in _operations(matrix_app).items()}
    differences = {
        key: (declared_by_routes[key], DECLARED[key].value)
        for key in DECLARED
        if key in declared_by_routes and declared_by_routes[key] != DECLARED[key].value
    }
    assert not differences, f"route declares (left) vs table (right): {differences}"


def test_hidden_routes_declare_a_permission_too(matrix_app: FastAPI) -> None:
    """Every /api route, in the OpenAPI document or not, is in the app's route -> permission table."""
    table: dict[tuple[str, str], Permission] = matrix_app.state.route_permissions
    assert ("GET", "/api/scores/{name}") in table and table[("GET", "/api/scores/{name}")] is P.SIGNED_IN
    assert table[("GET", "/api/alerts/stream")] is P.PATIENT_READ


@pytest.mark.parametrize("who", [None, *(r for r in Role if not allows(r, P.PATIENT_READ))], ids=str)
def test_the_alert_stream_is_refused_without_patient_read(
    clients: dict[Role | None, TestClient], who: Role | None
) -> None:
    """The stream is outside the OpenAPI document (an endless answer); its refusals are checked here, and a
    subscriber's events in tests/api/test_alert_stream.py."""
    assert clients[who].get("/api/alerts/stream").status_code == (401 if who is None else 403)


def _request(client: TestClient, method: str, path: str) -> int:
    url = path
    for name in ("patient_id", "diagnosis_id", "donor_id", "episode_id", "event_id", "visit_id", "user_id", "alert_id"):
        url = url.replace(f"{{{name}}}", str(MAX_RECORD_ID))
    url = url.replace("{token_id}", str(MAX_RECORD_ID))
    body: Any = [] if path == "/api/observations/bulk" else {}
    if method in ("GET", "HEAD"):
        return client.request(method, url).status_code
    return client.request(method, url, json=body).status_code


def _expected(role: Role | None, permission: Permission) -> str:
    if allows(role, permission):
        return "allowed"
    return "401" if role is None else "403"


def _seen(status: int) -> str:
    return str(status) if status in (401, 403) else "allowed"


@pytest.mark.parametrize("who", WHO, ids=lambda r: "anonymous" if r is None else r.value)
def test_deny_matrix(matrix_app: FastAPI, clients: dict[Role | None, TestClient], who: Role | None) -> None:
    """One role (or nobody) against every operation; sign-out goes last (it ends the session)."""
    client = clients[who]
    wrong = []
    operations = sorted(DECLARED.items(), key=lambda kv: kv[0][1] == "/api/auth/sign-out")
    for (method, path), permission in operations:
        status = _request(client, method, path)
        if _seen(status) != _expected(who, permission):
            wrong.append(
                f"{method} {path} needs {permission.value}: expected {_expected(who, permission)}, got {status}"
            )
    assert not wrong, "\n".join(wrong)
    if isinstance(client, SignedInClient):  # sign-out ended the session: the same client is now anonymous
        assert client.get("/api/auth/me").status_code == 401


def test_the_roles_table_in_the_docs_matches_the_policy() -> None:
    """docs/security.md's roles table says what ROLE_PERMISSIONS says, cell by cell."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| role |"))
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert sorted(columns) == sorted(p.value for p in Permission if p not in (P.PUBLIC, P.SIGNED_IN))
    for role, permissions in ROLE_PERMISSIONS.items():
        row = next((line for line in lines if line.startswith(f"| {role.value} |")), None)
        assert row is not None, f"docs/security.md has no row for role {role.value}"
        cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
        documented = {Permission(column) for column, cell in zip(columns, cells, strict=True) if cell == "x"}
        assert documented == permissions, f"{role.value}: docs {sorted(documented)} vs policy {sorted(permissions)}"


@pytest.mark.parametrize(
    ("dependencies", "accepted"),
    [
        pytest.param([], False, id="no-permission"),
        pytest.param([require(P.PATIENT_READ), require(P.AUDIT_READ)], False, id="two-permissions"),
        pytest.param([require(P.PATIENT_READ)], True, id="one-permission"),
    ],
)
def test_a_route_must_declare_exactly_one_permission(dependencies: list[Any], accepted: bool) -> None:
    router = APIRouter(prefix="/api/example")

    @router.get("/thing", dependencies=dependencies)
    def thing() -> dict[str, str]:  # pragma: no cover - never served
        return {}

    if accepted:
        assert declare_permissions([router]) == {("GET", "/api/example/thing"): P.PATIENT_READ}
    else:
        with pytest.raises(RuntimeError, match="/api/example/thing"):
            declare_permissions([router])
