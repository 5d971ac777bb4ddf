"""The generated forms' labels: :mod:`engraft.web.field_labels` (kept there so that the core's texts can be
translated with them without the forms, see :mod:`engraft.web.core_text`)."""

from engraft.web.field_labels import (
    ABBREVIATIONS,
    ENUM_LABEL_OVERRIDES,
    LABEL_OVERRIDES,
    UNIT_PREFIXES,
    UNIT_SUFFIXES,
    enum_label,
    field_label,
    field_unit,
    split_unit,
    words,
)

__all__ = [
    "ABBREVIATIONS",
    "ENUM_LABEL_OVERRIDES",
    "LABEL_OVERRIDES",
    "UNIT_PREFIXES",
    "UNIT_SUFFIXES",
    "enum_label",
    "field_label",
    "field_unit",
    "split_unit",
    "words",
]
