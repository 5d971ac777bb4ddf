"""The column-wise recovery (``engraft.monitoring.count_recovery``) and the graft-failure pre-screens against the
grading functions, which stay the definitions.

Hypothesis draws count trajectories as a ward has them: blocks of days below, at and above the recovery threshold
(falls after day 0, recoveries, late nadirs and dips after recovery), days left out (gaps in sampling), repeat
counts on a day (ties, other units), results at 00:00 and 23:59:59.999999 UTC and in a UTC+08:00 time zone (day
boundaries), counts in 10*9/L, 10*3/uL and /uL (unit conversions), platelet transfusions before, inside and after
the 7-day window, red-cell transfusions, every graft source and adult and paediatric ages. A fast path that gives
another result than :func:`engraft.grading.neutrophil_engraftment`, :func:`engraft.grading.platelet_engraftment`,
:func:`engraft.grading.graft_failure.primary_graft_failure` or ``secondary_graft_failure`` fails here; the whole
engine is compared with the engine before the columns (``reference_engine``) on the same episodes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engraft.grading import (
    COUNT_UNIT,
    CountMeasurement,
    CountSeries,
    EngraftmentStatus,
    Lineage,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.grading.graft_failure import (
    PRIMARY_GRAFT_FAILURE_DAY_LIMIT,
    GraftFailureStatus,
    Support,
    SupportKind,
    primary_graft_failure,
    secondary_graft_failure,
)
from engraft.measurements import convert
from engraft.monitoring import (
    EpisodeContext,
    MonitoredObservation,
    ObservationColumns,
    evaluate,
    evaluate_columns,
    load_rule_set,
)
from engraft.monitoring.count_recovery import recovery_on_grid
from engraft.monitoring.daily_counts import daily_counts, recovery
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.graft_failure_kinds import PrimaryGraftFailureAdapter, SecondaryGraftFailureAdapter
from engraft.monitoring.series import ANC_CODES, PLATELET_CODES
from engraft.vocabulary import GraftSource, TransplantType
from tests.monitoring.reference_engine.evaluator import evaluate as reference_evaluate

DAY0 = dt.date(2026, 3, 1)
DAY0_AT = dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC)
RULES = load_rule_set()
_ENGRAFTMENT_RULES = RULES.model_copy(
    update={"rules": tuple(r for r in RULES.rules if "engraftment" in r.id or "graft-failure" in r.id)}
)
ANC = "751-8"
PLATELETS = "777-3"

# values in 10^9/L by state: below the threshold, exactly at it, above it
_VALUES = {
    Lineage.NEUTROPHIL: {"low": (0.0, 0.05, 0.3, 0.49), "at": (0.5,), "high": (0.51, 1.2, 3.0)},
    Lineage.PLATELET: {"low": (3.0, 9.9, 19.9), "at": (20.0,), "high": (20.1, 45.0, 120.0)},
}
_UNITS = (("10*9/L", 1.0), ("10*3/uL", 1.0), ("/uL", 1000.0))
_TIMES = (
    dt.timedelta(hours=6),
    dt.timedelta(0),
    dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
    dt.timedelta(hours=14),
)
_UTC8 = dt.timezone(dt.timedelta(hours=8))

_block = st.tuples(st.sampled_from(("low", "at", "high", "gap")), st.integers(1, 12))
"""A stretch of days below, at or above the threshold, or without any count (a long gap in sampling)."""
_day = st.tuples(
    st.integers(0, 9),  # which value of the state
    st.integers(0, 2),  # unit
    st.integers(0, len(_TIMES) - 1),  # time of day (day boundaries)
    st.booleans(),  # a UTC+08:00 time stamp
    st.integers(0, 5),  # 0: no result that day (a gap); 1: a repeat count too; else one result
)


Count = tuple[int, float, str, dt.timedelta, bool]


@st.composite
def trajectories(draw: st.DrawFn, lineage: Lineage, gaps: list[int] | None = None) -> list[Count]:
    """A lineage's counts as (day, value, unit, time of day, UTC+08:00) from day -5: blocks of low / at / high days
    and gaps; the first and middle day of each gap are added to ``gaps`` (to put transfusions there)."""
    blocks = draw(st.lists(_block, min_size=1, max_size=8))
    out: list[Count] = []
    day = draw(st.integers(-5, 2))
    for state, length in blocks:
        if state == "gap":
            if gaps is not None:
                gaps.extend((day, day + length // 2))
            day += length
            continue
        for _ in range(length):
            pick, unit, time, utc8, kind = draw(_day)
            if kind:
                for extra in range(2 if kind == 1 else 1):
                    values = _VALUES[lineage][draw(st.sampled_from(("low", "at", "high"))) if extra else state]
                    name, factor = _UNITS[(unit + extra) % len(_UNITS)]
                    out.append((day, values[pick % len(values)] * factor, name, _TIMES[time], utc8))
            day += 1
    return out


def _observations(counts: list[Count], code: str, first_id: int) -> list[MonitoredObservation]:
    found = []
    for n, (day, value, unit, time, utc8) in enumerate(counts):
        at = DAY0_AT + dt.timedelta(days=day) + time
        found.append(
            MonitoredObservation(
                id=first_id + n,
                observed_at=at.astimezone(_UTC8) if utc8 else at,
                loinc=code,
                value=value,
                unit=unit,
            )
        )
    return found


def _transfusions(gaps: list[int]) -> st.SearchStrategy[list[int]]:
    """Platelet transfusion days: anywhere from day -10 to 60, and some inside the platelet series' gaps."""
    anywhere = st.lists(st.integers(-10, 60), max_size=4)
    if not gaps:
        return anywhere
    return st.builds(lambda a, b: a + b, anywhere, st.lists(st.sampled_from(gaps), max_size=3))


@st.composite
def episodes(draw: st.DrawFn) -> tuple[EpisodeContext, list[MonitoredObservation], dt.datetime]:
    anc = draw(trajectories(Lineage.NEUTROPHIL))
    gaps: list[int] = []
    platelets = draw(trajectories(Lineage.PLATELET, gaps))
    observations = _observations(anc, ANC, 1) + _observations(platelets, PLATELETS, len(anc) + 1)
    transfusions = draw(st.one_of(st.none(), _transfusions(gaps).map(tuple)))
    context = EpisodeContext(
        patient_id=1,
        episode_id=1,
        day0=DAY0,
        age_at_day0=draw(st.sampled_from((None, 2, 12, 17, 18, 45, 70))),
        graft_source=draw(st.sampled_from((None, *GraftSource))),
        transplant_type=draw(st.sampled_from((None, *TransplantType))),
        platelet_transfusion_days=transfusions,
        red_cell_transfusion_days=draw(st.lists(st.integers(-5, 70), max_size=3).map(tuple)),
    )
    shuffled = draw(st.permutations(observations))
    as_of = DAY0_AT + draw(
        st.sampled_from(
            (
                dt.timedelta(days=400),
                dt.timedelta(days=31),
                dt.timedelta(days=31, microseconds=-1),
                dt.timedelta(days=43),
            )
        )
        | st.builds(lambda d, h: dt.timedelta(days=d, hours=h), st.integers(-2, 70), st.integers(0, 23))
    )
    return context, shuffled, as_of


_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _typed_counts(series: EpisodeSeries, codes: tuple[str, ...], up_to_day: int | None = None) -> CountSeries:
    """The grading's series as the engine built it before the columns: every count typed, in 10^9/L."""
    measurements = []
    for position in series.rows_of(codes).tolist():
        o = series.observation(position)
        day = int(series.day[position])
        if up_to_day is None or day <= up_to_day:
            measurements.append(CountMeasurement(day=day, value=convert(o.value, o.unit, COUNT_UNIT), unit=COUNT_UNIT))
    return CountSeries(measurements=tuple(measurements), day0=series.context.day0)


def _series(episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime]) -> EpisodeSeries:
    context, observations, as_of = episode
    return EpisodeSeries(context, ObservationColumns.from_observations(observations), as_of)


@pytest.mark.parametrize("lineage", [pytest.param(x, id=x.value) for x in Lineage])
@given(data=st.data())
@_SETTINGS
def test_recovery_on_the_day_grid_equals_the_grading_function(lineage: Lineage, data: st.DataObject) -> None:
    gaps: list[int] = []
    counts = data.draw(trajectories(lineage, gaps))
    transfusions = data.draw(_transfusions(gaps))
    day0 = data.draw(st.sampled_from((DAY0, None)))
    series = CountSeries(
        measurements=tuple(
            CountMeasurement(day=day, value=convert(value, unit, COUNT_UNIT), unit=COUNT_UNIT)
            for day, value, unit, _, _ in counts
        ),
        day0=day0,
    )
    lowest = series.daily_lowest()
    got = recovery_on_grid(
        lineage,
        np.array([m.day for m in lowest], dtype=np.int64),
        np.array([m.count for m in lowest], dtype=np.float64),
        series.repeated_days(),
        transfusions,
        day0,
    )
    if lineage is Lineage.NEUTROPHIL:
        assert got == neutrophil_engraftment(series)
    else:
        assert got == platelet_engraftment(series, transfusions)


@given(episodes(), st.integers(-3, 70))
@_SETTINGS
def test_the_engines_recovery_equals_the_grading_on_every_count_typed(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime], up_to_day: int
) -> None:
    series = _series(episode)
    context = series.context
    for cut in (None, up_to_day):
        anc = _typed_counts(series, ANC_CODES, cut)
        assert recovery(series, Lineage.NEUTROPHIL, ANC_CODES, cut) == neutrophil_engraftment(anc)
        platelets = _typed_counts(series, PLATELET_CODES, cut)
        expected = (
            None
            if context.platelet_transfusion_days is None
            else platelet_engraftment(platelets, context.platelet_transfusion_days)
        )
        assert recovery(series, Lineage.PLATELET, PLATELET_CODES, cut) == expected
    # the typed series the primary graft failure gets, when it is asked, answers as the full one
    lazily = daily_counts(series, ANC_CODES).series
    full = _typed_counts(series, ANC_CODES)
    assert lazily.daily_lowest() == full.daily_lowest() and lazily.repeated_days() == full.repeated_days()


@given(episodes())
@_SETTINGS
def test_graft_failure_pre_screens_agree_with_the_grading_functions(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime],
) -> None:
    context, _, as_of = episode
    series = _series(episode)
    as_of_day = context.day_of(as_of)
    rules = {r.id: r for r in RULES.rules}
    anc = _typed_counts(series, ANC_CODES)
    for graft in PRIMARY_GRAFT_FAILURE_DAY_LIMIT:
        graft_context = context.model_copy(update={"graft_source": graft})
        graft_series = EpisodeSeries(graft_context, series.columns, as_of)
        found = PrimaryGraftFailureAdapter().evaluate(
            rules["primary-graft-failure"], graft_context, graft_series, as_of
        )
        met = primary_graft_failure(anc, graft, as_of_day).status is GraftFailureStatus.CRITERION_MET
        assert bool(found) is met
    found = SecondaryGraftFailureAdapter().evaluate(rules["secondary-graft-failure"], context, series, as_of)
    if context.platelet_transfusion_days is None:
        assert found == []
        return
    platelets = _typed_counts(series, PLATELET_CODES)
    support = [Support(day=d, kind=SupportKind.PLATELET_TRANSFUSION) for d in context.platelet_transfusion_days]
    support += [Support(day=d, kind=SupportKind.RED_CELL_TRANSFUSION) for d in context.red_cell_transfusion_days]
    result = secondary_graft_failure(
        neutrophil_engraftment(anc),
        platelet_engraftment(platelets, context.platelet_transfusion_days),
        support,
        as_of_day,
    )
    assert bool(found) is (result.status is GraftFailureStatus.CRITERION_MET and bool(result.support))


@given(episodes())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_engraftment_and_graft_failure_alerts_equal_the_reference_engine(
    episode: tuple[EpisodeContext, list[MonitoredObservation], dt.datetime],
) -> None:
    context, observations, as_of = episode
    expected = reference_evaluate(RULES, context, observations, as_of)
    assert evaluate(RULES, context, observations, as_of) == expected
    rows = ObservationColumns.from_rows(
        (o.id, o.observed_at, o.recorded_at, o.loinc, o.value, o.unit) for o in observations
    )
    from_rows = evaluate_columns(RULES, context, rows, as_of)
    assert [d.model_dump(exclude={"explanation"}) for d in from_rows.detections] == [
        d.model_dump(exclude={"explanation"}) for d in expected.detections
    ]


@pytest.mark.parametrize(
    ("anc", "status", "day"),
    [
        pytest.param([(-1, 3.0), (0, 0.1), (1, 0.5), (2, 0.5), (3, 0.5)], EngraftmentStatus.ENGRAFTED, 1, id="at-0.5"),
        pytest.param([(-1, 3.0), (0, 0.1), (1, 0.6), (3, 0.6), (9, 0.6)], EngraftmentStatus.ENGRAFTED, 1, id="gaps"),
        pytest.param([(0, 0.6), (1, 0.7), (2, 0.8)], EngraftmentStatus.NOT_APPLICABLE, None, id="never-fell"),
        pytest.param([(0, 0.1), (1, 0.6), (2, 0.4), (3, 0.6)], EngraftmentStatus.NOT_ENGRAFTED, None, id="broken"),
        pytest.param([], EngraftmentStatus.NOT_APPLICABLE, None, id="no-count"),
    ],
)
def test_named_neutrophil_cases_on_the_grid(
    anc: list[tuple[int, float]], status: EngraftmentStatus, day: int | None
) -> None:
    series = CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit=COUNT_UNIT) for d, v in anc))
    got = recovery_on_grid(
        Lineage.NEUTROPHIL,
        np.array([d for d, _ in anc], dtype=np.int64),
        np.array([v for _, v in anc], dtype=np.float64),
        (),
        (),
        None,
    )
    assert (got.status, got.day) == (status, day)
    assert got == neutrophil_engraftment(series)


_DAILY = [(-1, 150.0), (0, 9.0)] + [(d, 25.0) for d in range(1, 30)]
_GAP = [(-1, 150.0), (0, 9.0), (1, 25.0), (12, 25.0), (13, 25.0), (14, 25.0)]


@pytest.mark.parametrize(
    ("counts", "transfusions", "day"),
    [
        pytest.param(_DAILY, (0,), 7, id="form-2100-transfusion-day-0-recovery-day-7"),
        pytest.param(_DAILY, (-7,), 1, id="transfusion-day-minus-7-covers-nothing-after-day-0"),
        pytest.param(_DAILY, (-6,), 1, id="transfusion-day-minus-6-covers-day-0-only"),
        pytest.param(_DAILY, (2,), 9, id="transfusion-inside-the-run-breaks-it"),
        pytest.param(_DAILY, (30,), 1, id="transfusion-after-recovery"),
        pytest.param(_GAP, (), 1, id="gap-without-transfusion-keeps-the-run"),
        pytest.param(_GAP, (3,), 12, id="transfusion-in-a-gap-longer-than-7-days-breaks-the-run"),
    ],
)
def test_named_platelet_transfusion_windows_on_the_grid(
    counts: list[tuple[int, float]], transfusions: tuple[int, ...], day: int
) -> None:
    series = CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit=COUNT_UNIT) for d, v in counts))
    got = recovery_on_grid(
        Lineage.PLATELET,
        np.array([d for d, _ in counts], dtype=np.int64),
        np.array([v for _, v in counts], dtype=np.float64),
        (),
        transfusions,
        None,
    )
    assert got == platelet_engraftment(series, transfusions)
    assert got.day == day
