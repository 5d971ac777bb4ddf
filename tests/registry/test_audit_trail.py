"""The audit trail: one entry per write and per identifying read, who and from where, append-only, never skipped."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engraft.io.audit_csv import audit_csv
from engraft.io.csv_export import export_registry
from engraft.registry.audit import Actor, AuditAction
from engraft.registry.audit_log import AuditQuery, export_audit, list_audit
from engraft.registry.database import make_session_factory
from engraft.registry.errors import AuditUnavailable
from engraft.registry.models import AuditEntry
from engraft.registry.patient_record import read_patient_record
from engraft.registry.schemas.patient import CentreIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService

NURSE = Actor(name="nurse.kim", user_id=7, role="nurse", client_address="10.1.2.3", user_agent="Ward PC/1.0")


def _entries(engine: Engine) -> list[AuditEntry]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


@pytest.fixture
def nurse(engine: Engine) -> RegistryService:
    return RegistryService(make_session_factory(engine), actor="test").for_actor(NURSE)


def _patient(service: RegistryService) -> int:
    service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    identity = IdentityIn(given_name="Ann", family_name="Example", mrn="MRN-1")
    patient = service.create_patient(
        PatientIn(centre="C1", sex="female", birth_date=dt.date(1970, 5, 17), identity=identity)  # type: ignore[arg-type]
    )
    return patient.id


def test_a_write_records_who_and_from_where(nurse: RegistryService, engine: Engine) -> None:
    _patient(nurse)
    centre, patient = _entries(engine)
    assert (patient.action, patient.entity, patient.actor) == (AuditAction.CREATE, "patient", "nurse.kim")
    assert (patient.actor_id, patient.actor_role) == (7, "nurse")
    assert (patient.client_address, patient.user_agent) == ("10.1.2.3", "Ward PC/1.0")
    assert "identity" not in patient.changes  # names and MRN are never copied into the log
    assert centre.entity == "centre"


@pytest.mark.parametrize(
    ("read", "fields"),
    [
        pytest.param(lambda s, pid: s.get_patient(pid), ["birth_date"], id="one-patient"),
        pytest.param(
            lambda s, pid: s.get_patient(pid, include_identity=True),
            ["birth_date", "given_name", "family_name", "mrn"],
            id="one-patient-with-identity",
        ),
        pytest.param(lambda s, pid: s.list_patients(), ["birth_date"], id="a-page-of-patients"),
        pytest.param(
            lambda s, pid: s.list_patients(include_identity=True),
            ["birth_date", "given_name", "family_name", "mrn"],
            id="a-page-with-identity",
        ),
    ],
)
def test_each_identifying_read_leaves_exactly_one_entry(
    nurse: RegistryService, engine: Engine, read: Any, fields: list[str]
) -> None:
    pid = _patient(nurse)
    before = _count(engine)
    read(nurse, pid)
    after = _entries(engine)[before:]
    assert len(after) == 1
    (entry,) = after
    assert entry.action is AuditAction.READ and entry.entity == "patient" and entry.actor == "nurse.kim"
    assert entry.changes["fields"] == fields
    assert entry.entity_id == pid or entry.changes["ids"] == [pid]


def test_an_empty_page_reveals_nothing_and_is_not_logged(nurse: RegistryService, engine: Engine) -> None:
    nurse.create_centre(CentreIn(code="C1", name="One", country="GB"))
    before = _count(engine)
    assert nurse.list_patients().items == []
    assert _count(engine) == before


@pytest.mark.parametrize("with_identity", [False, True], ids=["export", "export-with-identity"])
def test_an_export_leaves_exactly_one_entry(
    nurse: RegistryService, engine: Engine, tmp_path: Path, with_identity: bool
) -> None:
    _patient(nurse)
    before = _count(engine)
    export_registry(nurse, tmp_path / "out", include_identity=with_identity)
    (entry,) = _entries(engine)[before:]
    assert entry.action is AuditAction.EXPORT and entry.entity == "registry"
    assert ("mrn" in entry.changes["fields"]) is with_identity
    assert entry.changes["rows"]["patients.csv"] == 1


@contextmanager
def _audit_refusing_inserts(engine: Engine) -> Iterator[None]:
    """Make the database refuse every new audit entry (a real failure of the audit write)."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_entry "
                    "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION test_audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_entry "
                    "FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER test_audit_down"))
            else:
                conn.execute(text("DROP TRIGGER test_audit_down ON audit_entry"))
                conn.execute(text("DROP FUNCTION test_audit_down()"))


def test_a_read_whose_audit_fails_hands_out_nothing(nurse: RegistryService, engine: Engine, tmp_path: Path) -> None:
    pid = _patient(nurse)
    with _audit_refusing_inserts(engine):
        with pytest.raises(AuditUnavailable, match="nothing was handed out"):
            nurse.get_patient(pid, include_identity=True)
        with pytest.raises(AuditUnavailable):
            nurse.list_patients()
        with pytest.raises(AuditUnavailable):
            read_patient_record(nurse, pid, True, {"751-8"})  # the patient page's read
        with pytest.raises(AuditUnavailable):
            export_registry(nurse, tmp_path / "out", include_identity=True)
    assert not (tmp_path / "out" / "patients.csv").exists()  # the export's files were removed


def test_a_write_whose_audit_fails_is_not_written(nurse: RegistryService, engine: Engine) -> None:
    nurse.create_centre(CentreIn(code="C1", name="One", country="GB"))
    with _audit_refusing_inserts(engine), pytest.raises(AuditUnavailable, match="nothing was written"):
        nurse.create_patient(PatientIn(centre="C1", sex="male", birth_date=dt.date(1980, 1, 1)))  # type: ignore[arg-type]
    assert nurse.list_patients().total == 0


def test_the_api_answers_503_without_the_patient_when_the_audit_fails(
    client: TestClient, seeded: dict[str, int], engine: Engine
) -> None:
    with _audit_refusing_inserts(engine):
        response = client.get(f"/api/patients/{seeded['patient']}", params={"include_identity": True})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Example" not in response.text and "MRN-1" not in response.text and "1970" not in response.text


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_entry SET actor = 'someone else'", id="update"),
        pytest.param("DELETE FROM audit_entry", id="delete"),
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(
    nurse: RegistryService, engine: Engine, statement: str
) -> None:
    _patient(nurse)
    before = [(e.id, e.actor) for e in _entries(engine)]
    with pytest.raises((IntegrityError, DBAPIError), match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert [(e.id, e.actor) for e in _entries(engine)] == before


def test_the_guards_are_in_the_schema(engine: Engine) -> None:
    """PostgreSQL: TRUNCATE refused and no UPDATE/DELETE/TRUNCATE privilege for PUBLIC; SQLite: both triggers."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            triggers = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'")
            ).scalars()
            assert set(triggers) >= {"audit_entry_no_update", "audit_entry_no_delete"}
        return
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_entry"))
    with engine.connect() as conn:
        granted = conn.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'audit_entry' AND grantee = 'PUBLIC' AND table_schema = current_schema()"
            )
        ).scalars()
        assert not {"UPDATE", "DELETE", "TRUNCATE"} & set(granted)


def test_the_log_is_filtered_and_exported_with_its_own_entry(nurse: RegistryService, engine: Engine) -> None:
    pid = _patient(nurse)
    nurse.get_patient(pid)
    reads = list_audit(nurse, AuditQuery(action=AuditAction.READ))
    assert reads.total == 1 and reads.items[0].entity_id == pid
    by_patient = list_audit(nurse, AuditQuery(entity="patient", entity_id=pid))
    assert {e.action for e in by_patient.items} == {AuditAction.CREATE, AuditAction.READ}
    exported = list(export_audit(nurse, AuditQuery(actor="nurse.kim")))
    assert [e.action for e in exported][-1] is AuditAction.EXPORT  # the export is logged before it is read
    assert exported == sorted(exported, key=lambda e: e.id)


def test_a_formula_in_a_logged_value_stays_text_in_the_csv(engine: Engine) -> None:
    attacker = Actor(name='=HYPERLINK("http://x")', user_agent="@SUM(1+1)", client_address="-1")
    service = RegistryService(make_session_factory(engine), actor="test").for_actor(attacker)
    service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    text_csv = "".join(audit_csv(export_audit(service, AuditQuery())))
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert rows[0]["actor"].startswith("'=") and rows[0]["user_agent"] == "'@SUM(1+1)"
    assert rows[0]["client_address"] == "'-1"


def test_the_audit_api_lists_filters_and_exports(client: TestClient, seeded: dict[str, int]) -> None:
    client.get(f"/api/patients/{seeded['patient']}")
    page = client.get("/api/audit", params={"action": "read", "entity": "patient"})
    assert page.status_code == 200, page.text
    assert page.json()["total"] == 1
    bad = client.get("/api/audit", params={"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"})
    assert bad.status_code == 422
    exported = client.get("/api/audit.csv", params={"entity": "patient"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["action"] for r in rows} == {"create", "read"}
    assert client.get("/api/audit", params={"action": "export"}).json()["total"] == 1


def test_the_cli_lists_and_exports_the_log(nurse: RegistryService, engine: Engine, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from engraft.cli import app

    pid = _patient(nurse)
    nurse.get_patient(pid)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    listed = runner.invoke(app, ["audit", "list", "--action", "read", "--database", url])
    assert listed.exit_code == 0, listed.output
    assert "nurse.kim" in listed.output and "1 of 1 matching entries" in listed.output
    out = tmp_path / "audit.csv"
    exported = runner.invoke(app, ["audit", "export", str(out), "--entity", "patient", "--database", url])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["action"] for r in rows] == ["create", "read"]
    assert not out.with_name("audit.csv.partial").exists()
    refused = runner.invoke(app, ["audit", "list", "--since", "yesterday", "--database", url])
    assert refused.exit_code == 2 and "since" in refused.output and "Traceback" not in refused.output
    (last,) = list_audit(nurse, AuditQuery(action=AuditAction.EXPORT)).items
    assert last.actor.startswith("audit export (")  # the CLI names the command and the OS user
