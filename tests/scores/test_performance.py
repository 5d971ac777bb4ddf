"""Karnofsky and Lansky scales: values, descriptions, and which applies by age (< 16 Lansky)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engraft.scores.performance import (
    KARNOFSKY,
    LANSKY,
    KarnofskyInput,
    LanskyInput,
    PerformanceScale,
    applicable_scale,
    karnofsky,
    lansky,
)


@pytest.mark.parametrize(
    ("score", "description"),
    [
        pytest.param(100, "Normal; no complaints; no evidence of disease", id="kps-100"),
        pytest.param(90, "Able to carry on normal activity; minor signs or symptoms of disease", id="kps-90"),
        pytest.param(80, "Normal activity with effort; some signs or symptoms of disease", id="kps-80"),
        pytest.param(70, "Cares for self; unable to carry on normal activity or to do active work", id="kps-70"),
        pytest.param(60, "Requires occasional assistance but is able to care for most personal needs", id="kps-60"),
        pytest.param(50, "Requires considerable assistance and frequent medical care", id="kps-50"),
        pytest.param(40, "Disabled; requires special care and assistance", id="kps-40"),
        pytest.param(30, "Severely disabled; hospitalisation indicated although death not imminent", id="kps-30"),
        pytest.param(20, "Very sick; hospitalisation necessary; active supportive treatment necessary", id="kps-20"),
        pytest.param(10, "Moribund; fatal processes progressing rapidly", id="kps-10"),
        pytest.param(0, "Dead", id="kps-0"),
    ],
)
def test_karnofsky_descriptions(score: int, description: str) -> None:
    result = karnofsky(KarnofskyInput(score=score, age_years=40))
    assert (result.value, result.band, result.instrument) == (score, description, "karnofsky")


@pytest.mark.parametrize(
    ("score", "description"),
    [
        pytest.param(100, "Fully active, normal", id="lps-100"),
        pytest.param(90, "Minor restrictions in strenuous physical activity", id="lps-90"),
        pytest.param(80, "Active, but gets tired more quickly", id="lps-80"),
        pytest.param(70, "Greater restriction of play and less time spent in play activity", id="lps-70"),
        pytest.param(40, "Mainly in bed; participates in quiet activities", id="lps-40"),
        pytest.param(10, "Doesn't play; does not get out of bed", id="lps-10"),
        pytest.param(0, "Unresponsive", id="lps-0"),
    ],
)
def test_lansky_descriptions(score: int, description: str) -> None:
    result = lansky(LanskyInput(score=score, age_years=6))
    assert (result.value, result.band, result.instrument) == (score, description, "lansky")


def test_both_scales_cover_0_to_100_in_tens() -> None:
    assert sorted(KARNOFSKY) == sorted(LANSKY) == list(range(0, 101, 10))


@pytest.mark.parametrize(
    ("age", "scale"),
    [
        pytest.param(0, PerformanceScale.LANSKY, id="age-0-lansky"),
        pytest.param(15, PerformanceScale.LANSKY, id="age-15-lansky"),
        pytest.param(16, PerformanceScale.KARNOFSKY, id="age-16-karnofsky"),
        pytest.param(80, PerformanceScale.KARNOFSKY, id="age-80-karnofsky"),
    ],
)
def test_applicable_scale_by_age(age: int, scale: PerformanceScale) -> None:
    assert applicable_scale(age) is scale


@pytest.mark.parametrize(
    ("model", "payload", "fragment"),
    [
        pytest.param(KarnofskyInput, {"score": 55}, "score=55 is not on the scale", id="kps-55"),
        pytest.param(KarnofskyInput, {"score": 110}, "score=110 is not on the scale", id="kps-110"),
        pytest.param(KarnofskyInput, {"score": -10}, "score=-10 is not on the scale", id="kps-negative"),
        pytest.param(
            KarnofskyInput, {"score": 90, "age_years": 15}, "age_years=15: Karnofsky applies from 16", id="kps-child"
        ),
        pytest.param(
            LanskyInput, {"score": 90, "age_years": 16}, "age_years=16: Lansky applies below 16", id="lps-adult"
        ),
        pytest.param(LanskyInput, {}, "Field required", id="lps-missing-score"),
    ],
)
def test_bad_input(model: type[KarnofskyInput | LanskyInput], payload: dict[str, int], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        model.model_validate(payload)


def test_age_is_optional() -> None:
    assert karnofsky(KarnofskyInput(score=80)).value == 80
