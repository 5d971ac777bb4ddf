"""Febrile neutropenia through the engine (the IDSA 2010 definition as :mod:`engraft.grading` implements it):
the boundaries of both fever criteria and of neutropenia, Fahrenheit readings, and one alert per fever."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.monitoring import Detection, MonitoredObservation, evaluate, load_rule_set
from tests.monitoring.series_builder import ANC, AS_OF_END, at, context

RULES = load_rule_set()
TEMPERATURE = "8310-5"


def _obs(n: int, when: dt.datetime, loinc: str, value: float, unit: str) -> MonitoredObservation:
    return MonitoredObservation(id=n, observed_at=when, loinc=loinc, value=value, unit=unit)


def _found(observations: list[MonitoredObservation]) -> list[Detection]:
    return [
        d for d in evaluate(RULES, context(), observations, AS_OF_END).detections if d.rule_id == "febrile-neutropenia"
    ]


@pytest.mark.parametrize(
    ("value", "unit", "alerts"),
    [
        pytest.param(38.29, "Cel", False, id="single-38.29-below"),
        pytest.param(38.3, "Cel", True, id="single-38.3-at"),
        pytest.param(38.31, "Cel", True, id="single-38.31-above"),
        pytest.param(100.9, "[degF]", False, id="single-100.9F-below"),
        pytest.param(101.0, "[degF]", True, id="single-101F-at (38.33 C)"),
    ],
)
def test_a_single_reading(value: float, unit: str, alerts: bool) -> None:
    observations = [_obs(1, at(5, 8), TEMPERATURE, value, unit), _obs(2, at(5, 6), ANC, 0.1, "10*9/L")]
    assert bool(_found(observations)) is alerts


@pytest.mark.parametrize(
    ("minutes", "alerts"),
    [
        pytest.param(59, False, id="sustained-38.0-for-59-min"),
        pytest.param(60, True, id="sustained-38.0-for-60-min"),
    ],
)
def test_a_sustained_fever(minutes: int, alerts: bool) -> None:
    start = at(5, 8)
    observations = [
        _obs(1, start, TEMPERATURE, 38.0, "Cel"),
        _obs(2, start + dt.timedelta(minutes=minutes), TEMPERATURE, 38.1, "Cel"),
        _obs(3, at(5, 6), ANC, 0.1, "10*9/L"),
    ]
    assert bool(_found(observations)) is alerts


@pytest.mark.parametrize(
    ("anc", "alerts"),
    [
        pytest.param(0.49, True, id="anc-0.49-neutropenic"),
        pytest.param(0.5, False, id="anc-0.5-not-neutropenic"),
    ],
)
def test_neutropenia_boundary(anc: float, alerts: bool) -> None:
    observations = [_obs(1, at(5, 8), TEMPERATURE, 39.0, "Cel"), _obs(2, at(5, 6), ANC, anc, "10*9/L")]
    assert bool(_found(observations)) is alerts


def test_no_anc_near_the_fever_raises_nothing() -> None:
    observations = [_obs(1, at(5, 8), TEMPERATURE, 39.0, "Cel"), _obs(2, at(3, 6), ANC, 0.1, "10*9/L")]
    assert not _found(observations)


def test_each_fever_is_its_own_alert_with_its_evidence() -> None:
    observations = [
        _obs(1, at(5, 8), TEMPERATURE, 39.0, "Cel"),
        _obs(2, at(5, 14), TEMPERATURE, 38.6, "Cel"),  # the same fever still going: no new onset
        _obs(3, at(6, 8), TEMPERATURE, 37.0, "Cel"),
        _obs(4, at(7, 8), TEMPERATURE, 38.4, "Cel"),
        _obs(5, at(5, 6), ANC, 0.1, "10*9/L"),
        _obs(6, at(7, 6), ANC, 0.2, "10*9/L"),
    ]
    first, second = _found(observations)
    assert (first.triggering, second.triggering) == ((1, 5), (4, 6))
    assert "febrile neutropenia (IDSA 2010" in first.explanation and "oral" in first.explanation
    assert first.verification.value == "secondary" and first.citations
