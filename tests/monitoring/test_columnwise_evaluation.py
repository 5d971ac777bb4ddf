"""The column-wise evaluation gives what the engine gave before it, result for result.

Reference: the engine as it was (``tests/monitoring/reference_engine``, every rule kind reading typed observations
one by one). Random series with gaps, out-of-order arrival, re-sent duplicates, mixed units (bilirubin and
creatinine mg/dL vs umol/L, temperature Cel vs [degF], counts in 10*9/L, 10*3/uL and /uL, weight kg vs [lb_av])
and values on and around each shipped threshold go through :func:`engraft.monitoring.evaluate`,
:func:`engraft.monitoring.evaluate_columns` (columns from rows, as the registry builds them) and the reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engraft.monitoring import (
    AlertState,
    EpisodeContext,
    Evaluation,
    MonitoredObservation,
    ObservationColumns,
    PriorAlert,
    RuleSet,
    Severity,
    evaluate,
    evaluate_columns,
    load_rule_set,
)
from engraft.monitoring.columns import NOT_RECORDED, microseconds, trusted_observation
from engraft.monitoring.model import RuleSetInForce
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType
from tests.monitoring.reference_engine.evaluator import evaluate as reference_evaluate

DAY0 = dt.date(2026, 3, 1)
RULES: RuleSet = load_rule_set()
DAY0_AT = dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC)

# (code, unit, values near the shipped thresholds in that unit)
_FEEDS: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("8310-5", "Cel", (36.8, 37.9, 37.999999999, 38.0, 38.2, 38.3, 38.5, 39.4)),
    ("8310-5", "[degF]", (98.6, 100.3, 100.4, 100.9, 101.0, 101.5)),
    ("751-8", "10*9/L", (0.0, 0.05, 0.3, 0.49, 0.5, 0.51, 1.2, 3.0)),
    ("751-8", "/uL", (40.0, 499.0, 500.0, 501.0, 1500.0)),
    ("753-4", "10*3/uL", (0.1, 0.499, 0.5, 0.8)),
    ("777-3", "10*9/L", (3.0, 9.9, 10.0, 10.1, 19.9, 20.0, 25.0, 60.0)),
    ("777-3", "/uL", (9900.0, 20000.0, 45000.0)),
    ("1975-2", "mg/dL", (0.6, 1.0, 1.99, 2.0, 2.01, 3.0, 4.5, 8.0)),
    ("14631-6", "umol/L", (10.0, 17.1, 34.1, 34.2, 34.3, 51.3, 90.0)),
    ("2160-0", "mg/dL", (0.5, 0.8, 0.999, 1.0, 1.6, 2.0, 2.4)),
    ("14682-9", "umol/L", (44.2, 70.7, 88.4, 141.4, 176.8)),
    ("29463-7", "kg", (60.0, 63.0, 66.0, 70.0, 73.5, 74.0)),
    ("29463-7", "[lb_av]", (140.0, 150.0, 162.0)),
    ("72493-0", "[IU]/mL", (0.0, 150.0, 999.0, 1000.0, 1001.0, 40000.0)),
    ("30247-1", "{copies}/mL", (0.0, 999.0, 1000.0, 5000.0)),
    ("ENGRAFT-RASH-BSA", "%", (0.0, 20.0, 30.0, 60.0)),
    ("ENGRAFT-STOOL-D", "mL/d", (0.0, 600.0, 1200.0, 1600.0)),
    ("ENGRAFT-UGI", "1", (0.0, 1.0)),
    # immune effector cell episodes (possible CRS and ICANS): vital signs around the centre thresholds and the
    # ASTCT oxygen flow boundary, the ICE score at every threshold, neurological findings
    ("8480-6", "mm[Hg]", (70.0, 79.0, 80.0, 89.0, 90.0, 120.0)),
    ("8480-6", "kPa", (10.6, 11.9, 12.0, 16.0)),
    ("59408-5", "%", (88.0, 91.0, 92.0, 97.0)),
    ("3151-8", "L/min", (0.0, 2.0, 6.0, 6.000001, 6.5, 10.0)),
    ("3151-8", "mL/min", (0.0, 6000.0, 6001.0)),
    ("ENGRAFT-ICE", "{score}", (10.0, 9.0, 7.0, 6.5, 6.0, 3.0, 2.0, 0.0)),
    ("ENGRAFT-ICANSLOC", "1", (0.0, 0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 4.0)),
    ("ENGRAFT-SEIZURE", "1", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0)),
    ("ENGRAFT-OEDEMA", "1", (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.5, 2.0)),
    ("ENGRAFT-MOTORWK", "1", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)),
    ("ENGRAFT-CUSHING", "1", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)),
)

_run = st.tuples(
    st.integers(0, len(_FEEDS) - 1),
    st.integers(-6, 30),  # first day
    st.integers(0, 23),  # first hour
    st.sampled_from((1, 1, 4, 6, 24, 24, 24, 48)),  # hours between results
    st.lists(st.integers(0, 7), min_size=1, max_size=40),  # which value, result by result
    st.integers(0, 10),  # results left out (gaps): every n-th, 0 none
)
"""A feed: results of one code and unit at a regular spacing, with gaps."""
_CORE_FEEDS = (0, 2, 5, 7, 9, 11)
"""Temperature (every 6 h), ANC, platelets, bilirubin, creatinine and weight (daily) from day -5, as on a ward."""
_extra = st.tuples(st.integers(-1, 3), st.booleans())
"""Per result: recorded -1 unknown or that many hours after; re-sent (a duplicate with another id)."""


@st.composite
def episodes(draw: st.DrawFn) -> tuple[EpisodeContext, list[MonitoredObservation], dt.datetime, list[PriorAlert]]:
    transfusions = draw(st.one_of(st.none(), st.lists(st.integers(-3, 40), max_size=4).map(tuple)))
    context = EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=draw(st.sampled_from((None, 4, 12, 17, 18, 45, 70))),
        graft_source=draw(st.sampled_from((None, *GraftSource))),
        transplant_type=draw(st.sampled_from((None, *TransplantType))),
        platelet_transfusion_days=transfusions,
        red_cell_transfusion_days=draw(st.lists(st.integers(0, 40), max_size=3).map(tuple)),
        cell_therapy=draw(st.sampled_from(tuple(CellTherapy))),
    )
    observations: list[MonitoredObservation] = []
    next_id = 1
    core = [
        (feed, -5, 6, 6 if feed == 0 else 24, draw(st.lists(st.integers(0, 7), max_size=50 if feed else 200)), 0)
        for feed in _CORE_FEEDS
    ]
    for feed, day, hour, spacing, picks, gap in core + draw(st.lists(_run, max_size=6)):
        code, unit, values = _FEEDS[feed]
        first = DAY0_AT + dt.timedelta(days=day, hours=hour)
        for n, pick in enumerate(picks):
            if gap and n % gap == gap - 1:
                continue
            observed = first + dt.timedelta(hours=spacing * n)
            recorded, resent = draw(_extra)
            for _ in range(2 if resent else 1):
                observations.append(
                    MonitoredObservation(
                        id=next_id,
                        observed_at=observed,
                        recorded_at=None if recorded < 0 else observed + dt.timedelta(hours=recorded),
                        loinc=code,
                        value=values[pick % len(values)],
                        unit=unit,
                    )
                )
                next_id += 1
    order = draw(st.permutations(range(len(observations))))
    arrived = [observations[i] for i in order]  # arrival order is not time order
    as_of = DAY0_AT + dt.timedelta(days=draw(st.integers(-2, 50)), hours=draw(st.integers(0, 23)))
    prior = [
        PriorAlert(dedup_key=key, state=state, severity=Severity.WARNING)
        for key, state in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(
                        (
                            "anc-below-0-5/from-x",
                            "neutrophil-engraftment/engrafted",
                            "febrile-neutropenia/x",
                            "icans-iec/icans-x",
                        )
                    ),
                    st.sampled_from(tuple(AlertState)),
                ),
                max_size=2,
                unique_by=lambda t: t[0],
            )
        )
    ]
    return context, arrived, as_of, prior


def _rows(observations: list[MonitoredObservation]) -> ObservationColumns:
    return ObservationColumns.from_rows(
        (o.id, o.observed_at, o.recorded_at, o.loinc, o.value, o.unit) for o in observations
    )


def _epoch_rows(observations: list[MonitoredObservation]) -> ObservationColumns:
    """The columns a database gives with its times as microseconds from 1970-01-01 UTC."""
    return ObservationColumns.from_epoch_rows(
        [
            (
                o.id,
                microseconds(o.observed_at),
                None if o.recorded_at is None else microseconds(o.recorded_at),
                o.loinc,
                o.value,
                o.unit,
            )
            for o in observations
        ]
    )


def _same_columns(a: ObservationColumns, b: ObservationColumns) -> bool:
    arrays = ("id", "observed_us", "recorded_us", "code", "value", "unit")
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in arrays) and (a.codes, a.units) == (
        b.codes,
        b.units,
    )


@given(episodes())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_columns_from_epoch_rows_equal_columns_from_datetime_rows(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime, list[PriorAlert]],
) -> None:
    context, observations, as_of, prior = episode
    assert _same_columns(_epoch_rows(observations), _rows(observations))
    assert evaluate_columns(RULES, context, _epoch_rows(observations), as_of, prior) == evaluate_columns(
        RULES, context, _rows(observations), as_of, prior
    )


def test_columns_from_epoch_rows_refuse_what_columns_from_rows_refuse() -> None:
    at = microseconds(DAY0_AT)
    with pytest.raises(ValueError, match="not a finite number"):
        ObservationColumns.from_epoch_rows([(1, at, None, "751-8", float("inf"), "10*9/L")])
    with pytest.raises(ValueError, match="id=0"):
        ObservationColumns.from_epoch_rows([(0, at, None, "751-8", 0.2, "10*9/L")])
    assert len(ObservationColumns.from_epoch_rows([])) == 0
    one = ObservationColumns.from_epoch_rows([(7, at, None, "751-8", 0.2, "10*9/L")])
    assert int(one.recorded_us[0]) == NOT_RECORDED
    assert one.observation(0).observed_at == DAY0_AT


@given(episodes())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_column_wise_evaluation_equals_the_reference_engine(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime, list[PriorAlert]],
) -> None:
    context, observations, as_of, prior = episode
    expected = reference_evaluate(RULES, context, observations, as_of, prior)
    assert evaluate(RULES, context, observations, as_of, prior) == expected
    assert evaluate_columns(RULES, context, _rows(observations), as_of, prior) == expected


def _centre(version: str, bilirubin_mg_dl: float, anc: float) -> RuleSet:
    """The shipped rules with the bilirubin and ANC thresholds a centre changed (tightened or relaxed)."""
    return load_rule_set(
        f'[rule_set]\nname = "centre"\nversion = "{version}"\n'
        f'[[rule]]\nid = "bilirubin-2-mg-dl"\nversion = "{version}"\ntitle = "Bilirubin"\nkind = "threshold"\n'
        f'severity = "critical"\nparameters = {{ loinc = ["1975-2", "14631-6"], comparator = ">=", '
        f'value = {bilirubin_mg_dl}, unit = "mg/dL", analyte = "bilirubin", basis = "clinical factor" }}\n'
        "applies = { day_from = 0, day_to = 100 }\n"
        'source = { origin = "centre", reference = "centre SOP", verification = "unverified" }\n'
        f'[[rule]]\nid = "anc-below-0-5"\nversion = "{version}"\ntitle = "ANC"\nkind = "threshold"\n'
        f'severity = "warning"\nparameters = {{ loinc = ["751-8", "753-4", "26499-4"], comparator = "<", '
        f'value = {anc}, unit = "10*9/L" }}\n'
        "applies = { day_from = 0, day_to = 100 }\n"
        'source = { origin = "centre", reference = "centre SOP", verification = "unverified" }\n'
    )


_TIGHTER: Final = _centre("tight", 1.5, 1.0)
_LOOSER: Final = _centre("loose", 3.0, 0.3)


@given(episodes(), st.integers(-4, 30), st.integers(1, 20), st.booleans())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_rule_sets_changing_during_an_episode_give_the_reference_engine_result(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime, list[PriorAlert]],
    first_change: int,
    days_between: int,
    tighten_first: bool,
) -> None:
    """Three rule-file versions in force one after the other (shipped, then tighter or looser thresholds, then the
    other): each result judged by the version in force when it arrived, a condition carried over to the version
    under which a result continuing it arrived, the same in both engines."""
    context, observations, as_of, prior = episode
    second, third = (_TIGHTER, _LOOSER) if tighten_first else (_LOOSER, _TIGHTER)
    change = DAY0_AT + dt.timedelta(days=first_change, hours=7)
    history = [
        RuleSetInForce(in_force_from=DAY0_AT - dt.timedelta(days=30), rule_set=RULES),
        RuleSetInForce(in_force_from=change, rule_set=second),
        RuleSetInForce(in_force_from=change + dt.timedelta(days=days_between), rule_set=third),
    ]
    expected = reference_evaluate(history, context, observations, as_of, prior)
    assert evaluate(history, context, observations, as_of, prior) == expected
    assert evaluate_columns(history, context, _rows(observations), as_of, prior) == expected
    keys = [d.dedup_key for d in expected.detections]
    assert len(keys) == len(set(keys))
    for rule_id in ("bilirubin-2-mg-dl", "anc-below-0-5"):  # no result rests two detections of one rule
        used = [i for d in expected.detections if d.rule_id == rule_id for i in d.triggering]
        assert len(used) == len(set(used))


def _fever_episode() -> tuple[EpisodeContext, list[MonitoredObservation]]:
    anc = [
        MonitoredObservation(
            id=1, observed_at=DAY0_AT + dt.timedelta(days=5, hours=6), loinc="751-8", value=0.2, unit="10*9/L"
        )
    ]
    return EpisodeContext(patient_id=1, episode_id=1, day0=DAY0, age_at_day0=40), anc


@pytest.mark.parametrize(
    ("temperatures", "fever"),
    [
        pytest.param([(38.3, "Cel")], True, id="38.3-C-once-fever"),
        pytest.param([(38.299999, "Cel")], False, id="38.299999-C-once-no-fever"),
        pytest.param([(101.0, "[degF]")], True, id="101-F-once-fever"),
        pytest.param([(100.9, "[degF]")], False, id="100.9-F-once-no-fever"),
        pytest.param([(38.0, "Cel"), (38.0, "Cel")], True, id="38.0-C-over-1h-fever"),
        pytest.param([(100.4, "[degF]"), (100.4, "[degF]")], True, id="100.4-F-over-1h-fever"),
        pytest.param([(37.99, "Cel"), (38.2, "Cel")], False, id="37.99-then-38.2-no-fever"),
        pytest.param([(38.0, "Cel"), (100.3, "[degF]")], False, id="38.0-C-then-100.3-F-no-fever"),
    ],
)
def test_fever_boundaries_in_celsius_and_fahrenheit(temperatures: list[tuple[float, str]], fever: bool) -> None:
    """Readings one hour apart at 06:00 and 07:00 on day 5, ANC 0.2 that morning."""
    context, observations = _fever_episode()
    for n, (value, unit) in enumerate(temperatures):
        at = DAY0_AT + dt.timedelta(days=5, hours=6 + n)
        observations.append(MonitoredObservation(id=10 + n, observed_at=at, loinc="8310-5", value=value, unit=unit))
    as_of = DAY0_AT + dt.timedelta(days=6)
    result = evaluate(RULES, context, observations, as_of)
    assert result == reference_evaluate(RULES, context, observations, as_of)
    assert any(d.rule_id == "febrile-neutropenia" for d in result.detections) is fever


@pytest.mark.parametrize(
    ("value", "unit", "alert"),
    [
        pytest.param(34.19, "umol/L", False, id="bilirubin-34.19-umol-L-below"),
        pytest.param(34.2, "umol/L", True, id="bilirubin-34.2-umol-L-at"),
        pytest.param(1.9999, "mg/dL", False, id="bilirubin-1.9999-mg-dL-below"),
        pytest.param(2.0, "mg/dL", True, id="bilirubin-2.0-mg-dL-at"),
    ],
)
def test_bilirubin_threshold_boundary_column_wise(value: float, unit: str, alert: bool) -> None:
    code = "14631-6" if unit == "umol/L" else "1975-2"
    at = DAY0_AT + dt.timedelta(days=3, hours=6)
    observations = [MonitoredObservation(id=1, observed_at=at, loinc=code, value=value, unit=unit)]
    context = EpisodeContext(patient_id=1, episode_id=1, day0=DAY0, age_at_day0=40)
    as_of = DAY0_AT + dt.timedelta(days=4)
    result = evaluate_columns(RULES, context, _rows(observations), as_of)
    assert result == reference_evaluate(RULES, context, observations, as_of)
    assert any(d.rule_id == "bilirubin-2-mg-dl" for d in result.detections) is alert


def test_columns_from_rows_refuse_what_a_typed_observation_refuses() -> None:
    at = DAY0_AT
    with pytest.raises(ValueError, match="no time zone"):
        ObservationColumns.from_rows([(1, at.replace(tzinfo=None), None, "751-8", 0.2, "10*9/L")])
    with pytest.raises(ValueError, match="not a finite number"):
        ObservationColumns.from_rows([(1, at, None, "751-8", float("nan"), "10*9/L")])
    with pytest.raises(ValueError, match="id=0"):
        ObservationColumns.from_rows([(0, at, None, "751-8", 0.2, "10*9/L")])


def test_an_empty_series_raises_nothing() -> None:
    context = EpisodeContext(patient_id=1, episode_id=1, day0=DAY0, age_at_day0=40, platelet_transfusion_days=())
    as_of = DAY0_AT + dt.timedelta(days=60)
    empty = ObservationColumns.from_rows([])
    assert evaluate_columns(RULES, context, empty, as_of) == Evaluation(detections=(), transitions=())


@given(
    st.integers(1, 10**9),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.one_of(st.none(), st.datetimes(timezones=st.just(dt.UTC))),
    st.sampled_from(("751-8", "8310-5")),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(("10*9/L", "Cel")),
)
def test_an_observation_built_from_the_columns_is_what_pydantic_constructs(
    id_: int, observed: dt.datetime, recorded: dt.datetime | None, loinc: str, value: float, unit: str
) -> None:
    fields = {"id": id_, "observed_at": observed, "recorded_at": recorded, "loinc": loinc, "value": value, "unit": unit}
    built = trusted_observation(dict(fields))
    constructed = MonitoredObservation.model_construct(**fields)
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        assert getattr(built, name) == getattr(constructed, name), name
    assert built == MonitoredObservation(**fields) and hash(built) == hash(constructed)
    assert MonitoredObservation.__pydantic_post_init__ is None  # model_construct would call it


_TEMPERATURE_FEEDS: Final = tuple(n for n, (code, _, _) in enumerate(_FEEDS) if code == "8310-5")
_VITAL_FEEDS: Final = tuple(n for n, (code, _, _) in enumerate(_FEEDS) if code in ("8480-6", "59408-5", "3151-8"))
_ICANS_FEEDS: Final = tuple(
    n for n, (code, _, _) in enumerate(_FEEDS) if code.startswith("ENGRAFT-") and "GI" not in code
)
_IEC_FEEDS: Final = _TEMPERATURE_FEEDS * 3 + _VITAL_FEEDS * 2 + _ICANS_FEEDS * 2
"""Temperature (often), the CRS vital signs, the ICE score and the ICANS findings (and aGVHD findings, unread)."""
_iec_run = st.tuples(
    st.sampled_from(_IEC_FEEDS),
    st.sampled_from((-2, 0, 1, 2, 3, 4, 5, 7, 10, 20, 29, 30, 31)),  # first day
    st.integers(0, 23),  # first hour
    st.sampled_from((1, 4, 6, 12, 24, 73)),  # hours between results (73: past the 72 h that starts a new episode)
    st.lists(st.integers(0, 7), min_size=1, max_size=12),
)


@st.composite
def immune_effector_episodes(draw: st.DrawFn) -> tuple[EpisodeContext, list[MonitoredObservation], dt.datetime]:
    """CAR-T episodes: fevers, vital signs, ICE scores and neurological findings from day -2 to day +32."""
    context = EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=draw(st.sampled_from((None, 3, 11, 12, 17, 18, 45))),
        transplant_type=TransplantType.AUTOLOGOUS,
        cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
    )
    observations: list[MonitoredObservation] = []
    for feed, day, hour, spacing, picks in draw(st.lists(_iec_run, min_size=1, max_size=16)):
        code, unit, values = _FEEDS[feed]
        first = DAY0_AT + dt.timedelta(days=day, hours=hour)
        for n, pick in enumerate(picks):
            observed = first + dt.timedelta(hours=spacing * n)
            observations.append(
                MonitoredObservation(
                    id=len(observations) + 1,
                    observed_at=observed,
                    recorded_at=observed + dt.timedelta(hours=draw(st.integers(0, 2))),
                    loinc=code,
                    value=values[pick % len(values)],
                    unit=unit,
                )
            )
    order = draw(st.permutations(range(len(observations))))
    as_of = DAY0_AT + dt.timedelta(days=draw(st.integers(0, 36)), hours=draw(st.integers(0, 23)))
    return context, [observations[i] for i in order], as_of


@given(immune_effector_episodes(), st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_possible_crs_and_icans_equal_the_reference_engine(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime], data: st.DataObject
) -> None:
    """The CRS and ICANS kinds against their reference re-implementations, with alerts on file for some of the
    detections (open or acknowledged, at any severity: escalation by a worse finding, ongoing, resolved)."""
    context, observations, as_of = episode
    found = reference_evaluate(RULES, context, observations, as_of).detections
    on_file = data.draw(st.lists(st.sampled_from(found), unique_by=lambda d: d.dedup_key) if found else st.just([]))
    prior = [
        PriorAlert(
            dedup_key=d.dedup_key,
            state=data.draw(st.sampled_from(tuple(AlertState))),
            severity=data.draw(st.sampled_from(tuple(Severity))),
        )
        for d in on_file
    ]
    expected = reference_evaluate(RULES, context, observations, as_of, prior)
    assert evaluate(RULES, context, observations, as_of, prior) == expected
    assert evaluate_columns(RULES, context, _rows(observations), as_of, prior) == expected
