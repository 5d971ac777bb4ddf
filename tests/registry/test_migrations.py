"""Migrations from an empty database reach the models' schema on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import current_revision, downgrade, head_revision, pending_model_changes, upgrade
from engraft.registry.models import Base, Centre, Observation, Patient, PatientIdentity


def test_upgrade_from_empty_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert pending_model_changes(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(engine, "base")
    assert not (set(Base.metadata.tables) & set(inspect(engine).get_table_names()))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/engraft.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_model_round_trip_keeps_types(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    at = dt.datetime(2024, 5, 3, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with sessions.begin() as session:
        centre = Centre(code="C9", name="Nine", country="NL")
        session.add(centre)
        session.flush()
        patient = Patient(
            registry_id="ENG-RT",
            centre=centre,
            sex="female",
            birth_date=dt.date(1999, 2, 28),
            cmv_serostatus="negative",
            height_cm=170.5,
        )
        patient.identity = PatientIdentity(given_name="Z", family_name="Y", mrn="1", centre_id=centre.id)
        session.add(patient)
        session.flush()
        session.add(
            Observation(
                patient_id=patient.id,
                observed_at=at,
                loinc="718-7",
                value=9.5,
                unit="g/dL",
                value_canonical=9.5,
                source="manual",
                source_id="rt-1",
            )
        )
    with sessions() as session:
        stored = session.scalars(select(Patient)).one()
        assert stored.birth_date == dt.date(1999, 2, 28) and stored.height_cm == 170.5
        assert stored.identity is not None and stored.identity.mrn == "1"
        obs = session.scalars(select(Observation)).one()
        assert obs.observed_at == at and obs.observed_at.tzinfo is not None
        assert obs.recorded_at.tzinfo is not None
    engine.dispose()
