"""EBMT score figures and rules brought in from the EBMT Handbook 8th ed. (2024), chapter 11, as ``secondary``.

Every figure below was transcribed from the Handbook's Tables 11.3 (5-year TRM) and 11.4 (5-year OS), both
"extracted from Gratwohl et al. (2009)", read in the open-access text (Barba P, Rambaldi A, ch. 11,
doi:10.1007/978-3-031-44080-9_11; copy in htlin222/ebmt-handbook-skill at commit b25e0261), and agrees with
clinical-tables-secondary.md section 3c. Blank cells there (MM at scores 0-1, AA at 5 and 6-7) have no figure.
Each figure is one named case: disease, score band, endpoint and value.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engraft.provenance import VerificationLevel
from engraft.scores.ebmt import EbmtDisease, EbmtRiskInput, disease_outcomes, disease_stage, ebmt_risk
from engraft.vocabulary import DiseaseStatus

BANDS = ("0", "1", "2", "3", "4", "5", "6-7")
SCORE_FOR_BAND = {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6-7": 6}

# Handbook Table 11.3, probability (%) of TRM at 5 years (row label as printed).
TABLE_11_3: dict[str, tuple[int | None, ...]] = {
    "AML": (14, 20, 25, 30, 36, 40, 41),
    "ALL": (15, 23, 24, 30, 40, 47, 53),
    "CML": (15, 22, 30, 38, 45, 52, 55),
    "AA": (18, 26, 40, 49, 52, None, None),
    "MDS": (25, 28, 30, 35, 38, 46, 50),
    "MM": (None, None, 29, 35, 40, 42, 52),
    "NHL": (15, 24, 28, 30, 34, 36, 38),
}
# Handbook Table 11.4, probability (%) of OS at 5 years.
TABLE_11_4: dict[str, tuple[int | None, ...]] = {
    "AML": (68, 59, 52, 38, 30, 23, 18),
    "ALL": (66, 52, 43, 38, 22, 16, 14),
    "CML": (76, 72, 60, 51, 39, 26, 14),
    "AA": (81, 72, 60, 49, 45, None, None),
    "MDS": (56, 52, 46, 40, 35, 28, 25),
    "MM": (None, None, 48, 40, 36, 22, 17),
    "NHL": (75, 59, 50, 48, 43, 40, 38),
}
DISEASE_OF_ROW = {
    "AML": EbmtDisease.AML,
    "ALL": EbmtDisease.ALL,
    "CML": EbmtDisease.CML,
    "AA": EbmtDisease.SEVERE_APLASTIC_ANAEMIA,
    "MDS": EbmtDisease.MDS,
    "MM": EbmtDisease.MULTIPLE_MYELOMA,
    "NHL": EbmtDisease.NHL,
}
ENDPOINTS = {
    "os": ("overall survival", TABLE_11_4, "11.4"),
    "trm": ("transplant-related mortality", TABLE_11_3, "11.3"),
}


def _cases(present: bool) -> list[Any]:
    cases = []
    for key, (endpoint, table, _) in ENDPOINTS.items():
        for row, figures in table.items():
            for band, value in zip(BANDS, figures, strict=True):
                if (value is not None) == present:
                    cases.append(pytest.param(row, band, endpoint, value, id=f"ebmt-{row.lower()}-score-{band}-{key}"))
    return cases


@pytest.mark.parametrize(("row", "band", "endpoint", "expected"), _cases(present=True))
def test_handbook_figure(row: str, band: str, endpoint: str, expected: int) -> None:
    found = [o for o in disease_outcomes(SCORE_FOR_BAND[band], DISEASE_OF_ROW[row]) if o.endpoint == endpoint]
    assert len(found) == 1
    outcome = found[0]
    assert (outcome.band, outcome.value, outcome.time_point) == (band, expected, "5 years")
    assert outcome.verification is VerificationLevel.SECONDARY
    # Both citations: the original paper and the Handbook table it was read in.
    assert outcome.source.pmid == "19642176"
    table = ENDPOINTS["os" if endpoint == "overall survival" else "trm"][2]
    assert [(c.doi, c.volume_pages) for c in outcome.reproduced_in] == [
        ("10.1007/978-3-031-44080-9_11", f"pp. 99-110, Table {table}")
    ]


@pytest.mark.parametrize(("row", "band", "endpoint", "blank"), _cases(present=False))
def test_handbook_blank_cell_has_no_figure(row: str, band: str, endpoint: str, blank: None) -> None:
    assert blank is None
    assert not [o for o in disease_outcomes(SCORE_FOR_BAND[band], DISEASE_OF_ROW[row]) if o.endpoint == endpoint]


def test_score_7_reads_the_6_7_column() -> None:
    six, seven = disease_outcomes(6, EbmtDisease.ALL), disease_outcomes(7, EbmtDisease.ALL)
    assert [(o.band, o.value) for o in six] == [(o.band, o.value) for o in seven] == [("6-7", 14), ("6-7", 53)]


BASE: dict[str, Any] = {
    "age_years": 45,
    "disease": "aml",
    "status": "CR2",
    "months_diagnosis_to_transplant": 6,
    "donor_relation": "matched unrelated",
    "donor_sex": "male",
    "recipient_sex": "male",
}


@pytest.mark.parametrize(
    ("changes", "score", "os_", "trm"),
    [
        # age > 40 (2) + CR2 (1) + unrelated (1) = 4: AML column 4 -> OS 30, TRM 36.
        pytest.param({}, 4, 30, 36, id="aml-cr2-45y-unrelated-score-4"),
        # NHL, untreated (early 0), 30 y (1), sibling (0), 14 months (1), female to male (1) = 3.
        pytest.param(
            {
                "disease": "nhl",
                "status": "untreated",
                "age_years": 30,
                "donor_relation": "matched sibling",
                "months_diagnosis_to_transplant": 14,
                "donor_sex": "female",
            },
            3,
            48,
            30,
            id="nhl-untreated-30y-f-to-m-score-3",
        ),
    ],
)
def test_result_carries_the_disease_figures(changes: dict[str, Any], score: int, os_: int, trm: int) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **changes}))
    assert result.value == score
    secondary = {o.endpoint: o.value for o in result.outcomes if o.verification is VerificationLevel.SECONDARY}
    assert secondary == {"overall survival": os_, "transplant-related mortality": trm}


# Stage definitions: Handbook Table 11.2 footnote a (secondary). The stage component carries both citations.
@pytest.mark.parametrize(
    ("disease", "status", "stage"),
    [
        pytest.param("aml", "CR1", "early", id="al-cr1-early"),
        pytest.param("all", "CR2", "intermediate", id="al-cr2-intermediate"),
        pytest.param("all", "CR3+", "late", id="al-other-late"),
        pytest.param("mds", "untreated", "early", id="mds-untreated-early"),
        pytest.param("mds", "CR1", "early", id="mds-cr1-early"),
        pytest.param("mds", "CR2", "intermediate", id="mds-cr2-intermediate"),
        pytest.param("mds", "PR", "intermediate", id="mds-pr-intermediate"),
        pytest.param("mds", "relapse", "late", id="mds-other-late"),
        pytest.param("cml", "chronic phase 1", "early", id="cml-cp1-early"),
        pytest.param("cml", "chronic phase 2+", "intermediate", id="cml-later-chronic-phase-intermediate"),
        pytest.param("cml", "blast phase", "late", id="cml-blast-crisis-late"),
        pytest.param("nhl", "untreated", "early", id="nhl-untreated-early"),
        pytest.param("multiple_myeloma", "CR1", "early", id="mm-cr1-early"),
        pytest.param("multiple_myeloma", "stable disease", "intermediate", id="mm-stable-intermediate"),
        pytest.param("nhl", "PR", "intermediate", id="nhl-pr-intermediate"),
        pytest.param("nhl", "relapse", "late", id="nhl-other-late"),
    ],
)
def test_stage_definitions_handbook_table_11_2(disease: str, status: str, stage: str) -> None:
    assert disease_stage(EbmtDisease(disease), DiseaseStatus(status)) == stage
    status_input = {"disease": disease, "status": status}
    if disease == "cml":
        status_input["months_diagnosis_to_transplant"] = 6
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, **status_input}))
    stage_component = next(c for c in result.components if c.item == "disease_stage")
    assert stage_component.verification is VerificationLevel.SECONDARY
    assert stage_component.reproduced_in[0].volume_pages == "pp. 99-110, Table 11.2"


def test_cml_accelerated_phase_is_unplaced_by_the_handbook_so_unverified() -> None:
    # Footnote a excludes accelerated phase from intermediate and names only blast crisis as late.
    result = ebmt_risk(EbmtRiskInput.model_validate({**BASE, "disease": "cml", "status": "accelerated phase"}))
    stage_component = next(c for c in result.components if c.item == "disease_stage")
    assert result.stage == "intermediate"
    assert stage_component.verification is VerificationLevel.UNVERIFIED
    assert result.verification is VerificationLevel.UNVERIFIED


SAA: dict[str, Any] = {**BASE, "disease": "severe_aplastic_anaemia", "status": "not applicable"}


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(s.value, id=f"saa-{s.value.replace(' ', '-')}-refused")
        for s in DiseaseStatus
        if s.value != "not applicable"
    ],
)
def test_severe_aplastic_anaemia_is_not_staged_so_any_status_but_not_applicable_is_refused(status: str) -> None:
    with pytest.raises(ValidationError, match="does not stage severe aplastic anaemia"):
        EbmtRiskInput.model_validate({**SAA, "status": status})


@pytest.mark.parametrize(
    ("months", "score"),
    [
        pytest.param(11.9, 3, id="saa-11.9-months"),
        pytest.param(12, 4, id="saa-12-months"),
        pytest.param(12.1, 4, id="saa-12.1-months"),
    ],
)
def test_severe_aplastic_anaemia_scores_interval_but_no_stage(months: float, score: int) -> None:
    result = ebmt_risk(EbmtRiskInput.model_validate({**SAA, "months_diagnosis_to_transplant": months}))
    assert result.value == score and result.stage == "not scored"


def test_severe_aplastic_anaemia_maximum_is_5() -> None:
    worst = {**SAA, "months_diagnosis_to_transplant": 30, "donor_sex": "female"}
    result = ebmt_risk(EbmtRiskInput.model_validate(worst))
    assert result.value == 5
    # Table 11.3/11.4 print no AA figure at 5: none is shown.
    assert not [o for o in result.outcomes if o.verification is VerificationLevel.SECONDARY]
