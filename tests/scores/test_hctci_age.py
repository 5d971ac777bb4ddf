"""HCT-CI/age composite (Sorror 2014): +1 at age >= 40; groups 0-2, 3-4, >= 5."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.scores.hctci_age import HctCiAgeInput, band_for, hct_ci_age
from engraft.scores.hctci_items import HctCiItem

from ._builders import facts_input, flags


@pytest.mark.parametrize(
    ("age", "hct_ci", "expected"),
    [
        pytest.param(39, 0, 0, id="age-39-no-point"),
        pytest.param(40, 0, 1, id="age-40-one-point"),
        pytest.param(65, 3, 4, id="age-65-hctci-3"),
        pytest.param(0, 26, 26, id="infant-max-hctci"),
        pytest.param(70, 26, 27, id="max-27"),
    ],
)
def test_age_point(age: int, hct_ci: int, expected: int) -> None:
    result = hct_ci_age(HctCiAgeInput(age_years=age, hct_ci_score=hct_ci))
    assert result.value == expected
    assert result.hct_ci == hct_ci
    assert result.components[-1].item == "age"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        pytest.param(0, "0-2", id="0"),
        pytest.param(2, "0-2", id="2-upper-edge"),
        pytest.param(3, "3-4", id="3-lower-edge"),
        pytest.param(4, "3-4", id="4-upper-edge"),
        pytest.param(5, ">=5", id="5-lower-edge"),
        pytest.param(27, ">=5", id="27"),
    ],
)
def test_band_edges(score: int, band: str) -> None:
    assert band_for(score) == band


def test_from_full_hct_ci_facts_uses_age_for_both() -> None:
    hct = facts_input({"pulmonary.fev1_percent_predicted": 60}, age=None)
    result = hct_ci_age(HctCiAgeInput.model_validate({"age_years": 45, "hct_ci": hct}))
    assert (result.hct_ci, result.value, result.band) == (3, 4, "3-4")
    assert len(result.components) == 18


def test_from_item_flags() -> None:
    payload = {"age_years": 52, "hct_ci": {"items": flags(HctCiItem.PRIOR_SOLID_TUMOUR, HctCiItem.INFECTION)}}
    result = hct_ci_age(HctCiAgeInput.model_validate(payload))
    assert (result.value, result.band) == (5, ">=5")


def test_outcomes_are_verified_c_statistics_only() -> None:
    result = hct_ci_age(HctCiAgeInput(age_years=50, hct_ci_score=1))
    assert {(o.endpoint, o.value) for o in result.outcomes} == {
        ("non-relapse mortality (c-statistic)", 0.664),
        ("overall survival (c-statistic)", 0.682),
    }
    assert all(o.verified and o.n == 3033 for o in result.outcomes)
    assert result.citation.pmid == "25154831"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"age_years": 50}, "exactly one of 'hct_ci'", id="no-hct-ci"),
        pytest.param(
            {"age_years": 50, "hct_ci_score": 2, "hct_ci": {"items": flags()}}, "exactly one", id="both-given"
        ),
        pytest.param({"age_years": 50, "hct_ci_score": 27}, "less than or equal to 26", id="hct-ci-above-26"),
        pytest.param({"age_years": -1, "hct_ci_score": 2}, "greater than or equal to 0", id="negative-age"),
        pytest.param({"hct_ci_score": 2}, "Field required", id="missing-age"),
        pytest.param(
            {"age_years": 50, "hct_ci": facts_input(age=30)}, "differs from age_years=50", id="conflicting-ages"
        ),
    ],
)
def test_bad_input(payload: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        HctCiAgeInput.model_validate(payload)
