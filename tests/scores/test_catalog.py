"""Catalogue: every instrument listed, schemas serialisable, runnable by name from JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from engraft.scores.catalog import CATALOG, get, run
from engraft.scores.hctci_items import HctCiItem

from ._builders import facts_input, flags

EXAMPLES: dict[str, dict[str, Any]] = {
    "hct-ci": facts_input(),
    "hct-ci-age": {"age_years": 45, "hct_ci": {"items": flags(HctCiItem.DIABETES)}},
    "karnofsky": {"score": 90, "age_years": 40},
    "lansky": {"score": 80, "age_years": 6},
    "ebmt-risk": {
        "age_years": 30,
        "disease": "aml",
        "status": "CR1",
        "months_diagnosis_to_transplant": 5,
        "donor_relation": "matched unrelated",
        "donor_sex": "female",
        "recipient_sex": "male",
    },
    "refined-dri": {"disease": "aml_adverse_cytogenetics", "stage_risk": "low"},
    "conditioning-intensity": {
        "agents": [{"agent": "fludarabine", "total_dose": {"value": 150, "unit": "mg/m2"}}],
        "tbi": {"total_dose": {"value": 200, "unit": "cGy"}, "fractions": 1},
    },
    "donor-eligibility": {
        "intended_use": "autologous",
        "graft_source": "peripheral blood",
        "recovery_date": "2026-03-01",
        "markers": [],
        "screening_complete": True,
        "screening_risk_factor_identified": False,
    },
    "graft-quality": {
        "graft_source": "cord blood",
        "transplant_type": "allogeneic",
        "recipient_weight": {"value": 20, "unit": "kg"},
        "tnc": {"value": 4, "unit": "10*7/kg"},
        "cd34": {"value": 2, "unit": "10*5/kg"},
    },
}


def test_catalog_lists_the_instruments() -> None:
    assert set(CATALOG) == set(EXAMPLES)


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in EXAMPLES])
def test_schema_is_json_serialisable(name: str) -> None:
    entry = get(name)
    schema = json.loads(json.dumps(entry.schema()))
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert entry.description
    assert entry.citation.year > 1900


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in EXAMPLES])
def test_run_from_json_text(name: str) -> None:
    result = run(name, json.dumps(EXAMPLES[name]))
    assert result.instrument == name
    assert result.citation.title
    json.loads(result.model_dump_json())


def test_run_from_mapping_matches_json_text() -> None:
    assert run("ebmt-risk", EXAMPLES["ebmt-risk"]) == run("ebmt-risk", json.dumps(EXAMPLES["ebmt-risk"]))


def test_unknown_instrument() -> None:
    with pytest.raises(KeyError, match="unknown instrument 'sofa'; expected one of"):
        get("sofa")


def test_invalid_payload_raises_validation_error() -> None:
    with pytest.raises(ValidationError, match="score=55"):
        run("karnofsky", {"score": 55})
