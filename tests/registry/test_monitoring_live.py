"""Evaluating what new results affect, on both databases: a scope runs the rules of the codes that arrived, a late
result re-evaluates what it changes, the worker coalesces an episode queued twice, and concurrent evaluations
(several threads, several workers as in several processes) never store an alert twice."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.monitoring import AlertState
from engraft.registry.models import MonitoringAlert
from engraft.registry.monitoring_scope import EvaluationScope
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.monitoring_worker import MonitoringWorker
from engraft.registry.result_hooks import CommittedResults
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)  # the seeded episode's day 0, 06:00
ANC = "751-8"
BILIRUBIN = ("1975-2", "14631-6")


def _obs(seeded: dict[str, int], day: int, loinc: str, value: float, unit: str, hour: int = 0) -> dict[str, Any]:
    return {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "observed_at": (DAY0 + dt.timedelta(days=day, hours=hour)).isoformat(),
        "loinc": loinc,
        "value": value,
        "unit": unit,
        "source_id": f"{loinc}-{day}-{hour}",
    }


def _send(client: TestClient, rows: list[dict[str, Any]]) -> None:
    answer = client.post("/api/observations/bulk", json=rows)
    assert answer.status_code == 200, answer.text


def _alerts(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(MonitoringAlert).order_by(MonitoringAlert.id)).all())


def _committed(seeded: dict[str, int], *codes: str) -> CommittedResults:
    return CommittedResults(seeded["patient"], seeded["episode"], (1,), (), InboundProtocol.HL7V2, frozenset(codes))


def _wait_idle(*workers: MonitoringWorker) -> None:
    pause = threading.Event()
    for _ in range(1200):
        if all(w.idle() for w in workers):
            return
        pause.wait(0.05)
    raise AssertionError("the monitoring workers did not finish")


def test_a_scoped_evaluation_runs_the_rules_of_the_codes_that_arrived(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, 3, ANC, 0.2, "10*9/L"), _obs(seeded, 3, "1975-2", 3.0, "mg/dL")])
    as_of = DAY0 + dt.timedelta(days=3, hours=1)
    bilirubin = evaluate_episode(service, seeded["episode"], as_of=as_of, scope=EvaluationScope.of_codes(BILIRUBIN))
    rules = {a.rule_id for a in _alerts(engine)}
    assert "bilirubin-2-mg-dl" in rules and "anc-below-0-5" not in rules  # the ANC result was not announced
    assert bilirubin.observations == 2  # bilirubin, and the ANC the deadline rules read (graft failure)
    anc = evaluate_episode(service, seeded["episode"], as_of=as_of, scope=EvaluationScope.of_codes([ANC]))
    assert {a.rule_id for a in _alerts(engine)} >= {"bilirubin-2-mg-dl", "anc-below-0-5"}
    assert anc.raised and not set(anc.raised) & set(bilirubin.raised)
    again = evaluate_episode(service, seeded["episode"], as_of=as_of)  # everything: nothing left to do
    assert (again.raised, again.cleared, again.escalated) == ([], [], [])


def test_a_late_result_re_evaluates_the_runs_it_splits(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, day, ANC, 0.2, "10*9/L") for day in (0, 1, 3, 4, 5)])
    evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=5, hours=1))
    (first,) = [a for a in _alerts(engine) if a.rule_id == "anc-below-0-5"]
    assert first.dedup_key == "anc-below-0-5/from-2024-05-01T06:00:00.000000Z" and first.state is AlertState.OPEN

    _send(client, [_obs(seeded, 2, ANC, 0.9, "10*9/L")])  # day 2 arrives last: the run was two runs
    late = evaluate_episode(
        service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=5, hours=2), scope=EvaluationScope.of_codes([ANC])
    )
    by_key = {a.dedup_key: a for a in _alerts(engine) if a.rule_id == "anc-below-0-5"}
    assert late.cleared == [first.id]
    assert by_key[first.dedup_key].state is AlertState.RESOLVED
    assert by_key[first.dedup_key].resolved_at == DAY0 + dt.timedelta(days=2)
    second = by_key["anc-below-0-5/from-2024-05-04T06:00:00.000000Z"]
    assert second.state is AlertState.OPEN and second.id in late.raised
    full = evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=5, hours=2))
    assert (full.raised, full.cleared) == ([], [])  # the scoped evaluation left what a full one leaves


def test_an_episode_queued_again_while_it_waits_is_evaluated_once_for_all_its_results(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, 3, ANC, 0.2, "10*9/L"), _obs(seeded, 3, "1975-2", 3.0, "mg/dL")])
    worker = MonitoringWorker(service, lambda: None, workers=1)
    worker.submit(_committed(seeded, *BILIRUBIN))
    worker.submit(_committed(seeded, ANC))
    worker.submit(_committed(seeded, *BILIRUBIN))
    worker.submit(CommittedResults(seeded["patient"], None, (9,), (), InboundProtocol.HL7V2, frozenset({ANC})))
    worker.start()
    try:
        _wait_idle(worker)
    finally:
        worker.stop()
    assert worker.evaluated == 1
    assert {a.rule_id for a in _alerts(engine)} >= {"bilirubin-2-mg-dl", "anc-below-0-5"}


def test_concurrent_evaluations_of_one_episode_store_each_alert_once(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, day, ANC, 0.05 if day < 16 else 1.4, "10*9/L") for day in range(0, 22)])
    as_of = DAY0 + dt.timedelta(days=22)
    start = threading.Barrier(6)
    raised: list[int] = []
    failures: list[BaseException] = []

    def evaluate() -> None:
        start.wait()
        try:
            raised.extend(evaluate_episode(service, seeded["episode"], as_of=as_of).raised)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=evaluate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    alerts = _alerts(engine)
    assert sorted(raised) == [a.id for a in alerts]  # each alert raised by exactly one evaluation
    assert len({a.dedup_key for a in alerts}) == len(alerts)


def test_several_workers_as_in_several_processes_keep_each_alert_once(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine, database_kind: str
) -> None:
    """Two workers (two processes' worth) hear every commit, as a result stored by either process would reach its
    own worker; the episode's lock and the (episode, dedup key) constraint keep one alert per occurrence."""
    threads = 3 if database_kind == "postgresql" else 1
    first = MonitoringWorker(service, lambda: None, workers=threads)
    second = MonitoringWorker(service, lambda: None, workers=threads)
    first.start()
    second.start()
    try:
        for day in range(0, 20):
            anc = 0.05 if day < 14 else 1.4
            rows = [_obs(seeded, day, ANC, anc, "10*9/L"), _obs(seeded, day, "8310-5", 38.6, "Cel", hour=1)]
            rows.append(_obs(seeded, day, "1975-2", 1.0 + day / 4, "mg/dL", hour=2))
            _send(client, rows)
            codes = (ANC, "8310-5") if day % 2 else ("1975-2", "8310-5")
            for worker in (first, second):
                worker.submit(_committed(seeded, *codes))
                worker.submit(_committed(seeded, ANC, "1975-2"))
        _wait_idle(first, second)
    finally:
        first.stop()
        second.stop()
    assert first.workers == second.workers == threads
    alerts = _alerts(engine)
    assert {"anc-below-0-5", "febrile-neutropenia", "bilirubin-2-mg-dl", "neutrophil-engraftment"} <= {
        a.rule_id for a in alerts
    }
    assert len({a.dedup_key for a in alerts}) == len(alerts)
    full = evaluate_episode(service, seeded["episode"])
    assert (full.raised, full.cleared) == ([], [])  # the scoped evaluations left what a full one leaves
