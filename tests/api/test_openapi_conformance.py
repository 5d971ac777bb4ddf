"""Schemathesis against the served OpenAPI document: no server errors, and every answer is what the document says.

The app runs on a real SQLite database holding a small seeded registry (so generated ids sometimes hit real
records) and a small synthetic donor store. schemathesis' engine (what ``schemathesis run`` drives) runs its
examples, coverage, fuzzing and stateful phases over every operation, with every check of ``all`` but two:

- ``positive_data_acceptance`` is replaced by :func:`positive_data_accepted_unless_a_rule_refuses` (see there);
- ``max_response_time`` is not set: tests make no timing assertions (a busy CI machine is not a slow API).

Every request runs signed in (:class:`TeamAuth`): as a member of a small team, one account per role, whose
role may make it; the team's accounts are repaired between requests when the fuzzer itself disabled one,
changed its role, reset its password or second factor, or signed it out.

The example budget is bounded and the run derandomized (fixed seed, deterministic generation, no example
database, no deadlines), so CI is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyotp
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import CheckContext, positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from sqlalchemy import select

from engraft.access import Permission, Role, allows
from engraft.api.app import create_app
from engraft.api.auth import CSRF_HEADER, SESSION_COOKIE
from engraft.api.problems import PROBLEM_TYPE_BASE, RULE_VIOLATION
from engraft.api.routes_donor_search import DonorRegistry
from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_store import DonorStore
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.models import UserAccount
from tests.auth_clients import (
    FAST_HASHER,
    ROLE_PREFERENCE,
    TEST_ACCOUNT_POLICY,
    TEST_PASSWORD,
    accounts_of,
    create_account,
    permission_for,
    team_client,
)
from tests.database_templates import DatabaseTemplates

SEED = 20250501
MAX_EXAMPLES = 25


@schemathesis.check
def positive_data_accepted_unless_a_rule_refuses(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """schemathesis' ``positive_data_acceptance``, less the 422s of rules no JSON Schema can state.

    ``positive_data_acceptance`` expects data that match the schema to be accepted. Registry data must also
    keep rules that a JSON Schema cannot express: a date on or before today and after the patient's birth,
    an event on or after day 0, a centre code that is registered, an HLA allele that exists in the release,
    fields that go together. Such requests are schema-valid and rightly answered 422, with the problem type
    ``rule-violation``. This check keeps the built-in one for every other answer, and fails a schema-valid
    request answered 422 ``invalid-input``, which would mean the document describes input the server refuses.
    """
    if response.status_code != 422:
        return positive_data_acceptance(ctx, response, case)
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    problem = response.json()
    if problem.get("type") != PROBLEM_TYPE_BASE + RULE_VIOLATION:
        raise AssertionError(f"schema-valid request refused as invalid input: {problem}")
    return None


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "workers": 1,
        "cache": {"enabled": False},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
    }
)


def _seed_registry(client: TestClient) -> None:
    def created(path: str, body: dict[str, Any]) -> int:
        response = client.post(path, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    created("/api/centres", {"code": "C1", "name": "Centre One", "country": "GB"})
    patient = created("/api/patients", {"centre": "C1", "sex": "female", "birth_date": "1970-05-17"})
    diagnosis = created(
        "/api/diagnoses",
        {
            "patient_id": patient,
            "who_name": "Acute myeloid leukaemia",
            "icd10": "C92.0",
            "diagnosis_date": "2024-01-10",
        },
    )
    donor = created("/api/donors", {"donor_code": "D-1", "relation": "matched unrelated", "age_years": 28})
    episode = created(
        "/api/episodes",
        {
            "patient_id": patient,
            "diagnosis_id": diagnosis,
            "centre": "C1",
            "transplant_type": "allogeneic",
            "graft_source": "peripheral blood",
            "day0": "2024-05-01",
            "donor_ids": [donor],
        },
    )
    created(
        "/api/events",
        {"patient_id": patient, "episode_id": episode, "event_type": "relapse", "event_date": "2024-09-01"},
    )
    created("/api/follow-ups", {"patient_id": patient, "visit_date": "2024-08-01", "vital_status": "alive"})


@pytest.fixture(scope="module")
def served_app(
    imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory, database_templates: DatabaseTemplates
) -> Iterator[FastAPI]:
    nom = Nomenclature.load(imgt_dir)
    store_path = tmp_path_factory.mktemp("donors") / "store"
    store = DonorStore.create(store_path, release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=500, seed=3))
    with database_templates.copy("sqlite") as url:
        engine = make_engine(url)
        app = create_app(
            engine,
            donor_registry=DonorRegistry(store_path, imgt_dir=imgt_dir, haplotype_frequencies=demo_hf_set),
            account_policy=TEST_ACCOUNT_POLICY,
        )
        with team_client(app) as client:
            _seed_registry(client)
        yield app
        engine.dispose()


def _failures(event: events.EngineEvent) -> list[str]:
    found: list[str] = []
    if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
        for checks in event.recorder.checks.values():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    found.append(f"{check.name}: {failure.title}\n{failure.message}\n{check.failure_info.code_sample}")
    elif isinstance(event, events.NonFatalError):
        found.append(f"error in {event.label}: {event.value!r}")
    elif isinstance(event, events.FatalError):
        found.append(f"fatal: {event.exception!r}")
    elif isinstance(event, events.EngineFinished):
        found += [f"{f.title}: {f.message}" for f in event.failures]
    return found


class TeamAuth:
    """Sign each generated request in as the first team member (tests/auth_clients.ROLE_PREFERENCE) whose role
    holds the operation's declared permission: the session cookie and its CSRF token. Public operations go
    out signed out."""

    app: FastAPI | None = None
    members: ClassVar[dict[Role, tuple[str, str]]] = {}
    signed_requests: ClassVar[int] = 0

    def get(self, case: Any, ctx: Any) -> str:
        return "team"

    def set(self, case: Any, data: str, ctx: Any) -> None:
        assert self.app is not None
        permission = permission_for(self.app, case.method, case.formatted_path)
        if permission is None or permission is Permission.PUBLIC:
            return
        role = next(r for r in ROLE_PREFERENCE if allows(r, permission))
        token, csrf = self.member(role)
        case.headers = {**(case.headers or {}), "Cookie": f"{SESSION_COOKIE}={token}", CSRF_HEADER: csrf}
        TeamAuth.signed_requests += 1

    def member(self, role: Role) -> tuple[str, str]:
        """The member's live session, after repairing what the fuzzer did to the account if need be."""
        assert self.app is not None
        accounts = accounts_of(self.app)
        known = self.members.get(role)
        signed_in = accounts.resolve_session(known[0]) if known else None
        if signed_in is not None and signed_in.principal.role is role and not signed_in.pending:
            return known  # type: ignore[return-value]
        username = f"team.{role.value.replace('_', '-')}"
        if accounts.find_user(username) is None:
            create_account(self.app, role, username)
        with make_session_factory(self.app.state.engine).begin() as session:
            user = session.scalars(select(UserAccount).where(UserAccount.username == username)).one()
            user.role, user.disabled, user.must_change_password = role, False, False
            user.password_hash, user.failed_attempts, user.locked_until = FAST_HASHER.hash(TEST_PASSWORD), 0, None
            user.totp_last_step = None
            secret = accounts.totp_secret_of(user) if user.totp_enabled else None
            user_id = user.id
        if role is Role.ADMIN and secret is None:  # the fuzzer reset its second factor: set a new one up
            setup = accounts.begin_totp(user_id)
            accounts.confirm_totp(user_id, pyotp.TOTP(setup.secret).at(accounts.now() - dt.timedelta(seconds=30)))
            secret = setup.secret
        body = {"username": username, "password": TEST_PASSWORD}
        if secret is not None:
            body["code"] = pyotp.TOTP(secret).now()
        with TestClient(self.app, base_url="https://testserver") as client:
            answer = client.post("/api/auth/sign-in", json=body)
        assert answer.status_code == 200, answer.text
        self.members[role] = (answer.cookies[SESSION_COOKIE], answer.json()["csrf_token"])
        return self.members[role]


def test_served_api_conforms_to_its_openapi_document(served_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served_app, config=CONFIG)
    TeamAuth.app, TeamAuth.members, TeamAuth.signed_requests = served_app, {}, 0
    schema.auth(refresh_interval=None, retry_on=[])(TeamAuth)
    failures: list[str] = []
    scenarios = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        failures += _failures(event)
        scenarios += isinstance(event, events.ScenarioFinished)
    operations = len(list(schema.get_all_operations()))
    assert operations > 30 and scenarios >= operations, (operations, scenarios)
    assert TeamAuth.signed_requests > 10 * operations, "the generated requests were not signed in"
    assert {Role.DATA_MANAGER, Role.PHYSICIAN, Role.ADMIN} <= set(TeamAuth.members), sorted(TeamAuth.members)
    assert not failures, f"{len(failures)} failure(s):\n\n" + "\n\n".join(failures[:30])
