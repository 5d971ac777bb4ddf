"""Donor eligibility (21 CFR 1271 Subpart C): marker panel, specimen timing, screening, urgent need."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from engraft.scores.donor_eligibility import DonorEligibilityInput, DonorEligibilityResult, donor_eligibility
from engraft.vocabulary import MarkerTest

RECOVERY = dt.date(2026, 3, 1)


def panel(day: int = -10, overrides: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every marker of the vocabulary, non-reactive, with ``overrides`` by marker name."""
    date = (RECOVERY + dt.timedelta(days=day)).isoformat()
    markers = {m.value: {"marker": m.value, "result": "non-reactive", "specimen_date": date} for m in MarkerTest}
    for name, change in (overrides or {}).items():
        markers[name] = {**markers[name], **change}
    return list(markers.values())


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "intended_use": "allogeneic",
        "graft_source": "peripheral blood",
        "recovery_date": RECOVERY.isoformat(),
        "markers": panel(),
        "screening_complete": True,
        "screening_risk_factor_identified": False,
    }
    return {**base, **changes}


def determine(**changes: Any) -> DonorEligibilityResult:
    return donor_eligibility(DonorEligibilityInput.model_validate(payload(**changes)))


def test_all_clear_is_eligible() -> None:
    result = determine()
    assert result.value == result.band == "eligible"
    assert len(result.components) == len(MarkerTest)
    assert (result.citation.title or "").startswith("21 CFR Part 1271")


# 1271.80(b): at recovery or up to 7 days before or after; PBSC and marrow up to 30 days before.
@pytest.mark.parametrize(
    ("graft_source", "day", "status"),
    [
        pytest.param("peripheral blood", -30, "eligible", id="pbsc-day-minus-30"),
        pytest.param("peripheral blood", -31, "not eligible", id="pbsc-day-minus-31"),
        pytest.param("bone marrow", -30, "eligible", id="marrow-day-minus-30"),
        pytest.param("bone marrow", 7, "eligible", id="marrow-day-plus-7"),
        pytest.param("bone marrow", 8, "not eligible", id="marrow-day-plus-8"),
        pytest.param("cord blood", -7, "eligible", id="cord-day-minus-7"),
        pytest.param("cord blood", -8, "not eligible", id="cord-day-minus-8"),
        pytest.param("cord blood", 7, "eligible", id="cord-day-plus-7"),
    ],
)
def test_specimen_timing(graft_source: str, day: int, status: str) -> None:
    result = determine(graft_source=graft_source, markers=panel(day), specimen_from_birth_mother=True)
    assert result.value == status
    if status == "not eligible":
        assert any("outside the allowed window" in r for r in result.reasons)


@pytest.mark.parametrize(
    "marker",
    [pytest.param(m.value, id=m.value) for m in MarkerTest if m not in (MarkerTest.CMV_ANTIBODY, MarkerTest.SYPHILIS)],
)
def test_reactive_marker_makes_donor_ineligible(marker: str) -> None:
    result = determine(markers=panel(-10, {marker: {"result": "reactive"}}))
    assert result.value == "not eligible"
    assert f"{marker}: reactive" in result.reasons


def test_indeterminate_result_is_not_eligible() -> None:
    result = determine(markers=panel(-10, {"HCV antibody": {"result": "indeterminate"}}))
    assert result.value == "not eligible"
    assert "HCV antibody: indeterminate result; resolve before a determination" in result.reasons


def test_cmv_reactive_remains_eligible_with_flagged_rule() -> None:
    result = determine(markers=panel(-10, {"CMV antibody": {"result": "reactive"}}))
    assert result.value == "eligible"
    cmv = next(c for c in result.components if c.item == "CMV antibody")
    assert not cmv.verified


def test_syphilis_reactive_with_negative_confirmatory_test() -> None:
    markers = panel(-10, {"syphilis": {"result": "reactive", "confirmatory_treponemal_test_negative": True}})
    assert determine(markers=markers).value == "eligible"


def test_urgent_medical_need() -> None:
    result = determine(markers=panel(-10, {"HBsAg": {"result": "reactive"}}), documented_urgent_medical_need=True)
    assert result.value == "eligible with documented urgent medical need"
    assert "WARNING: Reactive test results for HBsAg" in result.labelling
    assert "WARNING: Advise patient of communicable disease risks" in result.labelling
    assert any("1271.65(b)(1)" in r for r in result.reasons)


def test_optional_markers_may_be_omitted() -> None:
    markers = [m for m in panel() if m["marker"] not in ("HBV NAT", "WNV NAT", "Trypanosoma cruzi")]
    assert determine(markers=markers).value == "eligible"


def test_urgent_need_with_incomplete_determination_is_labelled_not_evaluated() -> None:
    result = determine(screening_complete=False, documented_urgent_medical_need=True)
    assert result.value == "eligible with documented urgent medical need"
    assert result.labelling[0] == "NOT EVALUATED FOR INFECTIOUS SUBSTANCES"


def test_first_degree_relative_use_not_prohibited_but_donor_ineligible() -> None:
    result = determine(
        markers=panel(-10, {"HCV antibody": {"result": "reactive"}}), recipient_is_first_or_second_degree_relative=True
    )
    assert result.value == "not eligible"
    assert any("first- or second-degree blood relative" in r for r in result.reasons)
    assert "WARNING: Reactive test results for HCV antibody" in result.labelling


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"screening_complete": False}, "donor screening", id="screening-incomplete"),
        pytest.param({"screening_risk_factor_identified": True}, "identified a risk factor", id="risk-factor"),
        pytest.param({"graft_source": "cord blood"}, "birth mother's specimen", id="cord-without-birth-mother"),
    ],
)
def test_other_checks(changes: dict[str, Any], reason: str) -> None:
    result = determine(**changes)
    assert result.value == "not eligible"
    assert any(reason in r for r in result.reasons)


def test_autologous_use_needs_no_determination() -> None:
    result = determine(intended_use="autologous", markers=[])
    assert result.value == "determination not required (autologous use)"
    assert result.labelling == ("FOR AUTOLOGOUS USE ONLY",)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param(
            {"markers": [m for m in panel() if m["marker"] != "CMV antibody"]},
            "markers missing from the panel: ['CMV antibody']",
            id="missing-cmv",
        ),
        pytest.param(
            {"markers": [m for m in panel() if m["marker"] != "HCV NAT"]},
            "markers missing from the panel: ['HCV NAT']",
            id="missing-hcv-nat",
        ),
        pytest.param(
            {"markers": [*panel(), panel()[0]]}, "markers listed more than once: ['HIV-1/2 antibody']", id="duplicate"
        ),
        pytest.param(
            {"markers": panel(-10, {"HCV antibody": {"confirmatory_treponemal_test_negative": True}})},
            "applies to marker 'syphilis' only, not 'HCV antibody'",
            id="confirmatory-on-wrong-marker",
        ),
        pytest.param(
            {"markers": panel(-10, {"HCV antibody": {"result": "positive"}})}, "markers.5.result", id="unknown-result"
        ),
        pytest.param(
            {"markers": panel(-10, {"HCV antibody": {"specimen_date": "2026-02-30"}})},
            "specimen_date",
            id="impossible-date",
        ),
        pytest.param({"recovery_date": None}, "recovery_date", id="missing-recovery-date"),
    ],
)
def test_bad_input(changes: dict[str, Any], fragment: str) -> None:
    data = payload(**changes)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationError) as excinfo:
        DonorEligibilityInput.model_validate(data)
    assert fragment in str(excinfo.value)
