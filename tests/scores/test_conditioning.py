"""Conditioning intensity: Giralt 2009 dose spectrum (verified) and CIBMTR operational rules (unverified)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.scores.conditioning import ConditioningInput, ConditioningResult, conditioning_intensity


def agent(name: str, value: float, unit: str, route: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"agent": name, "total_dose": {"value": value, "unit": unit}}
    if route:
        out["route"] = route
    return out


def tbi(value: float, unit: str, fractions: int) -> dict[str, Any]:
    return {"total_dose": {"value": value, "unit": unit}, "fractions": fractions}


FLU = agent("fludarabine", 150, "mg/m2")


def classify(variant: str, agents: list[dict[str, Any]], tbi_dose: dict[str, Any] | None = None) -> ConditioningResult:
    payload: dict[str, Any] = {"variant": variant, "agents": agents}
    if tbi_dose is not None:
        payload["tbi"] = tbi_dose
    return conditioning_intensity(ConditioningInput.model_validate(payload))


@pytest.mark.parametrize(
    ("agents", "tbi_dose", "expected"),
    [
        pytest.param([FLU], tbi(499, "cGy", 1), "reduced intensity", id="tbi-single-499"),
        pytest.param([FLU], tbi(500, "cGy", 1), "myeloablative", id="tbi-single-500"),
        pytest.param([FLU], tbi(799, "cGy", 4), "reduced intensity", id="tbi-fractionated-799"),
        pytest.param([FLU], tbi(8, "Gy", 4), "myeloablative", id="tbi-fractionated-8-Gy"),
        pytest.param([FLU, agent("busulfan", 8.9, "mg/kg", "oral")], None, "reduced intensity", id="bu-oral-8.9"),
        pytest.param([FLU, agent("busulfan", 9, "mg/kg", "oral")], None, "myeloablative", id="bu-oral-9"),
        pytest.param([FLU, agent("busulfan", 7.1, "mg/kg", "iv")], None, "reduced intensity", id="bu-iv-7.1"),
        pytest.param([FLU, agent("busulfan", 7.2, "mg/kg", "iv")], None, "myeloablative", id="bu-iv-7.2"),
        pytest.param([FLU, agent("melphalan", 139, "mg/m2")], None, "reduced intensity", id="mel-139"),
        pytest.param([FLU, agent("melphalan", 140, "mg/m2")], None, "myeloablative", id="mel-140"),
        pytest.param([FLU, agent("thiotepa", 9.9, "mg/kg")], None, "reduced intensity", id="thiotepa-9.9"),
        pytest.param([FLU, agent("thiotepa", 10, "mg/kg")], None, "myeloablative", id="thiotepa-10"),
    ],
)
def test_giralt_dose_spectrum(agents: list[dict[str, Any]], tbi_dose: dict[str, Any] | None, expected: str) -> None:
    result = classify("giralt-2009", agents, tbi_dose)
    assert result.value == result.band == expected
    assert result.citation.pmid == "19203728"
    assert result.citation.url == "https://www.ncbi.nlm.nih.gov/pubmed/19203728"


def test_giralt_iv_busulfan_conversion_is_flagged_as_assumption() -> None:
    result = classify("giralt-2009", [agent("busulfan", 6.4, "mg/kg", "iv")])
    bu = next(c for c in result.components if c.item == "busulfan")
    assert not bu.verified
    assert "oral equivalent 8 mg/kg" in bu.rule


@pytest.mark.parametrize(
    ("agents", "tbi_dose", "expected", "decided_by"),
    [
        pytest.param(
            [FLU, agent("busulfan", 9, "mg/kg", "oral")], None, "reduced intensity", "busulfan", id="bu-oral-9"
        ),
        pytest.param(
            [FLU, agent("busulfan", 9.1, "mg/kg", "oral")], None, "myeloablative", "busulfan", id="bu-oral-9.1"
        ),
        pytest.param(
            [FLU, agent("busulfan", 7.2, "mg/kg", "iv")], None, "reduced intensity", "busulfan", id="bu-iv-7.2"
        ),
        pytest.param([FLU, agent("busulfan", 12.8, "mg/kg", "iv")], None, "myeloablative", "busulfan", id="bu-iv-12.8"),
        pytest.param([FLU, agent("melphalan", 150, "mg/m2")], None, "reduced intensity", "melphalan", id="mel-150"),
        pytest.param([FLU, agent("melphalan", 151, "mg/m2")], None, "myeloablative", "melphalan", id="mel-151"),
        pytest.param(
            [agent("cyclophosphamide", 120, "mg/kg")], tbi(1200, "cGy", 6), "myeloablative", "TBI", id="cy-tbi-12-gy"
        ),
        pytest.param([FLU], tbi(499, "cGy", 1), "reduced intensity", "TBI", id="tbi-single-499"),
        pytest.param([FLU], tbi(500, "cGy", 1), "myeloablative", "TBI", id="tbi-single-500"),
        pytest.param([FLU], tbi(800, "cGy", 4), "myeloablative", "TBI", id="tbi-fractionated-800"),
        pytest.param([FLU], tbi(200, "cGy", 1), "non-myeloablative", "only", id="tbi-2-gy-flu"),
        pytest.param([], tbi(2, "Gy", 1), "non-myeloablative", "only", id="tbi-2-gy-alone"),
        pytest.param([FLU], tbi(300, "cGy", 1), "reduced intensity", "TBI", id="tbi-3-gy-flu"),
        pytest.param([FLU, agent("cyclophosphamide", 60, "mg/kg")], None, "non-myeloablative", "only", id="flu-cy"),
        pytest.param(
            [FLU, agent("cyclophosphamide", 60, "mg/kg"), agent("anti-thymocyte globulin (rabbit)", 6, "mg/kg")],
            None,
            "non-myeloablative",
            "only",
            id="flu-cy-atg",
        ),
        pytest.param(
            [agent("cyclophosphamide", 200, "mg/kg")], None, "reduced intensity", "cyclophosphamide", id="cy-alone"
        ),
    ],
)
def test_cibmtr_operational(
    agents: list[dict[str, Any]], tbi_dose: dict[str, Any] | None, expected: str, decided_by: str
) -> None:
    result = classify("cibmtr-operational", agents, tbi_dose)
    assert result.value == expected
    assert decided_by in result.deciding_component
    assert all(not c.verified for c in result.components)


def test_tci_not_computed_and_said_so() -> None:
    result = classify("cibmtr-operational", [FLU])
    assert any("TCI" in note for note in result.notes)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param(
            {"agents": [agent("busulfan", 130, "mg/m2", "iv")]}, "busulfan.total_dose: unit 'mg/m2'", id="bu-in-mg-m2"
        ),
        pytest.param(
            {"agents": [agent("melphalan", 3.5, "mg/kg")]}, "melphalan.total_dose: unit 'mg/kg'", id="mel-in-mg-kg"
        ),
        pytest.param(
            {"agents": [agent("melphalan", -140, "mg/m2")]},
            "not a possible dose; expected a value > 0",
            id="negative-dose",
        ),
        pytest.param({"agents": [agent("melphalan", 0, "mg/m2")]}, "expected a value > 0", id="zero-dose"),
        pytest.param({"agents": [agent("busulfan", 9, "mg/kg")]}, "busulfan.route is required", id="bu-without-route"),
        pytest.param(
            {"agents": [agent("melphalan", 140, "mg")]},
            "melphalan.total_dose: unit 'mg' (mass) cannot be used",
            id="unit-mg",
        ),
        pytest.param({"agents": []}, "at least one agent or TBI", id="empty-regimen"),
        pytest.param({"agents": [FLU, FLU]}, "agents listed more than once: ['fludarabine']", id="duplicate-agent"),
        pytest.param({"tbi": tbi(3000, "cGy", 6)}, "not a possible TBI dose", id="tbi-3000-cgy"),
        pytest.param({"tbi": tbi(12, "mg/kg", 6)}, "tbi.total_dose: unit 'mg/kg'", id="tbi-wrong-unit"),
        pytest.param({"tbi": tbi(200, "cGy", 0)}, "greater than or equal to 1", id="tbi-zero-fractions"),
        pytest.param({"agents": [agent("venetoclax", 400, "mg/m2")]}, "agents.0.agent", id="unknown-agent"),
    ],
)
def test_bad_input(payload: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        ConditioningInput.model_validate(payload)
    assert fragment in str(excinfo.value)
