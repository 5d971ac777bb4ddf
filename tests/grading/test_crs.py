"""ASTCT CRS grade, pinned to the published table (not to a copy of the code).

Source of every expectation: the ASTCT CRS table adapted from Lee et al. 2019 (Biol Blood Marrow
Transplant 25:625-638), read on https://pmc.ncbi.nlm.nih.gov/articles/PMC8021214/table/Tab1 and
https://pmc.ncbi.nlm.nih.gov/articles/PMC9327779/table/t0002, and clinical-scores.md section 8.1 [V]:

    grade 1  fever >= 38 °C, no hypotension, no hypoxia
    grade 2  hypotension not requiring vasopressors, and/or low-flow nasal cannula (<= 6 L/min) or blow-by
    grade 3  a vasopressor with or without vasopressin, and/or high-flow cannula (> 6 L/min), facemask,
             non-rebreather or Venturi mask
    grade 4  multiple vasopressors (excluding vasopressin), and/or positive pressure (CPAP, BiPAP, ventilation)

Fever must not be attributable to another cause; once antipyretic or anti-cytokine therapy has started,
grading is driven by hypotension and hypoxia only; the grade is set by the more severe event ("a febrile
patient on a single vasopressor and low-flow nasal cannula would be classified as Grade 3").
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import CrsDomain, CrsFindings, OxygenDelivery, grade_crs
from engraft.measurements import Quantity
from engraft.provenance import VerificationLevel


def temp(value: float, unit: str = "Cel") -> Quantity:
    return Quantity(value=value, unit=unit)


def cannula(litres_per_minute: float, unit: str = "L/min") -> dict[str, object]:
    return {"oxygen": OxygenDelivery.NASAL_CANNULA, "oxygen_flow": Quantity(value=litres_per_minute, unit=unit)}


FEVER = temp(38.5)


@pytest.mark.parametrize(
    ("findings", "grade"),
    [
        pytest.param({}, 1, id="fever-alone-grade-1"),
        pytest.param({"hypotension": True}, 2, id="hypotension-without-vasopressor-grade-2"),
        pytest.param({"oxygen": OxygenDelivery.BLOW_BY}, 2, id="blow-by-grade-2"),
        pytest.param(cannula(2), 2, id="low-flow-cannula-grade-2"),
        pytest.param({"hypotension": True, "vasopressors": 1}, 3, id="one-vasopressor-grade-3"),
        pytest.param(
            {"hypotension": True, "vasopressors": 1, "vasopressin": True}, 3, id="one-vasopressor-plus-vasopressin-3"
        ),
        pytest.param(cannula(10), 3, id="high-flow-cannula-grade-3"),
        pytest.param({"oxygen": OxygenDelivery.FACEMASK}, 3, id="facemask-grade-3"),
        pytest.param({"oxygen": OxygenDelivery.NON_REBREATHER_MASK}, 3, id="non-rebreather-grade-3"),
        pytest.param({"oxygen": OxygenDelivery.VENTURI_MASK}, 3, id="venturi-grade-3"),
        pytest.param({"hypotension": True, "vasopressors": 2}, 4, id="multiple-vasopressors-grade-4"),
        pytest.param({"oxygen": OxygenDelivery.CPAP}, 4, id="cpap-grade-4"),
        pytest.param({"oxygen": OxygenDelivery.BIPAP}, 4, id="bipap-grade-4"),
        pytest.param({"oxygen": OxygenDelivery.MECHANICAL_VENTILATION}, 4, id="mechanical-ventilation-grade-4"),
        pytest.param(
            {"hypotension": True, "vasopressors": 1, **cannula(3)}, 3, id="published-example-pressor-plus-low-flow-is-3"
        ),
        pytest.param({"hypotension": True, **cannula(8)}, 3, id="more-severe-event-sets-grade-hypoxia"),
        pytest.param(
            {"hypotension": True, "vasopressors": 2, "oxygen": OxygenDelivery.FACEMASK},
            4,
            id="more-severe-event-sets-grade-hypotension",
        ),
    ],
)
def test_grade_with_fever_matches_the_published_table(findings: dict[str, object], grade: int) -> None:
    result = grade_crs(CrsFindings(temperature=FEVER, **findings))  # type: ignore[arg-type]
    assert result.value == grade
    assert result.fever


def test_vasopressin_does_not_count_towards_multiple_vasopressors() -> None:
    one_plus_vasopressin = CrsFindings(temperature=FEVER, hypotension=True, vasopressors=1, vasopressin=True)
    two = CrsFindings(temperature=FEVER, hypotension=True, vasopressors=2)
    assert (grade_crs(one_plus_vasopressin).value, grade_crs(two).value) == (3, 4)


@pytest.mark.parametrize(
    ("temperature", "fever"),
    [
        pytest.param(temp(37.9), False, id="37.9-Cel-below"),
        pytest.param(temp(38.0), True, id="38.0-Cel-at"),
        pytest.param(temp(38.1), True, id="38.1-Cel-above"),
        pytest.param(temp(100.3, "[degF]"), False, id="100.3-degF-below"),
        pytest.param(temp(100.4, "[degF]"), True, id="100.4-degF-at"),
        pytest.param(temp(100.5, "[degF]"), True, id="100.5-degF-above"),
    ],
)
def test_fever_threshold_38_celsius_in_both_units(temperature: Quantity, fever: bool) -> None:
    result = grade_crs(CrsFindings(temperature=temperature))
    assert result.fever is fever
    assert result.value == (1 if fever else 0)


@pytest.mark.parametrize(
    ("flow", "unit", "grade"),
    [
        pytest.param(5.9, "L/min", 2, id="5.9-L-min-low-flow"),
        pytest.param(6.0, "L/min", 2, id="6-L-min-is-low-flow"),
        pytest.param(6.1, "L/min", 3, id="6.1-L-min-high-flow"),
        pytest.param(5900, "mL/min", 2, id="5900-mL-min-low-flow"),
        pytest.param(6000, "mL/min", 2, id="6000-mL-min-is-low-flow"),
        pytest.param(6100, "mL/min", 3, id="6100-mL-min-high-flow"),
    ],
)
def test_nasal_cannula_6_l_per_min_boundary(flow: float, unit: str, grade: int) -> None:
    result = grade_crs(CrsFindings(temperature=FEVER, **cannula(flow, unit)))  # type: ignore[arg-type]
    assert (result.hypoxia_grade, result.value) == (grade, grade)


@pytest.mark.parametrize(
    "findings",
    [
        pytest.param({"temperature": temp(37.5), "hypotension": True, "vasopressors": 2}, id="afebrile-shock"),
        pytest.param({"oxygen": OxygenDelivery.MECHANICAL_VENTILATION}, id="no-temperature-ventilated"),
        pytest.param(
            {"temperature": temp(39.0), "fever_attributable_to_other_cause": True, "hypotension": True},
            id="fever-attributed-to-infection",
        ),
    ],
)
def test_no_crs_without_fever_before_crs_therapy(findings: dict[str, object]) -> None:
    result = grade_crs(CrsFindings(**findings))  # type: ignore[arg-type]
    assert result.value == 0
    assert result.decisive == ()
    assert result.notes


def test_after_tocilizumab_or_steroids_fever_is_no_longer_required() -> None:
    result = grade_crs(
        CrsFindings(temperature=temp(36.8), antipyretic_or_anticytokine_therapy=True, hypotension=True, vasopressors=1)
    )
    assert result.value == 3
    assert not result.fever_required
    assert result.decisive == (CrsDomain.HYPOTENSION,)


def test_result_names_findings_and_rule() -> None:
    findings = CrsFindings(temperature=temp(101.3, "[degF]"), hypotension=True, **cannula(4))  # type: ignore[arg-type]
    result = grade_crs(findings)
    assert result.findings == findings
    assert result.temperature_celsius == pytest.approx(38.5)
    assert (result.hypotension_grade, result.hypoxia_grade) == (2, 2)
    assert result.decisive == (CrsDomain.HYPOTENSION, CrsDomain.HYPOXIA)
    assert result.rule.verification is VerificationLevel.SECONDARY
    assert result.rule.citation.doi == "10.1016/j.bbmt.2018.12.758"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"temperature": temp(38, "mg/dL")}, "temperature: unit 'mg/dL'", id="not-temperature"),
        pytest.param({"temperature": {"value": 38, "unit": "C"}}, "'Cel'", id="non-ucum-celsius"),
        pytest.param({"temperature": temp(83)}, "not a possible body temperature", id="impossible-temperature"),
        pytest.param(
            {"temperature": {"value": 311, "unit": "K"}}, "'K' is not a supported UCUM code", id="unknown-unit-kelvin"
        ),
        pytest.param({"vasopressors": 1}, "expected hypotension=True", id="pressor-no-hypotension"),
        pytest.param({"oxygen": OxygenDelivery.NASAL_CANNULA}, "needs its flow", id="cannula-no-flow"),
        pytest.param(
            {"oxygen": OxygenDelivery.FACEMASK, "oxygen_flow": Quantity(value=8, unit="L/min")},
            "only for a nasal cannula",
            id="flow-with-mask",
        ),
        pytest.param(
            {"oxygen": OxygenDelivery.NASAL_CANNULA, "oxygen_flow": Quantity(value=4, unit="/min")},
            "oxygen_flow: unit '/min'",
            id="flow-wrong-unit",
        ),
        pytest.param({"vasopressors": -1, "hypotension": True}, "vasopressors", id="negative-count"),
    ],
)
def test_bad_input_is_refused_naming_the_field(payload: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(")):
        CrsFindings(**payload)  # type: ignore[arg-type]


_OXYGEN = st.one_of(
    st.sampled_from([d for d in OxygenDelivery if d is not OxygenDelivery.NASAL_CANNULA]).map(lambda d: {"oxygen": d}),
    st.floats(min_value=0, max_value=15, allow_nan=False).map(cannula),
)
_FINDINGS = st.builds(
    lambda t, other, therapy, pressors, vasopressin, hypo, oxygen: CrsFindings(
        temperature=temp(t),
        fever_attributable_to_other_cause=other,
        antipyretic_or_anticytokine_therapy=therapy,
        hypotension=hypo or pressors > 0 or vasopressin,
        vasopressors=pressors,
        vasopressin=vasopressin,
        **oxygen,
    ),
    st.floats(min_value=35, max_value=42, allow_nan=False),
    st.booleans(),
    st.booleans(),
    st.integers(min_value=0, max_value=3),
    st.booleans(),
    st.booleans(),
    _OXYGEN,
)


def _worse(findings: CrsFindings, change: int) -> CrsFindings:
    data = findings.model_dump()
    if change == 0:
        data["temperature"] = {"value": findings.temperature.value + 1, "unit": "Cel"}  # type: ignore[union-attr]
    elif change == 1:
        data.update(hypotension=True, vasopressors=findings.vasopressors + 1)
    elif change == 2:
        data.update(hypotension=True)
    elif change == 3:
        data.update(oxygen=OxygenDelivery.MECHANICAL_VENTILATION, oxygen_flow=None)
    else:
        data.update(antipyretic_or_anticytokine_therapy=True)
    return CrsFindings.model_validate(data)


@given(findings=_FINDINGS, change=st.integers(min_value=0, max_value=4))
def test_a_worse_finding_never_lowers_the_grade(findings: CrsFindings, change: int) -> None:
    assert grade_crs(_worse(findings, change)).value >= grade_crs(findings).value


@given(findings=_FINDINGS)
def test_grade_is_in_range_and_the_decisive_domains_give_it(findings: CrsFindings) -> None:
    result = grade_crs(findings)
    assert 0 <= result.value <= 4
    if result.value >= 2:
        assert result.value == max(result.hypotension_grade, result.hypoxia_grade)
