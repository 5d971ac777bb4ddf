"""HCT-CI (Sorror 2005; CIBMTR operational variant): items, boundaries, variants, outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from engraft.provenance import VerificationLevel
from engraft.scores.hctci import HctCiInput, HctCiItemFlags, HctCiResult, band_for, hct_ci
from engraft.scores.hctci_items import MAX_SCORE, WEIGHTS, HctCiItem

from ._builders import facts_input, flags


def run(payload: dict[str, Any]) -> HctCiResult:
    return hct_ci(HctCiInput.model_validate(payload))


def points(result: HctCiResult, item: HctCiItem) -> float:
    return next(c.points for c in result.components if c.item == item.value)


# Weights: Sorror 2005 Table 1 (verified, clinical-scores.md 1.2).
EXPECTED_WEIGHTS = {
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


@pytest.mark.parametrize(
    ("item", "weight"), [pytest.param(item, w, id=item.value) for item, w in EXPECTED_WEIGHTS.items()]
)
def test_single_item_flag_scores_its_weight(item: HctCiItem, weight: int) -> None:
    result = run({"items": flags(item)})
    assert result.value == weight
    assert points(result, item) == weight
    assert WEIGHTS[item] == weight


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        pytest.param((), 0, id="none"),
        pytest.param((HctCiItem.HEPATIC_MILD, HctCiItem.HEPATIC_MODERATE_SEVERE), 3, id="hepatic-exclusive"),
        pytest.param((HctCiItem.PULMONARY_MODERATE, HctCiItem.PULMONARY_SEVERE), 3, id="pulmonary-exclusive"),
        pytest.param((HctCiItem.CARDIAC, HctCiItem.HEART_VALVE_DISEASE), 4, id="cardiac-and-valve-both-score"),
        pytest.param(tuple(HctCiItem), 26, id="all-items-max-26"),
    ],
)
def test_combinations(present: tuple[HctCiItem, ...], expected: int) -> None:
    assert run({"items": flags(*present)}).value == expected


def test_max_score_is_26() -> None:
    assert MAX_SCORE == 26


def test_superseded_item_shows_zero_points_and_reason() -> None:
    result = run({"items": flags(HctCiItem.HEPATIC_MILD, HctCiItem.HEPATIC_MODERATE_SEVERE)})
    mild = next(c for c in result.components if c.item == "hepatic_mild")
    assert mild.points == 0
    assert "superseded by hepatic_moderate_severe" in mild.rule


@pytest.mark.parametrize(
    ("score", "band"),
    [
        pytest.param(0, "0", id="0-low"),
        pytest.param(1, "1-2", id="1-intermediate-lower-edge"),
        pytest.param(2, "1-2", id="2-intermediate-upper-edge"),
        pytest.param(3, ">=3", id="3-high-lower-edge"),
        pytest.param(26, ">=3", id="26-high"),
    ],
)
def test_band_edges(score: int, band: str) -> None:
    assert band_for(score) == band


@pytest.mark.parametrize(
    ("present", "band", "group"),
    [
        pytest.param((), "0", "low", id="score-0"),
        pytest.param((HctCiItem.ARRHYTHMIA, HctCiItem.DIABETES), "1-2", "intermediate", id="score-2"),
        pytest.param((HctCiItem.PRIOR_SOLID_TUMOUR,), ">=3", "high", id="score-3"),
    ],
)
def test_risk_group(present: tuple[HctCiItem, ...], band: str, group: str) -> None:
    result = run({"items": flags(*present)})
    assert (result.band, result.risk_group) == (band, group)


# Pulmonary: severe <= 65%, moderate 66-80%, nothing at 81% (Sorror wording).
@pytest.mark.parametrize(
    ("changes", "moderate", "severe"),
    [
        pytest.param({"pulmonary.fev1_percent_predicted": 81}, 0, 0, id="fev1-81-none"),
        pytest.param({"pulmonary.fev1_percent_predicted": 80}, 2, 0, id="fev1-80-moderate"),
        pytest.param({"pulmonary.fev1_percent_predicted": 66}, 2, 0, id="fev1-66-moderate"),
        pytest.param({"pulmonary.fev1_percent_predicted": 65.5}, 2, 0, id="fev1-65.5-moderate-above-65"),
        pytest.param({"pulmonary.fev1_percent_predicted": 65}, 0, 3, id="fev1-65-severe"),
        pytest.param({"pulmonary.dlco_percent_predicted": 81}, 0, 0, id="dlco-81-none"),
        pytest.param({"pulmonary.dlco_percent_predicted": 80}, 2, 0, id="dlco-80-moderate"),
        pytest.param({"pulmonary.dlco_percent_predicted": 66}, 2, 0, id="dlco-66-moderate"),
        pytest.param({"pulmonary.dlco_percent_predicted": 65}, 0, 3, id="dlco-65-severe"),
        pytest.param({"pulmonary.dyspnoea": "on_slight_activity"}, 2, 0, id="dyspnoea-slight-activity"),
        pytest.param({"pulmonary.dyspnoea": "at_rest"}, 0, 3, id="dyspnoea-at-rest"),
        pytest.param({"pulmonary.supplemental_oxygen": True}, 0, 3, id="oxygen"),
        pytest.param(
            {"pulmonary.fev1_percent_predicted": 70, "pulmonary.supplemental_oxygen": True},
            0,
            3,
            id="moderate-and-severe-take-higher",
        ),
        pytest.param(
            {"pulmonary.fev1_percent_predicted": None, "pulmonary.dlco_percent_predicted": None},
            0,
            0,
            id="no-pft-symptoms-only",
        ),
    ],
)
def test_pulmonary_boundaries(changes: dict[str, Any], moderate: int, severe: int) -> None:
    result = run(facts_input(changes))
    assert points(result, HctCiItem.PULMONARY_MODERATE) == moderate
    assert points(result, HctCiItem.PULMONARY_SEVERE) == severe
    assert result.value == moderate + severe


def _lab(value: float, unit: str, uln: float, uln_unit: str | None = None) -> dict[str, Any]:
    return {"value": {"value": value, "unit": unit}, "upper_limit_of_normal": {"value": uln, "unit": uln_unit or unit}}


# Hepatic: mild > ULN to <= 1.5 x ULN (bilirubin) / <= 2.5 x ULN (AST/ALT); moderate/severe above.
@pytest.mark.parametrize(
    ("changes", "mild", "severe"),
    [
        pytest.param({"hepatic.bilirubin": _lab(1.2, "mg/dL", 1.2)}, 0, 0, id="bilirubin-1.0x-uln-none"),
        pytest.param({"hepatic.bilirubin": _lab(1.21, "mg/dL", 1.2)}, 1, 0, id="bilirubin-just-above-uln-mild"),
        pytest.param({"hepatic.bilirubin": _lab(1.8, "mg/dL", 1.2)}, 1, 0, id="bilirubin-1.5x-uln-mild"),
        pytest.param({"hepatic.bilirubin": _lab(1.81, "mg/dL", 1.2)}, 0, 3, id="bilirubin-above-1.5x-severe"),
        pytest.param({"hepatic.bilirubin": _lab(30.78, "umol/L", 1.2, "mg/dL")}, 1, 0, id="bilirubin-umol-1.5x-mild"),
        pytest.param({"hepatic.bilirubin": _lab(31.0, "umol/L", 20.5)}, 0, 3, id="bilirubin-umol-1.51x-severe"),
        pytest.param({"hepatic.ast": _lab(40, "U/L", 40)}, 0, 0, id="ast-1.0x-uln-none"),
        pytest.param({"hepatic.ast": _lab(100, "U/L", 40)}, 1, 0, id="ast-2.5x-uln-mild"),
        pytest.param({"hepatic.ast": _lab(101, "U/L", 40)}, 0, 3, id="ast-above-2.5x-severe"),
        pytest.param({"hepatic.alt": _lab(41, "U/L", 40)}, 1, 0, id="alt-just-above-uln-mild"),
        pytest.param({"hepatic.alt": _lab(100, "U/L", 40)}, 1, 0, id="alt-2.5x-uln-mild"),
        pytest.param({"hepatic.alt": _lab(100.5, "U/L", 40)}, 0, 3, id="alt-above-2.5x-severe"),
        pytest.param({"hepatic.chronic_hepatitis": True}, 1, 0, id="chronic-hepatitis-mild"),
        pytest.param({"hepatic.cirrhosis": True}, 0, 3, id="cirrhosis-severe"),
        pytest.param(
            {"hepatic.chronic_hepatitis": True, "hepatic.cirrhosis": True}, 0, 3, id="mild-and-severe-take-higher"
        ),
        pytest.param({"hepatic.ast": None}, 0, 0, id="alt-only"),
    ],
)
def test_hepatic_boundaries(changes: dict[str, Any], mild: int, severe: int) -> None:
    result = run(facts_input(changes))
    assert points(result, HctCiItem.HEPATIC_MILD) == mild
    assert points(result, HctCiItem.HEPATIC_MODERATE_SEVERE) == severe


# Renal: creatinine > 2 mg/dL; CIBMTR also > 177 umol/L (compared unconverted).
@pytest.mark.parametrize(
    ("variant", "changes", "expected"),
    [
        pytest.param("sorror-2005", {"renal.creatinine": {"value": 2.0, "unit": "mg/dL"}}, 0, id="sorror-2.0-mgdl"),
        pytest.param("sorror-2005", {"renal.creatinine": {"value": 2.01, "unit": "mg/dL"}}, 2, id="sorror-2.01-mgdl"),
        pytest.param("sorror-2005", {"renal.creatinine": {"value": 176, "unit": "umol/L"}}, 0, id="sorror-176-umol"),
        pytest.param(
            "sorror-2005", {"renal.creatinine": {"value": 177, "unit": "umol/L"}}, 2, id="sorror-177-umol-is-2.002-mgdl"
        ),
        pytest.param("cibmtr-fim", {"renal.creatinine": {"value": 177, "unit": "umol/L"}}, 0, id="cibmtr-177-umol"),
        pytest.param("cibmtr-fim", {"renal.creatinine": {"value": 178, "unit": "umol/L"}}, 2, id="cibmtr-178-umol"),
        pytest.param("cibmtr-fim", {"renal.creatinine": {"value": 2.0, "unit": "mg/dL"}}, 0, id="cibmtr-2.0-mgdl"),
        pytest.param("cibmtr-fim", {"renal.creatinine": {"value": 2.1, "unit": "mg/dL"}}, 2, id="cibmtr-2.1-mgdl"),
        pytest.param("sorror-2005", {"renal.on_dialysis": True}, 2, id="dialysis"),
        pytest.param("sorror-2005", {"renal.prior_renal_transplant": True}, 2, id="prior-renal-transplant"),
    ],
)
def test_renal_boundaries(variant: str, changes: dict[str, Any], expected: int) -> None:
    assert points(run(facts_input(changes, variant=variant)), HctCiItem.RENAL) == expected


@pytest.mark.parametrize(
    ("variant", "age", "changes", "expected"),
    [
        pytest.param("sorror-2005", 50, {"cardiac.lvef_percent": 50}, 1, id="lvef-50-scores"),
        pytest.param("sorror-2005", 50, {"cardiac.lvef_percent": 51}, 0, id="lvef-51-none"),
        pytest.param("sorror-2005", 50, {"cardiac.coronary_artery_disease": True}, 1, id="cad"),
        pytest.param("sorror-2005", 50, {"cardiac.congestive_heart_failure": True}, 1, id="chf"),
        pytest.param("sorror-2005", 50, {"cardiac.myocardial_infarction": True}, 1, id="mi"),
        pytest.param(
            "cibmtr-fim",
            8,
            {
                "cardiac.lvef_percent": None,
                "cardiac.shortening_fraction_percent": 25,
                "body": {"bmi_for_age_percentile": 50},
            },
            1,
            id="cibmtr-paediatric-sf-25",
        ),
        pytest.param(
            "cibmtr-fim",
            8,
            {
                "cardiac.lvef_percent": None,
                "cardiac.shortening_fraction_percent": 26,
                "body": {"bmi_for_age_percentile": 50},
            },
            0,
            id="cibmtr-paediatric-sf-26",
        ),
        pytest.param(
            "cibmtr-fim",
            50,
            {"cardiac.lvef_percent": 60, "cardiac.shortening_fraction_percent": 20},
            0,
            id="cibmtr-adult-shortening-fraction-ignored",
        ),
    ],
)
def test_cardiac(variant: str, age: int, changes: dict[str, Any], expected: int) -> None:
    assert points(run(facts_input(changes, variant=variant, age=age)), HctCiItem.CARDIAC) == expected


@pytest.mark.parametrize(
    ("age", "body", "expected"),
    [
        pytest.param(50, {"bmi_kg_m2": 35.0}, 0, id="adult-bmi-35-none"),
        pytest.param(50, {"bmi_kg_m2": 35.1}, 1, id="adult-bmi-35.1-obese"),
        pytest.param(18, {"bmi_kg_m2": 36}, 1, id="age-18-uses-adult-bmi"),
        pytest.param(10, {"bmi_for_age_percentile": 95}, 1, id="child-95th-percentile"),
        pytest.param(10, {"bmi_for_age_percentile": 94.9}, 0, id="child-below-95th"),
    ],
)
def test_obesity(age: int, body: dict[str, Any], expected: int) -> None:
    result = run(facts_input({"body": body}, age=age))
    assert points(result, HctCiItem.OBESITY) == expected


def test_paediatric_obesity_rule_cites_sorror_2013() -> None:
    result = run(facts_input({"body": {"bmi_for_age_percentile": 97}}, age=10))
    obesity = next(c for c in result.components if c.item == "obesity")
    assert "Sorror 2013" in obesity.rule


@pytest.mark.parametrize(
    ("changes", "sorror", "cibmtr"),
    [
        pytest.param({"steroid_induced_hyperglycaemia_requiring_medication": True}, 0, 1, id="steroid-hyperglycaemia"),
        pytest.param({"intracranial_haemorrhage": True}, 0, 1, id="intracranial-haemorrhage"),
        pytest.param({"diabetes": "insulin_or_oral_hypoglycaemic"}, 1, 1, id="diabetes-both"),
        pytest.param({"tia_or_cerebrovascular_accident": True}, 1, 1, id="tia-both"),
    ],
)
def test_variants_differ_where_cibmtr_extends_definitions(changes: dict[str, Any], sorror: int, cibmtr: int) -> None:
    assert run(facts_input(changes, variant="sorror-2005")).value == sorror
    assert run(facts_input(changes, variant="cibmtr-fim")).value == cibmtr


def test_variant_and_citation_reported() -> None:
    sorror = run(facts_input(variant="sorror-2005"))
    cibmtr = run(facts_input(variant="cibmtr-fim"))
    assert (sorror.version, sorror.citation.pmid) == ("sorror-2005", "15994282")
    assert cibmtr.version == "cibmtr-fim"
    assert "177 umol/L" in next(c.rule for c in cibmtr.components if c.item == "renal")


def test_flags_and_facts_agree_on_constructed_case() -> None:
    """Constructed case (not from a paper): moderate pulmonary, mild hepatic by AST, diabetes, prior tumour."""
    facts = run(
        facts_input(
            {
                "pulmonary.fev1_percent_predicted": 72,
                "hepatic.ast": _lab(90, "U/L", 40),
                "diabetes": "insulin_or_oral_hypoglycaemic",
                "prior_solid_tumour": "other_than_non_melanoma_skin_cancer",
            }
        )
    )
    items = run(
        {
            "items": flags(
                HctCiItem.PULMONARY_MODERATE, HctCiItem.HEPATIC_MILD, HctCiItem.DIABETES, HctCiItem.PRIOR_SOLID_TUMOUR
            )
        }
    )
    assert facts.value == items.value == 7
    assert facts.band == ">=3"


def test_component_names_input_and_rule() -> None:
    result = run(facts_input({"pulmonary.fev1_percent_predicted": 60}))
    severe = next(c for c in result.components if c.item == "pulmonary_severe")
    assert "FEV1=60%" in severe.input
    assert "FEV1 <= 65%" in severe.rule
    assert len(result.components) == 17


# Outcomes: only verified figures are asserted as published values.
@pytest.mark.parametrize(
    ("present", "band", "raimondi_nrm", "raimondi_os", "elsawy_nrm", "elsawy_os"),
    [
        pytest.param((), "0", 14.7, 56.4, 14, 74, id="band-0"),
        pytest.param((HctCiItem.ARRHYTHMIA,), "1-2", 21.3, 54.5, 23, 61, id="band-1-2"),
        pytest.param((HctCiItem.PRIOR_SOLID_TUMOUR,), ">=3", 27.3, 41.3, 39, 39, id="band-3-plus"),
    ],
)
def test_verified_outcomes_for_band(
    present: tuple[HctCiItem, ...],
    band: str,
    raimondi_nrm: float,
    raimondi_os: float,
    elsawy_nrm: float,
    elsawy_os: float,
) -> None:
    result = run({"items": flags(*present)})
    verified = {(o.source.authors.split(",")[0], o.endpoint): o for o in result.outcomes if o.verified}
    assert verified[("Raimondi R", "non-relapse mortality")].value == raimondi_nrm
    assert verified[("Raimondi R", "overall survival")].value == raimondi_os
    assert verified[("Raimondi R", "overall survival")].n == 1937
    assert verified[("ElSawy M", "non-relapse mortality")].value == elsawy_nrm
    assert verified[("ElSawy M", "overall survival")].value == elsawy_os
    assert all(o.band == band and o.time_point == "2 years" for o in result.outcomes)


def test_sorror_2005_one_source_outcomes_are_flagged_unverified() -> None:
    result = run({"items": flags()})
    sorror = [o for o in result.outcomes if o.source.pmid == "15994282"]
    assert len(sorror) == 2
    assert all(not o.verified and o.n == 347 for o in sorror)
    assert not result.all_outcomes_verified
    # Score 0: OS 71% seen in one transcription only -> unverified; NRM 14% two transcriptions agree -> secondary.
    by_endpoint = {o.endpoint: o for o in sorror}
    assert by_endpoint["overall survival"].verification is VerificationLevel.UNVERIFIED
    # Checked 2026-11-26: the Sorror 2005 abstract (publisher page) has no per-group NRM/OS.
    note = by_endpoint["overall survival"].note
    assert note is not None and "not in the Sorror 2005 abstract" in note
    assert result.citation.url is not None and "106/8/2912" in result.citation.url


def test_items_model_requires_every_item() -> None:
    with pytest.raises(ValueError, match="heart_valve_disease"):
        HctCiItemFlags.model_validate({k: v for k, v in flags().items() if k != "heart_valve_disease"})


def test_published_paediatric_example_scores_zero_on_original_index() -> None:
    """ASH Education Program 2023 ("What makes a pediatric or young adult patient an ... HCT candidate"):
    a 3-year-old with chronic granulomatous disease, prior Aspergillus pneumonia needing ventilation and
    failure to thrive scores 0 on the original HCT-CI (those conditions are not HCT-CI items).
    http://ashpublications.net/hematology/article/2023/1/731/506482/
    """
    child = facts_input(
        {
            "body": {"bmi_for_age_percentile": 2},
            "pulmonary.fev1_percent_predicted": None,
            "pulmonary.dlco_percent_predicted": None,
        },
        age=3,
    )
    result = run(child)
    assert (result.value, result.band) == (0, "0")
