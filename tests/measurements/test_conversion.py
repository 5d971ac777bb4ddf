"""Conversions looked up once and applied to arrays give what the scalar conversions give, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.measurements import (
    UNITS,
    Analyte,
    ConversionBasis,
    Dimension,
    UnitError,
    conversion,
    convert,
    convert_concentration,
)

_SAME_DIMENSION = [
    (a.value, b.value) for a, ua in UNITS.items() for b, ub in UNITS.items() if ua.dimension is ub.dimension
]
_CONCENTRATIONS = [
    u.value
    for u, info in UNITS.items()
    if info.dimension in (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION)
]
_values = st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=20)


@given(st.sampled_from(_SAME_DIMENSION), _values)
def test_array_conversion_equals_the_scalar_one_bit_for_bit(units: tuple[str, str], values: list[float]) -> None:
    source, target = units
    converted = conversion(source, target).apply(np.array(values))
    assert converted.tolist() == [convert(v, source, target) for v in values]


@given(
    st.sampled_from(_CONCENTRATIONS),
    st.sampled_from(_CONCENTRATIONS),
    st.sampled_from(tuple(Analyte)),
    st.sampled_from(tuple(ConversionBasis)),
    _values,
)
def test_array_concentration_conversion_equals_the_scalar_one(
    source: str, target: str, analyte: Analyte, basis: ConversionBasis, values: list[float]
) -> None:
    converted = conversion(source, target, analyte, basis).apply(np.array(values))
    assert converted.tolist() == [convert_concentration(v, source, target, analyte, basis) for v in values]


@pytest.mark.parametrize(
    ("source", "target", "analyte"),
    [
        pytest.param("mg/dL", "umol/L", None, id="mass-to-substance-without-analyte"),
        pytest.param("{copies}/mL", "[IU]/mL", None, id="copies-to-international-units"),
        pytest.param("mg/dl", "mg/dl", None, id="not-a-ucum-code-even-to-itself"),
        pytest.param("kg", "mg/dL", Analyte.BILIRUBIN, id="a-mass-is-not-a-concentration"),
    ],
)
def test_a_conversion_that_is_not_defined_is_refused_when_looked_up(
    source: str, target: str, analyte: Analyte | None
) -> None:
    basis = None if analyte is None else ConversionBasis.CLINICAL_FACTOR
    with pytest.raises(UnitError):
        conversion(source, target, analyte, basis)


def test_bilirubin_34_2_umol_per_l_in_mg_per_dl_at_the_clinical_factor_as_the_scalar_conversion() -> None:
    factor = conversion("umol/L", "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
    assert factor.apply(np.array([34.2])).tolist() == [
        convert_concentration(34.2, "umol/L", "mg/dL", Analyte.BILIRUBIN, ConversionBasis.CLINICAL_FACTOR)
    ]
