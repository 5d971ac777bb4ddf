"""CMV DNAemia against the centre threshold: IU/mL and copies/mL, never mixed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.monitoring import (
    AlertState,
    PriorAlert,
    RuleFileError,
    TransitionKind,
    evaluate,
    load_rule_set,
)
from tests.monitoring.series_builder import AS_OF_END, at, context, series

RULES = load_rule_set()
CMV_IU = "72493-0"
CMV_COPIES = "30247-1"


def _found(observations: list, rule_id: str) -> list:  # type: ignore[type-arg]
    return [d for d in evaluate(RULES, context(), observations, AS_OF_END).detections if d.rule_id == rule_id]


@pytest.mark.parametrize(
    ("loinc", "unit", "rule_id"),
    [
        pytest.param(CMV_IU, "[IU]/mL", "cmv-dnaemia-iu", id="iu"),
        pytest.param(CMV_COPIES, "{copies}/mL", "cmv-dnaemia-copies", id="copies"),
    ],
)
@pytest.mark.parametrize(
    ("load", "alerts"),
    [
        pytest.param(999.0, False, id="just-below-1000"),
        pytest.param(1000.0, True, id="at-1000"),
        pytest.param(1001.0, True, id="just-above-1000"),
    ],
)
def test_threshold_boundary_in_each_unit(loinc: str, unit: str, rule_id: str, load: float, alerts: bool) -> None:
    found = _found(series(loinc, unit, [(20, 200.0), (27, load)]), rule_id)
    assert bool(found) is alerts
    if alerts:
        assert found[0].detected_at == at(27) and found[0].cleared_at is None
        assert "centre threshold 1000" in found[0].explanation


def test_an_iu_rule_never_reads_copies_results_and_the_reverse() -> None:
    copies = series(CMV_COPIES, "{copies}/mL", [(27, 50000.0)])
    iu = series(CMV_IU, "[IU]/mL", [(27, 50000.0)], first_id=10)
    assert not _found(copies, "cmv-dnaemia-iu") and _found(copies, "cmv-dnaemia-copies")
    assert not _found(iu, "cmv-dnaemia-copies") and _found(iu, "cmv-dnaemia-iu")


def test_a_rule_mixing_iu_and_copies_is_refused_when_read() -> None:
    centre = """
[rule_set]
name = "centre"
version = "1"

[[rule]]
id = "cmv-mixed"
version = "1"
title = "CMV mixed units"
kind = "DNAemia"
severity = "warning"
parameters = { virus = "CMV", specimen = "plasma", loinc = ["72493-0", "30247-1"], threshold = 500.0, unit = "[IU]/mL" }
source = { origin = "centre", reference = "centre protocol 3", verification = "unverified" }
"""
    with pytest.raises(RuleFileError, match=r"loinc='30247-1'.*never compared"):
        load_rule_set(centre)


def test_a_fall_below_the_threshold_clears_and_a_new_crossing_is_a_new_alert() -> None:
    observations = series(CMV_IU, "[IU]/mL", [(20, 1500.0), (24, 3000.0), (27, 0.0), (35, 800.0), (40, 2500.0)])
    first, second = _found(observations, "cmv-dnaemia-iu")
    assert (first.detected_at, first.cleared_at) == (at(20), at(27))
    assert "not detected on day +27" in first.explanation
    assert (second.detected_at, second.cleared_at) == (at(40), None)
    assert first.dedup_key != second.dedup_key


def test_an_exclusive_centre_threshold_is_not_met_by_an_equal_load() -> None:
    centre = """
[rule_set]
name = "centre"
version = "1"

[[rule]]
id = "cmv-dnaemia-iu"
version = "2"
title = "CMV above 1000 IU/mL"
kind = "DNAemia"
severity = "warning"
source = { origin = "centre", reference = "centre protocol 3", verification = "unverified" }

[rule.parameters]
virus = "CMV"
specimen = "plasma"
loinc = ["72493-0"]
threshold = 1000.0
unit = "[IU]/mL"
inclusive = false
"""
    rules = load_rule_set(centre)
    for load, alerts in ((1000.0, False), (1000.5, True)):
        found = evaluate(rules, context(), series(CMV_IU, "[IU]/mL", [(27, load)]), AS_OF_END).detections
        assert bool([d for d in found if d.rule_id == "cmv-dnaemia-iu"]) is alerts


_LOADS = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from([0.0, 200.0, 999.0, 1000.0, 5000.0])), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(values=_LOADS, seed=st.randoms())
def test_arrival_order_never_changes_the_alerts_and_replaying_raises_nothing_twice(values, seed) -> None:  # type: ignore[no-untyped-def]
    observations = series(CMV_IU, "[IU]/mL", values)
    shuffled = list(observations)
    seed.shuffle(shuffled)
    first = evaluate(RULES, context(), observations, AS_OF_END)
    again = evaluate(RULES, context(), shuffled, AS_OF_END)
    assert first.detections == again.detections
    prior = [PriorAlert(dedup_key=t.dedup_key, state=AlertState.OPEN, severity=t.severity) for t in first.transitions]
    replay = evaluate(RULES, context(), shuffled, AS_OF_END, prior)
    assert not [t for t in replay.transitions if t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED)]
