"""The served OpenAPI document says how to authenticate: the two schemes Engraft accepts, required on every
operation that is not public and on none that is; and a bearer token sent as the scheme says is accepted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engraft.access import Permission, Role
from engraft.api.app import create_app
from engraft.api.auth import CSRF_HEADER, SESSION_COOKIE
from tests.auth_clients import TEST_ACCOUNT_POLICY, signed_in_client

HTTPS = "https://testserver"


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return create_app(engine, migrate=False, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY)


@pytest.fixture
def served(app: FastAPI) -> Iterator[dict[str, Any]]:
    with TestClient(app, base_url=HTTPS) as client:
        answer = client.get("/openapi.json")
        assert answer.status_code == 200
        yield answer.json()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_the_document_declares_the_bearer_and_cookie_schemes(served: dict[str, Any]) -> None:
    schemes = served["components"]["securitySchemes"]
    bearer = [s for s in schemes.values() if s["type"] == "http"]
    cookie = [s for s in schemes.values() if s["type"] == "apiKey"]
    assert len(schemes) == 2 and len(bearer) == 1 and len(cookie) == 1, schemes
    assert bearer[0]["scheme"] == "bearer"
    assert cookie[0]["in"] == "cookie" and cookie[0]["name"] == SESSION_COOKIE
    assert CSRF_HEADER in cookie[0]["description"]


def test_every_non_public_operation_requires_a_scheme_and_no_public_one_does(served: dict[str, Any]) -> None:
    schemes = set(served["components"]["securitySchemes"])
    operations = _operations(served)
    public = {key for key, op in operations.items() if op["x-permission"] == Permission.PUBLIC.value}
    assert ("POST", "/api/auth/sign-in") in public and ("GET", "/api/health") in public
    assert len(operations) - len(public) > 30
    wrong = []
    for key, operation in operations.items():
        security = operation.get("security")
        if key in public:
            if security:  # absent, or an empty list (no requirement)
                wrong.append(f"{key} is public but requires {security}")
        elif security is None or {name for requirement in security for name in requirement} != schemes:
            wrong.append(f"{key} needs {operation['x-permission']} but its security is {security}")
        elif any(len(requirement) != 1 for requirement in security):
            wrong.append(f"{key}: each requirement must name one scheme (either will do): {security}")
    assert not wrong, "\n".join(wrong)
    assert "security" not in served, "no document-wide requirement: public operations need none"


def test_a_bearer_token_sent_as_the_scheme_says_is_accepted(app: FastAPI, served: dict[str, Any]) -> None:
    bearer = next(s for s in served["components"]["securitySchemes"].values() if s["type"] == "http")
    with signed_in_client(app, Role.ADMIN) as admin:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
        issued = admin.post("/api/admin/tokens", json={"name": "lab-feed", "role": "nurse", "expires_at": expires})
        assert issued.status_code == 201, issued.text
        secret = issued.json()["secret"]
    with TestClient(app, base_url=HTTPS) as machine:
        assert machine.get("/api/patients").status_code == 401
        header = f"{bearer['scheme'].capitalize()} {secret}"  # RFC 6750: "Authorization: Bearer <token>"
        answer = machine.get("/api/patients", headers={"Authorization": header})
        assert answer.status_code == 200, answer.text
        assert machine.get("/api/auth/me", headers={"Authorization": header}).json()["role"] == "nurse"
