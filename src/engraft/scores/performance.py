"""Karnofsky (KPS) and Lansky play-performance (LPS) scales.

Both are 0-100 in steps of 10. The standard descriptions are the wording identical across several
reproductions (clinical-scores.md section 4), none of them an authoritative text cited here, so they
carry the level ``unverified``: the score itself is the clinician's own rating, not a published figure.
Lansky applies to patients younger than 16 years (parent-rated), Karnofsky from 16 years. A score
on the scale that does not apply to the patient's age is refused rather than silently accepted.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, field_validator

from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, ScoreResult, VerificationLevel
from engraft.vocabulary import PerformanceScale

LANSKY_AGE_LIMIT_YEARS: Final = 16


KARNOFSKY: Final[dict[int, str]] = {
    100: "Normal; no complaints; no evidence of disease",
    90: "Able to carry on normal activity; minor signs or symptoms of disease",
    80: "Normal activity with effort; some signs or symptoms of disease",
    70: "Cares for self; unable to carry on normal activity or to do active work",
    60: "Requires occasional assistance but is able to care for most personal needs",
    50: "Requires considerable assistance and frequent medical care",
    40: "Disabled; requires special care and assistance",
    30: "Severely disabled; hospitalisation indicated although death not imminent",
    20: "Very sick; hospitalisation necessary; active supportive treatment necessary",
    10: "Moribund; fatal processes progressing rapidly",
    0: "Dead",
}

LANSKY: Final[dict[int, str]] = {
    100: "Fully active, normal",
    90: "Minor restrictions in strenuous physical activity",
    80: "Active, but gets tired more quickly",
    70: "Greater restriction of play and less time spent in play activity",
    60: "Up and around, but active play minimal; keeps busy by being involved in quieter activities",
    50: "Lying around much of the day, but gets dressed; no active playing; participates in all quiet play "
    "and activities",
    40: "Mainly in bed; participates in quiet activities",
    30: "Bedbound; needing assistance even for quiet play",
    20: "Sleeping often; play entirely limited to very passive activities",
    10: "Doesn't play; does not get out of bed",
    0: "Unresponsive",
}


def applicable_scale(age_years: int) -> PerformanceScale:
    """Lansky below 16 years, Karnofsky from 16 years."""
    if age_years < 0:
        raise ValueError(f"age_years={age_years} is negative; expected >= 0")
    return PerformanceScale.LANSKY if age_years < LANSKY_AGE_LIMIT_YEARS else PerformanceScale.KARNOFSKY


class _PerformanceInput(FrozenModel):
    score: int = Field(strict=True, description="0-100 in steps of 10.")
    age_years: int | None = Field(default=None, ge=0, le=120, strict=True)

    @field_validator("score")
    @classmethod
    def _step_of_ten(cls, score: int) -> int:
        if score not in KARNOFSKY:
            raise ValueError(f"score={score} is not on the scale; expected one of 0, 10, 20, ..., 100")
        return score


class KarnofskyInput(_PerformanceInput):
    @field_validator("age_years")
    @classmethod
    def _adult(cls, age: int | None) -> int | None:
        if age is not None and age < LANSKY_AGE_LIMIT_YEARS:
            raise ValueError(f"age_years={age}: Karnofsky applies from {LANSKY_AGE_LIMIT_YEARS} years; use Lansky")
        return age


class LanskyInput(_PerformanceInput):
    @field_validator("age_years")
    @classmethod
    def _child(cls, age: int | None) -> int | None:
        if age is not None and age >= LANSKY_AGE_LIMIT_YEARS:
            raise ValueError(f"age_years={age}: Lansky applies below {LANSKY_AGE_LIMIT_YEARS} years; use Karnofsky")
        return age


def _result(scale: PerformanceScale, data: _PerformanceInput) -> ScoreResult:
    table = KARNOFSKY if scale is PerformanceScale.KARNOFSKY else LANSKY
    citation = sources.KARNOFSKY_1949 if scale is PerformanceScale.KARNOFSKY else sources.LANSKY_1987
    description = table[data.score]
    return ScoreResult(
        instrument=scale.value,
        version="standard",
        value=data.score,
        band=description,
        components=(
            Component(
                item="score",
                input=f"score={data.score}",
                points=data.score,
                rule=description,
                verification=VerificationLevel.UNVERIFIED,
            ),
        ),
        citation=citation,
    )


def karnofsky(data: KarnofskyInput) -> ScoreResult:
    """Karnofsky performance status with its standard description."""
    return _result(PerformanceScale.KARNOFSKY, data)


def lansky(data: LanskyInput) -> ScoreResult:
    """Lansky play-performance score with its standard description."""
    return _result(PerformanceScale.LANSKY, data)
