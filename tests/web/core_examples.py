"""Inputs that drive every instrument through its branches, for the checks that its texts are translated."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from engraft.scores.catalog import CATALOG
from engraft.scores.donor_eligibility import REQUIRED_MARKERS
from engraft.scores.hctci_items import HctCiItem
from engraft.scores.performance import KARNOFSKY
from engraft.scores.provenance import ScoreResult
from engraft.scores.refined_dri import DISEASE_RISK, StageRisk
from engraft.vocabulary import MarkerResult
from tests.scores._builders import facts_input, flags
from tests.scores.test_catalog import EXAMPLES

SICK_FACTS = {
    "arrhythmia": True,
    "cardiac.coronary_artery_disease": True,
    "cardiac.lvef_percent": 45,
    "inflammatory_bowel_disease": True,
    "diabetes": "insulin_or_oral_hypoglycaemic",
    "tia_or_cerebrovascular_accident": True,
    "psychiatric_disturbance_requiring_treatment": True,
    "hepatic.cirrhosis": True,
    "hepatic.bilirubin.value.value": 2.0,
    "hepatic.ast.value.value": 120,
    "body.bmi_kg_m2": 38.0,
    "renal.creatinine": {"value": 250, "unit": "umol/L"},
    "pulmonary.fev1_percent_predicted": 60,
    "pulmonary.dlco_percent_predicted": 75,
    "pulmonary.dyspnoea": "on_slight_activity",
}
MILD_FACTS = {"hepatic.bilirubin.value.value": 1.5, "hepatic.alt.value.value": 60, "pulmonary.dyspnoea": "at_rest"}
EXCEPTION_FACTS = {
    "diabetes": "diet_only",
    "heart_valve_disease": "mitral_valve_prolapse_only",
    "prior_solid_tumour": "non_melanoma_skin_cancer_only",
}
"""The index's exceptions answered explicitly (each scores 0)."""


def _marker_panel(result_of: dict[str, str], day: str = "2026-02-25") -> list[dict[str, Any]]:
    return [
        {"marker": m.value, "result": result_of.get(m.value, MarkerResult.NON_REACTIVE.value), "specimen_date": day}
        for m in REQUIRED_MARKERS
    ]


def _donor(markers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "intended_use": "allogeneic",
        "graft_source": "peripheral blood",
        "recovery_date": "2026-03-01",
        "markers": markers,
        "screening_complete": True,
        "screening_risk_factor_identified": False,
        **extra,
    }


def instrument_inputs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(instrument, input) pairs: the catalogue's examples and variations reaching each band and rule."""
    yield from EXAMPLES.items()
    for variant, changes, age in itertools.product(
        ("sorror-2005", "cibmtr-fim"), ({}, SICK_FACTS, MILD_FACTS, EXCEPTION_FACTS), (50, 12)
    ):
        extra = {"body.bmi_for_age_percentile": 97} if age < 16 else {}
        if variant == "cibmtr-fim" and age < 16:
            extra["cardiac.shortening_fraction_percent"] = 24
        yield "hct-ci", facts_input({**changes, **extra}, variant=variant, age=age)
    yield "hct-ci", {"items": flags(*HctCiItem)}
    yield "hct-ci-age", {"age_years": 30, "hct_ci_score": 0}
    yield "hct-ci-age", {"age_years": 65, "hct_ci_score": 4}
    for score in KARNOFSKY:
        yield "karnofsky", {"score": score, "age_years": 40}
        yield "lansky", {"score": score, "age_years": 8}
    for disease in DISEASE_RISK:
        for stage in StageRisk:
            for groups in (3, 4):
                yield "refined-dri", {"disease": disease.value, "stage_risk": stage.value, "groups": groups}
    base = EXAMPLES["ebmt-risk"]
    for disease, status in (
        ("aml", "CR1"), ("aml", "CR2"), ("aml", "relapse"), ("cml", "chronic phase 1"), ("cml", "accelerated phase"),
        ("cml", "blast phase"), ("mds", "untreated"), ("multiple_myeloma", "PR"), ("nhl", "CR2"),
        ("severe_aplastic_anaemia", "not applicable"),
    ):  # fmt: skip
        for age, months, relation in ((15, 5, "matched sibling"), (55, 30, "matched unrelated")):
            payload = {**base, "disease": disease, "status": status, "age_years": age}
            payload.update(months_diagnosis_to_transplant=months, donor_relation=relation)
            yield "ebmt-risk", payload
    cibmtr = "cibmtr-operational"
    for agents, tbi, variant in (
        (
            [{"agent": "busulfan", "total_dose": {"value": 12.8, "unit": "mg/kg"}, "route": "iv"}],
            None,
            "cibmtr-operational",
        ),
        (
            [{"agent": "busulfan", "total_dose": {"value": 8, "unit": "mg/kg"}, "route": "oral"}],
            None,
            "cibmtr-operational",
        ),
        ([{"agent": "melphalan", "total_dose": {"value": 140, "unit": "mg/m2"}}], None, cibmtr),
        ([{"agent": "cyclophosphamide", "total_dose": {"value": 120, "unit": "mg/kg"}}], None, cibmtr),
        (
            [
                {"agent": "fludarabine", "total_dose": {"value": 150, "unit": "mg/m2"}},
                {"agent": "cyclophosphamide", "total_dose": {"value": 60, "unit": "mg/kg"}},
            ],
            None,
            cibmtr,
        ),
        (
            [
                {"agent": "fludarabine", "total_dose": {"value": 150, "unit": "mg/m2"}},
                {"agent": "melphalan", "total_dose": {"value": 140, "unit": "mg/m2"}},
            ],
            None,
            "giralt-2009",
        ),
        ([], {"total_dose": {"value": 1200, "unit": "cGy"}, "fractions": 6}, cibmtr),
        ([], {"total_dose": {"value": 400, "unit": "cGy"}, "fractions": 2}, cibmtr),
        ([{"agent": "busulfan", "total_dose": {"value": 12.8, "unit": "mg/kg"}, "route": "iv"}], None, "giralt-2009"),
        ([{"agent": "melphalan", "total_dose": {"value": 100, "unit": "mg/m2"}}], None, "giralt-2009"),
        ([{"agent": "fludarabine", "total_dose": {"value": 150, "unit": "mg/m2"}}], None, "giralt-2009"),
        ([], {"total_dose": {"value": 1200, "unit": "cGy"}, "fractions": 6}, "giralt-2009"),
        ([], {"total_dose": {"value": 200, "unit": "cGy"}, "fractions": 1}, "giralt-2009"),
    ):
        yield "conditioning-intensity", {"agents": agents, "tbi": tbi, "variant": variant}
    yield "donor-eligibility", _donor(_marker_panel({}))
    yield "donor-eligibility", _donor(_marker_panel({"HIV-1/2 antibody": "reactive", "CMV antibody": "reactive"}))
    yield "donor-eligibility", _donor(_marker_panel({"HBsAg": "indeterminate"}), documented_urgent_medical_need=True)
    yield (
        "donor-eligibility",
        _donor(
            _marker_panel({}, day="2026-01-01"),
            screening_complete=False,
            recipient_is_first_or_second_degree_relative=True,
        ),
    )
    yield "donor-eligibility", _donor(_marker_panel({}), screening_risk_factor_identified=True)
    yield "donor-eligibility", _donor(_marker_panel({}), graft_source="cord blood")
    weight = {"value": 70, "unit": "kg"}
    for source, kind, tnc, cd34 in (
        ("peripheral blood", "allogeneic", None, {"value": 5, "unit": "10*6/kg"}),
        ("peripheral blood", "autologous", None, {"value": 1, "unit": "10*6/kg"}),
        ("bone marrow", "allogeneic", {"value": 3, "unit": "10*8/kg"}, None),
        ("bone marrow", "autologous", {"value": 3, "unit": "10*8/kg"}, None),
        ("cord blood", "autologous", {"value": 3, "unit": "10*7/kg"}, None),
        ("cord blood", "allogeneic", {"value": 1, "unit": "10*7/kg"}, {"value": 1, "unit": "10*5/kg"}),
    ):
        payload: dict[str, Any] = {"graft_source": source, "transplant_type": kind, "recipient_weight": weight}
        if tnc:
            payload["tnc"] = tnc
        if cd34:
            payload["cd34"] = cd34
        yield "graft-quality", payload


def instrument_results() -> Iterator[ScoreResult]:
    """The result of every :func:`instrument_inputs` input (each is valid: a refused one fails the test)."""
    for name, payload in instrument_inputs():
        yield CATALOG[name].run(payload)
