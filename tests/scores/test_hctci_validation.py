"""HCT-CI input refusal: every message names the field, the value and what was expected."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.scores.hctci import HctCiInput

from ._builders import facts_input, flags


@pytest.mark.parametrize(
    ("payload", "fragments"),
    [
        pytest.param(
            facts_input({"hepatic.bilirubin.value.unit": None}),
            ["facts.hepatic.bilirubin.value.unit", "Field required"],
            id="bilirubin-without-unit",
        ),
        pytest.param(
            facts_input({"hepatic.bilirubin.upper_limit_of_normal": None}),
            ["facts.hepatic.bilirubin.upper_limit_of_normal", "Field required"],
            id="bilirubin-without-uln",
        ),
        pytest.param(
            facts_input({"hepatic.ast.upper_limit_of_normal": None}),
            ["facts.hepatic.ast.upper_limit_of_normal", "Field required"],
            id="ast-without-uln",
        ),
        pytest.param(
            facts_input({"hepatic.bilirubin.value.unit": "µmol/L"}),
            ["'µmol/L'", "did you mean UCUM code 'umol/L'"],
            id="non-ucum-unit-hint",
        ),
        pytest.param(
            facts_input({"hepatic.bilirubin.value.unit": "U/L", "hepatic.bilirubin.upper_limit_of_normal.unit": "U/L"}),
            [
                "bilirubin.value",
                "'U/L'",
                "expected one of g/L, g/dL, mg/dL, mg/L, ug/L, ng/mL, ug/dL, pg/mL, mol/L, mmol/L, umol/L, nmol/L",
            ],
            id="bilirubin-in-enzyme-unit",
        ),
        pytest.param(
            facts_input({"hepatic.bilirubin.upper_limit_of_normal.unit": "U/L"}),
            ["'mg/dL'", "'U/L'", "expected the same unit"],
            id="uln-unit-not-convertible",
        ),
        pytest.param(
            facts_input({"hepatic.alt.value.unit": "mg/dL", "hepatic.alt.upper_limit_of_normal.unit": "mg/dL"}),
            ["transaminase value", "'mg/dL'", "expected one of U/L"],
            id="alt-in-mass-unit",
        ),
        pytest.param(
            facts_input({"renal.creatinine.unit": "mg/kg"}),
            ["creatinine", "'mg/kg'", "expected one of"],
            id="creatinine-unconvertible-unit",
        ),
        pytest.param(
            facts_input({"renal.creatinine.value": -1}),
            ["creatinine", "-1 mg/dL", "expected > 0"],
            id="creatinine-negative",
        ),
        pytest.param(
            facts_input({"renal.creatinine": {"value": 9000, "unit": "umol/L"}}),
            ["creatinine", "9000 umol/L", "<= 40 mg/dL"],
            id="creatinine-impossible",
        ),
        pytest.param(
            facts_input({"pulmonary.fev1_percent_predicted": 250}),
            ["facts.pulmonary.fev1_percent_predicted", "less than or equal to 200", "input_value=250"],
            id="fev1-250-percent",
        ),
        pytest.param(
            facts_input({"pulmonary.dlco_percent_predicted": -5}),
            ["facts.pulmonary.dlco_percent_predicted", "greater than 0", "input_value=-5"],
            id="dlco-negative",
        ),
        pytest.param(
            facts_input({"pulmonary.dlco_corrected_for_haemoglobin": None}),
            ["dlco_percent_predicted=92", "dlco_corrected_for_haemoglobin=true"],
            id="dlco-not-haemoglobin-corrected",
        ),
        pytest.param(
            facts_input({"hepatic.bilirubin.value.value": -0.1}),
            ["-0.1 mg/dL", "expected a value >= 0"],
            id="bilirubin-negative",
        ),
        pytest.param(
            facts_input({"cardiac.lvef_percent": 120}),
            ["facts.cardiac.lvef_percent", "less than or equal to 90", "input_value=120"],
            id="lvef-impossible",
        ),
        pytest.param(
            facts_input({"cardiac.lvef_percent": None}),
            ["give lvef_percent"],
            id="cardiac-without-ejection-measure",
        ),
        pytest.param(
            facts_input({"arrhythmia": None}), ["facts.arrhythmia", "Field required"], id="missing-item-arrhythmia"
        ),
        pytest.param(facts_input({"pulmonary": None}), ["facts.pulmonary", "Field required"], id="missing-pulmonary"),
        pytest.param(
            facts_input({"hepatic.ast": None, "hepatic.alt": None}), ["give ast and/or alt"], id="missing-transaminases"
        ),
        pytest.param(
            facts_input({"intracranial_haemorrhage": None}, variant="cibmtr-fim"),
            ["facts.intracranial_haemorrhage is required for variant 'cibmtr-fim'"],
            id="cibmtr-requires-extended-items",
        ),
        pytest.param(
            facts_input({"cardiac.shortening_fraction_percent": 25}),
            ["shortening_fraction_percent=25", "only by variant 'cibmtr-fim'"],
            id="shortening-fraction-in-sorror-variant",
        ),
        pytest.param(
            facts_input(
                {"cardiac.lvef_percent": None, "cardiac.shortening_fraction_percent": 30}, variant="cibmtr-fim"
            ),
            ["paediatric patients only", "age_years=50"],
            id="shortening-fraction-for-adult",
        ),
        pytest.param(
            facts_input({"body": {"bmi_kg_m2": 22}}, age=10),
            ["bmi_for_age_percentile is required for age_years=10"],
            id="child-without-bmi-for-age",
        ),
        pytest.param(facts_input(age=None), ["age_years is required"], id="facts-without-age"),
        pytest.param({"variant": "sorror-2005"}, ["exactly one of 'items'"], id="neither-items-nor-facts"),
        pytest.param({**facts_input(), "items": flags()}, ["exactly one of 'items'"], id="both-items-and-facts"),
        pytest.param({"items": flags(), "variant": "sorror-2013"}, ["variant", "sorror-2005"], id="unknown-variant"),
        pytest.param({"items": {**flags(), "smoker": True}}, ["items.smoker", "Extra inputs"], id="unknown-field"),
        pytest.param({"items": {**flags(), "renal": "maybe"}}, ["items.renal", "valid boolean"], id="non-boolean-flag"),
    ],
)
def test_bad_input_refused_with_clear_message(payload: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        HctCiInput.model_validate(payload)
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message


def test_inputs_are_frozen() -> None:
    data = HctCiInput.model_validate({"items": flags()})
    with pytest.raises(ValidationError):
        data.variant = "cibmtr-fim"  # type: ignore[misc,assignment]
