"""Every write and every identifying read through the API leaves exactly one audit row naming the signed-in
user, their role and where the request came from; a write route missing from this test fails it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from engraft.access import Role
from engraft.registry.models import AuditEntry
from tests.auth_clients import TeamClient
from tests.database_fixtures import utc

Write = tuple[str, str, str, Callable[[dict[str, int]], Any], str, str]
"""(name, method, path template, body from the seeded ids, audited entity, audited action)."""

WRITES: list[Write] = [
    (
        "centre",
        "POST",
        "/api/centres",
        lambda s: {"code": "C2", "name": "Centre Two", "country": "DE"},
        "centre",
        "create",
    ),
    (
        "patient",
        "POST",
        "/api/patients",
        lambda s: {
            "centre": "C1",
            "sex": "male",
            "birth_date": "1980-02-03",
            "identity": {"given_name": "Bo", "family_name": "Sample", "mrn": "MRN-2"},
        },
        "patient",
        "create",
    ),
    (
        "patient-update",
        "PATCH",
        "/api/patients/{patient}",
        lambda s: {"version": 1, "weight_kg": 61},
        "patient",
        "update",
    ),
    (
        "diagnosis",
        "POST",
        "/api/diagnoses",
        lambda s: {
            "patient_id": s["patient"],
            "who_name": "B-lymphoblastic leukaemia",
            "icd10": "C91.0",
            "diagnosis_date": "2023-01-10",
        },
        "diagnosis",
        "create",
    ),
    (
        "diagnosis-update",
        "PATCH",
        "/api/diagnoses/{diagnosis}",
        lambda s: {"version": 1, "status_at_transplant": "CR2"},
        "diagnosis",
        "update",
    ),
    (
        "donor",
        "POST",
        "/api/donors",
        lambda s: {"donor_code": "D-2", "relation": "matched sibling", "age_years": 40, "sex": "female"},
        "donor",
        "create",
    ),
    ("donor-update", "PATCH", "/api/donors/{donor}", lambda s: {"version": 1, "age_years": 29}, "donor", "update"),
    (
        "episode",
        "POST",
        "/api/episodes",
        lambda s: {
            "patient_id": s["patient"],
            "diagnosis_id": s["diagnosis"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "day0": "2025-01-02",
        },
        "transplant episode",
        "create",
    ),
    (
        "episode-update",
        "PATCH",
        "/api/episodes/{episode}",
        lambda s: {"version": 1, "viability_pct": 95.5},
        "transplant episode",
        "update",
    ),
    (
        "event",
        "POST",
        "/api/events",
        lambda s: {
            "patient_id": s["patient"],
            "episode_id": s["episode"],
            "event_type": "acute GVHD",
            "event_date": "2024-05-30",
            "details": {"grade": 2, "skin_stage": 3},
        },
        "clinical event",
        "create",
    ),
    (
        "event-update",
        "PATCH",
        "/api/events/{event}",
        lambda s: {"version": 1, "details": {"grade": 3, "lower_gi_stage": 2}},
        "clinical event",
        "update",
    ),
    (
        "visit",
        "POST",
        "/api/follow-ups",
        lambda s: {
            "patient_id": s["patient"],
            "episode_id": s["episode"],
            "visit_date": "2024-08-09",
            "vital_status": "alive",
        },
        "follow-up visit",
        "create",
    ),
    (
        "visit-update",
        "PATCH",
        "/api/follow-ups/{visit}",
        lambda s: {"version": 1, "vital_status": "alive", "performance_scale": "karnofsky", "performance_score": 90},
        "follow-up visit",
        "update",
    ),
    (
        "observations",
        "POST",
        "/api/observations/bulk",
        lambda s: [
            {
                "patient_id": s["patient"],
                "episode_id": s["episode"],
                "observed_at": utc(2024, 5, 2 + n, 7),
                "loinc": "751-8",
                "value": 0.1 * n,
                "unit": "10*9/L",
                "source": "lab feed",
                "source_id": f"w-{n}",
            }
            for n in range(3)
        ],
        "observation",
        "bulk insert",
    ),
    (
        "fhir",
        "POST",
        "/api/fhir",
        lambda s: {
            "resourceType": "Bundle",
            "type": "transaction",
            "identifier": {"system": "urn:lab:bundles", "value": "audit-1"},
            "entry": [
                {
                    "resource": {
                        "resourceType": "Observation",
                        "identifier": [{"system": "urn:lab:results", "value": "audit-obs-1"}],
                        "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
                        "subject": {"identifier": {"system": "urn:engraft:mrn", "value": "MRN-1"}},
                        "effectiveDateTime": utc(2024, 5, 3, 7),
                        "valueQuantity": {"value": 18, "system": "http://unitsofmeasure.org", "code": "10*9/L"},
                    }
                }
            ],
        },
        "inbound message",
        "bulk insert",
    ),
    ("risk-profile", "POST", "/api/episodes/{episode}/risk-profile", lambda s: None, "assessment", "create"),
    # the ANC values above (days 1-3, never engrafted) raise alerts, among them an open one: no engraftment by day 28
    (
        "monitoring-evaluate",
        "POST",
        "/api/episodes/{episode}/monitoring/evaluate",
        lambda s: None,
        "monitoring evaluation",
        "update",
    ),
    (
        "alert-acknowledge",
        "POST",
        "/api/alerts/{alert}/acknowledge",
        lambda s: {"version": 1},
        "monitoring alert",
        "update",
    ),
    (
        "alert-resolve",
        "POST",
        "/api/alerts/{alert}/resolve",
        lambda s: {"version": 2, "note": "seen"},
        "monitoring alert",
        "update",
    ),
    (
        "consent-record",
        "POST",
        "/api/episodes/{episode}/consent-records",
        lambda s: {
            "document_hash": "a" * 64,
            "document_version": "1",
            "document_language": "zh",
            "explained_by": "Dr Demo, transplant physician",
            "explained_at": "2025-01-01T09:30:00+00:00",
            "participants": [{"role": "patient"}, {"role": "spouse or partner"}],
            "interpreter_used": True,
            "interpreter_language": "Cantonese",
            "questions": ["How long will I stay in hospital?"],
            "decision": "consented",
        },
        "consent record",
        "create",
    ),
]

READS_OR_COMPUTES = {
    # POST routes that compute or search and store no record (a trailing / : every path under it)
    "/api/scores/",
    "/api/donor-search",
    "/api/outcomes/multistate",  # analyses of the data sent; no registry record read or stored
    "/api/outcomes/rmst",
    "/api/outcomes/cox",
    "/api/outcomes/finegray",
}
AUDITED_ELSEWHERE = {
    # write routes whose audit row is checked where their fixtures are (a donor registry to search)
    "/api/donor-search/saved": "tests/api/test_saved_donor_searches.py",
}
ACCOUNT_ROUTES = "/api/auth/", "/api/admin/"
"""Account writes are audited by the accounts service: the administrator's are checked here (ADMIN_WRITES), a
person's own (sign-in, password, second factor) in tests/registry/test_accounts.py."""


def _in_a_month() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()


ADMIN_WRITES: list[Write] = [
    (
        "user",
        "POST",
        "/api/admin/users",
        lambda s: {"username": "kim.lee", "display_name": "Kim Lee", "role": "nurse"},
        "user account",
        "account change",
    ),
    (
        "user-update",
        "PATCH",
        "/api/admin/users/{user}",
        lambda s: {"role": "physician"},
        "user account",
        "account change",
    ),
    (
        "reset-password",
        "POST",
        "/api/admin/users/{user}/reset-password",
        lambda s: None,
        "user account",
        "account change",
    ),
    ("reset-2fa", "POST", "/api/admin/users/{user}/reset-2fa", lambda s: None, "user account", "account change"),
    ("disable", "POST", "/api/admin/users/{user}/disable", lambda s: None, "user account", "account change"),
    (
        "token",
        "POST",
        "/api/admin/tokens",
        lambda s: {"name": "lab-feed", "role": "data_manager", "expires_at": _in_a_month()},
        "api token",
        "token change",
    ),
    ("token-revoke", "POST", "/api/admin/tokens/{token}/revoke", lambda s: None, "api token", "token change"),
]
"""The administrator's account writes, in an order that works (later ones act on what earlier ones made)."""


def _rows_after(engine: Engine, last: int) -> list[AuditEntry]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)).all())


def _last(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0)


def test_every_write_route_is_covered(client: TestClient) -> None:
    written = {(m, p.split("{")[0]) for _, m, p, *_ in WRITES}
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method in operations:
            if path in AUDITED_ELSEWHERE:
                continue
            computes = path in READS_OR_COMPUTES or path.startswith(
                tuple(r for r in READS_OR_COMPUTES if r.endswith("/"))
            )
            if method == "get" or path.startswith(ACCOUNT_ROUTES) or computes:
                continue
            assert (method.upper(), path.split("{")[0]) in written, f"{method.upper()} {path} has no audit test"


def test_every_admin_write_route_is_covered(client: TestClient) -> None:
    written = {(m, p) for _, m, p, *_ in ADMIN_WRITES}
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method in operations:
            if method != "get" and path.startswith("/api/admin/"):
                assert (method.upper(), path.replace("{user_id}", "{user}").replace("{token_id}", "{token}")) in (
                    written
                ), f"{method.upper()} {path} has no audit test"


def test_each_admin_write_leaves_exactly_one_row_naming_the_administrator(client: TestClient, engine: Engine) -> None:
    assert isinstance(client, TeamClient)
    client.member(Role.ADMIN)  # the team's administrator signs in first (its own audit rows are not counted)
    made: dict[str, int] = {}
    for name, method, template, body, entity, action in ADMIN_WRITES:
        path, payload = template.format(**made), body(made)
        last = _last(engine)
        answer = client.request(method, path, json=payload) if payload is not None else client.request(method, path)
        assert answer.status_code in (200, 201), f"{name}: {answer.text}"
        rows = _rows_after(engine, last)
        assert [(r.entity, str(r.action)) for r in rows] == [(entity, action)], name
        assert rows[0].actor == "team.admin" and rows[0].actor_role == "admin", name
        assert rows[0].client_address == "testclient" and rows[0].user_agent, name
        answered = answer.json()
        if name == "user":
            made["user"] = answered["user"]["id"]
        if name == "token":
            made["token"] = answered["token"]["id"]
        assert rows[0].entity_id == made["user" if entity == "user account" else "token"], name
    assert "second_factor" in str(_second_factor_row(engine).changes)


def _second_factor_row(engine: Engine) -> AuditEntry:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry).order_by(AuditEntry.id)).all()
    return next(r for r in rows if "reset" in str(r.changes) and "second_factor" in str(r.changes))


def test_each_write_leaves_exactly_one_row_naming_the_user(
    client: TestClient, seeded: dict[str, int], engine: Engine
) -> None:
    """All writes in order (later ones use the records earlier ones made), each checked on its own."""
    for name, method, template, body, entity, action in WRITES:
        path, payload = template.format(**seeded), body(seeded)
        last = _last(engine)
        answer = client.request(method, path, json=payload) if payload is not None else client.request(method, path)
        assert answer.status_code in (200, 201), f"{name}: {answer.text}"
        rows = _rows_after(engine, last)
        assert len(rows) == 1, (name, [(str(r.action), r.entity, r.entity_id) for r in rows])
        row = rows[0]
        assert (row.entity, str(row.action)) == (entity, action), name
        assert row.actor.startswith("team.") and row.actor_id is not None, name
        assert row.actor_role == client.last_role, name
        assert row.client_address == "testclient" and row.user_agent, name
        made = answer.json()
        if method == "POST" and isinstance(made, dict) and "id" in made:
            assert row.entity_id == made["id"], name
        if name in ("event", "visit"):
            seeded = {**seeded, name: made["id"]}
        if name == "monitoring-evaluate":
            assert row.entity_id == seeded["episode"] and made["raised"], made
            open_alerts = client.get("/api/alerts", params={"state": "open"}).json()["items"]
            assert open_alerts, made
            open_alert = open_alerts[0]
            seeded = {**seeded, "alert": open_alert["id"]}
            client.member(Role.PHYSICIAN)  # sign in the member who acknowledges now, so its sign-in is not counted


@pytest.mark.parametrize(
    ("path", "entity"),
    [
        pytest.param("/api/patients/{patient}?include_identity=true", "patient", id="one-patient-with-identity"),
        pytest.param("/api/patients?include_identity=true", "patient", id="patient-list-with-identity"),
    ],
)
def test_each_identifying_read_leaves_exactly_one_row(
    client: TestClient, seeded: dict[str, int], engine: Engine, path: str, entity: str
) -> None:
    last = _last(engine)
    assert client.get(path.format(**seeded)).status_code == 200
    rows = _rows_after(engine, last)
    assert [(str(r.action), r.entity) for r in rows] == [("read", entity)]
    assert rows[0].actor.startswith("team.") and rows[0].client_address == "testclient"


def test_a_read_without_names_is_still_audited_for_the_exact_birth_date(
    client: TestClient, seeded: dict[str, int], engine: Engine
) -> None:
    last = _last(engine)
    assert client.get(f"/api/patients/{seeded['patient']}").json()["identity"] is None
    rows = _rows_after(engine, last)
    assert [(str(r.action), r.entity, r.entity_id) for r in rows] == [("read", "patient", seeded["patient"])]
    assert "mrn" not in str(rows[0].changes) and "birth_date" in str(rows[0].changes)
    last = _last(engine)
    client.get(f"/api/patients/{seeded['patient']}", params={"include_identity": True})
    (named,) = _rows_after(engine, last)
    assert "mrn" in str(named.changes) or "identity" in str(named.changes)
