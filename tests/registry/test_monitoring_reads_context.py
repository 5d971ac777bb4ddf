"""The reads an evaluation starts with (the episode's context and lock, the rule files' fingerprint, the alerts on
file), the same on SQLite (SQLAlchemy statements) and PostgreSQL (fixed texts on the driver's cursor)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engraft.monitoring import AlertState, ObservationColumns, Severity
from engraft.monitoring.columns import microseconds
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import MonitoringAlert, MonitoringRuleFile, Observation, Transfusion, TransplantEpisode
from engraft.registry.monitoring_reads import lock_context, read_alerts, read_series
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.service import RegistryService
from engraft.vocabulary import ObservationSource, TransfusionProduct


def _transfuse(engine: Engine, patient: int, episode: int | None, product: TransfusionProduct, at: dt.datetime) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            Transfusion(
                patient_id=patient,
                episode_id=episode,
                product=product,
                administered_at=at,
                source_id=f"{product.value}-{at.isoformat()}",
            )
        )


def _day0(engine: Engine, episode: int) -> dt.date:
    with Session(engine) as session:
        row = session.get(TransplantEpisode, episode)
        assert row is not None
        return row.day0


def test_the_context_has_the_episode_facts_and_no_transfusion_days_when_none_is_recorded(
    seeded: dict[str, int], engine: Engine
) -> None:
    with Session(engine) as session, session.begin():
        episode = session.get(TransplantEpisode, seeded["episode"])
        assert episode is not None
        locked = lock_context(session, seeded["episode"])
        context = locked.context
        assert (context.patient_id, context.episode_id, context.day0) == (
            seeded["patient"],
            seeded["episode"],
            episode.day0,
        )
        assert (context.graft_source, context.transplant_type, context.cell_therapy) == (
            episode.graft_source,
            episode.transplant_type,
            episode.cell_therapy,
        )
        assert type(context.graft_source) is type(episode.graft_source)  # the enum, not its text
        assert context.age_at_day0 is not None
        assert context.platelet_transfusion_days is None  # none recorded: platelet engraftment not asserted
        assert context.red_cell_transfusion_days == ()
        assert locked.rule_files[1:] == (0, None, None, None)  # no rule file recorded yet


def test_transfusions_of_the_episode_and_of_the_patient_without_episode_are_days_from_day0(
    seeded: dict[str, int], engine: Engine
) -> None:
    day0 = _day0(engine, seeded["episode"])
    start = dt.datetime.combine(day0, dt.time(23, 30), tzinfo=dt.UTC)
    _transfuse(engine, seeded["patient"], seeded["episode"], TransfusionProduct.PLATELETS, start)  # day 0 (UTC)
    late = dt.datetime.combine(day0, dt.time(1, 0), tzinfo=dt.timezone(dt.timedelta(hours=3)))  # day -1 in UTC
    _transfuse(engine, seeded["patient"], seeded["episode"], TransfusionProduct.PLATELETS, late + dt.timedelta(days=6))
    _transfuse(engine, seeded["patient"], None, TransfusionProduct.RED_CELLS, start + dt.timedelta(days=3))
    with Session(engine) as session, session.begin():
        context = lock_context(session, seeded["episode"]).context
    assert context.platelet_transfusion_days == (0, 5)
    assert context.red_cell_transfusion_days == (3,)


def test_the_fingerprint_and_the_alerts_on_file_follow_an_evaluation(
    client: TestClient, seeded: dict[str, int], engine: Engine, service: RegistryService
) -> None:
    day0 = dt.datetime.combine(_day0(engine, seeded["episode"]), dt.time(6), tzinfo=dt.UTC)
    neutrophils = {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "observed_at": (day0 + dt.timedelta(days=2)).isoformat(),
        "loinc": "751-8",
        "value": 0.2,
        "unit": "10*9/L",
        "source_id": "anc-2",
    }
    assert client.post("/api/observations/bulk", json=[neutrophils]).status_code == 200
    evaluate_episode(service, seeded["episode"])
    with Session(engine, expire_on_commit=False) as session, session.begin():
        locked = lock_context(session, seeded["episode"])
        on_file = read_alerts(session, seeded["episode"])
        rule_file = session.scalars(select(MonitoringRuleFile)).one()
        stored = session.scalars(select(MonitoringAlert).where(MonitoringAlert.episode_id == seeded["episode"])).all()
    assert locked.rule_files[1:] == (1, rule_file.id, rule_file.content_hash, rule_file.loaded_at)
    assert locked.rule_files[4] is not None and locked.rule_files[4].utcoffset() == dt.timedelta(0)
    assert on_file  # the low neutrophil count raised an alert
    assert sorted((a.id, a.rule_id, a.dedup_key, a.state, a.severity) for a in on_file) == sorted(
        (a.id, a.rule_id, a.dedup_key, a.state, a.severity) for a in stored
    )
    assert all(isinstance(a.state, AlertState) and isinstance(a.severity, Severity) for a in on_file)


def test_an_unknown_episode_is_not_found(engine: Engine, seeded: dict[str, int]) -> None:
    with Session(engine) as session, session.begin(), pytest.raises(RecordNotFound):
        lock_context(session, seeded["episode"] + 1000)


def test_the_series_read_gives_the_columns_of_the_stored_results_to_the_microsecond(
    seeded: dict[str, int], engine: Engine
) -> None:
    """On PostgreSQL the times come as microseconds from the epoch (computed in SQL); on SQLite as datetimes: the
    columns are the same as those built from the ORM's rows, sub-second times and other offsets included."""
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    moments = [
        dt.datetime(2026, 3, 1, 6, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 11, 30, 0, 999_999, tzinfo=ist),
        dt.datetime(2026, 3, 2, 0, 0, 0, 123_457, tzinfo=dt.UTC),
    ]
    with Session(engine) as session, session.begin():
        for n, at in enumerate(moments):
            session.add(
                Observation(
                    patient_id=seeded["patient"],
                    episode_id=seeded["episode"],
                    observed_at=at,
                    loinc="751-8" if n != 1 else "777-3",
                    value=0.1 * (n + 1),
                    unit="10*9/L",
                    value_canonical=0.1 * (n + 1),
                    source=ObservationSource.LAB_FEED,
                    source_system="test",
                    source_id=f"micro-{n}",
                    recorded_at=at + dt.timedelta(microseconds=7),
                )
            )
    with Session(engine) as session, session.begin():
        stored = session.execute(
            select(
                Observation.id,
                Observation.observed_at,
                Observation.recorded_at,
                Observation.loinc,
                Observation.value,
                Observation.unit,
            )
            .where(Observation.episode_id == seeded["episode"])
            .order_by(Observation.observed_at, Observation.id)
        ).tuples()
        expected = ObservationColumns.from_rows(list(stored))
        for codes in (None, frozenset({"751-8"})):
            read = read_series(session, seeded["patient"], seeded["episode"], codes).columns()
            keep = [i for i, c in enumerate(expected.code.tolist()) if codes is None or expected.codes[c] in codes]
            assert read.id.tolist() == expected.id[keep].tolist()
            assert read.observed_us.tolist() == expected.observed_us[keep].tolist()
            assert read.recorded_us.tolist() == expected.recorded_us[keep].tolist()
            assert [read.codes[c] for c in read.code.tolist()] == [expected.codes[c] for c in expected.code[keep]]
            assert read.value.tolist() == expected.value[keep].tolist()
        assert microseconds(moments[1]) % 1_000_000 == 999_999
        assert (
            microseconds(moments[1])
            in read_series(session, seeded["patient"], seeded["episode"], None).columns().observed_us.tolist()
        )
