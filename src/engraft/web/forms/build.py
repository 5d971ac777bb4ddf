"""Build a form from a pydantic input model: each field becomes a control, fieldset or repeated rows.

The field's type decides its control: a ``bool`` a checkbox (an optional one a not-recorded/yes/no select), an
enumeration a select of its labelled values, ``int``/``float`` a number with the model's bounds and the unit its
name carries, a :class:`~engraft.measurements.Quantity` a number with a unit select, a date a date input, a nested
model a fieldset (an optional one with a checkbox), a tuple of models numbered rows. Any other type is refused
with the field's name, so an instrument whose input cannot be entered on a page fails its test, not a person.
"""

from __future__ import annotations

import datetime as dt
import types
from enum import Enum
from functools import partial
from typing import Any, Final, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from engraft.measurements import Quantity, Ucum
from engraft.web.forms.fields import Bounds, Choice, Control, ControlKind, FormSpec, Group, Node, Repeat
from engraft.web.forms.labels import enum_label, field_label, field_unit

UNIT_CHOICES: Final[dict[str, tuple[Ucum, ...]]] = {
    "total_dose": (Ucum.MG_PER_KG, Ucum.MG_PER_M2, Ucum.G_PER_M2, Ucum.GY, Ucum.CGY),
    "recipient_weight": (Ucum.KG, Ucum.G, Ucum.POUND),
    "cd34": (Ucum.E6_PER_KG, Ucum.E5_PER_KG, Ucum.E6, Ucum.E7, Ucum.E8),
    "tnc": (Ucum.E7_PER_KG, Ucum.E8_PER_KG, Ucum.E8, Ucum.E9),
    "creatinine": (Ucum.MG_PER_DL, Ucum.UMOL_PER_L),
    "bilirubin": (Ucum.MG_PER_DL, Ucum.UMOL_PER_L),
    "ast": (Ucum.U_PER_L,),
    "alt": (Ucum.U_PER_L,),
}
"""The units offered for a quantity, by the name of its field (or of the lab it belongs to); else every unit."""

REPEAT_ROWS: Final[dict[str, int]] = {"markers": 9, "agents": 3}
"""(The allogeneic marker panel has nine tests.)"""
"""How many blank rows a repeat starts with, by field name (else 2); a button adds more."""


class UnsupportedField(TypeError):
    """An input field whose type has no control."""


def build_form(model: type[BaseModel]) -> FormSpec:
    """The form for ``model``; :class:`UnsupportedField` names a field no control can enter."""
    return FormSpec(model_name=model.__name__, children=_children(model, ""))


def _children(model: type[BaseModel], prefix: str, context: str = "") -> tuple[Node, ...]:
    return tuple(_node(prefix + key, key, info, context) for key, info in model.model_fields.items())


def _node(name: str, key: str, info: FieldInfo, context: str) -> Node:
    annotation, optional = _unwrap_optional(info.annotation)
    required = info.is_required() and not optional
    label = field_label(key)
    description = info.description or ""
    if isinstance(annotation, type) and issubclass(annotation, Quantity):
        return Control(
            name,
            key,
            label,
            ControlKind.QUANTITY,
            required,
            description,
            choices=_unit_choices(key, context),
        )
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Group(name, key, label, optional, _children(annotation, name + ".", key), description)
    if get_origin(annotation) in (tuple, list):
        item = _repeated_model(name, annotation)
        return Repeat(
            name,
            key,
            label,
            partial(_row, item, name, key),
            description,
            initial_rows=REPEAT_ROWS.get(key, 2),
        )
    if annotation is bool:
        kind = ControlKind.YES_NO if optional else ControlKind.CHECKBOX
        return Control(name, key, label, kind, required, description)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = tuple(Choice(str(member.value), enum_label(member)) for member in annotation)
        return Control(name, key, label, ControlKind.SELECT, required, description, choices=choices)
    if annotation in (int, float):
        integer = annotation is int
        return Control(
            name,
            key,
            label,
            ControlKind.NUMBER,
            required,
            description,
            bounds=_bounds(info, integer),
            unit=field_unit(key),
            integer=integer,
        )
    if annotation is dt.date:
        return Control(name, key, label, ControlKind.DATE, required, description)
    if annotation is str:
        return Control(name, key, label, ControlKind.TEXT, required, description)
    raise UnsupportedField(f"field {name!r}: type {annotation!r} has no form control")


def _row(item: type[BaseModel], name: str, key: str, index: int) -> Group:
    row_name = f"{name}.{index}"
    return Group(row_name, str(index), field_label(key), True, _children(item, row_name + ".", key))


def _repeated_model(name: str, annotation: Any) -> type[BaseModel]:
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    raise UnsupportedField(f"field {name!r}: type {annotation!r}: only tuples of one input model repeat")


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (annotation, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _bounds(info: FieldInfo, integer: bool) -> Bounds:
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min = exclusive_max = False
    multiple: float | None = None
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            minimum = float(meta.ge)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Gt):
            minimum, exclusive_min = float(meta.gt), True  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Le):
            maximum = float(meta.le)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Lt):
            maximum, exclusive_max = float(meta.lt), True  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.MultipleOf):
            multiple = float(meta.multiple_of)  # type: ignore[arg-type]
    return Bounds(minimum, maximum, exclusive_min, exclusive_max, integer, multiple)


def _unit_choices(key: str, context: str) -> tuple[Choice, ...]:
    units = UNIT_CHOICES.get(key) or UNIT_CHOICES.get(context) or tuple(Ucum)
    return tuple(Choice(unit.value, unit_label(unit.value)) for unit in units)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def unit_label(code: str) -> str:
    """A UCUM code as a person reads it: ``10*7/kg`` -> ``×10⁷/kg``, ``umol/L`` -> ``µmol/L``, ``m2`` -> ``m²``."""
    text = code
    if text.startswith("10*"):
        power, _, rest = text[3:].partition("/")
        text = "×10" + power.translate(_SUPERSCRIPT) + ("/" + rest if rest else "")
    text = text.replace("umol", "µmol").replace("ug/", "µg/").replace("/uL", "/µL").replace("m2", "m²")
    return {"[lb_av]": "lb", "Cel": "°C", "[degF]": "°F", "mm[Hg]": "mmHg", "[in_i]": "in"}.get(text, text)
