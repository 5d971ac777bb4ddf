"""Stored results are judged by the rule-file version in force when they arrived (SQLite and PostgreSQL).

A centre tightens a threshold: the results already stored are not judged again by the new rule (what the team was
alerted to, or not, under the old file stands), the results that arrive after it are (a condition the old file
did not find is judged by the new one from the first result arriving under it); each recorded version is in the
audit entry of the evaluation that recorded it, and the alert names the rule version that raised it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from engraft.registry.models import AuditEntry, MonitoringAlert, MonitoringRuleFile
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService

STRICTER = (
    '[rule_set]\nname = "Centre One"\nversion = "c-2"\n'
    '[[rule]]\nid = "bilirubin-2-mg-dl"\nversion = "c-2"\ntitle = "Bilirubin at or above 1.5 mg/dL"\n'
    'kind = "threshold"\nseverity = "critical"\n'
    'parameters = { loinc = ["1975-2", "14631-6"], comparator = ">=", value = 1.5, unit = "mg/dL", '
    'analyte = "bilirubin", basis = "clinical factor" }\n'
    "applies = { day_from = 0, day_to = 100 }\n"
    'source = { origin = "centre", reference = "Centre SOP 2: bilirubin >= 1.5 mg/dL", verification = "unverified" }\n'
)
RULE = "bilirubin-2-mg-dl"


def _bilirubin(service: RegistryService, seeded: dict[str, int], day: int, mg_dl: float) -> None:
    row = ObservationRow(
        seeded["patient"],
        seeded["episode"],
        dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=day),
        "1975-2",
        mg_dl,
        "mg/dL",
        "lab feed",
        f"bili-{day}",
    )
    assert add_observations(service, [row]).inserted == 1


def _at(day: int) -> dt.datetime:
    return dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day)


def _bilirubin_alerts(engine: Engine) -> list[MonitoringAlert]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(MonitoringAlert).where(MonitoringAlert.rule_id == RULE).order_by(MonitoringAlert.id)
            ).all()
        )


def test_results_stored_before_a_stricter_centre_file_are_not_judged_by_it(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    episode = seeded["episode"]
    _bilirubin(service, seeded, 5, 1.7)  # below the shipped 2 mg/dL: no alert under the file in force
    evaluate_episode(service, episode, as_of=_at(5))
    assert _bilirubin_alerts(engine) == []

    tightened = evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(6))
    assert tightened.rule_file.version.endswith("+c-2")
    assert _bilirubin_alerts(engine) == []  # 1.7 arrived under the shipped file: not judged again by c-2

    _bilirubin(service, seeded, 6, 1.2)  # below both thresholds: the run of 1.7 is over
    _bilirubin(service, seeded, 7, 1.6)  # arrives under c-2: at or above 1.5
    evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(7))
    (alert,) = _bilirubin_alerts(engine)
    assert (alert.rule_version, alert.severity.value) == ("c-2", "critical")
    with engine.connect() as connection:
        day_7 = connection.execute(
            select(MonitoringAlert.triggering_observation_ids).where(MonitoringAlert.id == alert.id)
        ).scalar_one()
    assert len(day_7) == 1  # the day +7 result only, not the day +5 one

    with engine.connect() as connection:
        files = connection.execute(select(MonitoringRuleFile).order_by(MonitoringRuleFile.id)).all()
        entries = connection.execute(
            select(AuditEntry.changes).where(AuditEntry.entity == "monitoring evaluation").order_by(AuditEntry.id)
        ).scalars()
        recorded = [c["rule_file"] for c in entries if c.get("rule_file", {}).get("recorded_now")]
    assert [f.centre_text for f in files] == [None, STRICTER]
    assert [r["version"].endswith("+c-2") for r in recorded] == [False, True]


def test_a_late_result_from_before_the_change_is_judged_by_the_file_in_force_when_it_arrived(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    """What counts is when the result reached the registry, not when it was measured: a day +3 result that
    arrives after the stricter file is judged by it."""
    episode = seeded["episode"]
    evaluate_episode(service, episode, as_of=_at(2))
    evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(4))
    _bilirubin(service, seeded, 3, 1.6)
    evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(4))
    (alert,) = _bilirubin_alerts(engine)
    assert alert.rule_version == "c-2"


def test_a_condition_begun_under_the_old_file_is_alerted_by_the_first_result_under_the_new_one(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    """Bilirubin 1.7 (no alert at 2 mg/dL), then the centre tightens to 1.5: the tightening alone alerts on nothing
    (1.7 was judged under the old file), the next result at 1.6, arriving under the new file, does."""
    episode = seeded["episode"]
    _bilirubin(service, seeded, 5, 1.7)
    evaluate_episode(service, episode, as_of=_at(5))
    evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(6))
    assert _bilirubin_alerts(engine) == []
    _bilirubin(service, seeded, 7, 1.6)
    evaluate_episode(service, episode, centre_rules=STRICTER, as_of=_at(7))
    (alert,) = _bilirubin_alerts(engine)
    assert (alert.rule_version, alert.severity.value) == ("c-2", "critical")


@pytest.mark.parametrize(
    ("severity", "change"),
    [
        pytest.param("warning", "updated", id="same-severity-updated"),
        pytest.param("critical", "escalated", id="higher-severity-escalated"),
    ],
)
def test_an_open_alert_a_tightened_threshold_keeps_open_names_the_new_rule_version(
    service: RegistryService, seeded: dict[str, int], engine: Engine, severity: str, change: str
) -> None:
    """2.1 raises the alert under 2 mg/dL; the centre tightens to 1.5; 1.8 arrives: the old rule would clear the
    alert, the rule in force when 1.8 arrived keeps it open: the same alert, now naming version c-2 and both
    results, the change in the audit log."""
    episode = seeded["episode"]
    _bilirubin(service, seeded, 5, 2.1)
    evaluate_episode(service, episode, as_of=_at(5))
    (raised,) = _bilirubin_alerts(engine)
    assert (raised.rule_version, raised.state.value) == ("1", "open")
    centre = STRICTER.replace('severity = "critical"', f'severity = "{severity}"')
    evaluate_episode(service, episode, centre_rules=centre, as_of=_at(6))
    _bilirubin(service, seeded, 7, 1.8)
    result = evaluate_episode(service, episode, centre_rules=centre, as_of=_at(7))
    (kept,) = _bilirubin_alerts(engine)
    assert kept.id == raised.id and kept.state.value == "open" and kept.id not in result.cleared
    assert kept.rule_version == "c-2" and len(kept.triggering_observation_ids) == 2
    assert kept.severity.value == severity and "1.8" in kept.explanation
    with engine.connect() as connection:
        entries = connection.execute(
            select(AuditEntry.changes).where(AuditEntry.entity == "monitoring evaluation").order_by(AuditEntry.id)
        ).scalars()
        updates = [c for e in entries for c in e["changes"] if c.get("alert") == kept.id and c["change"] != "raised"]
    assert [(u["change"], u["previous_rule_version"], u["rule_version"]) for u in updates] == [(change, "1", "c-2")]
