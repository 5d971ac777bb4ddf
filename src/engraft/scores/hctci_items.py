"""The 17 HCT-CI comorbidities, their weights and their wording in each definition variant.

Weights and the Sorror 2005 wording: Sorror et al., Blood 2005, Table 1 (verified via NCI PDQ and
ASH view-large reproductions, clinical-scores.md section 1.2). CIBMTR operational wording: CIBMTR
Forms Instruction Manual, Appendix J (verified, same section). Hepatic mild vs moderate/severe and
pulmonary moderate vs severe are mutually exclusive; every other item scores independently.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class HctCiVariant(StrEnum):
    """Which definitions are applied to the comorbidity items."""

    SORROR_2005 = "sorror-2005"
    CIBMTR = "cibmtr-fim"


class HctCiItem(StrEnum):
    """The 17 HCT-CI comorbidities, in the order of Sorror 2005 Table 1."""

    ARRHYTHMIA = "arrhythmia"
    CARDIAC = "cardiac"
    INFLAMMATORY_BOWEL_DISEASE = "inflammatory_bowel_disease"
    DIABETES = "diabetes"
    CEREBROVASCULAR = "cerebrovascular"
    PSYCHIATRIC = "psychiatric"
    HEPATIC_MILD = "hepatic_mild"
    OBESITY = "obesity"
    INFECTION = "infection"
    RHEUMATOLOGIC = "rheumatologic"
    PEPTIC_ULCER = "peptic_ulcer"
    RENAL = "renal"
    PULMONARY_MODERATE = "pulmonary_moderate"
    PRIOR_SOLID_TUMOUR = "prior_solid_tumour"
    HEART_VALVE_DISEASE = "heart_valve_disease"
    PULMONARY_SEVERE = "pulmonary_severe"
    HEPATIC_MODERATE_SEVERE = "hepatic_moderate_severe"


WEIGHTS: Final[dict[HctCiItem, int]] = {
    HctCiItem.ARRHYTHMIA: 1,
    HctCiItem.CARDIAC: 1,
    HctCiItem.INFLAMMATORY_BOWEL_DISEASE: 1,
    HctCiItem.DIABETES: 1,
    HctCiItem.CEREBROVASCULAR: 1,
    HctCiItem.PSYCHIATRIC: 1,
    HctCiItem.HEPATIC_MILD: 1,
    HctCiItem.OBESITY: 1,
    HctCiItem.INFECTION: 1,
    HctCiItem.RHEUMATOLOGIC: 2,
    HctCiItem.PEPTIC_ULCER: 2,
    HctCiItem.RENAL: 2,
    HctCiItem.PULMONARY_MODERATE: 2,
    HctCiItem.PRIOR_SOLID_TUMOUR: 3,
    HctCiItem.HEART_VALVE_DISEASE: 3,
    HctCiItem.PULMONARY_SEVERE: 3,
    HctCiItem.HEPATIC_MODERATE_SEVERE: 3,
}

# (lower, higher): when both are present only the higher scores.
EXCLUSIVE_PAIRS: Final[tuple[tuple[HctCiItem, HctCiItem], ...]] = (
    (HctCiItem.HEPATIC_MILD, HctCiItem.HEPATIC_MODERATE_SEVERE),
    (HctCiItem.PULMONARY_MODERATE, HctCiItem.PULMONARY_SEVERE),
)

MAX_SCORE: Final[int] = sum(WEIGHTS.values()) - sum(WEIGHTS[low] for low, _ in EXCLUSIVE_PAIRS)

_SORROR: Final[dict[HctCiItem, str]] = {
    HctCiItem.ARRHYTHMIA: "Atrial fibrillation or flutter, sick sinus syndrome, or ventricular arrhythmias",
    HctCiItem.CARDIAC: "Coronary artery disease (stenosis needing medical treatment, stent or bypass), "
    "congestive heart failure, myocardial infarction, or EF <= 50%",
    HctCiItem.INFLAMMATORY_BOWEL_DISEASE: "Crohn disease or ulcerative colitis",
    HctCiItem.DIABETES: "Requiring treatment with insulin or oral hypoglycaemics, not diet alone",
    HctCiItem.CEREBROVASCULAR: "Transient ischaemic attack or cerebrovascular accident",
    HctCiItem.PSYCHIATRIC: "Depression or anxiety requiring psychiatric consult or treatment",
    HctCiItem.HEPATIC_MILD: "Chronic hepatitis, bilirubin > ULN to 1.5 x ULN, or AST/ALT > ULN to 2.5 x ULN",
    HctCiItem.OBESITY: "BMI > 35 kg/m2 (adults); BMI-for-age >= 95th percentile (children, Sorror 2013)",
    HctCiItem.INFECTION: "Requiring continuation of antimicrobial treatment after day 0",
    HctCiItem.RHEUMATOLOGIC: "SLE, RA, polymyositis, mixed CTD, or polymyalgia rheumatica",
    HctCiItem.PEPTIC_ULCER: "Requiring treatment",
    HctCiItem.RENAL: "Serum creatinine > 2 mg/dL, on dialysis, or prior renal transplantation",
    HctCiItem.PULMONARY_MODERATE: "DLco and/or FEV1 66-80%, or dyspnoea on slight activity",
    HctCiItem.PRIOR_SOLID_TUMOUR: "Treated at any time point in the patient's history, excluding "
    "non-melanoma skin cancer",
    HctCiItem.HEART_VALVE_DISEASE: "Except mitral valve prolapse",
    HctCiItem.PULMONARY_SEVERE: "DLco and/or FEV1 <= 65%, or dyspnoea at rest, or requiring oxygen",
    HctCiItem.HEPATIC_MODERATE_SEVERE: "Liver cirrhosis, bilirubin > 1.5 x ULN, or AST/ALT > 2.5 x ULN",
}

_CIBMTR_CHANGES: Final[dict[HctCiItem, str]] = {
    HctCiItem.ARRHYTHMIA: "Any arrhythmia requiring antiarrhythmic treatment, including sustained "
    "bradycardia < 50 bpm or sustained tachycardia > 120 bpm",
    HctCiItem.CARDIAC: "Coronary artery disease, congestive heart failure (regardless of current LVEF), "
    "myocardial infarction, LVEF <= 50%, or shortening fraction < 26% in paediatrics",
    HctCiItem.DIABETES: "Current (within 4 weeks before HCT) diabetes or steroid-induced hyperglycaemia "
    "requiring insulin or oral hypoglycaemics",
    HctCiItem.CEREBROVASCULAR: "TIA or cerebrovascular accident, or subarachnoid, subdural, epidural or "
    "intraparenchymal haemorrhage",
    HctCiItem.RENAL: "Serum creatinine > 2 mg/dL or > 177 umol/L, on dialysis, or prior renal transplantation",
}

DEFINITIONS: Final[dict[HctCiVariant, dict[HctCiItem, str]]] = {
    HctCiVariant.SORROR_2005: dict(_SORROR),
    HctCiVariant.CIBMTR: {**_SORROR, **_CIBMTR_CHANGES},
}


def total(present: set[HctCiItem]) -> int:
    """Sum of weights of the present items, counting only the higher item of each exclusive pair."""
    scoring = set(present)
    for lower, higher in EXCLUSIVE_PAIRS:
        if higher in scoring:
            scoring.discard(lower)
    return sum(WEIGHTS[item] for item in scoring)
