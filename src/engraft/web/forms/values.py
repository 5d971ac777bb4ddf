"""Between a submitted form and an input model: form values to a payload, a model to form values, errors to fields.

A submitted form is a flat mapping of HTML names to text (:data:`FormValues`). :func:`payload_from_form` turns
it into the nested mapping the input model validates (blank numbers and selects left out so defaults apply,
numbers converted from their text since the input models are strict, unticked checkboxes false, optional groups
only when ticked, blank repeated rows dropped);
:func:`form_values` is its inverse for a model instance (a form filled in with a known input);
:func:`field_errors` files a :class:`pydantic.ValidationError` under the HTML names of the fields it names.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from engraft.web.forms.fields import (
    PRESENT,
    QUANTITY_UNIT,
    QUANTITY_VALUE,
    ROWS,
    Control,
    ControlKind,
    FormSpec,
    Group,
    Node,
    Repeat,
)

FormValues = Mapping[str, str]
"""A submitted form: HTML name -> text (a ticked checkbox sends ``true``)."""

TRUE: Final = "true"
FALSE: Final = "false"
MAX_ROWS: Final = 30
"""The most rows a repeat accepts (a form asking for more is cut here)."""


def row_count(repeat: Repeat, values: FormValues) -> int:
    """How many rows ``repeat`` shows: the submitted count, at least its initial rows, at most :data:`MAX_ROWS`."""
    text = values.get(repeat.rows_name, "")
    count = int(text) if text.isdigit() else repeat.initial_rows
    return max(1, min(count, MAX_ROWS))


def payload_from_form(form: FormSpec, values: FormValues) -> dict[str, Any]:
    """The nested input payload ``values`` describe (validate it with the input model)."""
    return _collect(form.children, values)


def _collect(nodes: tuple[Node, ...], values: FormValues) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, Control):
            value = _control_value(node, values)
            if value is not None:
                out[node.key] = value
        elif isinstance(node, Group):
            if node.optional and values.get(node.present_name) != TRUE:
                continue
            out[node.key] = _collect(node.children, values)
        else:
            rows = [row for row in node.rows(row_count(node, values)) if _row_filled(row, values)]
            out[node.key] = [_collect(row.children, values) for row in rows]
    return out


def _control_value(control: Control, values: FormValues) -> Any:
    if control.kind is ControlKind.CHECKBOX:
        return values.get(control.name) == TRUE
    if control.kind is ControlKind.QUANTITY:
        number = values.get(f"{control.name}.{QUANTITY_VALUE}", "").strip()
        unit = values.get(f"{control.name}.{QUANTITY_UNIT}", "").strip()
        if not number:
            return None
        return {"value": _number(number, integer=False), "unit": unit}
    text = values.get(control.name, "").strip()
    if not text:
        return None
    if control.kind is ControlKind.YES_NO:
        return {TRUE: True, FALSE: False}.get(text, text)
    if control.kind is ControlKind.NUMBER:
        return _number(text, integer=control.integer)
    return text


def _number(text: str, *, integer: bool) -> int | float | str:
    """The number a form field's text holds (an integer field's whole number); the text itself when it holds none.

    Input models are strict (``"60"`` is not a number), so the form, whose values are all text, converts here;
    text that is no number is passed on unchanged for the model to refuse, naming the field.
    """
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    if integer:
        return int(number) if number.is_integer() else text
    return number


def _row_filled(row: Group, values: FormValues) -> bool:
    """A row counts when any of its non-checkbox controls has a value (a lone ticked box is not a row)."""
    for control in _leaf_controls(row):
        if control.kind is ControlKind.CHECKBOX:
            continue
        names = control.names[:1] if control.kind is ControlKind.QUANTITY else control.names
        if any(values.get(name, "").strip() for name in names):
            return True
    return False


def _leaf_controls(group: Group) -> list[Control]:
    out: list[Control] = []
    for node in group.children:
        if isinstance(node, Control):
            out.append(node)
        elif isinstance(node, Group):
            out.extend(_leaf_controls(node))
    return out


def form_values(form: FormSpec, instance: BaseModel) -> dict[str, str]:
    """The form values that describe ``instance`` (a form filled in with a known input)."""
    data = instance.model_dump(mode="python")
    out: dict[str, str] = {}
    _fill(form.children, data, out)
    return out


def default_values(form: FormSpec, model: type[BaseModel]) -> dict[str, str]:
    """A blank form: each field's default where the model has one."""
    out: dict[str, str] = {}
    _defaults(form.children, model, out)
    return out


def _defaults(nodes: tuple[Node, ...], model: type[BaseModel], out: dict[str, str]) -> None:
    for node in nodes:
        info = model.model_fields[node.key]
        if isinstance(node, Control) and not info.is_required() and info.default is not None:
            _put(node, info.default, out)
        elif isinstance(node, Repeat):
            out[node.rows_name] = str(node.initial_rows)


def _fill(nodes: tuple[Node, ...], data: Mapping[str, Any], out: dict[str, str]) -> None:
    for node in nodes:
        value = data.get(node.key)
        if isinstance(node, Control):
            if value is not None:
                _put(node, value, out)
        elif isinstance(node, Group):
            if value is None:
                continue
            if node.optional:
                out[node.present_name] = TRUE
            _fill(node.children, value, out)
        else:
            items = list(value or ())
            count = max(len(items), node.initial_rows)
            out[node.rows_name] = str(count)
            for row, item in zip(node.rows(count), items, strict=False):
                _fill(row.children, item, out)


def _put(control: Control, value: Any, out: dict[str, str]) -> None:
    if control.kind is ControlKind.CHECKBOX:
        if value:
            out[control.name] = TRUE
    elif control.kind is ControlKind.QUANTITY:
        quantity = value if isinstance(value, Mapping) else value.model_dump()
        out[f"{control.name}.{QUANTITY_VALUE}"] = _text(quantity["value"])
        out[f"{control.name}.{QUANTITY_UNIT}"] = _text(quantity["unit"])
    elif control.kind is ControlKind.YES_NO:
        out[control.name] = TRUE if value else FALSE
    else:
        out[control.name] = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as exactly this float
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Each error message of ``error`` filed under the dotted name of the field it names (``""``: the form)."""
    out: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        out.setdefault(name, []).append(message)
    return out


def errors_for(name: str, errors: Mapping[str, list[str]], *, nested: bool = False) -> list[str]:
    """The messages filed under ``name`` (with ``nested``: under its sub-fields too, e.g. a quantity's unit)."""
    found = list(errors.get(name, ()))
    if nested:
        found += [m for key, messages in errors.items() if key.startswith(name + ".") for m in messages]
    return found


__all__ = [
    "FALSE",
    "PRESENT",
    "ROWS",
    "TRUE",
    "FormValues",
    "default_values",
    "errors_for",
    "field_errors",
    "form_values",
    "payload_from_form",
    "row_count",
]
