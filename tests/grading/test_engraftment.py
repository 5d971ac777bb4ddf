"""Neutrophil and platelet engraftment day, pinned to the CIBMTR Forms Instruction Manual.

Sources of the expectations (read 2026-11-27):

* ANC: CIBMTR FIM, "Initial ANC Recovery" (cibmtr.org/manuals/fim/1/en/topic/q8-11-initial-anc-recovery):
  ANC >= 0.5 x10^9/L (500/mm3) for three consecutive laboratory values obtained on different days; the
  date is the first of the three; values drawn more than a day apart count as long as the ANC remains
  >= 0.5; do not count values >= 0.5 until the ANC has dropped to its post-HCT nadir (it may stay above
  0.5 for several days after HCT and then fall).
* Platelets: CIBMTR FIM, "Initial Platelet Recovery" (topic q12-14-initial-platelet-recovery): first of
  three consecutive values >= 20 x10^9/L obtained on different days, no platelet transfusion for seven
  consecutive days; its worked example (days 0-10: 10k 35k 30k 25k 10k 15k 19k 23k 25k 40k 50k, from
  1/1/2008) reports 1/8/2008 (day 7); "not applicable" when platelets never fell below 20 and no
  platelet transfusion was given. Form 2100 Q13-18 (topic f2100-q13-18), Example 2: the same kind of
  series with the last platelet transfusion on day 0 (June 13) and recovery reported on day 7 (June 20),
  although day 6 (23,000) was already >= 20.
* EBMT Handbook 8th ed. chapter 41 (Valcárcel et al. 2024, doi:10.1007/978-3-031-44080-9_41) states
  the same two definitions (first of three consecutive days ANC >= 0.5; platelets >= 20 without
  transfusion for 7 consecutive days).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    CountMeasurement,
    CountSeries,
    EngraftmentResult,
    EngraftmentStatus,
    Lineage,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.provenance import VerificationLevel


def series(values: dict[int, float], unit: str = "10*9/L", day0: dt.date | None = None) -> CountSeries:
    return CountSeries(
        measurements=tuple(CountMeasurement(day=d, value=v, unit=unit) for d, v in values.items()), day0=day0
    )


def daily(first_day: int, *values: float) -> dict[int, float]:
    return {first_day + i: v for i, v in enumerate(values)}


# --- named reference cases from the manual's definitions and worked examples ---------------------------------

FIM_PLATELET_EXAMPLE = daily(0, 10_000, 35_000, 30_000, 25_000, 10_000, 15_000, 19_000, 23_000, 25_000, 40_000, 50_000)
FORM_2100_EXAMPLE_2 = daily(0, 10_000, 30_000, 25_000, 10_000, 15_000, 19_000, 23_000, 25_000, 40_000, 50_000, 56_000)


@pytest.mark.parametrize(
    ("counts", "transfusions", "day", "date"),
    [
        pytest.param(FIM_PLATELET_EXAMPLE, [0], 7, dt.date(2008, 1, 8), id="fim-reporting-platelet-recovery"),
        pytest.param(FORM_2100_EXAMPLE_2, [0], 7, dt.date(2008, 1, 8), id="form-2100-example-2-day-6-still-covered"),
    ],
)
def test_manual_worked_platelet_examples(
    counts: dict[int, float], transfusions: list[int], day: int, date: dt.date
) -> None:
    result = platelet_engraftment(series(counts, unit="/uL", day0=dt.date(2008, 1, 1)), transfusions)
    assert result.status is EngraftmentStatus.ENGRAFTED
    assert (result.day, result.date) == (day, date)
    assert [m.day for m in result.qualifying] == [7, 8, 9]
    assert result.nadir is not None and result.nadir.count == 10.0 and result.nadir.day == 0


@pytest.mark.parametrize(
    ("counts", "day"),
    [
        pytest.param(daily(0, 2.1, 0.9, 0.3, 0.05, 0.02, 0.2, 0.6, 0.9, 1.4, 2.0), 6, id="fall-then-three-values"),
        pytest.param(
            daily(0, 1.2, 0.9, 0.8, 0.7, 0.3, 0.01, 0.02, 0.7, 0.9, 1.3),
            7,
            id="above-0.5-for-days-after-hct-then-falls",
        ),
        pytest.param(
            daily(0, 0.3, 0.02, 0.6, 0.7, 0.4, 0.6, 0.8, 1.1), 5, id="fluctuation-two-values-then-a-fall-restarts"
        ),
        pytest.param({0: 0.1, 3: 0.05, 10: 0.6, 12: 0.8, 15: 1.2}, 10, id="values-more-than-a-day-apart"),
    ],
)
def test_neutrophil_recovery_cases_from_the_definition(counts: dict[int, float], day: int) -> None:
    result = neutrophil_engraftment(series(counts))
    assert result.status is EngraftmentStatus.ENGRAFTED and result.day == day
    assert result.lineage is Lineage.NEUTROPHIL
    assert len(result.qualifying) == 3 and result.qualifying[0].day == day


def test_gaps_between_the_qualifying_values_are_noted() -> None:
    result = neutrophil_engraftment(series({0: 0.1, 10: 0.6, 12: 0.8, 15: 1.2}))
    assert result.day == 10 and any("not on consecutive days" in note for note in result.notes)


def test_neutrophil_result_names_nadir_and_rule() -> None:
    result = neutrophil_engraftment(series(daily(-2, 3.0, 2.0, 1.0, 0.4, 0.05, 0.01, 0.3, 0.7, 0.8, 0.9)))
    assert result.day == 5
    assert result.nadir is not None and (result.nadir.day, result.nadir.count) == (3, 0.01)
    assert result.rule.verification is VerificationLevel.PRIMARY
    assert "cibmtr.org" in (result.rule.citation.url or "")
    assert any(c.doi == "10.1007/978-3-031-44080-9_41" for c in result.rule.citations)


def test_platelets_that_never_fell_and_were_never_transfused_are_not_applicable() -> None:
    result = platelet_engraftment(series(daily(-3, 180, 150, 120, 90, 60, 45, 40, 52, 80)))
    assert result.status is EngraftmentStatus.NOT_APPLICABLE and result.day is None and result.qualifying == ()


def test_a_single_transfusion_starts_platelet_counting_even_without_a_fall() -> None:
    counts = daily(0, 90, 60, 45, 30, 25, 22, 24, 28, 35, 50, 70, 90, 110)
    result = platelet_engraftment(series(counts), transfusion_days=[3])
    assert result.status is EngraftmentStatus.ENGRAFTED and result.day == 10


def test_count_that_fell_and_has_not_recovered_is_not_engrafted() -> None:
    result = neutrophil_engraftment(series(daily(0, 1.0, 0.3, 0.01, 0.02, 0.6, 0.7)))
    assert result.status is EngraftmentStatus.NOT_ENGRAFTED and result.day is None
    assert result.nadir is not None and result.nadir.day == 2


def test_a_fall_before_day_0_does_not_start_counting() -> None:
    result = neutrophil_engraftment(series(daily(-4, 0.2, 0.1, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2)))
    assert result.status is EngraftmentStatus.NOT_APPLICABLE


def test_transfusion_before_day_0_still_covers_the_first_days() -> None:
    counts = daily(0, 15, 21, 22, 23, 24, 25, 26, 27, 28)
    assert platelet_engraftment(series(counts), transfusion_days=[-2]).day == 5
    assert platelet_engraftment(series(counts)).day == 1


# --- boundaries -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "engrafted"),
    [
        pytest.param(0.5, "10*9/L", True, id="anc-exactly-0.5-counts"),
        pytest.param(0.5, "10*3/uL", True, id="anc-exactly-0.5-in-10*3/uL"),
        pytest.param(500, "/uL", True, id="anc-exactly-500-per-uL"),
        pytest.param(0.49, "10*9/L", False, id="anc-0.49-does-not-count"),
        pytest.param(499, "/uL", False, id="anc-499-per-uL-does-not-count"),
    ],
)
def test_anc_threshold_is_inclusive(value: float, unit: str, engrafted: bool) -> None:
    low = 0.01 if unit != "/uL" else 10
    high = 2.0 if unit != "/uL" else 2000
    result = neutrophil_engraftment(series({0: low, 1: value, 2: high, 3: high}, unit=unit))
    assert (result.day == 1) is engrafted
    assert any("exactly 0.5" in note for note in result.notes) is (result.day == 1 and value in (0.5, 500))


@pytest.mark.parametrize(
    ("value", "day"),
    [pytest.param(20.0, 1, id="platelets-exactly-20-count"), pytest.param(19.99, 2, id="platelets-19.99-do-not")],
)
def test_platelet_threshold_is_inclusive(value: float, day: int) -> None:
    assert platelet_engraftment(series({0: 8, 1: value, 2: 25, 3: 30, 4: 40})).day == day


@pytest.mark.parametrize(
    ("transfusion", "day"),
    [
        pytest.param(3, 10, id="transfused-exactly-7-days-before-counts"),
        pytest.param(4, 11, id="transfused-6-days-before-does-not"),
        pytest.param(10, 17, id="transfused-on-the-day-itself-does-not"),
        pytest.param(11, 18, id="transfused-between-the-three-values-breaks-the-run"),
        pytest.param(13, 10, id="transfused-after-the-three-values-changes-nothing"),
    ],
)
def test_platelet_transfusion_window(transfusion: int, day: int) -> None:
    counts = {0: 8, **{d: 30.0 for d in range(10, 25)}}
    assert platelet_engraftment(series(counts), transfusion_days=[transfusion]).day == day


def test_two_values_are_not_enough() -> None:
    assert neutrophil_engraftment(series(daily(0, 0.1, 0.6, 0.7, 0.4, 0.6, 0.7))).day is None


def test_day_0_is_post_transplant() -> None:
    assert neutrophil_engraftment(series(daily(-1, 0.6, 0.3, 0.6, 0.7, 0.9))).day == 1


# --- inputs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("unit", "10*6/uL", id="red-cell-unit-refused"),
        pytest.param("unit", "g/L", id="mass-unit-refused"),
        pytest.param("unit", "cells/uL", id="non-ucum-refused"),
        pytest.param("value", -0.1, id="negative-count"),
        pytest.param("value", float("nan"), id="nan-count"),
        pytest.param("day", 1.5, id="fractional-day"),
    ],
)
def test_bad_measurements_are_refused_naming_the_field(field: str, value: object) -> None:
    data: dict[str, object] = {"day": 1, "value": 0.5, "unit": "10*9/L", field: value}
    with pytest.raises(ValidationError, match=field):
        CountMeasurement.model_validate(data)


def test_two_counts_on_one_day_are_kept_in_canonical_order() -> None:
    s = CountSeries(
        measurements=(
            CountMeasurement(day=3, value=600, unit="/uL"),
            CountMeasurement(day=1, value=0.2, unit="10*9/L"),
            CountMeasurement(day=3, value=0.4, unit="10*9/L"),
        )
    )
    assert [(m.day, m.count) for m in s.measurements] == [(1, 0.2), (3, 0.4), (3, 0.6)]
    assert [(m.day, m.count) for m in s.daily_lowest()] == [(1, 0.2), (3, 0.4)]
    assert s.repeated_days() == (3,)


@pytest.mark.parametrize(
    "day", [pytest.param(1.5, id="fraction"), pytest.param(True, id="bool"), pytest.param("3", id="text")]
)
def test_transfusion_days_must_be_whole_days(day: object) -> None:
    with pytest.raises(ValueError, match="transfusion_days"):
        platelet_engraftment(series({0: 5, 1: 30}), transfusion_days=[day])  # type: ignore[list-item]


def test_result_survives_a_json_round_trip() -> None:
    result = platelet_engraftment(series(FIM_PLATELET_EXAMPLE, unit="/uL", day0=dt.date(2008, 1, 1)), [0])
    assert EngraftmentResult.model_validate_json(result.model_dump_json()) == result


def test_dates_give_days_from_day_0() -> None:
    day0 = dt.date(2025, 3, 1)
    values = [(day0 + dt.timedelta(days=d), v, "/uL") for d, v in daily(0, 9000, 30000, 25000, 8000).items()]
    later = [(day0 + dt.timedelta(days=d), 30000.0, "/uL") for d in range(12, 16)]
    s = CountSeries.from_dates(day0, values + later)
    result = platelet_engraftment(s, transfusion_days=[s.day_of(dt.date(2025, 3, 4))])
    assert (result.day, result.date) == (12, dt.date(2025, 3, 13))
    assert result.qualifying[0].count == 30.0 and result.qualifying[0].unit == "/uL"
    with pytest.raises(ValueError, match="no day0"):
        series({0: 1.0}).day_of(day0)


# --- invariants -----------------------------------------------------------------------------------------------

_anc = st.dictionaries(st.integers(-7, 60), st.sampled_from([0.0, 0.05, 0.3, 0.49, 0.5, 0.51, 0.8, 2.0]), max_size=40)
_platelets = st.dictionaries(
    st.integers(-7, 60), st.sampled_from([3.0, 9.0, 15.0, 19.9, 20.0, 21.0, 60.0]), max_size=40
)
_transfusions = st.lists(st.integers(-10, 60), max_size=6)


@given(_anc)
def test_neutrophil_day_is_never_before_the_nadir(counts: dict[int, float]) -> None:
    result = neutrophil_engraftment(series(counts))
    if result.day is not None:
        assert result.nadir is not None and result.nadir.day < result.day and result.nadir.count < 0.5
        assert [m.day for m in result.qualifying] == sorted(m.day for m in result.qualifying)
        assert all(m.count >= 0.5 for m in result.qualifying) and result.qualifying[0].day == result.day >= 0


@given(_platelets, _transfusions)
def test_platelet_day_is_never_before_the_nadir_nor_within_7_days_of_a_transfusion(
    counts: dict[int, float], transfusions: list[int]
) -> None:
    result = platelet_engraftment(series(counts), transfusions)
    if result.day is not None:
        assert result.nadir is None or result.nadir.day < result.day
        for m in result.qualifying:
            assert m.count >= 20 and not any(0 <= m.day - t < 7 for t in transfusions)


@given(_anc, st.integers(1, 30), st.sampled_from([0.0, 0.3, 0.6, 3.0]))
def test_a_later_neutrophil_value_never_changes_an_earlier_day(
    counts: dict[int, float], gap: int, value: float
) -> None:
    before = neutrophil_engraftment(series(counts))
    last = max(counts, default=0)
    after = neutrophil_engraftment(series({**counts, last + gap: value}))
    if before.day is not None:
        assert after.day == before.day and after.qualifying == before.qualifying


@given(_platelets, _transfusions, st.integers(1, 30), st.sampled_from([5.0, 19.0, 20.0, 80.0]), st.booleans())
def test_a_later_platelet_value_or_transfusion_never_changes_an_earlier_day(
    counts: dict[int, float], transfusions: list[int], gap: int, value: float, transfused: bool
) -> None:
    before = platelet_engraftment(series(counts), transfusions)
    last = max([*counts, *transfusions], default=0)
    later_transfusions = [*transfusions, last + gap] if transfused else transfusions
    after = platelet_engraftment(series({**counts, last + gap: value}), later_transfusions)
    if before.day is not None:
        assert after.day == before.day


@given(_anc)
def test_the_unit_a_count_is_sent_in_does_not_change_the_day(counts: dict[int, float]) -> None:
    per_microlitre = {d: round(v * 1000) for d, v in counts.items()}
    assert neutrophil_engraftment(series(counts)).day == neutrophil_engraftment(series(per_microlitre, "/uL")).day


# --- time series as a monitoring engine sees them -------------------------------------------------------------
# Decisions where the manual is silent (module docstring of engraft.grading.engraftment): the lowest value of a
# day counts; a platelet transfusion inside a sampling gap breaks a run; a dip after recovery keeps the day.


def measurements(values: list[tuple[int, float]], unit: str = "10*9/L") -> tuple[CountMeasurement, ...]:
    return tuple(CountMeasurement(day=d, value=v, unit=unit) for d, v in values)


@pytest.mark.parametrize(
    ("values", "day"),
    [
        pytest.param([(0, 0.1), (1, 0.6), (1, 0.4), (2, 0.7), (3, 0.8), (4, 0.9)], 2, id="repeat-below-breaks-the-day"),
        pytest.param([(0, 0.1), (1, 0.6), (1, 0.9), (2, 0.7), (3, 0.8)], 1, id="repeat-both-above-keeps-the-day"),
        pytest.param([(0, 0.1), (0, 0.6), (1, 0.6), (2, 0.7), (3, 0.8)], 1, id="repeat-on-the-nadir-day"),
    ],
)
def test_several_values_on_one_day_the_lowest_counts(values: list[tuple[int, float]], day: int) -> None:
    result = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    assert result.day == day
    assert any("several values on day(s)" in note for note in result.notes)


def test_an_exact_duplicate_arrival_changes_nothing() -> None:
    values = [(0, 0.1), (1, 0.6), (2, 0.7), (3, 0.8)]
    once = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    twice = neutrophil_engraftment(CountSeries(measurements=measurements([*values, (2, 0.7)])))
    assert once.day == 1 and twice == once and not twice.notes


def test_out_of_order_arrival_gives_the_same_result() -> None:
    values = [(0, 0.1), (1, 0.6), (2, 0.7), (3, 0.8), (-1, 2.0)]
    in_order = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    reversed_ = neutrophil_engraftment(CountSeries(measurements=measurements(values[::-1])))
    assert in_order == reversed_ and in_order.day == 1


@pytest.mark.parametrize(
    ("counts", "transfusions", "day"),
    [
        pytest.param({0: 8, 10: 30, 14: 30, 20: 30}, [], 10, id="platelets-gaps-without-transfusion-count"),
        pytest.param({0: 8, 10: 30, 14: 15, 20: 30, 21: 30, 22: 30}, [], 20, id="platelets-gap-value-below-breaks"),
        pytest.param(
            {0: 8, 10: 30, 20: 30, 21: 30, 22: 30}, [12], 20, id="transfusion-inside-a-gap-longer-than-7-days-breaks"
        ),
        pytest.param({0: 8, 10: 30, 20: 30, 21: 30, 22: 30}, [9], 20, id="transfusion-the-day-before-covers"),
        pytest.param({0: 8, 10: 30, 20: 30, 21: 30, 22: 30}, [2], 10, id="transfusion-8-days-before-the-run"),
        pytest.param({0: 8, 10: 30, 20: 30, 21: 30, 22: 30}, [22], 10, id="transfusion-after-the-third-value"),
    ],
)
def test_platelet_runs_across_sampling_gaps_and_transfusions(
    counts: dict[int, float], transfusions: list[int], day: int
) -> None:
    assert platelet_engraftment(series(counts), transfusion_days=transfusions).day == day


def test_neutrophil_gap_in_sampling_neither_counts_nor_breaks() -> None:
    result = neutrophil_engraftment(series({0: 0.05, 2: 0.2, 9: 0.6, 16: 0.7, 17: 0.9}))
    assert result.day == 9 and [m.day for m in result.qualifying] == [9, 16, 17]


def test_a_late_nadir_after_recovery_keeps_the_day_and_is_noted() -> None:
    result = neutrophil_engraftment(series(daily(0, 0.3, 0.6, 0.7, 0.8, 0.2, 0.05, 0.6, 0.7, 0.9)))
    assert result.day == 1 and result.nadir is not None and result.nadir.day == 0
    assert result.later_fall is not None and (result.later_fall.day, result.later_fall.count) == (4, 0.2)
    assert any("fell below the threshold again on day 4" in note for note in result.notes)


def test_a_dip_before_the_third_value_moves_the_day_to_after_the_later_nadir() -> None:
    result = neutrophil_engraftment(series(daily(0, 0.3, 0.6, 0.7, 0.2, 0.05, 0.6, 0.7, 0.9)))
    assert result.day == 5 and result.nadir is not None and result.nadir.day == 4 and result.later_fall is None


@pytest.mark.parametrize(
    ("counts", "pending"),
    [
        pytest.param(daily(0, 0.1, 0.6, 0.7), [1, 2], id="two-values-pending"),
        pytest.param(daily(0, 0.1, 0.6, 0.7, 0.3), [], id="broken-run-nothing-pending"),
        pytest.param(daily(0, 0.6, 0.7), [], id="never-fell-nothing-pending"),
    ],
)
def test_values_that_could_still_start_the_recovery_are_reported(counts: dict[int, float], pending: list[int]) -> None:
    result = neutrophil_engraftment(series(counts))
    assert result.day is None and [m.day for m in result.pending] == pending


_arrivals = st.lists(
    st.tuples(st.integers(-3, 40), st.sampled_from([0.05, 0.3, 0.49, 0.5, 0.7, 2.0])), min_size=1, max_size=40
)


@given(_arrivals, st.randoms(use_true_random=False))
def test_order_of_arrival_never_changes_the_neutrophil_result(values: list[tuple[int, float]], rnd: object) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    b = neutrophil_engraftment(CountSeries(measurements=measurements(shuffled)))
    assert a == b


@given(_arrivals, st.data())
def test_a_duplicate_arrival_never_changes_the_result(values: list[tuple[int, float]], data: st.DataObject) -> None:
    duplicate = data.draw(st.sampled_from(values))
    a = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    b = neutrophil_engraftment(CountSeries(measurements=measurements([*values, duplicate])))
    assert a == b


@given(
    st.lists(st.tuples(st.integers(-3, 40), st.sampled_from([3.0, 19.9, 20.0, 45.0])), min_size=1, max_size=40),
    _transfusions,
    st.randoms(use_true_random=False),
)
def test_order_of_arrival_never_changes_the_platelet_result(
    values: list[tuple[int, float]], transfusions: list[int], rnd: object
) -> None:
    shuffled, shuffled_transfusions = list(values), list(transfusions)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_transfusions)  # type: ignore[attr-defined]
    a = platelet_engraftment(CountSeries(measurements=measurements(values)), transfusions)
    b = platelet_engraftment(CountSeries(measurements=measurements(shuffled)), shuffled_transfusions + transfusions[:1])
    assert a == b


@given(_arrivals, st.data(), st.sampled_from([0.0, 0.3, 0.49]))
def test_a_repeat_below_the_threshold_on_a_qualifying_day_disqualifies_that_day(
    values: list[tuple[int, float]], data: st.DataObject, low: float
) -> None:
    before = neutrophil_engraftment(CountSeries(measurements=measurements(values)))
    if before.day is None:
        return
    day = data.draw(st.sampled_from([m.day for m in before.qualifying]))
    after = neutrophil_engraftment(CountSeries(measurements=measurements([*values, (day, low)])))
    assert after.day is None or after.day > day
