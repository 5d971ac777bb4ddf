"""evaluate_episode on both databases: alerts stored once, cleared when the condition ends, derived events with
their rule, one audit entry per evaluation that changed something, rule-file versions recorded once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from engraft.monitoring import AlertState, Severity
from engraft.registry.alert_notices import NOTIFY_PAYLOAD_LIMIT, AlertNotice, announce, hub_for, listener_for
from engraft.registry.alerts import get_alert
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import AuditEntry, ClinicalEvent, MonitoringAlert, MonitoringRuleFile
from engraft.registry.monitoring_service import evaluate_committed, evaluate_episode
from engraft.registry.schemas.alerts import AlertOut
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)  # the seeded episode's day 0


def _obs(seeded: dict[str, int], key: str, day: int, loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "patient_id": seeded["patient"],
        "episode_id": seeded["episode"],
        "observed_at": (DAY0 + dt.timedelta(days=day)).isoformat(),
        "loinc": loinc,
        "value": value,
        "unit": unit,
        "source_id": f"{key}-{day}",
    }


def _send(client: TestClient, rows: list[dict[str, Any]]) -> None:
    answer = client.post("/api/observations/bulk", json=rows)
    assert answer.status_code == 200, answer.text


def _alerts(engine: Engine) -> dict[str, MonitoringAlert]:
    with engine.connect() as conn:
        return {a.dedup_key: a for a in conn.execute(select(MonitoringAlert)).all()}


def _audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "monitoring evaluation")
            )
            or 0
        )


def test_an_engrafting_course_raises_each_condition_once(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    anc = [_obs(seeded, "anc", d, "751-8", 0.05 if d < 16 else 1.4, "10*9/L") for d in range(0, 22)]
    _send(client, anc)
    as_of = DAY0 + dt.timedelta(days=22)
    first = evaluate_episode(service, seeded["episode"], as_of=as_of)
    alerts = _alerts(engine)
    engraftment = alerts["neutrophil-engraftment/engrafted"]
    assert (engraftment.state, engraftment.severity) == (AlertState.OPEN, Severity.INFO)
    neutropenia = alerts["anc-below-0-5/from-2024-05-01T06:00:00.000000Z"]
    assert neutropenia.state is AlertState.RESOLVED and neutropenia.resolved_by is None
    assert neutropenia.resolved_at == DAY0 + dt.timedelta(days=16)
    assert len(neutropenia.triggering_observation_ids) == 16 and "cleared: 1.4 10*9/L" in neutropenia.explanation
    assert sorted(first.raised) == sorted(a.id for a in alerts.values())
    with engine.connect() as conn:
        (event,) = conn.execute(select(ClinicalEvent).where(ClinicalEvent.episode_id == seeded["episode"])).all()
    assert (event.event_type, event.event_date, event.source) == (
        EventType.NEUTROPHIL_ENGRAFTMENT,
        dt.date(2024, 5, 17),
        EventSource.DERIVED,
    )
    assert engraftment.event_id == event.id and first.events_written == [event.id]
    assert _audit_rows(engine) == 1
    with engine.connect() as conn:
        entry = conn.execute(select(AuditEntry).where(AuditEntry.entity == "monitoring evaluation")).one()
    derived = [c for c in entry.changes["changes"] if "clinical_event" in c]
    assert derived[0]["derived_by"] == "neutrophil-engraftment@2" and entry.changes["rule_file"]["recorded_now"]

    again = evaluate_episode(service, seeded["episode"], as_of=as_of)
    assert (again.raised, again.cleared, again.events_written) == ([], [], [])
    assert _alerts(engine).keys() == alerts.keys() and _audit_rows(engine) == 1


def test_an_ongoing_condition_is_cleared_by_a_later_result(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, "bili", 5, "14631-6", 51.3, "umol/L")])
    first = evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=5, hours=1))
    (alert,) = [a for a in _alerts(engine).values() if a.rule_id == "bilirubin-2-mg-dl"]
    assert alert.state is AlertState.OPEN and alert.id in first.raised
    _send(client, [_obs(seeded, "bili", 6, "1975-2", 1.2, "mg/dL")])
    second = evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=6, hours=1))
    assert second.cleared == [alert.id]
    cleared = _alerts(engine)[alert.dedup_key]
    assert cleared.state is AlertState.RESOLVED and cleared.resolved_by is None
    assert cleared.resolution is not None and cleared.resolution.startswith("resolved automatically")


def test_a_changed_centre_file_is_a_new_recorded_version(
    seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    evaluate_episode(service, seeded["episode"])
    evaluate_episode(service, seeded["episode"])
    centre = '[rule_set]\nname = "Centre One"\nversion = "c-1"\ndisable = ["platelets-below-10"]\n'
    result = evaluate_episode(service, seeded["episode"], centre_rules=centre)
    with engine.connect() as conn:
        files = conn.execute(select(MonitoringRuleFile).order_by(MonitoringRuleFile.id)).all()
    assert [f.centre_text for f in files] == [None, centre]
    assert files[1].loaded_by == "test" and result.rule_file.version.endswith("+c-1")
    assert _audit_rows(engine) == 2  # each new version is in the audit entry of the evaluation that recorded it


def test_an_unknown_episode_is_refused(service: RegistryService) -> None:
    with pytest.raises(RecordNotFound):
        evaluate_episode(service, 999_999)


def test_notices_of_one_transaction_arrive_in_order_only_after_commit(engine: Engine, database_kind: str) -> None:
    """Several notices announced in one transaction (one statement on PostgreSQL) reach the hub in the order
    given, once, when it commits; a rolled-back transaction announces nothing."""
    received: list[AlertNotice] = []
    arrived = threading.Event()

    def hear(notice: AlertNotice) -> None:
        received.append(notice)
        arrived.set()

    notices = [AlertNotice(900 + k, 7, change) for k, change in enumerate(("raised", "cleared", "escalated"))]
    stop = hub_for(engine).subscribe(hear)
    try:
        if database_kind == "postgresql":
            listener = listener_for(engine)
            assert listener is not None and listener.listening.wait(30)
        with Session(engine) as session:
            with session.begin():
                announce(session, [AlertNotice(1, 7, "raised")])
                session.rollback()
            with session.begin():
                announce(session, notices)
                assert received == []  # not before the commit
        for _ in range(300):
            if len(received) >= len(notices):
                break
            arrived.wait(0.1)
    finally:
        stop()
    assert received == notices


def test_changes_are_announced_after_commit(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine, database_kind: str
) -> None:
    """On SQLite the hub hears it after the commit; on PostgreSQL through this process's LISTEN thread."""
    received: list[AlertNotice] = []
    arrived = threading.Event()

    def hear(notice: AlertNotice) -> None:
        received.append(notice)
        arrived.set()

    stop = hub_for(engine).subscribe(hear)
    try:
        if database_kind == "postgresql":
            listener = listener_for(engine)
            assert listener is not None and listener.listening.wait(30)
        _send(client, [_obs(seeded, "anc", 3, "751-8", 0.2, "10*9/L")])
        result = evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=3, hours=1))
        for _ in range(300):  # each notice may arrive on its own (PostgreSQL: the listener thread)
            if len(received) >= len(result.raised):
                break
            arrived.wait(0.1)
    finally:
        stop()
    assert listener_for(engine) is None  # the last subscriber gone, the LISTEN thread stops
    assert sorted(n.alert_id for n in received) == sorted(result.raised)
    assert {n.change for n in received} == {"raised"}
    for notice in received:  # each carries the alert as stored, so a stream need not read it again
        assert notice.alert is not None
        stored = get_alert(service, notice.alert_id)
        assert AlertOut.model_validate_json(notice.alert) == stored
        assert (notice.patient_id, notice.version) == (stored.patient_id, stored.version)


def test_a_notice_too_large_for_notify_goes_without_the_alert(
    client: TestClient, seeded: dict[str, int], service: RegistryService
) -> None:
    _send(client, [_obs(seeded, "anc", 3, "751-8", 0.2, "10*9/L")])
    result = evaluate_episode(service, seeded["episode"], as_of=DAY0 + dt.timedelta(days=3, hours=1))
    alert = get_alert(service, result.raised[0])
    carried = AlertNotice.carrying(alert, "raised")
    assert carried.alert is not None and len(carried.to_json().encode()) <= NOTIFY_PAYLOAD_LIMIT
    assert AlertNotice.from_json(carried.to_json()) == carried
    huge = alert.model_copy(update={"explanation": "x" * NOTIFY_PAYLOAD_LIMIT})
    bare = AlertNotice.carrying(huge, "raised")
    assert bare.alert is None and (bare.alert_id, bare.version, bare.patient_id) == (alert.id, 1, alert.patient_id)
    assert len(bare.to_json().encode()) < 200
    assert AlertNotice.from_json(bare.to_json()) == bare


def test_the_post_commit_plug_evaluates_each_episode_once(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    _send(client, [_obs(seeded, "anc", 2, "751-8", 0.1, "10*9/L")])
    results = evaluate_committed(service, [seeded["episode"], seeded["episode"]])
    assert [r.episode_id for r in results] == [seeded["episode"]]
    assert len(_alerts(engine)) == len(results[0].raised) >= 1
