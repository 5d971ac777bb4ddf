"""Input builders shared by the score tests: a healthy baseline patient, modified per case."""

from __future__ import annotations

import copy
from typing import Any

from engraft.scores.hctci_items import HctCiItem


def healthy_facts() -> dict[str, Any]:
    """HCT-CI facts for an adult with no comorbidity (every item answered, all normal)."""
    return {
        "arrhythmia": False,
        "cardiac": {
            "coronary_artery_disease": False,
            "congestive_heart_failure": False,
            "myocardial_infarction": False,
            "lvef_percent": 60,
        },
        "inflammatory_bowel_disease": False,
        "diabetes": "none",
        "steroid_induced_hyperglycaemia_requiring_medication": False,
        "tia_or_cerebrovascular_accident": False,
        "intracranial_haemorrhage": False,
        "psychiatric_disturbance_requiring_treatment": False,
        "hepatic": {
            "chronic_hepatitis": False,
            "cirrhosis": False,
            "bilirubin": {
                "value": {"value": 0.8, "unit": "mg/dL"},
                "upper_limit_of_normal": {"value": 1.2, "unit": "mg/dL"},
            },
            "ast": {"value": {"value": 25, "unit": "U/L"}, "upper_limit_of_normal": {"value": 40, "unit": "U/L"}},
            "alt": {"value": {"value": 20, "unit": "U/L"}, "upper_limit_of_normal": {"value": 40, "unit": "U/L"}},
        },
        "body": {"bmi_kg_m2": 24.0},
        "infection_requiring_treatment_after_day_0": False,
        "rheumatologic_disease": False,
        "peptic_ulcer_requiring_treatment": False,
        "renal": {
            "creatinine": {"value": 0.9, "unit": "mg/dL"},
            "on_dialysis": False,
            "prior_renal_transplant": False,
        },
        "pulmonary": {
            "fev1_percent_predicted": 95,
            "dlco_percent_predicted": 92,
            "dlco_corrected_for_haemoglobin": True,
            "dyspnoea": "none",
            "supplemental_oxygen": False,
        },
        "prior_solid_tumour": "none",
        "heart_valve_disease": "none",
    }


def with_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Copy ``base`` and set dotted paths (``"hepatic.bilirubin.value.value"``); ``None`` deletes a key."""
    out = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return out


def facts_input(
    changes: dict[str, Any] | None = None, *, variant: str = "sorror-2005", age: int | None = 50
) -> dict[str, Any]:
    """A full ``HctCiInput`` payload built from the healthy baseline plus ``changes``."""
    payload: dict[str, Any] = {"variant": variant, "facts": with_changes(healthy_facts(), changes or {})}
    if age is not None:
        payload["age_years"] = age
    return payload


def flags(*present: HctCiItem) -> dict[str, bool]:
    """All 17 item flags, true for ``present``."""
    return {item.value: item in present for item in HctCiItem}
