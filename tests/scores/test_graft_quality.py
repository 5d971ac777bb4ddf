"""Graft quality: CD34+/TNC per kg and CD34+ viability against source thresholds, with their sources."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.provenance import VerificationLevel
from engraft.scores.graft_quality import GraftQualityInput, GraftQualityResult, graft_quality


def q(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


def assess(**fields: Any) -> GraftQualityResult:
    payload = {"recipient_weight": q(20, "kg"), **fields}
    return graft_quality(GraftQualityInput.model_validate(payload))


@pytest.mark.parametrize(
    ("tnc", "cd34", "band"),
    [
        pytest.param(q(3.0, "10*7/kg"), q(1.5, "10*5/kg"), "meets thresholds", id="cord-at-both-minimums"),
        pytest.param(q(2.99, "10*7/kg"), q(1.5, "10*5/kg"), "below threshold", id="cord-tnc-2.99e7"),
        pytest.param(q(3.0, "10*7/kg"), q(1.49, "10*5/kg"), "below threshold", id="cord-cd34-1.49e5"),
        pytest.param(q(60, "10*7"), q(3.0, "10*6"), "meets thresholds", id="cord-totals-at-20-kg"),
        pytest.param(q(59, "10*7"), q(3.0, "10*6"), "below threshold", id="cord-total-tnc-short-at-20-kg"),
    ],
)
def test_single_cord_unit(tnc: dict[str, Any], cd34: dict[str, Any], band: str) -> None:
    result = assess(graft_source="cord blood", transplant_type="allogeneic", tnc=tnc, cd34=cd34)
    assert result.value == band
    assert {c.threshold.citation.authors.split(",")[0] for c in result.checks} == {"Dehn J"}
    # Dehn 2019 minimums, read in NMDP's own documentation of the guideline (donor-search.md 3.4): secondary.
    assert all(c.threshold.verification is VerificationLevel.SECONDARY for c in result.checks)
    assert all(c.threshold.reproduced_in for c in result.checks)


@pytest.mark.parametrize(
    ("cd34", "passed"),
    [
        pytest.param(q(1.0, "10*5/kg"), True, id="double-unit-1.0e5"),
        pytest.param(q(0.99, "10*5/kg"), False, id="double-0.99e5"),
    ],
)
def test_double_cord_per_unit(cd34: dict[str, Any], passed: bool) -> None:
    result = assess(graft_source="cord blood", transplant_type="allogeneic", cord_blood_units=2, cd34=cd34)
    assert result.checks[0].passed is passed


@pytest.mark.parametrize(
    ("viability", "passed"),
    [pytest.param(70.0, False, id="viability-70-not-above"), pytest.param(70.1, True, id="viability-70.1")],
)
def test_cord_post_thaw_cd34_viability_is_exclusive(viability: float, passed: bool) -> None:
    result = assess(
        graft_source="cord blood",
        transplant_type="allogeneic",
        tnc=q(4, "10*7/kg"),
        cd34=q(2, "10*5/kg"),
        cd34_viability_percent=viability,
    )
    check = next(c for c in result.checks if c.measure == "cd34_viability_percent")
    assert check.passed is passed
    assert "FACT" in check.threshold.citation.journal


@pytest.mark.parametrize(
    ("cd34", "band"),
    [
        pytest.param(q(2.0, "10*6/kg"), "meets thresholds", id="auto-pbsc-2.0e6"),
        pytest.param(q(1.99, "10*6/kg"), "below threshold", id="auto-pbsc-1.99e6"),
        pytest.param(q(140, "10*6"), "meets thresholds", id="auto-pbsc-total-at-70-kg"),
    ],
)
def test_autologous_pbsc_minimum_follows_the_imwg_consensus(cd34: dict[str, Any], band: str) -> None:
    result = graft_quality(
        GraftQualityInput.model_validate(
            {
                "graft_source": "peripheral blood",
                "transplant_type": "autologous",
                "recipient_weight": q(70, "kg"),
                "cd34": cd34,
            }
        )
    )
    assert result.value == band
    threshold = result.checks[0].threshold
    assert threshold.verified is True and threshold.citation.doi == "10.1038/leu.2009.127"
    assert result.components[0].verified is True
    assert "per cycle of high-dose therapy" in result.components[0].rule


def test_weight_in_grams_is_converted() -> None:
    result = graft_quality(
        GraftQualityInput.model_validate(
            {
                "graft_source": "cord blood",
                "transplant_type": "allogeneic",
                "recipient_weight": q(20000, "g"),
                "tnc": q(60, "10*7"),
                "cd34": q(3.0, "10*6"),
            }
        )
    )
    assert result.value == "meets thresholds"


def test_source_without_thresholds_says_so() -> None:
    result = assess(graft_source="peripheral blood", transplant_type="allogeneic", cd34=q(5, "10*6/kg"))
    assert result.value == "no threshold encoded for this graft"
    assert result.checks == ()


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        pytest.param({"recipient_weight": q(0, "kg")}, "not a possible body weight", id="weight-zero"),
        pytest.param({"recipient_weight": q(70, "mg/kg")}, "recipient_weight: unit 'mg/kg'", id="weight-wrong-unit"),
        pytest.param({"cd34": q(-1, "10*6/kg")}, "is negative", id="negative-cd34"),
        pytest.param({"cd34": q(2, "mg/kg")}, "cell dose: unit 'mg/kg'", id="cd34-wrong-unit"),
        pytest.param({"cd34_viability_percent": 150}, "less than or equal to 100", id="viability-150"),
        pytest.param(
            {"graft_source": "cord blood", "transplant_type": "allogeneic", "cd34": q(2, "10*5/kg")},
            "tnc is required",
            id="cord-missing-tnc",
        ),
        pytest.param(
            {"graft_source": "peripheral blood", "transplant_type": "autologous"},
            "cd34 is required",
            id="auto-missing-cd34",
        ),
    ],
)
def test_bad_input(fields: dict[str, Any], fragment: str) -> None:
    payload = {
        "graft_source": "peripheral blood",
        "transplant_type": "allogeneic",
        "recipient_weight": q(70, "kg"),
        **fields,
    }
    with pytest.raises(ValidationError) as excinfo:
        GraftQualityInput.model_validate(payload)
    assert fragment in str(excinfo.value)
