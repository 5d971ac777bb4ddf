"""The one units module: a closed set of UCUM codes, conversions within a dimension, refusals elsewhere."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.measurements import (
    CLINICAL_FACTORS,
    MOLAR_MASSES,
    UNITS,
    Analyte,
    ConversionBasis,
    Dimension,
    Quantity,
    Ucum,
    UnitError,
    convert,
    convert_concentration,
    dimension_of,
    parse_unit,
    umol_per_l_per_mg_per_dl,
    units_of,
)
from engraft.provenance import VerificationLevel


def test_every_code_has_exactly_one_definition() -> None:
    assert set(UNITS) == set(Ucum)


def test_every_dimension_has_a_unit() -> None:
    assert {u.dimension for u in UNITS.values()} == set(Dimension)


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        pytest.param(0.1, "mmol/L", "umol/L", 100, id="mmol-to-umol"),
        pytest.param(12, "Gy", "cGy", 1200, id="gy-to-cgy"),
        pytest.param(3, "10*7/kg", "10*5/kg", 300, id="cells-per-kg-scaling"),
        pytest.param(20000, "g", "kg", 20, id="grams-to-kg"),
        pytest.param(1, "g/m2", "mg/m2", 1000, id="g-m2-to-mg-m2"),
        pytest.param(500, "/uL", "10*9/L", 0.5, id="anc-500-per-ul-is-0.5e9-per-l"),
        pytest.param(0.5, "10*3/uL", "10*9/L", 0.5, id="10e3-per-ul-equals-10e9-per-l"),
        pytest.param(101.3, "[degF]", "Cel", (101.3 - 32) * 5 / 9, id="fahrenheit-to-celsius"),
        pytest.param(38.3, "Cel", "[degF]", 38.3 * 9 / 5 + 32, id="celsius-to-fahrenheit"),
        pytest.param(2.0, "mg/dL", "mg/L", 20, id="mg-dl-to-mg-l"),
        pytest.param(6000, "mL/min", "L/min", 6, id="oxygen-flow-ml-per-min-to-l-per-min"),
        pytest.param(1, "L/min", "L/d", 1440, id="litre-per-minute-is-1440-litres-per-day"),
        pytest.param(1, "a", "d", 365.25, id="julian-year"),
        pytest.param(1, "mo", "d", 30.4375, id="mean-julian-month"),
        pytest.param(1.5, "L/d", "mL/d", 1500, id="stool-litres-to-millilitres-a-day"),
    ],
)
def test_conversions_within_a_dimension(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    assert convert(value, from_unit, to_unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "fragment"),
    [
        pytest.param("mg/kg", "mg/m2", "cannot convert mg/kg \\(dose per body mass\\) to mg/m2", id="mg-kg-to-mg-m2"),
        pytest.param("U/L", "mg/dL", "cannot convert U/L", id="enzyme-to-mass"),
        pytest.param("{copies}/mL", "[IU]/mL", "copy concentration", id="copies-to-iu-refused"),
        pytest.param("mg/dL", "umol/L", "needs the analyte and a conversion basis", id="mass-to-molar-needs-analyte"),
        pytest.param("mg/dL", "mmol/mol", "'mmol/mol' is not a supported UCUM code", id="unknown-target"),
        pytest.param("bogus", "bogus", "'bogus' is not a supported UCUM code", id="unknown-to-itself-refused"),
        pytest.param("mL/d", "mL/kg/d", "cannot convert mL/d \\(volume rate\\)", id="per-day-to-per-kg-needs-a-weight"),
    ],
)
def test_undefined_conversions_refused(from_unit: str, to_unit: str, fragment: str) -> None:
    with pytest.raises(UnitError, match=fragment):
        convert(1, from_unit, to_unit)


def test_a_known_unit_to_itself_is_the_same_value() -> None:
    assert convert(5, "mg/dL", "mg/dL") == 5


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        pytest.param("µmol/L", "umol/L", id="micro-sign"),
        pytest.param("mg/dl", "mg/dL", id="lower-case-dl"),
        pytest.param("copies/mL", "{copies}/mL", id="copies-without-braces"),
        pytest.param("x10^9/L", "10*9/L", id="caret-notation"),
    ],
)
def test_unit_hint_for_common_misspellings(spelling: str, code: str) -> None:
    with pytest.raises(UnitError, match=re.escape(f"did you mean UCUM code '{code}'")):
        parse_unit(spelling)


def test_units_of_a_dimension_are_closed() -> None:
    assert units_of(Dimension.ABSORBED_DOSE) == (Ucum.GY, Ucum.CGY)
    assert dimension_of("mg/dL") is Dimension.MASS_CONCENTRATION


# Exact factors from the molar masses: 10,000 / 584.66 and 10,000 / 113.12 umol/L per mg/dL.
@pytest.mark.parametrize(
    ("analyte", "basis", "factor"),
    [
        pytest.param(Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR, 17.1, id="bilirubin-clinical-17.1"),
        pytest.param(Analyte.CREATININE, ConversionBasis.CLINICAL_FACTOR, 88.4, id="creatinine-clinical-88.4"),
        pytest.param(Analyte.BILIRUBIN, ConversionBasis.MOLAR_MASS, 17.10396, id="bilirubin-exact-17.104"),
        pytest.param(Analyte.CREATININE, ConversionBasis.MOLAR_MASS, 88.40170, id="creatinine-exact-88.40"),
    ],
)
def test_mass_to_substance_factors(analyte: Analyte, basis: ConversionBasis, factor: float) -> None:
    assert umol_per_l_per_mg_per_dl(analyte, basis) == pytest.approx(factor, abs=1e-5)
    assert convert_concentration(1, "mg/dL", "umol/L", analyte, basis) == pytest.approx(factor, abs=1e-5)
    assert convert_concentration(factor, "umol/L", "mg/dL", analyte, basis) == pytest.approx(1, abs=1e-6)


def test_clinical_boundaries_round_trip_on_the_clinical_basis() -> None:
    """2.0 mg/dL bilirubin is exactly 34.2 umol/L on the factor the score tables were written with."""
    assert convert_concentration(34.2, "umol/L", "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR) == (
        pytest.approx(2.0)
    )
    assert convert_concentration(2.0, "mg/dL", "umol/L", Analyte.BILIRUBIN, ConversionBasis.MOLAR_MASS) > 34.2


def test_concentration_conversion_refuses_other_dimensions() -> None:
    with pytest.raises(UnitError, match="not a mass or substance concentration"):
        convert_concentration(1, "U/L", "umol/L", Analyte.BILIRUBIN, ConversionBasis.MOLAR_MASS)


def test_every_analyte_has_both_bases_with_citations() -> None:
    assert set(MOLAR_MASSES) == set(CLINICAL_FACTORS) == set(Analyte)
    for table in (MOLAR_MASSES, CLINICAL_FACTORS):
        for entry in table.values():
            assert entry.citation.year and entry.citation.journal
            assert entry.verification in set(VerificationLevel)
    assert CLINICAL_FACTORS[Analyte.BILIRUBIN].verification is VerificationLevel.SECONDARY


@given(
    value=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    analyte=st.sampled_from(list(Analyte)),
    basis=st.sampled_from(list(ConversionBasis)),
)
def test_concentration_round_trip(value: float, analyte: Analyte, basis: ConversionBasis) -> None:
    there = convert_concentration(value, "mg/dL", "mmol/L", analyte, basis)
    assert convert_concentration(there, "mmol/L", "mg/dL", analyte, basis) == pytest.approx(value, rel=1e-12, abs=1e-12)


@given(
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    pair=st.sampled_from(
        [(a.code, b.code) for a in UNITS.values() for b in UNITS.values() if a.dimension is b.dimension]
    ),
)
def test_round_trip_within_every_dimension(value: float, pair: tuple[Ucum, Ucum]) -> None:
    there = convert(value, pair[0], pair[1])
    back = convert(there, pair[1], pair[0])
    assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"value": 1.2}, "unit\n  Field required", id="no-unit"),
        pytest.param({"value": 1.2, "unit": "mg%"}, "'mg%' is not a supported UCUM code", id="unknown-unit"),
        pytest.param({"value": float("inf"), "unit": "mg/dL"}, "not a finite number", id="infinite"),
        pytest.param({"value": "high", "unit": "mg/dL"}, "valid number", id="not-a-number"),
        pytest.param({"value": 1, "unit": 5}, "is not text", id="unit-not-text"),
    ],
)
def test_quantity_refuses(payload: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Quantity.model_validate(payload)
    assert fragment in str(excinfo.value)


def test_quantity_converts_and_prints() -> None:
    q = Quantity(value=2.0, unit="mg/dL")  # type: ignore[arg-type]
    assert q.unit is Ucum.MG_PER_DL
    assert q.concentration_in("umol/L", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR) == pytest.approx(34.2)
    assert q.to("mg/L") == pytest.approx(20)
    assert str(q) == "2 mg/dL"


def test_quantity_schema_lists_the_closed_set() -> None:
    schema = Quantity.model_json_schema()
    enum = schema["$defs"]["Ucum"]["enum"]
    assert set(enum) == {u.value for u in Ucum}
