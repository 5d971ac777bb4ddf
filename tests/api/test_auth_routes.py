"""Signing in over HTTP: the cookie, refusals that do not say which part was wrong, the lock, CSRF, tokens,
the first-use duties (password change, an administrator's second factor), and the researcher's pseudonyms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.access import Role
from engraft.api.app import create_app
from engraft.api.auth import CSRF_HEADER, SESSION_COOKIE, AuthSettings
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.audit import AuditAction
from engraft.registry.database import make_session_factory
from engraft.registry.models import AuditEntry
from tests.auth_clients import (
    TEST_ACCOUNT_POLICY,
    TEST_PASSWORD,
    accounts_of,
    create_account,
    sign_in,
    signed_in_client,
)

HTTPS = "https://testserver"


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return create_app(engine, migrate=False, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=HTTPS) as client:
        yield client


def _sign_in(client: TestClient, username: str, password: str, code: str | None = None) -> object:
    body = {"username": username, "password": password} | ({"code": code} if code else {})
    return client.post("/api/auth/sign-in", json=body)


def test_sign_in_sets_a_strict_http_only_secure_cookie(app: FastAPI, anonymous: TestClient) -> None:
    account = create_account(app, Role.NURSE)
    answer = anonymous.post("/api/auth/sign-in", json={"username": account.username, "password": TEST_PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Secure"):
        assert attribute.lower() in cookie.lower()
    body = answer.json()
    assert body["me"]["role"] == "nurse" and body["me"]["sees_identity"] is True
    assert anonymous.get("/api/auth/me").json()["csrf_token"] == body["csrf_token"]


def test_cookie_without_secure_only_when_configured(engine: Engine) -> None:
    app = create_app(
        engine,
        migrate=False,
        validate_hla=False,
        account_policy=TEST_ACCOUNT_POLICY,
        auth_settings=AuthSettings(secure_cookie=False),
    )
    account = create_account(app, Role.NURSE)
    with TestClient(app) as client:
        answer = client.post("/api/auth/sign-in", json={"username": account.username, "password": TEST_PASSWORD})
    assert "secure" not in answer.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("test.nurse", "wrong password 1", id="wrong-password"),
        pytest.param("nobody.here", TEST_PASSWORD, id="unknown-user"),
    ],
)
def test_bad_credentials_get_the_same_401(app: FastAPI, anonymous: TestClient, username: str, password: str) -> None:
    create_account(app, Role.NURSE)
    answer = anonymous.post("/api/auth/sign-in", json={"username": username, "password": password})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "sign-in refused: the username, password or code is not right"
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_fifth_failure_locks_with_429_and_retry_after(app: FastAPI, anonymous: TestClient) -> None:
    account = create_account(app, Role.NURSE)
    for _ in range(4):
        assert _sign_in(anonymous, account.username, "wrong password 1").status_code == 401  # type: ignore[attr-defined]
    assert _sign_in(anonymous, account.username, "wrong password 1").status_code == 401  # type: ignore[attr-defined]
    locked = _sign_in(anonymous, account.username, TEST_PASSWORD)
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert 1 <= int(locked.headers["retry-after"]) <= 60  # type: ignore[attr-defined]


def test_anonymous_gets_401_with_www_authenticate(anonymous: TestClient) -> None:
    answer = anonymous.get("/api/patients")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["type"].endswith("/unauthenticated")


def test_researcher_gets_403_for_identity(app: FastAPI) -> None:
    with signed_in_client(app, Role.RESEARCHER) as researcher:
        answer = researcher.get("/api/patients/1", params={"include_identity": "true"})
    assert answer.status_code == 403
    assert "patient.identity.read" in answer.json()["detail"]


# ---- CSRF ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 403, id="no-token"),
        pytest.param({CSRF_HEADER: "not-the-token"}, 403, id="wrong-token"),
        pytest.param(None, 201, id="the-sessions-token"),
    ],
)
def test_state_change_with_the_cookie_needs_the_csrf_token(
    app: FastAPI, headers: dict[str, str] | None, status: int
) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        if headers is not None:
            del admin.headers[CSRF_HEADER]
            admin.headers.update(headers)
        answer = admin.post("/api/centres", json={"code": "C9", "name": "Nine", "country": "GB"})
    assert answer.status_code == status, answer.text
    if status == 403:
        assert "CSRF" in answer.json()["detail"]


def test_csrf_token_in_a_form_field_is_accepted(app: FastAPI) -> None:
    with signed_in_client(app, Role.NURSE) as nurse:
        del nurse.headers[CSRF_HEADER]
        refused = nurse.post("/api/auth/sign-out", data={"csrf_token": "wrong"})
        accepted = nurse.post("/api/auth/sign-out", data={"csrf_token": nurse.csrf_token})
    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert accepted.json() == {"signed_out": True}


def test_reads_need_no_csrf_token(app: FastAPI) -> None:
    with signed_in_client(app, Role.NURSE) as nurse:
        del nurse.headers[CSRF_HEADER]
        assert nurse.get("/api/auth/me").status_code == 200


def test_bearer_tokens_are_exempt_from_csrf_and_audited_by_name(app: FastAPI, engine: Engine) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
        issued = admin.post(
            "/api/admin/tokens", json={"name": "lab-feed", "role": "data_manager", "expires_at": expires}
        )
        assert issued.status_code == 201, issued.text
        secret = issued.json()["secret"]
        listed = admin.get("/api/admin/tokens").json()
    assert secret not in str(listed)
    with TestClient(app, base_url=HTTPS) as machine:
        machine.headers["Authorization"] = f"Bearer {secret}"
        created = machine.post("/api/patients", json={"centre": "NOPE", "sex": "female", "birth_date": "1970-01-01"})
        assert created.status_code == 422  # past authentication and CSRF, to the body check
        assert machine.get("/api/admin/users").status_code == 403
        machine.headers["Authorization"] = f"Bearer {secret}x"
        assert machine.get("/api/patients").status_code == 401


def test_revoked_token_gets_401(app: FastAPI) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
        issued = admin.post("/api/admin/tokens", json={"name": "lab", "role": "nurse", "expires_at": expires}).json()
        with TestClient(app, base_url=HTTPS) as machine:
            machine.headers["Authorization"] = f"Bearer {issued['secret']}"
            assert machine.get("/api/diagnoses").status_code == 200
            assert admin.post(f"/api/admin/tokens/{issued['token']['id']}/revoke").status_code == 200
            assert machine.get("/api/diagnoses").status_code == 401


def test_admin_cannot_issue_an_admin_token(app: FastAPI) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
        answer = admin.post("/api/admin/tokens", json={"name": "root", "role": "admin", "expires_at": expires})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "role"


# ---- first-use duties ------------------------------------------------------------------------
def test_new_account_must_change_its_one_time_password_first(app: FastAPI) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        made = admin.post(
            "/api/admin/users", json={"username": "dr.new", "display_name": "Dr New", "role": "physician"}
        )
        assert made.status_code == 201
        one_time = made.json()["one_time_password"]
    with TestClient(app, base_url=HTTPS) as doctor:
        answer = _sign_in(doctor, "dr.new", one_time)
        assert answer.json()["me"]["must_change_password"] is True  # type: ignore[attr-defined]
        doctor.headers[CSRF_HEADER] = answer.json()["csrf_token"]  # type: ignore[attr-defined]
        blocked = doctor.get("/api/diagnoses")
        assert blocked.status_code == 403 and "change your password" in blocked.json()["detail"]
        short = doctor.post("/api/auth/password", json={"current_password": one_time, "new_password": "x" * 11})
        assert short.status_code == 422
        changed = doctor.post(
            "/api/auth/password", json={"current_password": one_time, "new_password": "a new long password"}
        )
        assert changed.status_code == 200 and changed.json()["must_change_password"] is False
        assert doctor.get("/api/diagnoses").status_code == 200


def test_admin_must_set_up_a_second_factor_before_anything_else(app: FastAPI, engine: Engine) -> None:
    accounts = accounts_of(app)
    accounts.create_user(NewUser(username="root.ada", display_name="Ada", role=Role.ADMIN), TEST_PASSWORD)
    with TestClient(app, base_url=HTTPS) as admin:
        answer = _sign_in(admin, "root.ada", TEST_PASSWORD)
        admin.headers[CSRF_HEADER] = answer.json()["csrf_token"]  # type: ignore[attr-defined]
        assert answer.json()["me"]["needs_second_factor"] is True  # type: ignore[attr-defined]
        blocked = admin.get("/api/admin/users")
        assert blocked.status_code == 403 and "second factor" in blocked.json()["detail"]
        setup = admin.post("/api/auth/totp").json()
        assert setup["provisioning_uri"].startswith("otpauth://totp/Engraft:root.ada")
        wrong = admin.post("/api/auth/totp/confirm", json={"code": "12345x"})
        assert wrong.status_code == 422
        code = pyotp.TOTP(setup["secret"]).now()
        assert admin.post("/api/auth/totp/confirm", json={"code": code}).json()["needs_second_factor"] is False
        assert admin.get("/api/admin/users").status_code == 200
    with make_session_factory(engine)() as session:
        changes = list(
            session.scalars(select(AuditEntry.changes).where(AuditEntry.action == AuditAction.ACCOUNT_CHANGE))
        )
    assert {"second_factor": "enabled"} in changes


def test_sign_out_ends_the_session(app: FastAPI) -> None:
    with signed_in_client(app, Role.NURSE) as nurse:
        assert nurse.post("/api/auth/sign-out").json() == {"signed_out": True}
        assert nurse.get("/api/auth/me").status_code == 401


def test_audit_rows_name_the_signed_in_user(app: FastAPI, engine: Engine) -> None:
    with signed_in_client(app, Role.ADMIN, "admin.grace") as admin:
        assert admin.post("/api/centres", json={"code": "C7", "name": "Seven", "country": "GB"}).status_code == 201
    with make_session_factory(engine)() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "centre")).one()
    assert (entry.actor, entry.actor_role, entry.actor_id) == ("admin.grace", "admin", admin.account.user_id)
    assert entry.client_address == "testclient"


def test_admin_user_management(app: FastAPI) -> None:
    with signed_in_client(app, Role.ADMIN) as admin:
        made = admin.post("/api/admin/users", json={"username": "n.one", "display_name": "N One", "role": "nurse"})
        user_id = made.json()["user"]["id"]
        assert admin.patch(f"/api/admin/users/{user_id}", json={"role": "physician"}).json()["role"] == "physician"
        reset = admin.post(f"/api/admin/users/{user_id}/reset-password").json()
        assert len(reset["one_time_password"]) == 16
        assert admin.post(f"/api/admin/users/{user_id}/disable").json()["disabled"] is True
        own = admin.patch(f"/api/admin/users/{admin.account.user_id}", json={"disabled": True})
        assert own.status_code == 422
        names = [u["username"] for u in admin.get("/api/admin/users").json()]
    assert "n.one" in names
    with TestClient(app, base_url=HTTPS) as person:
        assert _sign_in(person, "n.one", reset["one_time_password"]).status_code == 401  # type: ignore[attr-defined]


# ---- research --------------------------------------------------------------------------------
def test_research_rows_are_pseudonymised_per_project(client: TestClient, seeded: dict[str, int]) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    with signed_in_client(app, Role.RESEARCHER) as researcher:
        first = researcher.get("/api/research/patients", params={"project": "alpha"}).json()["items"]
        again = researcher.get("/api/research/patients", params={"project": "alpha"}).json()["items"]
        other = researcher.get("/api/research/patients", params={"project": "beta"}).json()["items"]
        episodes = researcher.get("/api/research/episodes", params={"project": "alpha"}).json()["items"]
        assert researcher.get(f"/api/patients/{seeded['patient']}").status_code == 403
    assert first == again and first[0]["pseudonym"] != other[0]["pseudonym"]
    assert first[0]["birth_year"] == 1970 and "birth_date" not in first[0]
    text = str(first) + str(episodes)
    for identifying in ("Ann", "Example", "MRN-1", "1970-05-17", "ENG-"):
        assert identifying not in text
    assert episodes[0]["patient"] == first[0]["pseudonym"] and episodes[0]["age_at_transplant"] == 53


def test_sign_in_helper_is_the_real_route(app: FastAPI) -> None:
    account = create_account(app, Role.PHYSICIAN)
    with TestClient(app, base_url=HTTPS) as client:
        token = sign_in(client, account)
        assert client.get("/api/auth/me").json()["csrf_token"] == token
