"""The demo's synthetic pre-transplant answers: reproducible, consistent, and a DRI input only where the index fits."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from engraft.demo.cohort import SyntheticCohort
from engraft.demo.risk_answers import WORK_UP_DAYS_BEFORE_DAY0, comorbidity_flags, risk_profile_request
from engraft.scores.refined_dri import StageRisk
from engraft.vocabulary import DiseaseStatus, TransplantType

COHORT = list(SyntheticCohort(transplants=300, centres=3, seed=4242, end_date=dt.date(2026, 6, 30)))


def test_the_same_seed_and_transplant_give_the_same_answers_and_another_seed_others() -> None:
    first = [risk_profile_request(t, 4242) for t in COHORT]
    assert first == [risk_profile_request(t, 4242) for t in COHORT]
    assert first != [risk_profile_request(t, 4243) for t in COHORT]


@given(seed=st.integers(0, 2**32), age=st.floats(0.2, 80.0))
def test_one_organ_is_never_both_mild_and_moderate_or_severe(seed: int, age: float) -> None:
    flags = comorbidity_flags(random.Random(seed), age)
    assert not (flags.hepatic_mild and flags.hepatic_moderate_severe)
    assert not (flags.pulmonary_moderate and flags.pulmonary_severe)


def test_older_patients_have_more_comorbidity_in_the_demo() -> None:
    def mean_items(age: float) -> float:
        rng = random.Random(1)
        return sum(len(comorbidity_flags(rng, age).present()) for _ in range(2000)) / 2000

    assert mean_items(10) < mean_items(30) < mean_items(50) < mean_items(65)


def test_a_dri_input_only_for_allogeneic_transplants_of_listed_diseases() -> None:
    with_dri = 0
    for transplant in COHORT:
        plan = transplant.plan
        dri = risk_profile_request(transplant, 4242).refined_dri
        if plan.transplant_type is TransplantType.AUTOLOGOUS or plan.indication.group in ("non-malignant",):
            assert dri is None, plan.indication.key
        if plan.indication.key == "ALL":
            assert dri is None
        if dri is not None:
            with_dri += 1
            active = plan.status in {
                DiseaseStatus.RELAPSE,
                DiseaseStatus.PRIMARY_REFRACTORY,
                DiseaseStatus.UNTREATED,
                DiseaseStatus.ACCELERATED_PHASE,
                DiseaseStatus.BLAST_PHASE,
            }
            assert dri.stage_risk is (StageRisk.HIGH if active else StageRisk.LOW)
    assert with_dri > 30


def test_every_answer_has_comorbidities_and_a_performance_score_on_the_scale() -> None:
    for transplant in COHORT:
        request = risk_profile_request(transplant, 4242)
        assert request.hct_ci is not None and request.hct_ci.items is not None
        assert request.performance_score in (60, 70, 80, 90, 100)


def test_the_answers_are_dated_at_the_work_up_before_day_0() -> None:
    for transplant in COHORT[:20]:
        assessed = risk_profile_request(transplant, 4242).assessed_on
        assert assessed is not None
        assert (transplant.plan.day0 - assessed).days == WORK_UP_DAYS_BEFORE_DAY0
