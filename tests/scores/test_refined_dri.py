"""Refined DRI: the encoded (UNVERIFIED) rule table behaves as encoded; nothing here is a published fact."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engraft.scores.refined_dri import RefinedDriInput, refined_dri


@pytest.mark.parametrize(
    ("disease", "stage", "group"),
    [
        pytest.param("cml", "low", "low", id="encoded-low-disease-low-stage"),
        pytest.param("cll", "high", "intermediate", id="encoded-low-disease-high-stage"),
        pytest.param("multiple_myeloma", "low", "intermediate", id="encoded-intermediate-disease-low-stage"),
        pytest.param("hodgkin_lymphoma", "high", "high", id="encoded-intermediate-disease-high-stage"),
        pytest.param("mds_adverse_cytogenetics", "low", "high", id="encoded-high-disease-low-stage"),
        pytest.param("t_cell_nhl_extranodal", "high", "very high", id="encoded-high-disease-high-stage"),
    ],
)
def test_encoded_matrix(disease: str, stage: str, group: str) -> None:
    result = refined_dri(RefinedDriInput.model_validate({"disease": disease, "stage_risk": stage}))
    assert result.value == group
    assert all(not c.verified for c in result.components)
    assert result.outcomes == ()


@pytest.mark.parametrize(
    ("stage", "group"),
    [
        pytest.param("high", "high/very high", id="3-group-very-high-merged"),
        pytest.param("low", "high/very high", id="3-group-high"),
    ],
)
def test_three_group_collapse(stage: str, group: str) -> None:
    data = RefinedDriInput.model_validate({"disease": "aml_adverse_cytogenetics", "stage_risk": stage, "groups": 3})
    assert refined_dri(data).value == group


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"disease": "all", "stage_risk": "low"}, "disease", id="all-has-no-verified-placement"),
        pytest.param({"disease": "burkitt", "stage_risk": "low"}, "disease", id="burkitt-refused"),
        pytest.param({"disease": "cml", "stage_risk": "medium"}, "stage_risk", id="unknown-stage"),
        pytest.param({"disease": "cml", "stage_risk": "low", "groups": 5}, "less than or equal to 4", id="groups-5"),
        pytest.param({"stage_risk": "low"}, "Field required", id="missing-disease"),
    ],
)
def test_bad_input(payload: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        RefinedDriInput.model_validate(payload)


def test_rule_table_still_unverified_after_primary_check() -> None:
    # Armand 2014 abstract (publisher page, checked 2026-11-26) gives no assignment table: nothing verified.
    result = refined_dri(RefinedDriInput.model_validate({"disease": "cml", "stage_risk": "low"}))
    assert all(not c.verified for c in result.components)
    assert result.citation.pmid == "24744269"
    assert result.citation.url is not None and "123/23/3664" in result.citation.url
