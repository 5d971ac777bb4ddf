"""Synthetic pre-transplant answers the registry does not hold: HCT-CI comorbidities, performance score and the
refined-DRI input, so that every demo transplant has a risk profile (and its risk explanation has scores).

Each transplant draws from its own random stream (the cohort seed and the transplant number), so these draws
change no other value of the cohort. The prevalences below are **demo assumptions**, chosen to give a plausible
spread (most patients with 0-2 HCT-CI points, more comorbidity with age, most patients fully or nearly fully
active); they are not published figures and nothing is concluded from them.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Final, TypeVar

from engraft.demo.cohort import SyntheticTransplant
from engraft.registry.risk_profile import HctCiAnswers, RiskProfileRequest
from engraft.scores.hctci import HctCiItemFlags
from engraft.scores.refined_dri import RdriDisease, RefinedDriInput, StageRisk
from engraft.vocabulary import DiseaseStatus, TransplantType

ITEM_PREVALENCE: Final[dict[str, float]] = {
    "arrhythmia": 0.04,
    "cardiac": 0.04,
    "inflammatory_bowel_disease": 0.01,
    "diabetes": 0.06,
    "cerebrovascular": 0.015,
    "psychiatric": 0.09,
    "hepatic_mild": 0.07,
    "obesity": 0.08,
    "infection": 0.10,
    "rheumatologic": 0.02,
    "peptic_ulcer": 0.015,
    "renal": 0.015,
    "pulmonary_moderate": 0.11,
    "prior_solid_tumour": 0.03,
    "heart_valve_disease": 0.02,
    "pulmonary_severe": 0.03,
    "hepatic_moderate_severe": 0.01,
}
"""Demo assumption: the chance of each HCT-CI item for an adult aged 40-59 (scaled by :func:`_age_factor`)."""

WORK_UP_DAYS_BEFORE_DAY0: Final = 14
"""The demo's pre-transplant work-up, when the answers are recorded: two weeks before day 0 (a demo choice)."""

PERFORMANCE_SCORES: Final = ((100, 0.25), (90, 0.40), (80, 0.24), (70, 0.09), (60, 0.02))
"""Demo assumption: the pre-transplant Karnofsky (Lansky for children) score and its chance."""

_T = TypeVar("_T")

_DRI_DISEASE: Final[dict[str, tuple[tuple[RdriDisease, float], ...]]] = {
    "AML": (
        (RdriDisease.AML_FAVOURABLE_CYTOGENETICS, 0.15),
        (RdriDisease.AML_INTERMEDIATE_CYTOGENETICS, 0.60),
        (RdriDisease.AML_ADVERSE_CYTOGENETICS, 0.25),
    ),
    "MDS": ((RdriDisease.MDS_INTERMEDIATE_CYTOGENETICS, 0.65), (RdriDisease.MDS_ADVERSE_CYTOGENETICS, 0.35)),
    "MF": ((RdriDisease.MPN, 1.0),),
    "CML": ((RdriDisease.CML, 1.0),),
    "NHL": ((RdriDisease.DLBCL_OR_TRANSFORMED_INDOLENT, 1.0),),
    "HLA": ((RdriDisease.HODGKIN_LYMPHOMA, 1.0),),
    "CLL": ((RdriDisease.CLL, 1.0),),
    "MMA": ((RdriDisease.MULTIPLE_MYELOMA, 1.0),),
}
"""The demo's allogeneic indications (keys of :data:`engraft.demo.cohort_tables.INDICATIONS`) that the refined
DRI lists, with the demo's assumed cytogenetic split; ALL and the non-malignant indications have no DRI input."""

_HIGH_STAGE: Final = frozenset(
    {
        DiseaseStatus.PRIMARY_REFRACTORY,
        DiseaseStatus.RELAPSE,
        DiseaseStatus.UNTREATED,
        DiseaseStatus.ACCELERATED_PHASE,
        DiseaseStatus.BLAST_PHASE,
    }
)
"""Statuses the demo calls high stage risk (active disease); remissions, partial responses, chronic phase and stable
myelofibrosis are low. The refined DRI's own stage definitions are unverified in Engraft (see scores/refined_dri)."""


def _age_factor(age: float) -> float:
    if age < 18:
        return 0.4
    if age < 40:
        return 0.7
    if age < 60:
        return 1.0
    return 1.6


def _pick(rng: random.Random, choices: tuple[tuple[_T, float], ...]) -> _T:
    index = rng.choices(range(len(choices)), weights=[weight for _, weight in choices])[0]
    return choices[index][0]


def comorbidity_flags(rng: random.Random, age: float) -> HctCiItemFlags:
    """One patient's HCT-CI items; the mild and the moderate/severe grade of one organ never both."""
    factor = _age_factor(age)
    drawn = {item: rng.random() < min(0.9, p * factor) for item, p in ITEM_PREVALENCE.items()}
    if drawn["hepatic_moderate_severe"]:
        drawn["hepatic_mild"] = False
    if drawn["pulmonary_severe"]:
        drawn["pulmonary_moderate"] = False
    return HctCiItemFlags(**drawn)


def refined_dri_input(rng: random.Random, transplant: SyntheticTransplant) -> RefinedDriInput | None:
    """The refined-DRI input of an allogeneic transplant for a disease the index lists, else None."""
    plan = transplant.plan
    choices = _DRI_DISEASE.get(plan.indication.key)
    if plan.transplant_type is not TransplantType.ALLOGENEIC or choices is None:
        return None
    stage = StageRisk.HIGH if plan.status in _HIGH_STAGE else StageRisk.LOW
    return RefinedDriInput(disease=_pick(rng, choices), stage_risk=stage)


def risk_profile_request(transplant: SyntheticTransplant, seed: int) -> RiskProfileRequest:
    """The synthetic pre-transplant answers of one demo transplant (same seed and number, same answers)."""
    rng = random.Random(f"{seed}:{transplant.number}:risk-profile")
    return RiskProfileRequest(
        assessed_on=transplant.plan.day0 - dt.timedelta(days=WORK_UP_DAYS_BEFORE_DAY0),
        hct_ci=HctCiAnswers(items=comorbidity_flags(rng, transplant.plan.age)),
        performance_score=_pick(rng, PERFORMANCE_SCORES),
        refined_dri=refined_dri_input(rng, transplant),
    )
