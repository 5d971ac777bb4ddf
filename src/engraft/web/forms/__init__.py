"""Forms generated from typed input models: the risk instruments' pages are built from their pydantic inputs.

:func:`build_form` turns an input model into a tree of controls (:mod:`engraft.web.forms.fields`);
:func:`payload_from_form` reads a submitted form back into the payload the model validates;
:func:`form_values` fills a form with a known input; :func:`field_errors` files validation errors by field.
"""

from engraft.web.forms.build import UnsupportedField, build_form, unit_label
from engraft.web.forms.fields import Bounds, Choice, Control, ControlKind, FormSpec, Group, Node, Repeat
from engraft.web.forms.values import (
    FormValues,
    default_values,
    errors_for,
    field_errors,
    form_values,
    payload_from_form,
    row_count,
)

__all__ = [
    "Bounds",
    "Choice",
    "Control",
    "ControlKind",
    "FormSpec",
    "FormValues",
    "Group",
    "Node",
    "Repeat",
    "UnsupportedField",
    "build_form",
    "default_values",
    "errors_for",
    "field_errors",
    "form_values",
    "payload_from_form",
    "row_count",
    "unit_label",
]
