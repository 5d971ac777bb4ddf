"""Observation parents on PostgreSQL: statement-level triggers keep every foreign-key guarantee.

Migration 0004 replaces the two per-row foreign keys of ``observation`` by triggers; these tests
show the same guarantees hold for any writer, not only the bulk loader: unknown parents are
refused, deletes cascade, referenced keys cannot change, a parent being loaded against cannot be
deleted underneath, and downgrading restores the declared foreign keys.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import downgrade, upgrade
from engraft.registry.models import Centre, Patient, TransplantEpisode
from engraft.registry.models.clinical import TRIGGER_ENFORCED_FOREIGN_KEYS
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService
from tests.database_templates import DatabaseTemplates

pytestmark = pytest.mark.postgres

INSERT = (
    "INSERT INTO observation (patient_id, episode_id, observed_at, loinc, value, unit, value_canonical, source, "
    "source_id, recorded_at) VALUES (:p, :e, '2024-05-02T08:00:00Z', '751-8', 1.0, '10*9/L', 1.0, 'manual', :s, now())"
)


@pytest.fixture
def pg(database_templates: DatabaseTemplates) -> Iterator[tuple[Engine, dict[str, int]]]:
    """A migrated PostgreSQL database with two patients, each with one episode."""
    with database_templates.copy("postgresql") as url:
        engine = make_engine(url)
        with make_session_factory(engine).begin() as session:
            centre = Centre(code="C1", name="One", country="GB")
            session.add(centre)
            session.flush()
            ids: dict[str, int] = {}
            for name in ("ann", "bob"):
                patient = Patient(
                    registry_id=name,
                    centre_id=centre.id,
                    sex="female",
                    birth_date=dt.date(1970, 1, 1),
                    cmv_serostatus="unknown",
                )
                session.add(patient)
                session.flush()
                episode = TransplantEpisode(
                    patient_id=patient.id,
                    centre_id=centre.id,
                    sequence_number=1,
                    transplant_type="autologous",
                    graft_source="peripheral blood",
                    day0=dt.date(2024, 5, 1),
                )
                session.add(episode)
                session.flush()
                ids[name], ids[f"{name}_episode"] = patient.id, episode.id
        yield engine, ids
        engine.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM observation")).scalar_one())


@pytest.mark.parametrize(
    ("patient", "episode"),
    [
        pytest.param("unknown", None, id="unknown-patient"),
        pytest.param("ann", "unknown", id="unknown-episode"),
        pytest.param("ann", "bob_episode", id="episode-of-another-patient"),
    ],
)
def test_plain_insert_with_bad_parent_is_refused(
    pg: tuple[Engine, dict[str, int]], patient: str, episode: str | None
) -> None:
    engine, ids = pg
    params = {"p": ids.get(patient, 9999), "e": None if episode is None else ids.get(episode, 9999), "s": "x-1"}
    with pytest.raises(IntegrityError, match="do not exist or do not belong together"), engine.begin() as conn:
        conn.execute(text(INSERT), params)
    assert _count(engine) == 0


def test_update_to_a_missing_patient_is_refused(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["ann"], "e": ids["ann_episode"], "s": "x-1"})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE observation SET patient_id = 9999, episode_id = NULL"))


def test_deleting_parents_cascades_to_their_observations(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    with engine.begin() as conn:
        for n, (patient, episode) in enumerate([("ann", "ann_episode"), ("ann", None), ("bob", "bob_episode")]):
            conn.execute(text(INSERT), {"p": ids[patient], "e": episode and ids[episode], "s": f"x-{n}"})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transplant_episode WHERE id = :e"), {"e": ids["ann_episode"]})
        assert conn.execute(text("SELECT source_id FROM observation ORDER BY 1")).scalars().all() == ["x-1", "x-2"]
        conn.execute(text("DELETE FROM patient WHERE id = :p"), {"p": ids["bob"]})
        assert conn.execute(text("SELECT source_id FROM observation")).scalars().all() == ["x-1"]


def test_referenced_keys_cannot_change(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["ann"], "e": ids["ann_episode"], "s": "x-1"})
    with pytest.raises(IntegrityError, match="has observations"), engine.begin() as conn:
        conn.execute(text("UPDATE patient SET id = 777 WHERE id = :p"), {"p": ids["ann"]})
    with pytest.raises(IntegrityError, match="has observations"), engine.begin() as conn:
        conn.execute(
            text("UPDATE transplant_episode SET patient_id = :b WHERE id = :e"),
            {"b": ids["bob"], "e": ids["ann_episode"]},
        )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE transplant_episode SET patient_id = :a, sequence_number = 2 WHERE id = :e"),
            {"a": ids["ann"], "e": ids["bob_episode"]},
        )


def test_delete_in_repeatable_read_is_refused_rather_than_leaving_orphans(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["ann"], "e": None, "s": "x-1"})
    repeatable_read = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with pytest.raises(DBAPIError, match="READ COMMITTED"), repeatable_read as conn, conn.begin():
        conn.execute(text("DELETE FROM patient WHERE id = :p"), {"p": ids["ann"]})
    assert _count(engine) == 1


def test_a_patient_being_loaded_against_cannot_be_deleted_until_the_load_ends(
    pg: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = pg
    with engine.connect() as loader:
        loading = loader.begin()
        try:
            loader.execute(text(INSERT), {"p": ids["ann"], "e": None, "s": "x-1"})
            with engine.connect() as deleter, deleter.begin():
                deleter.execute(text("SET LOCAL lock_timeout = '200ms'"))
                with pytest.raises(DBAPIError, match="lock timeout"):
                    deleter.execute(text("DELETE FROM patient WHERE id = :p"), {"p": ids["ann"]})
            loading.commit()
        finally:
            if loading.is_active:
                loading.rollback()
    with engine.begin() as deleter:
        deleter.execute(text("DELETE FROM patient WHERE id = :p"), {"p": ids["ann"]})
    assert _count(engine) == 0


def test_bulk_load_takes_the_copy_path_and_falls_back_for_resends(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    service = RegistryService(make_session_factory(engine), actor="test")
    at = dt.datetime(2024, 5, 2, 8, tzinfo=dt.UTC)
    rows = [
        ObservationRow(
            ids["ann"],
            ids["ann_episode"] if i % 2 else None,
            at + dt.timedelta(minutes=i),
            "8867-4",
            60.0 + i % 100,
            "/min",
            "device",
            f"hr-{i}",
        )
        for i in range(30_000)
    ]
    assert add_observations(service, rows).inserted == 30_000
    again = add_observations(
        service, [*rows[:5], ObservationRow(ids["bob"], None, at, "8867-4", 80.0, "/min", "device", "new")]
    )
    assert (again.inserted, again.already_present) == (1, 5)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT patient_id, episode_id, observed_at, value FROM observation WHERE source_id = 'hr-29999'")
        ).one()
    assert stored == (ids["ann"], ids["ann_episode"], at + dt.timedelta(minutes=29_999), 60.0 + 29_999 % 100)


def test_schema_after_upgrade_and_downgrade(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = pg
    collation = (
        "SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'observation' AND column_name = 'source_id'"
    )
    triggers = (
        "SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = current_schema() "
        "AND trigger_name LIKE 'observation_%'"
    )
    with engine.connect() as conn:
        assert conn.execute(text(collation)).scalar_one() == "C"
        assert conn.execute(text(triggers)).scalar_one() >= 6
    assert not {fk["name"] for fk in inspect(engine).get_foreign_keys("observation")} & TRIGGER_ENFORCED_FOREIGN_KEYS
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patient"))
    downgrade(engine, "0003")
    assert {fk["name"] for fk in inspect(engine).get_foreign_keys("observation")} >= TRIGGER_ENFORCED_FOREIGN_KEYS
    with engine.connect() as conn:
        assert conn.execute(text(triggers)).scalar_one() == 0
        assert conn.execute(text(collation)).scalar_one() is None


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def test_triggers_do_not_follow_the_callers_search_path(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    schema = _schema(engine)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL search_path = pg_catalog"))
        conn.execute(
            text(INSERT.replace("INTO observation", f"INTO {schema}.observation")),
            {"p": ids["ann"], "e": None, "s": "x-1"},
        )
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(
                text(INSERT.replace("INTO observation", f"INTO {schema}.observation")),
                {"p": 9999, "e": None, "s": "x-2"},
            )
        conn.execute(text(f"DELETE FROM {schema}.patient WHERE id = :p"), {"p": ids["ann"]})
    assert _count(engine) == 0


def test_truncating_parents_truncates_observations(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["ann"], "e": ids["ann_episode"], "s": "x-1"})
        conn.execute(text(INSERT), {"p": ids["bob"], "e": None, "s": "x-2"})
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE transplant_episode CASCADE"))
    assert _count(engine) == 0
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["bob"], "e": None, "s": "x-3"})
        conn.execute(text("TRUNCATE patient CASCADE"))
    assert _count(engine) == 0


def test_upgrade_refuses_observations_whose_episode_is_another_patients(pg: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = pg
    downgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"p": ids["ann"], "e": ids["bob_episode"], "s": "x-1"})
    with pytest.raises(RuntimeError, match="1 observation\\(s\\) name a transplant episode of another patient"):
        upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE observation SET episode_id = NULL"))
    upgrade(engine)
    assert _count(engine) == 1


def test_feeds_sending_the_same_new_results_in_opposite_order_do_not_deadlock(
    pg: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = pg
    service = RegistryService(make_session_factory(engine), actor="test")
    at = dt.datetime(2024, 5, 2, 8, tzinfo=dt.UTC)
    xs = [ObservationRow(ids["ann"], None, at, "751-8", 1.0, "10*9/L", "lab feed", f"x{i}") for i in range(40_000)]
    ys = [ObservationRow(ids["ann"], None, at, "751-8", 1.0, "10*9/L", "lab feed", f"y{i}") for i in range(40_000)]
    outcomes: dict[str, object] = {}

    def load(name: str, rows: list[ObservationRow]) -> None:
        try:
            outcomes[name] = add_observations(service, rows).inserted
        except Exception as exc:
            outcomes[name] = exc

    feeds = [threading.Thread(target=load, args=("one", xs + ys)), threading.Thread(target=load, args=("two", ys + xs))]
    for feed in feeds:
        feed.start()
    for feed in feeds:
        feed.join()
    assert sorted(outcomes.values(), key=str) == [0, 80_000], outcomes
    assert _count(engine) == 80_000
