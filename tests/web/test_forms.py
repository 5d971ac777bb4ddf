"""Forms generated from the instruments' input models: every instrument renders as fields and round-trips."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from engraft.measurements import Quantity
from engraft.provenance import FrozenModel
from engraft.scores.catalog import CATALOG
from engraft.web.forms import (
    Control,
    ControlKind,
    FormSpec,
    Group,
    Repeat,
    UnsupportedField,
    build_form,
    default_values,
    errors_for,
    field_errors,
    form_values,
    payload_from_form,
    row_count,
    unit_label,
)
from tests.scores._builders import facts_input, flags
from tests.scores.test_catalog import EXAMPLES

FULL_EXAMPLES: dict[str, dict[str, Any]] = {
    "hct-ci with facts, CIBMTR": facts_input(variant="cibmtr-fim", age=62),
    "hct-ci with item flags": {"age_years": 45, "items": {**flags(), "renal": True}},
    "hct-ci-age with nested facts": {"age_years": 41, "hct_ci": facts_input(age=41)},
    "hct-ci-age with a score": {"age_years": 70, "hct_ci_score": 3},
    "conditioning with four agents and TBI": {
        "variant": "giralt-2009",
        "agents": [
            {"agent": "busulfan", "total_dose": {"value": 12.8, "unit": "mg/kg"}, "route": "oral"},
            {"agent": "cyclophosphamide", "total_dose": {"value": 120, "unit": "mg/kg"}},
            {"agent": "fludarabine", "total_dose": {"value": 150, "unit": "mg/m2"}, "route": "iv"},
            {"agent": "anti-thymocyte globulin (rabbit)", "total_dose": {"value": 7.5, "unit": "mg/kg"}},
        ],
        "tbi": {"total_dose": {"value": 12, "unit": "Gy"}, "fractions": 6},
    },
    "donor eligibility with the allogeneic panel": {
        "intended_use": "allogeneic",
        "graft_source": "bone marrow",
        "recovery_date": "2026-03-01",
        "markers": [
            {"marker": marker, "result": "non-reactive", "specimen_date": "2026-02-25"}
            for marker in (
                "HIV-1/2 antibody",
                "HIV-1 NAT",
                "HBsAg",
                "anti-HBc",
                "HCV antibody",
                "HCV NAT",
                "HTLV-I/II antibody",
                "syphilis",
                "CMV antibody",
            )
        ],
        "screening_complete": True,
        "screening_risk_factor_identified": False,
    },
}
"""Inputs beyond the catalogue test's examples: nested optional groups, more rows than a blank form shows."""

_INSTRUMENT_OF = {
    "hct-ci with facts, CIBMTR": "hct-ci",
    "hct-ci with item flags": "hct-ci",
    "hct-ci-age with nested facts": "hct-ci-age",
    "hct-ci-age with a score": "hct-ci-age",
    "conditioning with four agents and TBI": "conditioning-intensity",
    "donor eligibility with the allogeneic panel": "donor-eligibility",
}

ROUND_TRIPS = [pytest.param(name, EXAMPLES[name], id=name) for name in CATALOG] + [
    pytest.param(_INSTRUMENT_OF[case], payload, id=case) for case, payload in FULL_EXAMPLES.items()
]


def _walk(nodes: tuple[Any, ...]) -> list[Control | Group | Repeat]:
    out: list[Control | Group | Repeat] = []
    for node in nodes:
        out.append(node)
        if isinstance(node, Group):
            out.extend(_walk(node.children))
        elif isinstance(node, Repeat):
            out.extend(_walk((node.row(0),)))
    return out


def test_every_catalogue_instrument_has_an_example() -> None:
    assert set(EXAMPLES) == set(CATALOG), "add an example for each new instrument to tests/scores/test_catalog.py"


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_instrument_builds_a_labelled_form(name: str) -> None:
    form = build_form(CATALOG[name].input_model)
    nodes = _walk(form.children)
    assert nodes, name
    for node in nodes:
        assert node.label[:1].isupper() or node.label[:1].isdigit(), node
        if isinstance(node, Control) and node.kind is ControlKind.SELECT:
            assert node.choices and all(choice.label for choice in node.choices), node.name
    ids = [node.html_id for node in nodes if not isinstance(node, Repeat)]
    assert len(ids) == len(set(ids)), "two fields share an HTML id"


@pytest.mark.parametrize(("name", "payload"), ROUND_TRIPS)
def test_form_round_trips_a_valid_input(name: str, payload: dict[str, Any]) -> None:
    entry = CATALOG[name]
    expected = entry.input_model.model_validate(payload)
    form = build_form(entry.input_model)
    values = form_values(form, expected)
    assert all(isinstance(v, str) for v in values.values())
    assert entry.input_model.model_validate(payload_from_form(form, values)) == expected
    entry.run(payload_from_form(form, values))  # and the instrument scores it


@pytest.mark.parametrize("name", list(CATALOG))
def test_a_blank_form_gives_the_models_defaults_only(name: str) -> None:
    model = CATALOG[name].input_model
    form = build_form(model)
    payload = payload_from_form(form, default_values(form, model))
    for key, info in model.model_fields.items():
        if key in payload and not isinstance(payload[key], list | bool):
            assert not info.is_required() or info.annotation is bool, key


class _Colour(StrEnum):
    DEEP_RED = "deep_red"
    SKY_BLUE = "sky blue"


class _Part(FrozenModel):
    size: float = Field(gt=0, lt=10)
    colour: _Colour | None = None


class _Sample(FrozenModel):
    count: int = Field(ge=1, le=5, description="How many.")
    weight: Quantity
    fasting: bool
    smoker: bool | None = None
    taken: dt.date
    note: str = ""
    colour: _Colour = _Colour.SKY_BLUE
    part: _Part | None = None
    parts: tuple[_Part, ...] = ()
    months_since_diagnosis: float | None = None
    lvef_percent: float | None = None


def _controls(form: FormSpec) -> dict[str, Control]:
    return {c.name: c for c in form.controls()}


def test_each_type_gets_its_control() -> None:
    controls = _controls(build_form(_Sample))
    assert {name: c.kind for name, c in controls.items()} == {
        "count": ControlKind.NUMBER,
        "weight": ControlKind.QUANTITY,
        "fasting": ControlKind.CHECKBOX,
        "smoker": ControlKind.YES_NO,
        "taken": ControlKind.DATE,
        "note": ControlKind.TEXT,
        "colour": ControlKind.SELECT,
        "part.size": ControlKind.NUMBER,
        "part.colour": ControlKind.SELECT,
        "months_since_diagnosis": ControlKind.NUMBER,
        "lvef_percent": ControlKind.NUMBER,
    }
    count = controls["count"]
    assert (count.bounds.html_min, count.bounds.html_max, count.bounds.step) == ("1", "5", "1")
    assert count.required and count.description == "How many."
    size = controls["part.size"]
    assert (size.bounds.html_min, size.bounds.html_max, size.bounds.step) == ("", "", "any"), "exclusive bounds"
    assert (size.bounds.minimum, size.bounds.exclusive_minimum) == (0.0, True)
    assert [(c.value, c.label) for c in controls["colour"].choices] == [
        ("deep_red", "Deep red"),
        ("sky blue", "Sky blue"),
    ]
    assert (controls["months_since_diagnosis"].label, controls["months_since_diagnosis"].unit) == (
        "Since diagnosis",
        "months",
    )
    assert (controls["lvef_percent"].label, controls["lvef_percent"].unit) == ("LVEF", "%")
    assert controls["weight"].names == ("weight.value", "weight.unit")


def test_unsupported_type_names_the_field() -> None:
    class Odd(BaseModel):
        mapping: dict[str, int]

    with pytest.raises(UnsupportedField, match="'mapping'"):
        build_form(Odd)


_BASE = {"count": "2", "weight.value": "70.5", "weight.unit": "kg", "taken": "2026-01-31"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param({}, {"fasting": False, "parts": []}, id="unticked-checkbox-is-false"),
        pytest.param({"fasting": "true"}, {"fasting": True, "parts": []}, id="ticked-checkbox-is-true"),
        pytest.param({"smoker": ""}, {"fasting": False, "parts": []}, id="not-recorded-is-left-out"),
        pytest.param({"smoker": "false"}, {"fasting": False, "smoker": False, "parts": []}, id="yes-no-no"),
        pytest.param({"part.size": "3"}, {"fasting": False, "parts": []}, id="unticked-optional-group-left-out"),
        pytest.param(
            {"part._present": "true", "part.size": "3"},
            {"fasting": False, "part": {"size": 3.0}, "parts": []},
            id="ticked-optional-group",
        ),
        pytest.param(
            {"parts._rows": "3", "parts.1.size": "4", "parts.2.colour": "", "parts.0.size": " "},
            {"fasting": False, "parts": [{"size": 4.0}]},
            id="blank-rows-dropped",
        ),
    ],
)
def test_payload_from_form(extra: dict[str, str], expected: dict[str, Any]) -> None:
    payload = payload_from_form(build_form(_Sample), {**_BASE, **extra})
    base = {"count": 2, "weight": {"value": 70.5, "unit": "kg"}, "taken": "2026-01-31"}
    assert payload == {**base, **expected}
    _Sample.model_validate(payload)


class _StrictSample(FrozenModel):
    count: int = Field(ge=1, le=5, strict=True)
    size: float = Field(gt=0, strict=True)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"count": "2", "size": "2.5"}, {"count": 2, "size": 2.5}, id="numbers-converted"),
        pytest.param({"count": " 3 ", "size": "1e2"}, {"count": 3, "size": 100.0}, id="spaces-and-exponent"),
        pytest.param({"count": "2.0", "size": "7"}, {"count": 2, "size": 7.0}, id="whole-decimal-integer"),
        pytest.param({"count": "2.5", "size": "x"}, {"count": "2.5", "size": "x"}, id="not-numbers-left-as-text"),
        pytest.param({"count": "nan", "size": "inf"}, {"count": "nan", "size": "inf"}, id="non-finite-left-as-text"),
    ],
)
def test_form_numbers_are_typed_before_a_strict_model_validates(values: dict[str, str], expected: Any) -> None:
    payload = payload_from_form(build_form(_StrictSample), values)
    assert payload == expected
    if all(not isinstance(v, str) for v in payload.values()):
        _StrictSample.model_validate(payload)
    else:
        with pytest.raises(ValidationError) as raised:
            _StrictSample.model_validate(payload)
        assert {e["loc"][0] for e in raised.value.errors()} == {"count", "size"}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param("", 2, id="blank-initial"),
        pytest.param("0", 1, id="at-least-one"),
        pytest.param("5", 5, id="asked"),
        pytest.param("30", 30, id="maximum"),
        pytest.param("31", 30, id="over-maximum"),
        pytest.param("-3", 2, id="not-a-count"),
    ],
)
def test_row_count_bounds(rows: str, expected: int) -> None:
    repeat = build_form(_Sample).repeats()[0]
    assert row_count(repeat, {repeat.rows_name: rows}) == expected


def test_errors_are_filed_under_the_fields_html_names() -> None:
    form = build_form(_Sample)
    values = {
        **_BASE,
        "count": "9",
        "weight.unit": "furlong",
        "parts._rows": "2",
        "parts.1.size": "12",
    }
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(payload_from_form(form, values))
    errors = field_errors(caught.value)
    assert set(errors) == {"count", "weight.unit", "parts.0.size"}, "the one filled row is the payload's first"
    assert errors_for("weight", errors, nested=True) and not errors_for("weight", errors)
    assert "less than or equal to 5" in errors["count"][0]


def test_validator_messages_lose_pydantics_prefix() -> None:
    entry = CATALOG["hct-ci"]
    payload = facts_input({"pulmonary.dlco_corrected_for_haemoglobin": False})
    with pytest.raises(ValidationError) as caught:
        entry.input_model.model_validate(payload)
    errors = field_errors(caught.value)
    assert errors["facts.pulmonary"][0].startswith("dlco_percent_predicted=92 needs")


@pytest.mark.parametrize(
    ("code", "label"),
    [
        pytest.param("10*7/kg", "×10⁷/kg", id="power-per-kg"),
        pytest.param("10*9", "×10⁹", id="power"),
        pytest.param("umol/L", "µmol/L", id="micro"),
        pytest.param("mg/m2", "mg/m²", id="square"),
        pytest.param("[lb_av]", "lb", id="pound"),
        pytest.param("mg/dL", "mg/dL", id="plain"),
    ],
)
def test_unit_labels(code: str, label: str) -> None:
    assert unit_label(code) == label


def test_the_episode_risk_profile_request_round_trips() -> None:
    """The episode page's form is generated from the registry's request model in the same way."""
    from engraft.registry.risk_profile import RiskProfileRequest

    payload = {
        "hct_ci": {"variant": "sorror-2005", "items": {**flags(), "diabetes": True}},
        "performance_score": 80,
        "refined_dri": {"disease": "aml_adverse_cytogenetics", "stage_risk": "low"},
        "donor_screening": [
            {"donor_id": 3, "screening_complete": True, "screening_risk_factor_identified": False},
            {"donor_id": 4, "screening_complete": False, "screening_risk_factor_identified": True},
        ],
        "conditioning_variant": "giralt-2009",
    }
    expected = RiskProfileRequest.model_validate(payload)
    form = build_form(RiskProfileRequest)
    score = _controls(form)["performance_score"]
    assert (score.bounds.html_min, score.bounds.html_max, score.bounds.step) == ("0", "100", "10")
    assert RiskProfileRequest.model_validate(payload_from_form(form, form_values(form, expected))) == expected
    assert RiskProfileRequest.model_validate(payload_from_form(form, default_values(form, RiskProfileRequest))) == (
        RiskProfileRequest()
    )


def test_nodes_say_what_they_are() -> None:
    form = build_form(_Sample)
    assert {type(node).__name__: node.node for node in form.children} == {
        "Control": "control",
        "Group": "group",
        "Repeat": "repeat",
    }


_EBMT = CATALOG["ebmt-risk"].input_model


@given(
    age=st.integers(min_value=0, max_value=120),
    months=st.floats(min_value=0, max_value=1200, allow_nan=False),
    disease=st.sampled_from([f.value for f in _EBMT.model_fields["disease"].annotation]),  # type: ignore[union-attr]
    relation=st.sampled_from(["matched sibling", "matched unrelated", "mismatched unrelated"]),
    donor_sex=st.sampled_from(["male", "female", "other", "unknown"]),
    recipient_sex=st.sampled_from(["male", "female", "other", "unknown"]),
    status=st.sampled_from(["CR1", "CR2", "relapse", "chronic phase 1", "blast phase", "not applicable"]),
)
@settings(max_examples=150, deadline=None)
def test_any_valid_ebmt_input_round_trips_through_its_form(
    age: int, months: float, disease: str, relation: str, donor_sex: str, recipient_sex: str, status: str
) -> None:
    payload = {
        "age_years": age,
        "disease": disease,
        "status": status,
        "months_diagnosis_to_transplant": months,
        "donor_relation": relation,
        "donor_sex": donor_sex,
        "recipient_sex": recipient_sex,
    }
    try:
        expected = _EBMT.model_validate(payload)
    except ValidationError:
        assume(False)
        return
    form = build_form(_EBMT)
    assert _EBMT.model_validate(payload_from_form(form, form_values(form, expected))) == expected


@given(value=st.floats(allow_nan=False, allow_infinity=False), unit=st.sampled_from(["kg", "g", "[lb_av]"]))
def test_any_finite_quantity_round_trips(value: float, unit: str) -> None:
    class Weighed(FrozenModel):
        weight: Quantity

    expected = Weighed(weight=Quantity(value=value, unit=unit))
    form = build_form(Weighed)
    assert Weighed.model_validate(payload_from_form(form, form_values(form, expected))) == expected
