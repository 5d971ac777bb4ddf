"""``details.<field>`` columns of events.csv, generated from the event-detail schemas.

Every field of every schema in :data:`EVENT_DETAILS` becomes one column; its type, allowed
values, bounds and default are read from the pydantic field, so the CSV and the data dictionary
follow the schemas when they change.
"""

from __future__ import annotations

import types
import typing
from enum import StrEnum
from typing import Any, Literal

import annotated_types
from pydantic.fields import FieldInfo

from engraft.io.csv_spec import Column, Kind, literal_values, values
from engraft.registry.schemas.clinical import EVENT_DETAILS


def _describe_field(info: FieldInfo) -> tuple[Kind, str, str]:
    """(kind, allowed values, note on required/default) of one event-detail field."""
    annotation = info.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)] if _is_union(annotation) else []
    base = args[0] if len(args) == 1 else annotation
    kind: Kind = "integer" if base is int else "boolean" if base is bool else "text"
    parts: list[str] = []
    if typing.get_origin(base) is Literal:
        kind = "code"
        parts.append(literal_values(base))
    elif isinstance(base, type) and issubclass(base, StrEnum):
        kind = "code"
        parts.append(values(base))
    if base is bool:
        parts.append("`true`, `false`")
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            parts.append(f">= {m.ge}")
        elif isinstance(m, annotated_types.Le):
            parts.append(f"<= {m.le}")
        elif isinstance(m, annotated_types.MinLen):
            parts.append(f"min {m.min_length} characters")
        elif isinstance(m, annotated_types.MaxLen):
            parts.append(f"max {m.max_length} characters")
        elif hasattr(m, "pattern") and m.pattern:
            parts.append(f"`{m.pattern}`")
    note = "required" if info.is_required() else f"empty: `{info.default}`" if info.default is not None else "optional"
    return kind, "; ".join(parts), note


def _detail_columns() -> tuple[Column, ...]:
    """``details.<field>`` columns: the union of every event type's detail fields, in first-use order."""
    per_field: dict[str, list[tuple[str, Kind, str, str]]] = {}
    for event_type, model in EVENT_DETAILS.items():
        for name, info in model.model_fields.items():
            per_field.setdefault(name, []).append((event_type.value, *_describe_field(info)))
    columns = []
    for name, uses in per_field.items():
        kind = uses[0][1]
        shapes = {(allowed, note) for _, _, allowed, note in uses}
        if len(shapes) == 1:
            allowed, note = next(iter(shapes))
            meaning = f"{_DETAIL_MEANINGS.get(name, name)}; for {', '.join(u[0] for u in uses)} ({note})"
        else:
            allowed = " | ".join(f"{u[0]}: {u[2]}" for u in uses)
            meaning = f"{_DETAIL_MEANINGS.get(name, name)}; " + ", ".join(f"for {u[0]} ({u[3]})" for u in uses)
        columns.append(Column(f"details.{name}", kind, meaning, allowed=allowed, item=_DETAIL_ITEMS.get(name, "")))
    return tuple(columns)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


_DETAIL_MEANINGS = {
    "grade": "overall grade (acute GVHD 0-IV as 0-4: MAGIC / modified Glucksberg; CRS/ICANS: ASTCT 1-4)",
    "skin_stage": "acute GVHD skin stage",
    "liver_stage": "acute GVHD liver stage",
    "upper_gi_stage": "acute GVHD upper GI stage",
    "lower_gi_stage": "acute GVHD lower GI stage",
    "grading_system": "acute GVHD grading system",
    "severity": "severity (chronic GVHD: NIH 2014 global severity; SOS/VOD: severity grade)",
    "systemic_treatment": "chronic GVHD treated systemically",
    "organism": "infecting organism",
    "organism_class": "class of the organism",
    "site": "site of infection",
    "criteria": "SOS/VOD diagnostic criteria",
    "kind": "primary or secondary graft failure",
    "method": "how relapse / progression was detected",
    "diagnosis": "name of the second malignancy",
    "icd10": "ICD-10 code of the second malignancy",
    "primary_cause": "primary cause of death",
    "cause_text": "cause of death as free text",
}

_DETAIL_ITEMS = {
    "grade": "Form 2450 acute GVHD maximum grade; ASTCT CRS/ICANS grade",
    "skin_stage": "Form 2450 acute GVHD skin stage",
    "liver_stage": "Form 2450 acute GVHD liver stage",
    "upper_gi_stage": "Form 2450 acute GVHD upper GI stage",
    "lower_gi_stage": "Form 2450 acute GVHD lower GI stage",
    "severity": "Form 2450 chronic GVHD maximum severity",
    "primary_cause": "Form 2450 primary cause of death; MED-A cause of death",
    "kind": "Form 2450 graft failure",
    "diagnosis": "Form 2450 new malignancy",
    "organism": "Form 2450 infection organism",
}


DETAIL_COLUMNS = _detail_columns()
