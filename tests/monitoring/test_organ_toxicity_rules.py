"""Organ-toxicity signals through the engine: bilirubin doubling and rise, weight gain per SOS/VOD criteria set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.monitoring import AlertState, PriorAlert, RuleKind, TransitionKind, evaluate, load_rule_set
from tests.monitoring.series_builder import (
    AS_OF_END,
    BILIRUBIN_MG,
    BILIRUBIN_UMOL,
    CREATININE_MG,
    at,
    context,
    series,
)

RULES = load_rule_set()
WEIGHT = "29463-7"


def _found(rule_id: str, observations: list, age: int = 45) -> list:  # type: ignore[type-arg]
    found = evaluate(RULES, context(age=age), observations, AS_OF_END).detections
    return [d for d in found if d.rule_id == rule_id]


@pytest.mark.parametrize(
    ("unit", "baseline", "later", "alerts"),
    [
        pytest.param("kg", 70.0, 73.5, False, id="kg-exactly-5-percent-not-met"),
        pytest.param("kg", 70.0, 73.6, True, id="kg-just-above-5-percent"),
        pytest.param("kg", 70.0, 72.0, False, id="kg-below-5-percent"),
        pytest.param("[lb_av]", 200.0, 210.0, False, id="lb-exactly-5-percent-not-met"),
        pytest.param("[lb_av]", 200.0, 210.1, True, id="lb-just-above-5-percent"),
    ],
)
def test_adult_weight_gain_over_5_percent(unit: str, baseline: float, later: float, alerts: bool) -> None:
    found = _found("weight-gain-over-5-percent-adult", series(WEIGHT, unit, [(-3, baseline), (10, later)]))
    assert bool(found) is alerts
    if alerts:
        assert found[0].detected_at == at(10) and found[0].triggering == (1, 2)
        assert found[0].citations


def test_the_weight_rule_follows_the_age_group() -> None:
    observations = series(WEIGHT, "kg", [(-3, 20.0), (10, 21.2)])
    assert not _found("weight-gain-over-5-percent-adult", observations, age=8)
    assert _found("weight-gain-over-5-percent-child", observations, age=8)
    assert not _found("weight-gain-over-5-percent-child", observations, age=18)


def test_no_signal_without_a_baseline_before_day_0() -> None:
    assert not _found("weight-gain-over-5-percent-adult", series(WEIGHT, "kg", [(0, 70.0), (10, 80.0)]))


@pytest.mark.parametrize(
    ("loinc", "unit", "first", "second", "alerts"),
    [
        pytest.param(BILIRUBIN_MG, "mg/dL", 1.0, 1.99, False, id="mg-dl-just-below-double"),
        pytest.param(BILIRUBIN_MG, "mg/dL", 1.0, 2.0, True, id="mg-dl-at-double"),
        pytest.param(BILIRUBIN_MG, "mg/dL", 1.0, 2.01, True, id="mg-dl-just-above-double"),
        pytest.param(BILIRUBIN_UMOL, "umol/L", 17.1, 34.1, False, id="umol-l-just-below-double"),
        pytest.param(BILIRUBIN_UMOL, "umol/L", 17.1, 34.2, True, id="umol-l-at-double"),
    ],
)
def test_bilirubin_doubling_within_48_hours(loinc: str, unit: str, first: float, second: float, alerts: bool) -> None:
    observations = series(loinc, unit, [(-2, first), (5, first), (7, second)])  # day 5 to day 7: exactly 48 h
    found = _found("bilirubin-doubling-48h", observations)
    assert bool(found) is alerts
    if alerts:
        assert found[0].detected_at == at(7)


def test_bilirubin_doubling_over_more_than_48_hours_is_not_met() -> None:
    observations = series(BILIRUBIN_MG, "mg/dL", [(-2, 1.0), (5, 1.0), (8, 2.5)])
    assert not _found("bilirubin-doubling-48h", observations)


def test_bilirubin_rising_three_days_is_a_paediatric_signal_only() -> None:
    observations = series(BILIRUBIN_MG, "mg/dL", [(-2, 0.5), (10, 0.6), (11, 0.7), (12, 0.8)])
    (child,) = _found("bilirubin-rising-3-days-child", observations, age=6)
    assert child.detected_at == at(12)
    assert not _found("bilirubin-rising-3-days-child", observations, age=40)
    two_days = series(BILIRUBIN_MG, "mg/dL", [(-2, 0.5), (10, 0.6), (11, 0.7), (12, 0.7)])
    assert not _found("bilirubin-rising-3-days-child", two_days, age=6)


def test_creatinine_doubling_is_watched_once_by_default_and_a_centre_may_swap_in_the_published_rule() -> None:
    assert not [r for r in RULES.rules if r.kind is RuleKind.ORGAN_TOXICITY and "creatinine" in r.id]
    centre = """
[rule_set]
name = "centre"
version = "1"
disable = ["creatinine-doubling"]

[[rule]]
id = "creatinine-doubling-ebmt"
version = "1"
title = "Creatinine at least twice the baseline at transplant"
kind = "organ toxicity"
severity = "warning"
parameters = { signal = "creatinine doubling" }
source = { origin = "published", reference = "EBMT 2016 adult SOS/VOD severity, renal", verification = "secondary" }
"""
    rules = load_rule_set(centre)
    for value, alerts in ((1.59, False), (1.6, True)):
        observations = series(CREATININE_MG, "mg/dL", [(-1, 0.8), (6, value)])
        found = evaluate(rules, context(), observations, AS_OF_END).detections
        assert {d.rule_id for d in found if "creatinine" in d.rule_id} == (
            {"creatinine-doubling-ebmt"} if alerts else set()
        )


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(-5, 40), st.sampled_from([60.0, 70.0, 73.5, 74.0, 80.0])), max_size=10),
    seed=st.randoms(),
)
def test_weight_alerts_ignore_arrival_order_and_replay_raises_nothing_twice(values, seed) -> None:  # type: ignore[no-untyped-def]
    observations = series(WEIGHT, "kg", values)
    shuffled = list(observations)
    seed.shuffle(shuffled)
    first = evaluate(RULES, context(), observations, AS_OF_END)
    assert evaluate(RULES, context(), shuffled, AS_OF_END).detections == first.detections
    prior = [PriorAlert(dedup_key=t.dedup_key, state=AlertState.OPEN, severity=t.severity) for t in first.transitions]
    again = evaluate(RULES, context(), shuffled, AS_OF_END, prior)
    assert not [t for t in again.transitions if t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED)]
