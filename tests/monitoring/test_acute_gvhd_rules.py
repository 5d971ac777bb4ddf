"""Acute GVHD grade (MAGIC) from recorded findings through the engine: window, missing organs, worsening, replay."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.grading.acute_gvhd_staging import (
    AcuteGvhdFindings,
    LiverFindings,
    LowerGiFindings,
    SkinFindings,
    UpperGiFindings,
    stage_acute_gvhd,
)
from engraft.measurements import Quantity
from engraft.monitoring import AlertState, MonitoredObservation, PriorAlert, TransitionKind, evaluate, load_rule_set
from engraft.vocabulary import EventType
from tests.monitoring.series_builder import AS_OF_END, at, context

RULES = load_rule_set()


def _round(day: int, rash: float, stool: float, ugi: float, bilirubin: float, first_id: int, hour: int = 8) -> list:  # type: ignore[type-arg]
    rows = [
        ("ENGRAFT-RASH-BSA", "%", rash),
        ("ENGRAFT-STOOL-D", "mL/d", stool),
        ("ENGRAFT-UGI", "1", ugi),
        ("1975-2", "mg/dL", bilirubin),
        ("29463-7", "kg", 70.0),
    ]
    return [
        MonitoredObservation(id=first_id + n, observed_at=at(day, hour), loinc=code, value=value, unit=unit)
        for n, (code, unit, value) in enumerate(rows)
    ]


def _expected(rash: float, stool: float, ugi: float, bilirubin: float) -> int:
    findings = AcuteGvhdFindings(
        skin=SkinFindings(rash_bsa_percent=rash),
        liver=LiverFindings(total_bilirubin=Quantity(value=bilirubin, unit="mg/dL")),
        upper_gi=UpperGiFindings(persistent_nausea_vomiting_or_anorexia=ugi >= 1),
        lower_gi=LowerGiFindings(stool_output=Quantity(value=stool, unit="mL/d")),
        body_weight=Quantity(value=70.0, unit="kg"),
    )
    return stage_acute_gvhd(findings).grade().value


def _found(observations: list) -> list:  # type: ignore[type-arg]
    return [
        d for d in evaluate(RULES, context(), observations, AS_OF_END).detections if d.rule_id == "acute-gvhd-grade"
    ]


@pytest.mark.parametrize(
    ("rash", "stool", "ugi", "bilirubin"),
    [
        pytest.param(0.0, 0.0, 0.0, 0.8, id="no-gvhd"),
        pytest.param(30.0, 0.0, 0.0, 0.8, id="skin-only"),
        pytest.param(60.0, 0.0, 1.0, 0.8, id="skin-and-upper-gi"),
        pytest.param(10.0, 1200.0, 0.0, 4.0, id="lower-gi-and-liver"),
    ],
)
def test_the_engine_grade_is_the_grading_of_the_latest_findings(
    rash: float, stool: float, ugi: float, bilirubin: float
) -> None:
    expected = _expected(rash, stool, ugi, bilirubin)
    found = _found(_round(20, rash, stool, ugi, bilirubin, 1))
    if expected == 0:
        assert not found
        return
    (detection,) = found
    assert detection.event is not None and detection.event.event_type is EventType.ACUTE_GVHD
    assert dict(detection.event.details)["grade"] == expected and detection.event.day == 20
    assert detection.citations


@pytest.mark.parametrize(
    ("bilirubin_hours_before", "graded"),
    [
        pytest.param(23, True, id="bilirubin-23h-before-in-window"),
        pytest.param(24, True, id="bilirubin-24h-before-at-window"),
        pytest.param(25, False, id="bilirubin-25h-before-outside-window"),
    ],
)
def test_every_organ_must_be_assessed_inside_the_window(bilirubin_hours_before: int, graded: bool) -> None:
    findings = [o for o in _round(20, 30.0, 0.0, 0.0, 0.8, 1) if o.loinc != "1975-2"]
    bilirubin = MonitoredObservation(
        id=50,
        observed_at=at(20, 8) - dt.timedelta(hours=bilirubin_hours_before),
        loinc="1975-2",
        value=0.8,
        unit="mg/dL",
    )
    assert bool(_found([*findings, bilirubin])) is graded


def test_a_worse_grade_is_a_new_alert_and_the_onset_event_is_written_once() -> None:
    observations = [*_round(20, 30.0, 0.0, 0.0, 0.8, 1), *_round(22, 30.0, 0.0, 0.0, 0.8, 10)]
    observations += _round(25, 60.0, 1600.0, 1.0, 0.8, 20)
    found = _found(observations)
    assert len(found) == 2 and len({d.dedup_key for d in found}) == 2
    assert [d.event is not None for d in found] == [True, False]
    prior = [PriorAlert(dedup_key=d.dedup_key, state=AlertState.OPEN, severity=d.severity) for d in found]
    again = evaluate(RULES, context(), list(reversed(observations)), AS_OF_END, prior)
    assert not [t for t in again.transitions if t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED)]
