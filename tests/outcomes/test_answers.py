"""Answers to the typed outcome questions from an outcome table (pure: no database)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes._validation import NothingToAnalyse
from engraft.outcomes.answers import (
    answer_activity,
    answer_comparison,
    answer_competing_risk,
    answer_survival,
    endpoint_descriptions,
)
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.queries import (
    ActivityQuery,
    CompareQuery,
    CompetingRiskQuery,
    GroupField,
    Population,
    SurvivalEndpoint,
    SurvivalQuery,
)
from engraft.outcomes.results import IncidenceSummary, SurvivalSummary
from engraft.vocabulary import TimeUnit
from tests.outcomes.test_registry_endpoints import make_table


def _two_centres() -> OutcomeTable:
    """Five episodes: patient 1 has a first transplant at C1 and a second at C2 (day 0 + 200)."""
    return make_table(
        5,
        patient_id=[1, 1, 2, 3, 4],
        centre=["C1", "C2", "C1", "C2", "C2"],
        sequence_number=[1, 2, 1, 1, 1],
        transplant_type=["allogeneic", "allogeneic", "autologous", "allogeneic", "autologous"],
        death_day=[np.nan, 150.0, 300.0, np.nan, 50.0],
        relapse_day=[100.0, np.nan, np.nan, 20.0, np.nan],
        last_contact_day=[350.0, 150.0, 300.0, 400.0, 50.0],
        year=[2021, 2022, 2021, 2022, 2023],
    )


def test_population_and_centre_select_the_rows_and_are_recorded() -> None:
    table = _two_centres()
    first = answer_survival(table, SurvivalQuery())
    assert first.summary.provenance.transplants == 4
    assert first.summary.provenance.population is Population.FIRST_TRANSPLANTS
    every_c2 = answer_survival(
        table,
        SurvivalQuery(centre="C2", population=Population.ALL_TRANSPLANTS, group_by=GroupField.TRANSPLANT_TYPE),
    )
    assert every_c2.summary.provenance.transplants == 3 and every_c2.summary.provenance.centre == "C2"
    assert {g.group: g.n for g in every_c2.summary.groups} == {"allogeneic": 2, "autologous": 1}
    assert every_c2.summary.test is not None and every_c2.summary.test.name == "log-rank"


def test_a_centre_without_transplants_is_nothing_to_analyse() -> None:
    with pytest.raises(
        NothingToAnalyse, match=r"endpoint os: got no transplants to analyse \(first transplants, centre C9\)"
    ):
        answer_survival(_two_centres(), SurvivalQuery(centre="C9"))


def test_allogeneic_only_endpoint_reads_allogeneic_rows() -> None:
    grfs = answer_survival(_two_centres(), SurvivalQuery(endpoint=SurvivalEndpoint.GRFS, centre="C1")).summary
    assert grfs.provenance.allogeneic_only is True and grfs.provenance.transplants == 1


def test_grfs_of_autologous_transplants_only_is_nothing_to_analyse() -> None:
    table = make_table(2, transplant_type=["autologous", "autologous"])
    with pytest.raises(NothingToAnalyse, match="got no allogeneic transplants"):
        answer_survival(table, SurvivalQuery(endpoint=SurvivalEndpoint.GRFS))


def test_time_unit_expresses_results_and_landmarks_in_that_unit() -> None:
    table = _two_centres()
    days = answer_survival(table, SurvivalQuery(landmarks=(365.25,))).summary
    years = answer_survival(table, SurvivalQuery(landmarks=(1.0,), time_unit=TimeUnit.YEARS)).summary
    assert years.time_unit is TimeUnit.YEARS
    assert years.groups[0].landmarks[0].survival == pytest.approx(days.groups[0].landmarks[0].survival)
    default = answer_competing_risk(table, CompetingRiskQuery(time_unit=TimeUnit.MONTHS)).summary
    assert [lm.time for lm in default.groups[0].landmarks] == pytest.approx([100 / 30.4375, 12.0, 24.0])


def test_comparison_needs_two_groups() -> None:
    table = _two_centres()
    result = answer_comparison(table, CompareQuery(group_by=GroupField.CENTRE))
    assert result.kind == "survival" and result.test.name == "log-rank" and len(result.groups) == 2
    with pytest.raises(NothingToAnalyse, match=r"group_by: got a single group \['allogeneic'\] among 2"):
        answer_comparison(
            table,
            CompareQuery(group_by=GroupField.TRANSPLANT_TYPE, endpoint="grfs"),
        )


def test_activity_counts_every_episode_over_the_years_asked() -> None:
    table = _two_centres()
    report = answer_activity(table, ActivityQuery())
    assert report.years == (2021, 2022, 2023)
    overall = {r.year: r.total for r in report.by_year if r.centre == "ALL"}
    assert overall == {2021: 2, 2022: 2, 2023: 1}
    only_c2 = answer_activity(table, ActivityQuery(centre="C2", first_year=2020))
    assert only_c2.years == (2020, 2021, 2022, 2023) and only_c2.centres == ("C2",)
    with pytest.raises(NothingToAnalyse, match="no transplants to count in centre C9"):
        answer_activity(table, ActivityQuery(centre="C9"))


def test_endpoint_descriptions() -> None:
    described = {d.name: d for d in endpoint_descriptions()}
    assert described["grfs"].allogeneic_only and described["relapse"].causes == ("relapse", "non-relapse death")


days = st.one_of(st.just(math.nan), st.integers(0, 800).map(float))


@settings(max_examples=200)
@given(
    st.lists(st.tuples(days, days, st.integers(0, 800), st.sampled_from(["C1", "C2"])), min_size=1, max_size=25),
    st.sampled_from([None, GroupField.CENTRE]),
)
def test_answers_are_json_with_null_for_undefined_numbers(
    rows: list[tuple[float, float, int, str]], group: GroupField | None
) -> None:
    """Whatever the data, the summaries serialise to strict JSON and count every transplant once."""
    death = np.asarray([r[0] for r in rows])
    relapse = np.asarray([r[1] for r in rows])
    contact = np.fmax(np.fmax(death, relapse), np.asarray([float(r[2]) for r in rows]))
    death = np.where(np.isnan(death), np.nan, contact)
    table = make_table(
        len(rows),
        death_day=death,
        relapse_day=relapse,
        last_contact_day=contact,
        centre=[r[3] for r in rows],
    )
    survival = answer_survival(table, SurvivalQuery(group_by=group)).summary
    incidence = answer_competing_risk(table, CompetingRiskQuery(group_by=group)).summary
    for summary in (survival, incidence):
        text = summary.model_dump_json()
        assert "NaN" not in text and "Infinity" not in text
        doc = json.loads(text)
        assert sum(g["n"] for g in doc["groups"]) == len(rows)
        assert type(summary).model_validate(doc) == summary
    assert isinstance(survival, SurvivalSummary) and isinstance(incidence, IncidenceSummary)
