"""Column-wise observation checks agree, row for row, with the rules applied one row at a time."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.measurements import UnitError, lookup_observation_kind
from engraft.registry.observation_batch import EARLIEST, MAX_CLOCK_SKEW, MAX_ID, validate
from engraft.registry.observations import ObservationRow

SOURCES = {"manual", "lab feed", "device"}
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
LATEST = NOW + MAX_CLOCK_SKEW
PAIRS = [
    ("751-8", "10*9/L"),
    ("751-8", "/uL"),
    ("751-8", "mg/dL"),
    ("1975-2", "umol/L"),
    ("8310-5", "[degF]"),
    ("30247-1", "[IU]/mL"),
    ("99999-9", "10*9/L"),
]


def reference(rows: list[ObservationRow]) -> tuple[list[tuple[int, str, Any]], list[tuple[int, float]]]:
    """The rules one row at a time: (row, field, value) of each problem; (row, canonical) of each kept row."""
    problems: list[tuple[int, str, Any]] = []
    kept: list[tuple[int, float]] = []
    seen: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row, r in enumerate(rows, start=1):
        if not (type(r.patient_id) is int and 1 <= r.patient_id <= MAX_ID):
            problems.append((row, "patient_id", r.patient_id))
            continue
        if r.episode_id is not None and not (type(r.episode_id) is int and 1 <= r.episode_id <= MAX_ID):
            problems.append((row, "episode_id", r.episode_id))
            continue
        try:
            kind = lookup_observation_kind(r.loinc)
            canonical_zero = kind.to_canonical(0.0, r.unit)
            factor = kind.to_canonical(1.0, r.unit) - canonical_zero
        except UnitError as exc:
            field = "loinc" if "catalogue" in str(exc) else "unit"
            problems.append((row, field, r.loinc if field == "loinc" else r.unit))
            continue
        if type(r.value) not in (int, float) or not math.isfinite(r.value):
            problems.append((row, "value", r.value))
            continue
        canonical = r.value * factor + canonical_zero
        if not kind.minimum <= canonical <= kind.maximum:
            problems.append((row, "value", r.value))
            continue
        if r.observed_at.tzinfo is None:
            problems.append((row, "observed_at", r.observed_at.isoformat()))
            continue
        if not EARLIEST <= r.observed_at <= LATEST:
            problems.append((row, "observed_at", r.observed_at.isoformat()))
            continue
        if r.source not in SOURCES:
            problems.append((row, "source", r.source))
            continue
        if len(r.source_system) > 128:
            problems.append((row, "source_system", r.source_system))
            continue
        if not 0 < len(r.source_id) <= 128:
            problems.append((row, "source_id", r.source_id))
            continue
        instant = r.observed_at - EARLIEST  # across zones, so fold and offset count (equality would ignore fold)
        content = (r.patient_id, r.episode_id, instant, r.loinc, float(r.value), r.unit)
        key = (r.source_system, r.source_id)
        if key in seen:
            if seen[key] != content:
                problems.append((row, "source_id", r.source_id))
            continue
        seen[key] = content
        kept.append((row, canonical))
    return problems, kept


moments = st.datetimes(
    min_value=dt.datetime(1899, 12, 31),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.sampled_from(
        [None, dt.UTC, dt.timezone(dt.timedelta(hours=-5)), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
    ),
)
rows_strategy = st.lists(
    st.builds(
        ObservationRow,
        patient_id=st.sampled_from([1, 2, 0, -3, MAX_ID, MAX_ID + 1]),
        episode_id=st.sampled_from([None, 1, 2, 0]),
        observed_at=moments,
        loinc=st.just(""),
        value=st.one_of(
            st.floats(-10, 2000), st.integers(-5, 400), st.sampled_from([math.nan, math.inf, 1e308]), st.just("1.5")
        ),
        unit=st.just(""),
        source=st.sampled_from(["manual", "lab feed", "device", "robot"]),
        source_id=st.sampled_from(["a", "b", "c", "", "x" * 129]),
        source_system=st.sampled_from(["", "urn:lis:a", "y" * 129]),
    ).flatmap(
        lambda r: st.sampled_from(PAIRS).map(
            lambda p: ObservationRow(
                r.patient_id, r.episode_id, r.observed_at, p[0], r.value, p[1], r.source, r.source_id, r.source_system
            )
        )
    ),
    max_size=30,
)


@given(rows_strategy)
def test_column_checks_match_row_by_row_rules(rows: list[ObservationRow]) -> None:
    batch, problems = validate(rows, now=NOW)
    expected_problems, expected_kept = reference(rows)
    assert [(p.row, p.field, p.value) for p in problems] == expected_problems
    assert batch.row_no.tolist() == [row for row, _ in expected_kept]
    assert batch.value_canonical.tolist() == [canonical for _, canonical in expected_kept]
    assert batch.received == len(rows)


def test_identical_repeat_is_dropped_and_times_are_normalised_to_utc() -> None:
    local = dt.datetime(2024, 5, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = ObservationRow(1, None, local, "718-7", 9.5, "g/dL", "manual", "hb-1")
    batch, problems = validate([row, row])
    assert problems == []
    assert batch.row_no.tolist() == [1]
    assert batch.observed_at(0) == dt.datetime(2024, 5, 2, 7, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param(0.0, True, id="anc-0-lower-bound"),
        pytest.param(-0.01, False, id="anc-below-0"),
    ],
)
def test_range_bounds_are_inclusive(value: float, accepted: bool) -> None:
    row = ObservationRow(1, None, dt.datetime(2024, 5, 2, tzinfo=dt.UTC), "751-8", value, "10*9/L", "lab feed", "n")
    _, problems = validate([row])
    assert (problems == []) is accepted


def test_an_ambiguous_local_time_is_told_apart_by_its_fold() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first = dt.datetime(2024, 10, 27, 2, 30, tzinfo=berlin)
    second = first.replace(fold=1)
    rows = [
        ObservationRow(1, None, first, "718-7", 9.5, "g/dL", "manual", "hb-1"),
        ObservationRow(1, None, second, "718-7", 9.5, "g/dL", "manual", "hb-1"),
    ]
    _, problems = validate(rows)
    assert [(p.row, p.field) for p in problems] == [(2, "source_id")]


def test_in_key_order_sorts_by_system_then_id_in_byte_order() -> None:
    at = dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    keys = [("b", "1"), ("a", "2"), ("", "z"), ("a", "10"), ("ab", "0"), ("a", "É")]
    rows = [
        ObservationRow(1, None, at, "718-7", 9.0 + i, "g/dL", "manual", sid, system)
        for i, (system, sid) in enumerate(keys)
    ]
    batch, problems = validate(rows)
    ordered = batch.in_key_order()
    assert problems == []
    assert list(zip(ordered.source_system, ordered.source_id, strict=True)) == sorted(
        keys, key=lambda k: (k[0].encode(), k[1].encode())
    )
    assert [rows[r - 1].source_id for r in ordered.row_no.tolist()] == ordered.source_id
    assert ordered.value.tolist() == [rows[r - 1].value for r in ordered.row_no.tolist()]


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        pytest.param(dt.timedelta(0), True, id="now"),
        pytest.param(MAX_CLOCK_SKEW, True, id="at-the-clock-skew-limit"),
        pytest.param(MAX_CLOCK_SKEW + dt.timedelta(microseconds=1), False, id="just-beyond-the-skew"),
        pytest.param(dt.timedelta(days=1), False, id="tomorrow"),
        pytest.param(dt.timedelta(days=-1), True, id="yesterday"),
    ],
)
def test_future_observations_are_refused_beyond_the_clock_skew(offset: dt.timedelta, accepted: bool) -> None:
    row = ObservationRow(1, None, NOW + offset, "751-8", 1.0, "10*9/L", "lab feed", "f")
    _, problems = validate([row], now=NOW)
    assert (problems == []) is accepted
    if not accepted:
        (problem,) = problems
        assert problem.field == "observed_at" and "not in the future" in problem.expected
