"""Corrected results (HL7 OBX-11 C, FHIR amended or corrected) replace the result they name: the series, the
alerts and the audit log follow; other content under a final result's identifier is still refused."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from engraft.io.hl7_oru import read_oru
from engraft.monitoring import AlertState
from engraft.registry.errors import InvalidRecord
from engraft.registry.ingest import IncomingObservation, MessageKey, PatientKey, store_results
from engraft.registry.models import AuditEntry, MonitoringAlert, Observation
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol
from tests.io.feeds import obx, oru

AT = dt.datetime(2024, 5, 3, 8, tzinfo=dt.UTC)  # day 2 of the seeded episode (day 0 2024-05-01)
AS_OF = dt.datetime(2024, 5, 4, tzinfo=dt.UTC)


def _result(
    seeded: dict[str, int], value: float, *, corrects: bool = False, loinc: str = "751-8", at: dt.datetime = AT
) -> IncomingObservation:
    key = PatientKey(engraft_id=seeded["patient"])
    return IncomingObservation(
        1, "OBX[1]", key, at, loinc, value, "10*9/L", "hl7v2:LAB^HOSP", "F-1|751-8|", corrects=corrects
    )


def _key(control_id: str) -> MessageKey:
    return MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", control_id)


def _stored(engine: Engine) -> list[tuple[int, float, float]]:
    with engine.connect() as connection:
        rows = connection.execute(select(Observation.id, Observation.value, Observation.value_canonical))
        return [(int(i), float(v), float(c)) for i, v, c in rows]


def _anc_alert(engine: Engine, episode: int) -> AlertState | None:
    with engine.connect() as connection:
        stmt = select(MonitoringAlert.state).where(
            MonitoringAlert.episode_id == episode, MonitoringAlert.rule_id == "anc-below-0-5"
        )
        return connection.scalar(stmt)


def test_a_correction_replaces_the_result_and_the_alert_it_raised_is_cleared(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    heard: list[CommittedResults] = []
    hooks = ResultHooks()
    hooks.register(heard.append)
    first = store_results(service, [_result(seeded, 0.2)], message=_key("M-1"), hooks=hooks)
    assert (first.observations_inserted, first.observations_corrected) == (1, 0)
    evaluate_episode(service, seeded["episode"], as_of=AS_OF)
    assert _anc_alert(engine, seeded["episode"]) is AlertState.OPEN  # 0.2 x10^9/L: neutropenia
    ((stored_id, _, _),) = _stored(engine)

    heard.clear()
    second = store_results(service, [_result(seeded, 2.4, corrects=True)], message=_key("M-2"), hooks=hooks)
    assert (second.observations_inserted, second.observations_corrected) == (0, 1)
    assert _stored(engine) == [(stored_id, 2.4, 2.4)]  # the same row, its value replaced: no second result
    assert [(c.observation_ids, c.loinc_codes) for c in heard] == [((stored_id,), frozenset({"751-8"}))]
    evaluate_episode(service, seeded["episode"], as_of=AS_OF)
    assert _anc_alert(engine, seeded["episode"]) is AlertState.RESOLVED  # the condition is no longer there

    with engine.connect() as connection:
        changes = connection.scalar(
            select(AuditEntry.changes).where(AuditEntry.entity == "observation", AuditEntry.action == "update")
        )
    assert changes is not None
    (entry,) = changes["corrected"]
    assert (entry["id"], entry["before"]["value"], entry["after"]["value"]) == (stored_id, 0.2, 2.4)


def test_the_same_correction_again_changes_nothing(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    store_results(service, [_result(seeded, 0.2)], message=_key("M-1"), hooks=ResultHooks())
    store_results(service, [_result(seeded, 2.4, corrects=True)], message=_key("M-2"), hooks=ResultHooks())
    again = store_results(service, [_result(seeded, 2.4, corrects=True)], message=_key("M-3"), hooks=ResultHooks())
    assert (again.observations_inserted, again.observations_corrected, again.committed) == (0, 0, ())
    assert [v for _, v, _ in _stored(engine)] == [2.4]


def test_a_correction_with_nothing_to_correct_is_stored_as_new(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    outcome = store_results(service, [_result(seeded, 2.4, corrects=True)], message=_key("M-1"), hooks=ResultHooks())
    assert (outcome.observations_inserted, outcome.observations_corrected) == (1, 0)
    assert [v for _, v, _ in _stored(engine)] == [2.4]


@pytest.mark.parametrize(
    ("corrects", "loinc", "expected"),
    [
        pytest.param(False, "751-8", "either new, or identical", id="final-result-with-other-content"),
        pytest.param(True, "26499-4", "for the same patient and code", id="correction-of-another-code"),
    ],
)
def test_other_content_under_a_stored_identifier_is_refused_and_nothing_changes(
    service: RegistryService, seeded: dict[str, int], engine: Engine, corrects: bool, loinc: str, expected: str
) -> None:
    store_results(service, [_result(seeded, 0.2)], message=_key("M-1"), hooks=ResultHooks())
    with pytest.raises(InvalidRecord) as refused:
        store_results(
            service, [_result(seeded, 2.4, corrects=corrects, loinc=loinc)], message=_key("M-2"), hooks=ResultHooks()
        )
    (problem,) = refused.value.problems
    assert problem.field.endswith("source_id") and expected in problem.expected
    assert [v for _, v, _ in _stored(engine)] == [0.2]


def test_an_hl7_correction_travels_from_the_message_to_the_stored_result(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    pid = f"PID|1||{seeded['patient']}^^^ENGRAFT||Patient^Test||19700517|F"
    time = "20240503080000+0000"
    original = read_oru(oru("M-1", obx(1, "751-8", "0.2", "10*9/L", time=time), pid=pid))
    corrected = read_oru(oru("M-2", obx(1, "751-8", "2.4", "10*9/L", status="C", time=time), pid=pid))
    assert original.problems == () and corrected.problems == ()
    store_results(service, original.observations, message=original.key, hooks=ResultHooks())
    outcome = store_results(service, corrected.observations, message=corrected.key, hooks=ResultHooks())
    assert outcome.observations_corrected == 1
    assert [v for _, v, _ in _stored(engine)] == [2.4]


def test_a_correction_that_moves_a_result_to_another_episode_has_both_judged_again(
    client: TestClient, service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    second = client.post(
        "/api/episodes",
        json={
            "patient_id": seeded["patient"],
            "diagnosis_id": seeded["diagnosis"],
            "centre": "C1",
            "transplant_type": "autologous",
            "graft_source": "peripheral blood",
            "day0": "2024-09-01",
        },
    )
    assert second.status_code == 201, second.text
    store_results(service, [_result(seeded, 0.2)], message=_key("M-1"), hooks=ResultHooks())
    heard: list[CommittedResults] = []
    hooks = ResultHooks()
    hooks.register(heard.append)
    later = dt.datetime(2024, 9, 3, 8, tzinfo=dt.UTC)  # the lab got the date wrong: the second transplant's day 2
    outcome = store_results(service, [_result(seeded, 0.2, corrects=True, at=later)], message=_key("M-2"), hooks=hooks)
    assert outcome.observations_corrected == 1
    assert {c.episode_id for c in heard} == {seeded["episode"], second.json()["id"]}
    with engine.connect() as connection:
        assert connection.scalar(select(Observation.episode_id)) == second.json()["id"]
