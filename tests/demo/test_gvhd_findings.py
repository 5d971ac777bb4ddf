"""The demo cohort's acute GVHD findings, staged and graded by engraft.grading, give the recorded grades."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.demo.cohort import DEFAULT_SEED, SyntheticCohort, SyntheticTransplant
from engraft.demo.gvhd_findings import BILIRUBIN_CODES
from engraft.demo.labs import reported_labs
from engraft.grading import grade_acute_gvhd
from engraft.grading.acute_gvhd_staging import stage_acute_gvhd
from engraft.measurements import OBSERVATION_CATALOGUE
from engraft.measurements.observation_catalogue import LOCAL_CODE_PREFIX
from engraft.vocabulary import EventType

END = dt.date(2026, 6, 30)


def _episodes(cohort: SyntheticCohort) -> list[tuple[SyntheticTransplant, dict[str, object]]]:
    return [(t, e.details) for t in cohort for e in t.events if e.event_type is EventType.ACUTE_GVHD]


@pytest.mark.parametrize(
    "cohort",
    [
        pytest.param(SyntheticCohort(transplants=300, seed=DEFAULT_SEED, end_date=END), id="default-seed"),
        pytest.param(SyntheticCohort(transplants=200, centres=3, seed=777, end_date=END), id="seed-777"),
        pytest.param(SyntheticCohort(transplants=40, centres=3, seed=4242, end_date=END), id="shared-test-cohort"),
    ],
)
def test_staging_and_grading_the_findings_reproduces_every_recorded_acute_gvhd(cohort: SyntheticCohort) -> None:
    episodes = _episodes(cohort)
    assert episodes, "the cohort has no acute GVHD episode to check"
    grades = set()
    for transplant, details in episodes:
        record = transplant.acute_gvhd_findings
        assert record is not None, f"transplant {transplant.number}: acute GVHD recorded without findings"
        staging = stage_acute_gvhd(record.findings())
        recorded = (details["skin_stage"], details["liver_stage"], details["upper_gi_stage"], details["lower_gi_stage"])
        stages = staging.stages
        assert (stages.skin, stages.liver, stages.upper_gi, stages.lower_gi) == recorded, transplant.number
        assert grade_acute_gvhd(stages).value == details["grade"], transplant.number
        grades.add(details["grade"])
    if len(episodes) > 50:
        assert grades == {1, 2, 3, 4}


def test_the_bilirubin_finding_is_the_labs_reported_value_of_the_staging_day() -> None:
    for transplant, _details in _episodes(SyntheticCohort(transplants=200, seed=DEFAULT_SEED, end_date=END)):
        record = transplant.acute_gvhd_findings
        assert record is not None
        _code, unit, values = next(
            s for s in reported_labs(transplant.labs, transplant.plan.centre.si_units) if s[0] in BILIRUBIN_CODES
        )
        index = transplant.labs.days.tolist().index(record.day)
        assert (record.bilirubin.value, record.bilirubin.unit.value) == (values[index], unit)
        assert transplant.plan.agvhd is not None
        assert 0 <= record.day - transplant.plan.agvhd.onset <= 12


def test_no_findings_without_acute_gvhd() -> None:
    for transplant in SyntheticCohort(transplants=60, seed=DEFAULT_SEED, end_date=END):
        if not any(e.event_type is EventType.ACUTE_GVHD for e in transplant.events):
            assert transplant.acute_gvhd_findings is None


def test_every_finding_code_is_in_the_catalogue_in_an_accepted_unit_and_local_codes_are_named_local() -> None:
    transplant = next(
        t for t in SyntheticCohort(transplants=60, seed=DEFAULT_SEED, end_date=END) if t.acute_gvhd_findings
    )
    assert transplant.acute_gvhd_findings is not None
    for code, unit, value in transplant.acute_gvhd_findings.observations():
        kind = OBSERVATION_CATALOGUE[code]
        assert kind.minimum <= kind.to_canonical(value, unit) <= kind.maximum
        if code.startswith(LOCAL_CODE_PREFIX):
            assert "local Engraft code, not LOINC" in kind.name
