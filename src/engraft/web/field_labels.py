"""English labels and units for generated form fields, derived from field names and enumeration values.

Field names say what a thing is in the clinic (``fev1_percent_predicted``), so the label is the name
in words with clinical abbreviations kept (``FEV1``) and a unit suffix moved to the unit (``% predicted``).
A few names read better written out; :data:`LABEL_OVERRIDES` holds those. Every label is an English msgid:
the risk catalogue (``risk.po``) translates each one, and a test checks none is missing.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

ABBREVIATIONS: Final[dict[str, str]] = {
    "hct": "HCT",
    "ci": "CI",
    "lvef": "LVEF",
    "fev1": "FEV1",
    "dlco": "DLco",
    "bmi": "BMI",
    "ast": "AST",
    "alt": "ALT",
    "tia": "TIA",
    "tnc": "TNC",
    "cd34": "CD34+",
    "cd3": "CD3+",
    "tbi": "TBI",
    "hla": "HLA",
    "ebmt": "EBMT",
    "cibmtr": "CIBMTR",
    "aml": "AML",
    "all": "ALL",
    "cml": "CML",
    "mds": "MDS",
    "nhl": "NHL",
    "cll": "CLL",
    "mpn": "MPN",
    "cr1": "CR1",
    "cr2": "CR2",
    "cr3": "CR3",
    "cr": "CR",
    "pr": "PR",
    "mac": "MAC",
    "ric": "RIC",
    "nma": "NMA",
    "iv": "IV",
    "dri": "DRI",
    "dlbcl": "DLBCL",
    "b": "B",
    "t": "T",
}
"""Words written in capitals (or their clinical spelling) wherever they appear in a name."""

UNIT_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("_percent_predicted", "% predicted"),
    ("_percent", "%"),
    ("_kg_m2", "kg/m²"),
    ("_years", "years"),
    ("_months", "months"),
    ("_days", "days"),
)
"""Name endings that are the field's unit: the label drops them and the unit shows them."""

UNIT_PREFIXES: Final[tuple[tuple[str, str], ...]] = (("months_", "months"),)
"""Name beginnings that are the unit (``months_diagnosis_to_transplant``)."""

LABEL_OVERRIDES: Final[dict[str, str]] = {
    "hct_ci": "HCT-CI",
    "hct_ci_score": "HCT-CI score",
    "age_years": "Age",
    "bmi_kg_m2": "BMI",
    "score": "Score",
    "tbi": "Total body irradiation",
    "total_dose": "Total dose",
    "tia_or_cerebrovascular_accident": "TIA or cerebrovascular accident",
    "cd34_viability_percent": "CD34+ viability",
    "infection_requiring_treatment_after_day_0": "Infection requiring treatment after day 0",
    "upper_limit_of_normal": "Upper limit of normal",
    "value": "Value",
    "items": "Comorbidity items",
    "facts": "Clinical facts",
}
"""Field names whose label is not simply the name in words."""

ENUM_LABEL_OVERRIDES: Final[dict[str, str]] = {
    "sorror-2005": "Sorror 2005",
    "cibmtr-fim": "CIBMTR forms instruction manual",
    "cibmtr-operational": "CIBMTR operational",
}
"""Enumeration values whose label is not simply the value in words."""


def words(text: str) -> str:
    """``snake_case`` or ``kebab-case`` in words, first letter capital, clinical abbreviations kept."""
    parts = [p for p in text.replace("-", "_").split("_") if p]
    out: list[str] = []
    for index, part in enumerate(parts):
        known = ABBREVIATIONS.get(part.lower())
        if known is not None:
            out.append(known)
        elif part != part.lower():
            out.append(part)  # already spelled with capitals (HBsAg, anti-HBc)
        else:
            out.append(part.capitalize() if index == 0 else part)
    return " ".join(out)


def split_unit(name: str) -> tuple[str, str]:
    """A field name without its unit part, and that unit (``""`` when the name carries none)."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], unit
    for prefix, unit in UNIT_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :], unit
    return name, ""


def field_label(name: str) -> str:
    """The English label of a field."""
    override = LABEL_OVERRIDES.get(name)
    if override is not None:
        return override
    return words(split_unit(name)[0])


def field_unit(name: str) -> str:
    """The unit a field's name carries (``""`` for none)."""
    return split_unit(name)[1]


def enum_label(member: Enum) -> str:
    """The English label of an enumeration member: its value, in words unless it is already prose."""
    value = str(member.value)
    override = ENUM_LABEL_OVERRIDES.get(value)
    if override is not None:
        return override
    prose = " " in value or "/" in value or any(c.isupper() for c in value)
    if prose or ("-" in value and "_" not in value and not any(c.isdigit() for c in value)):
        return value[0].upper() + value[1:] if value[0].islower() else value
    return words(value)
