"""Score inputs are strict: "yes" is not a boolean and "60" is not a number, from a mapping or from JSON text."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from engraft.measurements import Quantity
from engraft.scores.catalog import CATALOG

from .test_catalog import EXAMPLES


def _scalar_fields(model: type[BaseModel], path: str, seen: set[type[BaseModel]]) -> list[tuple[str, Any]]:
    """(dotted path, field info) of every bool/int/float field of ``model`` and the models it nests."""
    if model in seen:
        return []
    seen.add(model)
    found: list[tuple[str, Any]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType, tuple, list):
            members = [a for a in typing.get_args(annotation) if a not in (type(None), Ellipsis)]
        else:
            members = [annotation]
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel):
                found += _scalar_fields(member, f"{path}.{name}", seen)
            elif member in (bool, int, float):
                found.append((f"{path}.{name}", info))
    return found


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_boolean_and_number_of_every_input_is_strict(name: str) -> None:
    # Quantity (engraft.measurements, shared with grading and the registry) keeps its own lax value: not a score model.
    fields = _scalar_fields(CATALOG[name].input_model, name, {Quantity})
    lax = [path for path, info in fields if not any(getattr(m, "strict", False) for m in info.metadata)]
    assert not lax


@pytest.mark.parametrize(
    ("name", "field", "text"),
    [
        pytest.param("karnofsky", "score", "80", id="karnofsky-score-text-80"),
        pytest.param("ebmt-risk", "age_years", "60", id="ebmt-age-text-60"),
        pytest.param("ebmt-risk", "months_diagnosis_to_transplant", "5", id="ebmt-months-text-5"),
        pytest.param("hct-ci", "facts.arrhythmia", "yes", id="hct-ci-arrhythmia-yes"),
        pytest.param("hct-ci", "facts.arrhythmia", "true", id="hct-ci-arrhythmia-text-true"),
        pytest.param("hct-ci", "facts.pulmonary.fev1_percent_predicted", "95", id="hct-ci-fev1-text-95"),
        pytest.param("hct-ci", "facts.arrhythmia", 1, id="hct-ci-arrhythmia-number-1"),
        pytest.param("conditioning-intensity", "tbi.fractions", "1", id="tbi-fractions-text-1"),
        pytest.param("karnofsky", "score", 80.0, id="karnofsky-score-float-80.0"),
    ],
)
def test_text_for_a_boolean_or_number_is_refused_naming_the_field(name: str, field: str, text: object) -> None:
    payload = json.loads(json.dumps(EXAMPLES[name]))
    *parents, last = field.split(".")
    node = payload
    for key in parents:
        node = node[key]
    node[last] = text
    for given in (payload, json.dumps(payload)):
        with pytest.raises(ValidationError) as raised:
            CATALOG[name].run(given)
        assert [".".join(str(p) for p in e["loc"]) for e in raised.value.errors()] == [field]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_proper_json_types_are_accepted_from_json_text(name: str) -> None:
    assert CATALOG[name].run(json.dumps(EXAMPLES[name])).instrument


def test_a_whole_number_is_accepted_for_a_decimal_field() -> None:
    example = {**EXAMPLES["ebmt-risk"], "months_diagnosis_to_transplant": 5}
    assert CATALOG["ebmt-risk"].run(json.dumps(example)).value == 3  # age 30 (1), unrelated (1), female to male (1)
