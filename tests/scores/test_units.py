"""UCUM quantities and conversions: defined conversions work, undefined ones are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engraft.scores.units import Analyte, Quantity, UnitError, check_unit, convert


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "analyte", "expected"),
    [
        pytest.param(1, "mg/dL", "umol/L", Analyte.BILIRUBIN, 17.1, id="bilirubin-1-mgdl-17.1-umol"),
        pytest.param(34.2, "umol/L", "mg/dL", Analyte.BILIRUBIN, 2.0, id="bilirubin-34.2-umol-2-mgdl"),
        pytest.param(1, "mg/dL", "umol/L", Analyte.CREATININE, 88.4, id="creatinine-1-mgdl-88.4-umol"),
        pytest.param(177, "umol/L", "mg/dL", Analyte.CREATININE, 177 / 88.4, id="creatinine-177-umol"),
        pytest.param(0.1, "mmol/L", "umol/L", None, 100, id="mmol-to-umol"),
        pytest.param(12, "Gy", "cGy", None, 1200, id="gy-to-cgy"),
        pytest.param(3, "10*7/kg", "10*5/kg", None, 300, id="cells-per-kg-scaling"),
        pytest.param(20000, "g", "kg", None, 20, id="grams-to-kg"),
        pytest.param(1, "g/m2", "mg/m2", None, 1000, id="g-m2-to-mg-m2"),
    ],
)
def test_defined_conversions(
    value: float, from_unit: str, to_unit: str, analyte: Analyte | None, expected: float
) -> None:
    assert convert(value, from_unit, to_unit, analyte) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "analyte", "fragment"),
    [
        pytest.param(
            "mg/kg", "mg/m2", None, "cannot convert mg/kg \\(dose_per_body_mass\\) to mg/m2", id="mg-kg-to-mg-m2"
        ),
        pytest.param("U/L", "mg/dL", None, "cannot convert U/L", id="enzyme-to-mass"),
        pytest.param("mg/dL", "umol/L", None, "without naming the analyte", id="mass-to-molar-needs-analyte"),
        pytest.param("mg/dL", "mmol/mol", None, "'mmol/mol' is not a supported UCUM code", id="unknown-target"),
    ],
)
def test_undefined_conversions_refused(from_unit: str, to_unit: str, analyte: Analyte | None, fragment: str) -> None:
    with pytest.raises(UnitError, match=fragment):
        convert(1, from_unit, to_unit, analyte)


def test_unit_hint_for_common_misspelling() -> None:
    with pytest.raises(UnitError, match="did you mean UCUM code 'umol/L'"):
        check_unit("µmol/L")


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"value": 1.2}, "unit\n  Field required", id="no-unit"),
        pytest.param({"value": 1.2, "unit": "mg%"}, "'mg%' is not a supported UCUM code", id="unknown-unit"),
        pytest.param({"value": float("inf"), "unit": "mg/dL"}, "not a finite number", id="infinite"),
        pytest.param({"value": "high", "unit": "mg/dL"}, "valid number", id="not-a-number"),
    ],
)
def test_quantity_refuses(payload: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Quantity.model_validate(payload)
    assert fragment in str(excinfo.value)


def test_quantity_to_and_str() -> None:
    q = Quantity(value=2.0, unit="mg/dL")
    assert q.to("umol/L", Analyte.BILIRUBIN) == pytest.approx(34.2)
    assert str(q) == "2 mg/dL"
