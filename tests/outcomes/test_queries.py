"""Typed outcome questions: one refusal naming field, value and expectation; enums agree with the specs."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.outcomes._validation import OutcomeQueryError
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.queries import (
    MAX_LANDMARKS,
    ActivityQuery,
    BenchmarkQuery,
    CompareQuery,
    CompetingEndpoint,
    CompetingRiskQuery,
    EndpointName,
    GroupField,
    Population,
    SurvivalEndpoint,
    SurvivalQuery,
    parse_landmarks,
    parse_query,
)
from engraft.outcomes.registry_endpoints import ENDPOINTS
from engraft.vocabulary import TimeUnit


def test_endpoint_enums_match_the_specifications() -> None:
    assert [e.value for e in EndpointName] == [*SurvivalEndpoint, *CompetingEndpoint] == list(ENDPOINTS)
    for name, spec in ENDPOINTS.items():
        expected = SurvivalEndpoint if spec.kind == "survival" else CompetingEndpoint
        assert name in {e.value for e in expected}, name


def test_group_fields_are_columns_of_the_outcome_table_or_derived() -> None:
    columns = {f.name for f in fields(OutcomeTable)}
    assert {g.value for g in GroupField} - columns == {"disease_group"}


def test_options_become_typed_queries() -> None:
    query = parse_query(
        SurvivalQuery,
        {"endpoint": "dfs", "group_by": "centre", "landmarks": [12, 24], "time_unit": "months", "centre": None},
    )
    assert query.endpoint is SurvivalEndpoint.DFS and query.group_by is GroupField.CENTRE
    assert query.landmarks == (12.0, 24.0) and query.time_unit is TimeUnit.MONTHS
    assert query.population is Population.FIRST_TRANSPLANTS and query.centre is None
    bench = parse_query(BenchmarkQuery, {"as_of": "2024-06-30", "n_bootstrap": 500})
    assert bench.as_of == dt.date(2024, 6, 30) and bench.seed == 20081


@pytest.mark.parametrize(
    ("model", "values", "field", "value", "expected"),
    [
        pytest.param(
            SurvivalQuery,
            {"endpoint": "relapse"},
            "endpoint",
            "relapse",
            "one of os, dfs, pfs, grfs ('relapse' is a competing endpoint: use cif)",
            id="competing-endpoint-for-survival",
        ),
        pytest.param(
            CompetingRiskQuery,
            {"endpoint": "os"},
            "endpoint",
            "os",
            "one of relapse, nrm, agvhd_2_4, agvhd_3_4, cgvhd, neutrophil_engraftment, platelet_engraftment"
            " ('os' is a survival endpoint: use survival)",
            id="survival-endpoint-for-cif",
        ),
        pytest.param(SurvivalQuery, {"endpoint": "vibes"}, "endpoint", "vibes", "one of 'os', 'dfs'", id="unknown"),
        pytest.param(SurvivalQuery, {"group_by": "shoe_size"}, "group_by", "shoe_size", "one of", id="group"),
        pytest.param(SurvivalQuery, {"landmarks": [100, -1]}, "landmarks", -1, ">= 0.0", id="negative-landmark"),
        pytest.param(SurvivalQuery, {"time_unit": "weeks"}, "time_unit", "weeks", "one of 'days'", id="weeks"),
        pytest.param(SurvivalQuery, {"centre": "C 1"}, "centre", "C 1", "String should match", id="centre-code"),
        pytest.param(CompetingRiskQuery, {"cause": 0}, "cause", 0, ">= 1", id="cause-0"),
        pytest.param(CompetingRiskQuery, {"cause": 3}, "cause", 3, "<= 2", id="cause-3"),
        pytest.param(
            CompareQuery,
            {"group_by": "centre", "endpoint": "dfs", "cause": 2},
            "cause",
            2,
            "1 ('dfs' is a survival endpoint: it has one cause)",
            id="cause-2-of-survival",
        ),
        pytest.param(CompareQuery, {}, "group_by", None, "a value (required)", id="compare-needs-group"),
        pytest.param(
            ActivityQuery,
            {"first_year": 2024, "last_year": 2023},
            "last_year",
            2023,
            "a year >= first_year (2024)",
            id="years-reversed",
        ),
        pytest.param(ActivityQuery, {"first_year": 1066}, "first_year", 1066, ">= 1900", id="implausible-year"),
        pytest.param(BenchmarkQuery, {"n_bootstrap": 99}, "n_bootstrap", 99, "a number >= 100", id="few-replicates"),
        pytest.param(BenchmarkQuery, {"seed": -5}, "seed", -5, ">= 0", id="negative-seed"),
        pytest.param(BenchmarkQuery, {"as_of": "2024-02-30"}, "as_of", "2024-02-30", "valid date", id="bad-date"),
        pytest.param(BenchmarkQuery, {"centre": "C1"}, "centre", "C1", "no such parameter", id="unknown-option"),
    ],
)
def test_one_refusal_names_field_value_and_expectation(
    model: Any, values: dict[str, Any], field: str, value: Any, expected: str
) -> None:
    with pytest.raises(OutcomeQueryError) as caught:
        parse_query(model, values)
    error = caught.value
    assert (error.field, error.value) == (field, value)
    assert expected in error.expected
    assert str(error) == f"{field}: got {value!r}; expected {error.expected}"


def test_landmarks_for_csv_analyses() -> None:
    assert parse_landmarks(None) is None and parse_landmarks([]) is None
    assert parse_landmarks([12, 24]) == (12.0, 24.0)
    with pytest.raises(OutcomeQueryError, match="landmarks: got inf; expected"):
        parse_landmarks([float("inf")])
    with pytest.raises(OutcomeQueryError, match=f"at most {MAX_LANDMARKS} values"):
        parse_landmarks([1.0] * (MAX_LANDMARKS + 1))


@given(
    st.sampled_from(list(SurvivalEndpoint) + list(CompetingEndpoint)),
    st.sampled_from([None, *GroupField]),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=MAX_LANDMARKS),
)
def test_valid_options_always_build_a_query(endpoint: str, group: GroupField | None, marks: list[float]) -> None:
    """Any endpoint of the right kind, any group field and any landmarks >= 0 are accepted."""
    model = SurvivalQuery if endpoint in {e.value for e in SurvivalEndpoint} else CompetingRiskQuery
    query = parse_query(model, {"endpoint": endpoint, "group_by": group, "landmarks": marks or None})
    assert query.endpoint == endpoint and query.group_by == group
    assert query.landmarks == (tuple(marks) if marks else None)
