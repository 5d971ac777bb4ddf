"""Hypothesis properties: HCT-CI is monotone in comorbidities; scores stay in their published ranges."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.provenance import VerificationLevel, weakest
from engraft.scores.conditioning import ConditioningInput, conditioning_intensity
from engraft.scores.ebmt import (
    DONOR_CATEGORY,
    OS_5Y_BY_DISEASE,
    TRM_5Y_BY_DISEASE,
    EbmtDisease,
    EbmtRiskInput,
    disease_band,
    disease_stage,
    ebmt_risk,
)
from engraft.scores.graft_quality import GraftQualityInput, graft_quality
from engraft.scores.hctci import HctCiInput, hct_ci
from engraft.scores.hctci_age import HctCiAgeInput, hct_ci_age
from engraft.scores.hctci_items import MAX_SCORE, HctCiItem
from engraft.vocabulary import DiseaseStatus, DonorRelation, Sex

from ._builders import facts_input, flags

item_sets = st.sets(st.sampled_from(list(HctCiItem)))


def _score(present: set[HctCiItem]) -> int:
    return hct_ci(HctCiInput.model_validate({"items": flags(*present)})).value


@given(present=item_sets, extra=st.sampled_from(list(HctCiItem)))
def test_adding_a_comorbidity_never_lowers_hct_ci(present: set[HctCiItem], extra: HctCiItem) -> None:
    assert _score(present | {extra}) >= _score(present)


@given(present=item_sets)
def test_hct_ci_within_0_to_26(present: set[HctCiItem]) -> None:
    assert 0 <= _score(present) <= MAX_SCORE == 26


percent = st.floats(min_value=20, max_value=150, allow_nan=False)
ratio = st.floats(min_value=0.2, max_value=6, allow_nan=False)


def _facts(fev1: float, dlco: float, bili_x: float, ast_x: float, creat: float, bmi: float) -> dict[str, Any]:
    return facts_input(
        {
            "pulmonary.fev1_percent_predicted": fev1,
            "pulmonary.dlco_percent_predicted": dlco,
            "hepatic.bilirubin.value.value": 1.0 * bili_x,
            "hepatic.bilirubin.upper_limit_of_normal.value": 1.0,
            "hepatic.ast.value.value": 40 * ast_x,
            "renal.creatinine.value": creat,
            "body.bmi_kg_m2": bmi,
        }
    )


@settings(max_examples=150)
@given(
    fev1=percent,
    dlco=percent,
    bili_x=ratio,
    ast_x=ratio,
    creat=st.floats(min_value=0.2, max_value=8, allow_nan=False),
    bmi=st.floats(min_value=15, max_value=60, allow_nan=False),
    drop=st.floats(min_value=0, max_value=30, allow_nan=False),
    rise=st.floats(min_value=1, max_value=3, allow_nan=False),
)
def test_worse_facts_never_lower_hct_ci(
    fev1: float, dlco: float, bili_x: float, ast_x: float, creat: float, bmi: float, drop: float, rise: float
) -> None:
    base = hct_ci(HctCiInput.model_validate(_facts(fev1, dlco, bili_x, ast_x, creat, bmi))).value
    worse_payload = _facts(
        max(fev1 - drop, 1), max(dlco - drop, 1), bili_x * rise, ast_x * rise, creat * rise, min(bmi * rise, 100)
    )
    worse = hct_ci(HctCiInput.model_validate(worse_payload)).value
    assert 0 <= base <= worse <= MAX_SCORE


@given(present=item_sets, age=st.integers(min_value=0, max_value=120))
def test_hct_ci_age_is_hct_ci_plus_age_point(present: set[HctCiItem], age: int) -> None:
    result = hct_ci_age(HctCiAgeInput.model_validate({"age_years": age, "hct_ci": {"items": flags(*present)}}))
    assert result.value == _score(present) + (1 if age >= 40 else 0)
    assert 0 <= result.value <= 27


def _valid_status(disease: EbmtDisease, status: DiseaseStatus) -> bool:
    try:
        disease_stage(disease, status)
    except ValueError:
        return False
    return True


@given(
    age=st.integers(min_value=0, max_value=100),
    disease=st.sampled_from(list(EbmtDisease)),
    status=st.sampled_from(list(DiseaseStatus)),
    months=st.floats(min_value=0, max_value=400, allow_nan=False),
    donor=st.sampled_from([r for r, category in DONOR_CATEGORY.items() if category is not None]),
    donor_sex=st.sampled_from([Sex.FEMALE, Sex.MALE]),
    recipient_sex=st.sampled_from([Sex.FEMALE, Sex.MALE]),
)
def test_ebmt_score_within_published_range(
    age: int,
    disease: EbmtDisease,
    status: DiseaseStatus,
    months: float,
    donor: DonorRelation,
    donor_sex: Sex,
    recipient_sex: Sex,
) -> None:
    if not _valid_status(disease, status):
        return
    result = ebmt_risk(
        EbmtRiskInput(
            age_years=age,
            disease=disease,
            status=status,
            months_diagnosis_to_transplant=months,
            donor_relation=donor,
            donor_sex=donor_sex,
            recipient_sex=recipient_sex,
        )
    )
    upper = 6 if status is DiseaseStatus.CR1 else 7
    assert 0 <= result.value <= upper


_INTENSITY_ORDER = {"non-myeloablative": 0, "reduced intensity": 1, "myeloablative": 2}


@given(
    variant=st.sampled_from(["cibmtr-operational", "giralt-2009"]),
    mel=st.floats(min_value=50, max_value=250, allow_nan=False),
    bu=st.floats(min_value=1, max_value=16, allow_nan=False),
    route=st.sampled_from(["oral", "iv"]),
    tbi=st.floats(min_value=100, max_value=1400, allow_nan=False),
    fractions=st.integers(min_value=1, max_value=8),
    rise=st.floats(min_value=1, max_value=2, allow_nan=False),
)
def test_higher_doses_never_lower_conditioning_intensity(
    variant: str, mel: float, bu: float, route: str, tbi: float, fractions: int, rise: float
) -> None:
    def intensity(scale: float) -> int:
        payload = {
            "variant": variant,
            "agents": [
                {"agent": "melphalan", "total_dose": {"value": mel * scale, "unit": "mg/m2"}},
                {"agent": "busulfan", "total_dose": {"value": bu * scale, "unit": "mg/kg"}, "route": route},
            ],
            "tbi": {"total_dose": {"value": min(tbi * scale, 2000), "unit": "cGy"}, "fractions": fractions},
        }
        return _INTENSITY_ORDER[conditioning_intensity(ConditioningInput.model_validate(payload)).value]

    assert intensity(rise) >= intensity(1.0)


SOURCES: dict[str, dict[str, Any]] = {
    "cord_blood_single": {"graft_source": "cord blood", "transplant_type": "allogeneic"},
    "cord_blood_double_unit": {"graft_source": "cord blood", "transplant_type": "allogeneic", "cord_blood_units": 2},
    "pbsc_autologous": {"graft_source": "peripheral blood", "transplant_type": "autologous"},
}


@given(
    source=st.sampled_from(sorted(SOURCES)),
    cd34=st.floats(min_value=0.01, max_value=100, allow_nan=False),
    tnc=st.floats(min_value=0.1, max_value=20, allow_nan=False),
    rise=st.floats(min_value=1, max_value=5, allow_nan=False),
)
def test_more_cells_never_turn_a_pass_into_a_fail(source: str, cd34: float, tnc: float, rise: float) -> None:
    def passed(scale: float) -> dict[str, bool]:
        unit = "10*6/kg" if source == "pbsc_autologous" else "10*5/kg"
        payload = {
            **SOURCES[source],
            "recipient_weight": {"value": 30, "unit": "kg"},
            "cd34": {"value": cd34 * scale, "unit": unit},
            "tnc": {"value": tnc * scale, "unit": "10*7/kg"},
        }
        return {c.measure.value: c.passed for c in graft_quality(GraftQualityInput.model_validate(payload)).checks}

    before, after = passed(1.0), passed(rise)
    assert all(after[m] for m, ok in before.items() if ok)


@given(
    age=st.integers(min_value=0, max_value=100),
    disease=st.sampled_from(list(EbmtDisease)),
    status=st.sampled_from(list(DiseaseStatus)),
    months=st.floats(min_value=0, max_value=400, allow_nan=False),
    donor=st.sampled_from([r for r, category in DONOR_CATEGORY.items() if category is not None]),
    donor_sex=st.sampled_from([Sex.FEMALE, Sex.MALE]),
)
def test_ebmt_result_level_and_handbook_figures_are_consistent(
    age: int, disease: EbmtDisease, status: DiseaseStatus, months: float, donor: DonorRelation, donor_sex: Sex
) -> None:
    if not _valid_status(disease, status):
        return
    result = ebmt_risk(
        EbmtRiskInput(
            age_years=age,
            disease=disease,
            status=status,
            months_diagnosis_to_transplant=months,
            donor_relation=donor,
            donor_sex=donor_sex,
            recipient_sex=Sex.MALE,
        )
    )
    assert result.verification is weakest(c.verification for c in result.components)
    handbook = [o for o in result.outcomes if o.reproduced_in]
    assert all(o.verification is VerificationLevel.SECONDARY and o.band == disease_band(result.value) for o in handbook)
    assert len(handbook) in (0, 2)
    if disease is EbmtDisease.SEVERE_APLASTIC_ANAEMIA:
        assert result.value <= 5


@pytest.mark.parametrize("disease", list(EbmtDisease))
def test_handbook_tables_run_monotone_in_the_score(disease: EbmtDisease) -> None:
    # A transcription check: in both Handbook tables survival falls and TRM rises with the score, in every row.
    survival = [v for v in OS_5Y_BY_DISEASE[disease] if v is not None]
    trm = [v for v in TRM_5Y_BY_DISEASE[disease] if v is not None]
    assert survival == sorted(survival, reverse=True) and len(set(survival)) == len(survival)
    assert trm == sorted(trm) and len(set(trm)) == len(trm)
