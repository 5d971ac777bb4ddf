"""The demo cohort generator on its own (no database): seeded, and its clinical events come from engraft.grading."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engraft.demo.cohort import SyntheticCohort, SyntheticTransplant
from engraft.demo.labs import PLATELET_TRANSFUSION_TRIGGER, reported_labs
from engraft.grading import (
    PLATELET_TRANSFUSION_FREE_DAYS,
    CountMeasurement,
    CountSeries,
    OrganStages,
    grade_acute_gvhd,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.vocabulary import EventType

END = dt.date(2026, 6, 30)
COHORT = SyntheticCohort(transplants=60, centres=3, seed=777, end_date=END)


@pytest.fixture(scope="module")
def transplants() -> list[SyntheticTransplant]:
    return list(COHORT)


def _fingerprint(t: SyntheticTransplant) -> tuple[object, ...]:
    return (t.mrn, t.given_name, t.plan.day0, [(e.day, e.event_type, e.details) for e in t.events], t.labs.anc.tolist())


def test_same_seed_gives_the_same_cohort_and_another_seed_does_not(transplants: list[SyntheticTransplant]) -> None:
    again = list(SyntheticCohort(transplants=60, centres=3, seed=777, end_date=END))
    assert [_fingerprint(t) for t in again] == [_fingerprint(t) for t in transplants]
    other = list(SyntheticCohort(transplants=60, centres=3, seed=778, end_date=END))
    assert [_fingerprint(t) for t in other] != [_fingerprint(t) for t in transplants]
    assert COHORT.first_day0 == transplants[0].plan.day0


def _series(days: np.ndarray, values: np.ndarray) -> CountSeries:
    pairs = zip(days.tolist(), values.tolist(), strict=True)
    return CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit="10*9/L") for d, v in pairs))


def test_engraftment_events_are_the_grading_rules_applied_to_the_labs(transplants: list[SyntheticTransplant]) -> None:
    for t in transplants:
        recorded = {e.event_type: e.day for e in t.events}
        transfusions = [int(d) for d in t.labs.days[t.labs.platelets <= PLATELET_TRANSFUSION_TRIGGER]]
        assert list(t.platelet_transfusion_days) == transfusions
        if t.plan.graft_failure:
            assert EventType.NEUTROPHIL_ENGRAFTMENT not in recorded and EventType.PLATELET_ENGRAFTMENT not in recorded
            continue
        neutrophils = neutrophil_engraftment(_series(t.labs.days, t.labs.anc))
        platelets = platelet_engraftment(_series(t.labs.days, t.labs.platelets), transfusions)
        assert recorded.get(EventType.NEUTROPHIL_ENGRAFTMENT) == neutrophils.day
        assert recorded.get(EventType.PLATELET_ENGRAFTMENT) == platelets.day
        if platelets.day is not None:
            assert all(not 0 <= platelets.day - d < PLATELET_TRANSFUSION_FREE_DAYS for d in transfusions)


def test_acute_gvhd_grade_is_the_magic_grade_of_the_recorded_stages(transplants: list[SyntheticTransplant]) -> None:
    graded = 0
    for t in transplants:
        for event in t.events:
            if event.event_type is EventType.ACUTE_GVHD:
                d = event.details
                stages = OrganStages(
                    skin=d["skin_stage"],
                    liver=d["liver_stage"],
                    upper_gi=d["upper_gi_stage"],
                    lower_gi=d["lower_gi_stage"],
                )
                assert d["grade"] == grade_acute_gvhd(stages).value and d["grading_system"] == "MAGIC"
                graded += 1
    assert graded > 0, "the cohort should contain acute GVHD"


def test_si_centres_report_bilirubin_in_umol_per_l_converted_with_the_molar_mass(
    transplants: list[SyntheticTransplant],
) -> None:
    t = next(t for t in transplants if t.plan.centre.si_units)
    reported = {loinc: (unit, values) for loinc, unit, values in reported_labs(t.labs, si_units=True)}
    unit, bilirubin = reported["14631-6"]
    assert unit == "umol/L"
    expected = [round(v * 10_000 / 584.66) for v in t.labs.bilirubin.tolist()]  # 1 mg/dL = 10,000/M umol/L
    assert bilirubin.tolist() == expected
    assert reported["14682-9"][0] == "umol/L" and "1975-2" not in reported


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"transplants": 0}, "at least 1", id="no-transplants"),
        pytest.param({"years": 0}, "at least 1", id="no-years"),
        pytest.param({"centres": 0}, "centres must be from 1 to 8", id="no-centre"),
        pytest.param({"centres": 9}, "centres must be from 1 to 8", id="more-centres-than-the-demo-has"),
    ],
)
def test_arguments_are_checked(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SyntheticCohort(**arguments)  # type: ignore[arg-type]
