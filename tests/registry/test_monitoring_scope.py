"""Which rules an evaluation runs for the codes that arrived: each rule's codes, checked against the engine (a rule
evaluated on the results of its codes alone finds exactly what it finds on the whole series), and the scope's
choice of rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.monitoring import (
    EpisodeContext,
    MonitoredObservation,
    RuleKind,
    RuleSet,
    evaluate,
    load_rule_set,
)
from engraft.registry.monitoring_scope import (
    _CODE_PARAMETERS,
    EVERYTHING,
    TIME_DRIVEN_KINDS,
    EvaluationScope,
    RuleReach,
    codes_read,
)
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType

RULES = load_rule_set()
DAY0 = dt.date(2026, 3, 1)
ANC = frozenset({"751-8", "753-4", "26499-4"})
PLATELETS = frozenset({"777-3", "778-1", "26515-7"})
BILIRUBIN = frozenset({"1975-2", "14631-6"})
HEART_RATE = "8867-4"

_RESULTS = {  # code: (unit, lowest, highest): values the rules of every kind react to
    "8310-5": ("Cel", 36.0, 39.5),
    "751-8": ("10*9/L", 0.0, 2.0),
    "777-3": ("10*9/L", 0.0, 60.0),
    "2160-0": ("mg/dL", 0.5, 2.5),
    "14682-9": ("umol/L", 40.0, 250.0),
    "1975-2": ("mg/dL", 0.3, 5.0),
    "14631-6": ("umol/L", 5.0, 90.0),
    "29463-7": ("kg", 60.0, 72.0),
    "72493-0": ("[IU]/mL", 0.0, 3000.0),
    "30247-1": ("{copies}/mL", 0.0, 3000.0),
    "ENGRAFT-RASH-BSA": ("%", 0.0, 80.0),
    "ENGRAFT-BULLAE": ("%", 0.0, 10.0),
    "ENGRAFT-STOOL-D": ("mL/d", 0.0, 2000.0),
    "ENGRAFT-UGI": ("1", 0.0, 1.0),
    "ENGRAFT-BLOODYST": ("1", 0.0, 1.0),
    HEART_RATE: ("/min", 50.0, 140.0),
    "8480-6": ("mm[Hg]", 70.0, 130.0),
    "59408-5": ("%", 85.0, 100.0),
    "3151-8": ("L/min", 0.0, 10.0),
}


def _rule(rule_id: str) -> RuleSet:
    return RULES.model_copy(update={"rules": (RULES.rule(rule_id),)})


@pytest.mark.parametrize(
    ("rule_id", "codes"),
    [
        pytest.param("neutrophil-engraftment", ANC, id="engraftment-reads-the-anc-codes"),
        pytest.param("no-neutrophil-engraftment-day-28", ANC, id="deadline-reads-the-lineage-codes"),
        pytest.param("febrile-neutropenia", ANC | {"8310-5"}, id="fever-reads-temperature-and-anc"),
        pytest.param("primary-graft-failure", ANC | PLATELETS, id="graft-failure-reads-both-counts"),
        pytest.param("creatinine-doubling", frozenset({"2160-0", "14682-9"}), id="rise-reads-its-parameter-codes"),
        pytest.param("weight-gain-over-5-percent-adult", frozenset({"29463-7"}), id="organ-signal-reads-its-codes"),
        pytest.param("sos-vod-ebmt-2016-adult", BILIRUBIN | {"29463-7"}, id="sos-vod-reads-bilirubin-and-weight"),
        pytest.param(
            "acute-gvhd-grade",
            BILIRUBIN
            | {"29463-7", "ENGRAFT-RASH-BSA", "ENGRAFT-BULLAE", "ENGRAFT-STOOL-D", "ENGRAFT-UGI", "ENGRAFT-BLOODYST"},
            id="acute-gvhd-reads-its-findings",
        ),
        pytest.param(
            "possible-crs-iec", frozenset({"8310-5", "8480-6", "59408-5", "3151-8"}), id="crs-reads-its-vital-signs"
        ),
    ],
)
def test_each_kind_names_the_codes_it_reads(rule_id: str, codes: frozenset[str]) -> None:
    assert codes_read(RULES.rule(rule_id)) == codes


def test_every_rule_kind_states_its_codes() -> None:
    """A kind added to the engine without its codes here would run at every evaluation: safe, but slow; this
    fails so that its codes are stated (and checked by the equivalence test below)."""
    assert set(_CODE_PARAMETERS) == set(RuleKind)
    assert {rule.kind for rule in RULES.rules} == set(RuleKind)  # the shipped rules exercise every kind


@st.composite
def _episodes(  # every kind of result, dense enough that each rule fires in many examples
    draw: st.DrawFn,
) -> tuple[EpisodeContext, list[MonitoredObservation]]:
    context = EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=draw(st.sampled_from([8, 45])),
        graft_source=draw(st.sampled_from(list(GraftSource))),
        transplant_type=TransplantType.ALLOGENEIC,
        cell_therapy=draw(st.sampled_from(list(CellTherapy))),
        platelet_transfusion_days=draw(st.one_of(st.none(), st.just((5, 9)))),
        red_cell_transfusion_days=draw(st.sampled_from([(), (31,)])),
    )
    start = dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC)
    results = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(_RESULTS)),
                st.integers(min_value=-3 * 24, max_value=32 * 24),
                st.floats(min_value=0, max_value=1),
            ),
            min_size=60,
            max_size=250,
        )
    )
    observations = []
    for n, (code, hour, share) in enumerate(results, start=1):
        unit, low, high = _RESULTS[code]
        value = round(low + share * (high - low), 2)
        at = start + dt.timedelta(hours=hour)
        observations.append(MonitoredObservation(id=n, observed_at=at, loinc=code, value=value, unit=unit))
    return context, observations


@pytest.mark.parametrize("rule_id", [pytest.param(rule.id, id=rule.id) for rule in RULES.rules])
@settings(max_examples=40, deadline=None)
@given(episode=_episodes())
def test_a_rule_on_the_results_of_its_codes_finds_what_it_finds_on_the_whole_series(
    rule_id: str, episode: tuple[EpisodeContext, list[MonitoredObservation]]
) -> None:
    context, observations = episode
    rules = _rule(rule_id)
    codes = codes_read(RULES.rule(rule_id))
    assert codes is not None
    as_of = dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC) + dt.timedelta(days=50)
    whole = evaluate(rules, context, observations, as_of)
    own = evaluate(rules, context, [o for o in observations if o.loinc in codes], as_of)
    assert own == whole


def _reach(rule_id: str) -> RuleReach:
    return RuleReach.of([RULES.rule(rule_id)])


@pytest.mark.parametrize(
    ("scope", "rule_id", "unresolved", "runs"),
    [
        pytest.param(EvaluationScope.of_codes(["751-8"]), "anc-below-0-5", False, True, id="its-code-arrived"),
        pytest.param(EvaluationScope.of_codes([HEART_RATE]), "anc-below-0-5", False, False, id="other-code-arrived"),
        pytest.param(EvaluationScope.of_codes([HEART_RATE]), "anc-below-0-5", True, True, id="open-alert-on-file"),
        pytest.param(
            EvaluationScope.of_codes([HEART_RATE]), "no-neutrophil-engraftment-day-28", False, True, id="deadline-rule"
        ),
        pytest.param(EVERYTHING, "bilirubin-2-mg-dl", False, True, id="full-evaluation"),
    ],
)
def test_a_scope_runs_the_rules_the_new_results_can_change(
    scope: EvaluationScope, rule_id: str, unresolved: bool, runs: bool
) -> None:
    assert scope.runs(_reach(rule_id), unresolved) is runs


def test_time_driven_kinds_run_whatever_arrived() -> None:
    deadlines = [rule.id for rule in RULES.rules if rule.kind in TIME_DRIVEN_KINDS]
    assert deadlines and all(_reach(rule_id).always for rule_id in deadlines)


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        pytest.param(["751-8"], ["8310-5"], EvaluationScope.of_codes(["751-8", "8310-5"]), id="codes-add-up"),
        pytest.param(["751-8"], None, EVERYTHING, id="everything-wins"),
    ],
)
def test_an_episode_queued_twice_is_evaluated_for_both_arrivals(
    first: list[str], second: list[str] | None, merged: EvaluationScope
) -> None:
    later = EVERYTHING if second is None else EvaluationScope.of_codes(second)
    assert EvaluationScope.of_codes(first).merged(later) == merged
    assert later.merged(EvaluationScope.of_codes(first)) == merged
