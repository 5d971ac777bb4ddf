"""EBMT (Gratwohl 2009) risk score: factor edges, stage mapping, refusal of unscored donors, outcomes.

Factor points are from secondary reproductions ([S]); tests check the implementation of those rules,
and only the outcome figures verified against the Cancer 2009 abstract are asserted as published.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.provenance import VerificationLevel
from engraft.scores import sources
from engraft.scores.ebmt import DONOR_CATEGORY, EbmtDisease, EbmtRiskInput, disease_stage, ebmt_risk
from engraft.vocabulary import DiseaseStatus, DonorRelation

BASE: dict[str, Any] = {
    "age_years": 10,
    "disease": "aml",
    "status": "CR1",
    "months_diagnosis_to_transplant": 6,
    "donor_relation": "matched sibling",
    "donor_sex": "male",
    "recipient_sex": "male",
}


def score(**changes: Any) -> int:
    return ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes})).value


def component(item: str, **changes: Any) -> float:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes}))
    return next(c.points for c in result.components if c.item == item)


@pytest.mark.parametrize(
    ("age", "points"),
    [
        pytest.param(19, 0, id="age-19"),
        pytest.param(20, 1, id="age-20"),
        pytest.param(40, 1, id="age-40"),
        pytest.param(41, 2, id="age-41"),
    ],
)
def test_age_edges(age: int, points: int) -> None:
    assert component("age", age_years=age) == points


@pytest.mark.parametrize(
    ("disease", "status", "stage"),
    [
        pytest.param("aml", "CR1", "early", id="aml-cr1-early"),
        pytest.param("all", "CR2", "intermediate", id="all-cr2-intermediate"),
        pytest.param("aml", "relapse", "late", id="aml-relapse-late"),
        pytest.param("aml", "primary refractory", "late", id="aml-refractory-late"),
        pytest.param("cml", "chronic phase 1", "early", id="cml-cp1-early"),
        pytest.param("cml", "accelerated phase", "intermediate", id="cml-ap-intermediate"),
        pytest.param("cml", "chronic phase 2+", "intermediate", id="cml-cp2-intermediate"),
        pytest.param("cml", "blast phase", "late", id="cml-bc-late"),
        pytest.param("mds", "untreated", "early", id="mds-untreated-early"),
        pytest.param("mds", "CR1", "early", id="mds-cr1-early"),
        pytest.param("mds", "PR", "intermediate", id="mds-pr-intermediate"),
        pytest.param("mds", "relapse", "late", id="mds-relapse-late"),
        pytest.param("nhl", "untreated", "early", id="nhl-untreated-early"),
        pytest.param("nhl", "stable disease", "intermediate", id="nhl-sd-intermediate"),
        pytest.param("multiple_myeloma", "PR", "intermediate", id="mm-pr-intermediate"),
        pytest.param("multiple_myeloma", "relapse", "late", id="mm-relapse-late"),
        pytest.param("severe_aplastic_anaemia", "not applicable", "not scored", id="saa-not-scored"),
    ],
)
def test_stage_mapping(disease: str, status: str, stage: str) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, "disease": disease, "status": status}))
    assert result.stage == stage
    expected = {"early": 0, "intermediate": 1, "late": 2, "not scored": 0}[stage]
    assert next(c.points for c in result.components if c.item == "disease_stage") == expected


@pytest.mark.parametrize(
    ("status", "months", "points"),
    [
        pytest.param("CR2", 11.9, 0, id="11.9-months"),
        # Handbook Table 11.2: < 12 months 0, >= 12 months 1 (one implementation scores exactly 12 as 0).
        pytest.param("CR2", 12, 1, id="12-months-boundary-scored-1-per-handbook-table-11-2"),
        pytest.param("CR2", 12.1, 1, id="12.1-months"),
        pytest.param("CR1", 60, 0, id="cr1-time-not-scored"),
    ],
)
def test_time_from_diagnosis(status: str, months: float, points: int) -> None:
    assert component("time_diagnosis_to_transplant", status=status, months_diagnosis_to_transplant=months) == points


@pytest.mark.parametrize(
    ("donor_sex", "recipient_sex", "points"),
    [
        pytest.param("female", "male", 1, id="female-to-male"),
        pytest.param("male", "female", 0, id="male-to-female"),
        pytest.param("female", "female", 0, id="female-to-female"),
        pytest.param("male", "male", 0, id="male-to-male"),
    ],
)
def test_sex_combination(donor_sex: str, recipient_sex: str, points: int) -> None:
    assert component("donor_recipient_sex", donor_sex=donor_sex, recipient_sex=recipient_sex) == points


@pytest.mark.parametrize(
    ("relation", "points"),
    [
        pytest.param("matched sibling", 0, id="hla-identical-sibling-0"),
        pytest.param("matched unrelated", 1, id="matched-unrelated-1"),
        pytest.param("mismatched unrelated", 1, id="mismatched-unrelated-1"),
    ],
)
def test_donor_category_points(relation: str, points: int) -> None:
    assert component("donor_type", donor_relation=relation) == points


def test_every_donor_relation_has_a_decision() -> None:
    """A relation added to the vocabulary without a decision here fails this test (and the import)."""
    assert set(DONOR_CATEGORY) == set(DonorRelation)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, 0, id="minimum-0"),
        pytest.param(
            {
                "age_years": 55,
                "status": "relapse",
                "months_diagnosis_to_transplant": 30,
                "donor_relation": "matched unrelated",
                "donor_sex": "female",
            },
            7,
            id="maximum-7",
        ),
        pytest.param(
            {
                "age_years": 55,
                "months_diagnosis_to_transplant": 30,
                "donor_relation": "matched unrelated",
                "donor_sex": "female",
            },
            4,
            id="cr1-older-unrelated-f-to-m",
        ),
    ],
)
def test_totals(changes: dict[str, Any], expected: int) -> None:
    assert score(**changes) == expected


WHOLE = "EBMT allogeneic HSCT 1980-2005 (whole cohort)"
RECENT = "EBMT allogeneic HSCT 1980-2005, most recent time cohort"
SCORE_6 = {
    "age_years": 55,
    "status": "relapse",
    "months_diagnosis_to_transplant": 30,
    "donor_relation": "matched unrelated",
}


def gratwohl_2009(changes: dict[str, Any]) -> dict[tuple[str, str], tuple[float, float | None, float | None]]:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes}))
    return {
        (o.cohort, o.endpoint): (o.value, o.ci_low, o.ci_high)
        for o in result.outcomes
        if o.source.pmid == "19642176" and o.verification is VerificationLevel.PRIMARY_ABSTRACT
    }


# Gratwohl 2009 abstract, PubMed 19642176 (https://pubmed.ncbi.nlm.nih.gov/19642176/), checked 2026-11-26:
# "Survival probability at 5 years decreased from 71% (95% CI, 69%-73%) for risk score 0 for the whole
# cohort (75%, 95% CI, 72%-78% for the most recent time cohort) to 24% (95% CI, 21%-27% for risk score 6
# and 7; 25%, 95% CI, 22%-29% most recent cohort). Transplant-related mortality increased from 15% (95%
# CI, 14%-17%) for risk score 0 (11%, 95% CI, 9%-13%, most recent cohort) to 47% with risk score 6 and 7
# (95% CI, 44%-50%) for the whole cohort (45%, 95% CI, 42%-48%, most recent cohort)."
@pytest.mark.parametrize(
    ("changes", "cohort", "endpoint", "expected"),
    [
        pytest.param({}, WHOLE, "overall survival", (71, 69, 73), id="score-0-os-whole-71"),
        pytest.param({}, RECENT, "overall survival", (75, 72, 78), id="score-0-os-recent-75"),
        pytest.param({}, WHOLE, "transplant-related mortality", (15, 14, 17), id="score-0-trm-whole-15"),
        pytest.param({}, RECENT, "transplant-related mortality", (11, 9, 13), id="score-0-trm-recent-11"),
        pytest.param(SCORE_6, WHOLE, "overall survival", (24, 21, 27), id="score-6-os-whole-24"),
        pytest.param(SCORE_6, RECENT, "overall survival", (25, 22, 29), id="score-6-os-recent-25"),
        pytest.param(SCORE_6, WHOLE, "transplant-related mortality", (47, 44, 50), id="score-6-trm-whole-47"),
        pytest.param(SCORE_6, RECENT, "transplant-related mortality", (45, 42, 48), id="score-6-trm-recent-45"),
        pytest.param(
            {**SCORE_6, "donor_sex": "female", "status": "primary refractory"},
            WHOLE,
            "overall survival",
            (24, 21, 27),
            id="score-7-os-whole-24",
        ),
    ],
)
def test_gratwohl_2009_abstract_outcomes(
    changes: dict[str, Any], cohort: str, endpoint: str, expected: tuple[float, float, float]
) -> None:
    assert gratwohl_2009(changes)[(cohort, endpoint)] == expected


@pytest.mark.parametrize(
    ("changes", "score"),
    [pytest.param({}, 0, id="score-0"), pytest.param(SCORE_6, 6, id="score-6")],
)
def test_gratwohl_2009_outcomes_are_verified_five_year(changes: dict[str, Any], score: int) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes}))
    assert result.value == score
    gratwohl = [o for o in result.outcomes if o.source.pmid == "19642176" and not o.reproduced_in]
    assert len(gratwohl) == 4
    assert all(o.verification is VerificationLevel.PRIMARY_ABSTRACT for o in gratwohl)
    assert all(o.verified and o.time_point == "5 years" for o in gratwohl)
    assert {o.n for o in gratwohl if o.cohort == WHOLE} == {56505}
    assert {o.n for o in gratwohl if o.cohort == RECENT} == {None}


def test_gratwohl_citations_point_to_primary_pages() -> None:
    assert sources.GRATWOHL_2009.url == "https://pubmed.ncbi.nlm.nih.gov/19642176/"
    assert sources.GRATWOHL_2012.doi == "10.1038/bmt.2011.110"
    assert sources.GRATWOHL_2012.volume_pages is None


@pytest.mark.parametrize(
    ("changes", "band", "os_", "trm", "n"),
    [
        pytest.param({"age_years": 30, "donor_relation": "matched unrelated"}, "0-2", 72, 16, 65, id="score-2"),
        pytest.param({"age_years": 45, "donor_relation": "matched unrelated"}, "3", 57, 30, 67, id="score-3"),
        pytest.param(
            {"age_years": 45, "donor_relation": "matched unrelated", "donor_sex": "female"},
            "4",
            41,
            25,
            70,
            id="score-4",
        ),
        pytest.param(
            {"age_years": 45, "status": "CR2", "donor_relation": "matched unrelated", "donor_sex": "female"},
            "5-7",
            25,
            36,
            71,
            id="score-5",
        ),
    ],
)
def test_external_validation_outcomes(changes: dict[str, Any], band: str, os_: float, trm: float, n: int) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes}))
    external = {o.endpoint: o for o in result.outcomes if o.source.pmid == "24655161"}
    assert external["overall survival"].band == band
    assert (external["overall survival"].value, external["transplant-related mortality"].value) == (os_, trm)
    assert external["overall survival"].n == n


def test_intermediate_scores_have_no_whole_cohort_figures_and_nothing_unverified() -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, "age_years": 45, "donor_relation": "matched unrelated"}))
    assert not {o.cohort for o in result.outcomes} & {WHOLE, RECENT}
    assert all(o.verification is not VerificationLevel.UNVERIFIED for o in result.outcomes)
    secondary = [o for o in result.outcomes if o.verification is VerificationLevel.SECONDARY]
    assert {(o.band, o.endpoint) for o in secondary} == {
        ("3", "overall survival"),
        ("3", "transplant-related mortality"),
    }


def test_factor_rules_are_secondary_citing_gratwohl_2009_and_handbook_table_11_2() -> None:
    # Points per level: EBMT Handbook 8th ed. Table 11.2, "adapted from Gratwohl et al. (2009)"; abstracts give the
    # five factors and the 0-7 range only.
    result = ebmt_risk(EbmtRiskInput.model_validate(BASE))
    assert result.citation.pmid == "19642176"
    for c in result.components:
        assert c.verification is VerificationLevel.SECONDARY
        assert [(r.doi, r.volume_pages) for r in c.reproduced_in] == [
            ("10.1007/978-3-031-44080-9_11", "pp. 99-110, Table 11.2")
        ]
    assert result.verification is VerificationLevel.SECONDARY


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param(
            {"donor_relation": "haploidentical"}, "donor_relation='haploidentical' has no category", id="haplo"
        ),
        pytest.param(
            {"donor_relation": "cord blood unit"}, "donor_relation='cord blood unit' has no category", id="cord"
        ),
        pytest.param({"donor_relation": "autologous"}, "donor_relation='autologous' has no category", id="autologous"),
        pytest.param(
            {"donor_relation": "other related"}, "donor_relation='other related' has no category", id="other-related"
        ),
        pytest.param({"disease": "cml", "status": "CR1"}, "status='CR1' is not a CML phase", id="cml-with-cr1"),
        pytest.param(
            {"disease": "cml", "status": "chronic phase"}, "does not say which chronic phase", id="cml-phase-unknown"
        ),
        pytest.param({"status": "blast phase"}, "status='blast phase' does not apply to disease='aml'", id="aml-bc"),
        pytest.param({"donor_sex": "unknown"}, "sex 'unknown' cannot be scored", id="donor-sex-unknown"),
        pytest.param({"recipient_sex": "other"}, "sex 'other' cannot be scored", id="recipient-sex-other"),
        pytest.param({"status": "cr1"}, "status", id="lower-case-status-refused"),
        pytest.param({"months_diagnosis_to_transplant": -1}, "greater than or equal to 0", id="negative-months"),
        pytest.param({"age_years": 130}, "less than or equal to 120", id="impossible-age"),
        pytest.param({"disease": "hodgkin"}, "disease", id="unknown-disease"),
    ],
)
def test_bad_input(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        EbmtRiskInput.model_validate({**BASE, **changes})


CML: dict[str, Any] = {**BASE, "disease": "cml", "status": "chronic phase 1"}


# Gratwohl 1998 (Lancet, PMID 9798583) abstract: "Survival at 5 years was 72%, 70%, 62%, 48%, 40%, 18%,
# and 22% for patients with scores 0, 1, 2, 3, 4, 5, and 6, respectively. Risk of transplant-related
# mortality was 20%, 23%, 31%, 46%, 51%, 71%, and 73%."
@pytest.mark.parametrize(
    ("changes", "expected_score", "survival", "trm"),
    [
        pytest.param({}, 0, 72, 20, id="cml-score-0"),
        pytest.param({"age_years": 25}, 1, 70, 23, id="cml-score-1"),
        pytest.param({"age_years": 45}, 2, 62, 31, id="cml-score-2"),
        pytest.param({"age_years": 45, "donor_relation": "matched unrelated"}, 3, 48, 46, id="cml-score-3"),
        pytest.param(
            {"age_years": 45, "donor_relation": "matched unrelated", "months_diagnosis_to_transplant": 13},
            4,
            40,
            51,
            id="cml-score-4",
        ),
        pytest.param(
            {
                "age_years": 45,
                "donor_relation": "matched unrelated",
                "months_diagnosis_to_transplant": 13,
                "donor_sex": "female",
            },
            5,
            18,
            71,
            id="cml-score-5",
        ),
        pytest.param(
            {
                "age_years": 45,
                "status": "accelerated phase",
                "donor_relation": "matched unrelated",
                "months_diagnosis_to_transplant": 13,
                "donor_sex": "female",
            },
            6,
            22,
            73,
            id="cml-score-6",
        ),
    ],
)
def test_gratwohl_1998_cml_outcomes(changes: dict[str, Any], expected_score: int, survival: int, trm: int) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**CML, **changes}))
    assert result.value == expected_score
    cml = {o.endpoint: o for o in result.outcomes if o.source.pmid == "9798583"}
    assert (cml["overall survival"].value, cml["transplant-related mortality"].value) == (survival, trm)
    assert cml["overall survival"].n == 3142 and cml["overall survival"].band == str(expected_score)


def test_gratwohl_1998_figures_only_for_cml_and_not_for_score_7() -> None:
    aml = ebmt_risk(EbmtRiskInput.model_validate(BASE))
    assert all(o.source.pmid != "9798583" for o in aml.outcomes)
    score_7 = {
        **CML,
        "age_years": 45,
        "status": "blast phase",
        "donor_relation": "matched unrelated",
        "months_diagnosis_to_transplant": 13,
        "donor_sex": "female",
    }
    result = ebmt_risk(EbmtRiskInput.model_validate(score_7))
    assert result.value == 7
    assert all(o.source.pmid != "9798583" for o in result.outcomes)


@pytest.mark.parametrize("disease", list(EbmtDisease))
@pytest.mark.parametrize("status", list(DiseaseStatus))
def test_every_disease_and_status_is_staged_or_refused_with_a_reason(
    disease: EbmtDisease, status: DiseaseStatus
) -> None:
    """No pair of the vocabulary falls through: a stage, or a ValueError that names the status."""
    try:
        stage = disease_stage(disease, status)
    except ValueError as exc:
        assert repr(status.value) in str(exc)
    else:
        assert stage in {"early", "intermediate", "late", "not scored"}
