"""Two writers storing one episode's results out of order, as two server processes do, on both databases.

Each writer has its own engine (its own connections), its own result hooks and its own monitoring worker, as a
server process has; their messages carry the days of one episode in reverse order, interleaved by the two threads.
Whatever order the commits and evaluations take, once the workers are idle the alerts on file are exactly what
one evaluation of the whole series leaves: a full evaluation then raises, clears and escalates nothing. An alert
raised on the results known at its moment and contradicted by a later-stored earlier result is resolved
automatically, never left open.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, event, select, text

from engraft.monitoring import AlertState
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.ingest import IncomingObservation, MessageKey, PatientKey, store_results
from engraft.registry.models import MonitoringAlert
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.monitoring_worker import MonitoringWorker
from engraft.registry.result_hooks import ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)  # the seeded episode's day 0, 06:00
ANC = [0.2, 0.3, 0.9, 0.2, 0.1, 0.8, 0.3, 0.2, 0.6, 0.7, 0.8, 0.4, 0.05, 0.3]
"""ANC (10^9/L) of days 0 to 13: runs below 0.5 that a late day splits or joins."""
FEVER_DAYS = (4, 7, 12)


def _message(patient: int, day: int) -> list[IncomingObservation]:
    at = DAY0 + dt.timedelta(days=day)
    key = PatientKey(engraft_id=patient)
    items = [IncomingObservation(1, "OBX[1]", key, at, "751-8", ANC[day], "10*9/L", "lab", f"anc-{day}")]
    temperature = 38.6 if day in FEVER_DAYS else 36.8
    at_fever = at + dt.timedelta(hours=2)
    items.append(IncomingObservation(2, "OBX[2]", key, at_fever, "8310-5", temperature, "Cel", "lab", f"t-{day}"))
    return items


def _wait_idle(*workers: MonitoringWorker) -> None:
    pause = threading.Event()
    for _ in range(2400):
        if all(w.idle() for w in workers):
            return
        pause.wait(0.05)
    raise AssertionError("the monitoring workers did not finish")


def test_two_writers_storing_an_episode_out_of_order_leave_what_one_evaluation_of_the_whole_series_leaves(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    threads = 2 if database_kind == "postgresql" else 1
    engines = [make_engine(migrated_database_url) for _ in range(2)]
    writers = [RegistryService(make_session_factory(e), actor=f"writer-{k}") for k, e in enumerate(engines)]
    hooks = [ResultHooks() for _ in writers]
    workers = [MonitoringWorker(w, lambda: None, workers=threads) for w in writers]
    for worker, hook in zip(workers, hooks, strict=True):
        hook.register(worker.submit)
        worker.start()
    days = list(range(len(ANC)))[::-1]  # the latest day first: every earlier day arrives late
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(k: int) -> None:
        start.wait()
        try:
            for day in days[k::2]:
                message = MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", f"day-{day}")
                store_results(writers[k], _message(seeded["patient"], day), message=message, hooks=hooks[k])
        except BaseException as exc:
            failures.append(exc)

    try:
        running = [threading.Thread(target=write, args=(k,)) for k in range(2)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
        _wait_idle(*workers)
    finally:
        for worker in workers:
            worker.stop()
        for e in engines:
            e.dispose()
    assert failures == []
    service = RegistryService(make_session_factory(engine), actor="test")
    full = evaluate_episode(service, seeded["episode"])
    assert (full.raised, full.cleared, full.escalated) == ([], [], [])
    with engine.connect() as connection:
        alerts = connection.execute(
            select(
                MonitoringAlert.rule_id, MonitoringAlert.dedup_key, MonitoringAlert.state, MonitoringAlert.resolution
            )
        ).all()
    assert len({a.dedup_key for a in alerts}) == len(alerts)
    keys = {a.dedup_key for a in alerts if a.rule_id == "anc-below-0-5"}
    # every run below 0.5 of the whole series (days 0-1, 3-4, 6-7, 11-13) has its alert
    assert keys >= {f"anc-below-0-5/from-2024-05-{d:02d}T06:00:00.000000Z" for d in (1, 4, 7, 12)}
    assert all(a.state is AlertState.RESOLVED for a in alerts if a.resolution is not None)


@pytest.mark.parametrize(
    "database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)  # SQLite has one writer: B cannot commit while A's transaction is open
def test_an_evaluation_waits_for_a_message_of_its_episode_still_being_stored(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    """Writer A is storing day 3 (its transaction open after the results' insert) when writer B commits day 4 and
    its worker evaluates: the evaluation waits for A's commit and judges days 3 and 4 together, so the run below 0.5
    has one alert, from day 3; never one from day 4 that the whole series does not support."""
    engines = [make_engine(migrated_database_url) for _ in range(2)]
    writers = [RegistryService(make_session_factory(e), actor=f"writer-{k}") for k, e in enumerate(engines)]
    hooks = [ResultHooks() for _ in writers]
    workers = [MonitoringWorker(w, lambda: None, workers=1) for w in writers]
    for worker, hook in zip(workers, hooks, strict=True):
        hook.register(worker.submit)
        worker.start()
    paused, release = threading.Event(), threading.Event()

    def hold(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "INSERT INTO observation" in statement and not paused.is_set():
            paused.set()
            release.wait(60)

    event.listen(engines[0], "after_cursor_execute", hold)
    failures: list[BaseException] = []

    def write_day_3() -> None:
        try:
            message = MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", "day-3")
            store_results(writers[0], _message(seeded["patient"], 3), message=message, hooks=hooks[0])
        except BaseException as exc:
            failures.append(exc)

    first = threading.Thread(target=write_day_3)
    try:
        first.start()
        assert paused.wait(60)
        message = MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", "day-4")
        store_results(writers[1], _message(seeded["patient"], 4), message=message, hooks=hooks[1])
        pause = threading.Event()
        for _ in range(600):  # until B's evaluation waits on the episode's lock (or, without it, has finished)
            if _evaluation_waiting(engine) or workers[1].idle():
                break
            pause.wait(0.05)
        release.set()
        first.join()
        _wait_idle(*workers)
    finally:
        release.set()
        for worker in workers:
            worker.stop()
        for e in engines:
            e.dispose()
    assert failures == []
    with engine.connect() as connection:
        keys = connection.scalars(
            select(MonitoringAlert.dedup_key).where(MonitoringAlert.rule_id == "anc-below-0-5")
        ).all()
    assert keys == ["anc-below-0-5/from-2024-05-04T06:00:00.000000Z"]


def _evaluation_waiting(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar_one()
    return bool(waiting)
