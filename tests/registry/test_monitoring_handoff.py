"""A feed listener's evaluations handed to the server processes' evaluators (PostgreSQL), and never lost.

The sender (the listener's :class:`EvaluationHandoff`) and each evaluator have their own engine and connections,
as separate processes have; one test runs the evaluator in a real second process (``start_monitoring`` with
``HandOff.EVALUATOR``, as ``engraft serve`` runs it). Which process evaluated is read from the evaluation's audit
entry (each side audits under its own actor).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, select

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.ingest import IncomingObservation, MessageKey, PatientKey, store_results
from engraft.registry.models import AuditEntry, MonitoringAlert
from engraft.registry.monitoring_handoff import EvaluationConsumer, EvaluationHandoff, conninfo_of
from engraft.registry.monitoring_service import EVALUATION_ENTITY, evaluate_episode
from engraft.registry.monitoring_worker import MonitoringWorker
from engraft.registry.result_hooks import ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol

POSTGRES_ONLY = pytest.mark.parametrize("database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)])
DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)  # the seeded episode's day 0, 06:00

EVALUATOR_PROCESS = """
import sys
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.monitoring_worker import HandOff, start_monitoring
from engraft.registry.result_hooks import ResultHooks
from engraft.registry.service import RegistryService

service = RegistryService(make_session_factory(make_engine(sys.argv[1])), actor="evaluator-process")
worker, stop = start_monitoring(service, lambda: None, hooks=ResultHooks(), hand_off=HandOff.EVALUATOR)
sys.stdin.read()  # until the test closes it
stop()
print(worker.evaluated)
"""


def _wait(condition: Callable[[], bool], what: str) -> None:
    pause = threading.Event()
    for _ in range(1200):
        if condition():
            return
        pause.wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _message(patient: int, day: int, anc: float) -> list[IncomingObservation]:
    at = DAY0 + dt.timedelta(days=day)
    key = PatientKey(engraft_id=patient)
    return [IncomingObservation(1, "OBX[1]", key, at, "751-8", anc, "10*9/L", "lab", f"anc-{day}")]


class _Side:
    """One process's part: its own engine, registry service and monitoring worker."""

    def __init__(self, url: str, actor: str, start: bool = True) -> None:
        self.engine = make_engine(url)
        self.service = RegistryService(make_session_factory(self.engine), actor=actor)
        self.worker = MonitoringWorker(self.service, lambda: None, workers=2)
        if start:
            self.worker.start()

    def close(self) -> None:
        self.worker.stop()
        self.engine.dispose()


@contextmanager
def _listener(url: str) -> Iterator[tuple[_Side, EvaluationHandoff, ResultHooks]]:
    side = _Side(url, "listener")
    conninfo = conninfo_of(side.service)
    assert conninfo is not None
    sender = EvaluationHandoff(conninfo, side.worker)
    sender.start()
    hooks = ResultHooks()
    hooks.register(sender.submit)
    try:
        yield side, sender, hooks
    finally:
        sender.stop()
        side.close()


def _store(side: _Side, hooks: ResultHooks, patient: int, day: int, anc: float) -> None:
    message = MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", f"day-{day}")
    store_results(side.service, _message(patient, day, anc), message=message, hooks=hooks)


def _evaluators_of(engine: Engine, episode_id: int) -> list[str]:
    with engine.connect() as connection:
        stmt = select(AuditEntry.actor).where(
            AuditEntry.entity == EVALUATION_ENTITY, AuditEntry.entity_id == episode_id
        )
        return list(connection.scalars(stmt))


def _alerts(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(MonitoringAlert.rule_id)))


@POSTGRES_ONLY
def test_a_message_the_listener_stored_is_evaluated_by_a_server_process(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    evaluator = subprocess.Popen(
        [sys.executable, "-c", EVALUATOR_PROCESS, migrated_database_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        with _listener(migrated_database_url) as (side, sender, hooks):
            _wait(lambda: bool(sender.evaluators), "the evaluator process to take its slot")
            _store(side, hooks, seeded["patient"], 2, 0.2)
            _wait(lambda: sender.acknowledged == 1 and sender.idle(), "the evaluation's acknowledgement")
            assert (side.worker.evaluated, sender.handed_off, sender.taken_back) == (0, 1, 0)
    finally:
        out, _ = evaluator.communicate("", timeout=60)
    assert int(out.split()[-1]) == 1  # the other process evaluated the episode once
    assert _evaluators_of(engine, seeded["episode"]) == ["evaluator-process"]
    assert "anc-below-0-5" in _alerts(engine)


@POSTGRES_ONLY
def test_with_no_evaluator_the_listener_evaluates_itself(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    with _listener(migrated_database_url) as (side, sender, hooks):
        _wait(lambda: sender._listening.is_set(), "the sender's reply channel")
        assert sender.evaluators == ()
        _store(side, hooks, seeded["patient"], 2, 0.2)
        _wait(lambda: side.worker.evaluated == 1 and side.worker.idle(), "the listener's own evaluation")
        assert (sender.handed_off, sender.taken_back) == (0, 0)
    assert _evaluators_of(engine, seeded["episode"]) == ["listener"]
    assert "anc-below-0-5" in _alerts(engine)


@POSTGRES_ONLY
def test_an_episode_handed_to_an_evaluator_that_goes_away_is_evaluated_by_the_listener(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    stalled = _Side(migrated_database_url, "stalled-evaluator", start=False)  # receives, never evaluates
    conninfo = conninfo_of(stalled.service)
    assert conninfo is not None
    consumer = EvaluationConsumer(conninfo, stalled.worker)
    consumer.start()
    try:
        assert consumer.ready.wait(30)
        with _listener(migrated_database_url) as (side, sender, hooks):
            _wait(lambda: bool(sender.evaluators) and sender._listening.is_set(), "the evaluator's slot")
            _store(side, hooks, seeded["patient"], 2, 0.2)
            _wait(lambda: consumer.received == 1, "the hand-off")
            assert side.worker.evaluated == 0
            consumer.stop_listening()  # its slot is released: the sender takes the episode back
            _wait(lambda: side.worker.evaluated == 1 and sender.idle(), "the listener's own evaluation")
            assert (sender.handed_off, sender.taken_back, sender.acknowledged) == (1, 1, 0)
    finally:
        consumer.stop()
        stalled.engine.dispose()
    assert _evaluators_of(engine, seeded["episode"]) == ["listener"]
    assert "anc-below-0-5" in _alerts(engine)


@POSTGRES_ONLY
def test_an_episode_goes_to_one_evaluator_and_ends_as_one_evaluation_of_its_whole_series_leaves_it(
    seeded: dict[str, int], engine: Engine, migrated_database_url: str, database_kind: str
) -> None:
    sides = [_Side(migrated_database_url, f"evaluator-{k}") for k in range(2)]
    consumers = []
    for side in sides:
        conninfo = conninfo_of(side.service)
        assert conninfo is not None
        consumers.append(EvaluationConsumer(conninfo, side.worker))
        consumers[-1].start()
    try:
        assert all(c.ready.wait(30) for c in consumers)
        with _listener(migrated_database_url) as (side, sender, hooks):
            _wait(lambda: len(sender.evaluators) == 2 and sender._listening.is_set(), "both evaluators' slots")
            for day, anc in [(4, 0.9), (1, 0.2), (3, 0.3), (2, 0.8)]:  # out of order
                _store(side, hooks, seeded["patient"], day, anc)
            _wait(lambda: sender.acknowledged == 4 and sender.idle(), "the acknowledgements")
            assert side.worker.evaluated == 0
    finally:
        for consumer, side in zip(consumers, sides, strict=True):
            consumer.stop_listening()
            side.worker.stop()
            consumer.stop()
            side.engine.dispose()
    assert sorted(c.received for c in consumers) == [0, 4]  # one evaluator for the episode
    full = evaluate_episode(RegistryService(make_session_factory(engine), actor="test"), seeded["episode"])
    assert (full.raised, full.cleared, full.escalated) == ([], [], [])
