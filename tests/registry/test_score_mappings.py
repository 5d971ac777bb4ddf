"""Registry facts reach the instruments enum to enum: every member of every vocabulary has an answer.

Each test walks a whole enum, so adding a member on either side (a new donor relation, disease status,
graft source, drug, marker or intensity) without deciding what the instrument does with it fails here.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from pydantic import BaseModel, ValidationError

from engraft.measurements import Ucum
from engraft.registry.outcome_data import INTENSITY_CODES, _intensity
from engraft.registry.score_inputs import (
    ConditioningRow,
    MarkerRow,
    NotApplicable,
    ScoreMappingError,
    conditioning_input,
    donor_eligibility_input,
    ebmt_input,
    graft_quality_input,
    performance_input,
    refusal_reason,
)
from engraft.scores.conditioning import ConditioningInput, ConditioningVariant, conditioning_intensity
from engraft.scores.donor_eligibility import PRODUCT, DonorEligibilityInput, donor_eligibility
from engraft.scores.ebmt import DONOR_CATEGORY, EbmtRiskInput, ebmt_risk
from engraft.scores.graft_quality import GraftCategory, GraftQualityInput, graft_category, graft_quality
from engraft.scores.performance import karnofsky, lansky
from engraft.vocabulary import (
    ConditioningDrug,
    ConditioningIntensity,
    DiseaseStatus,
    DonorRelation,
    DrugRoute,
    GraftSource,
    MarkerResult,
    MarkerTest,
    PerformanceScale,
    Sex,
    TransplantType,
)

DAY0 = dt.date(2025, 3, 1)


def _ebmt(**changes: object) -> EbmtRiskInput | NotApplicable:
    facts: dict[str, object] = {
        "transplant_type": TransplantType.ALLOGENEIC,
        "age": 50,
        "icd10": "C92.0",
        "status": DiseaseStatus.CR1,
        "diagnosis_date": dt.date(2024, 9, 1),
        "day0": DAY0,
        "donor_relation": DonorRelation.MATCHED_UNRELATED,
        "donor_sex": Sex.FEMALE,
        "recipient_sex": Sex.MALE,
        **changes,
    }
    return ebmt_input(**facts)  # type: ignore[arg-type]


@pytest.mark.parametrize("relation", list(DonorRelation), ids=str)
def test_every_donor_relation_is_scored_or_skipped_with_a_reason(relation: DonorRelation) -> None:
    planned = _ebmt(donor_relation=relation)
    if DONOR_CATEGORY[relation] is None:
        assert isinstance(planned, NotApplicable) and relation.value in planned.reason
    else:
        assert isinstance(planned, EbmtRiskInput)
        assert ebmt_risk(planned).value >= 0


@pytest.mark.parametrize(
    ("icd10", "status"),
    [pytest.param(icd, s, id=f"{icd}-{s}") for icd in ("C92.0", "C92.1", "D46", "C90.0", "D61") for s in DiseaseStatus],
)
def test_every_disease_status_is_scored_or_skipped_with_a_reason(icd10: str, status: DiseaseStatus) -> None:
    planned = _ebmt(icd10=icd10, status=status)
    if isinstance(planned, NotApplicable):
        assert repr(status.value) in planned.reason
    else:
        assert planned.status is status


@pytest.mark.parametrize(("donor_sex", "recipient_sex"), list(itertools.product(Sex, Sex)), ids=str)
def test_every_sex_pair_is_scored_or_skipped(donor_sex: Sex, recipient_sex: Sex) -> None:
    planned = _ebmt(donor_sex=donor_sex, recipient_sex=recipient_sex)
    binary = {Sex.MALE, Sex.FEMALE}
    assert isinstance(planned, EbmtRiskInput) == (donor_sex in binary and recipient_sex in binary)


def test_autologous_and_missing_facts_are_skipped() -> None:
    assert isinstance(_ebmt(transplant_type=TransplantType.AUTOLOGOUS), NotApplicable)
    assert isinstance(_ebmt(status=None), NotApplicable)
    assert isinstance(_ebmt(icd10="C50.9"), NotApplicable)
    assert isinstance(_ebmt(donor_relation=None), NotApplicable)


@pytest.mark.parametrize(
    ("source", "transplant_type", "donors"),
    list(itertools.product(GraftSource, TransplantType, (1, 2, 3))),
    ids=str,
)
def test_every_graft_is_judged_or_skipped(source: GraftSource, transplant_type: TransplantType, donors: int) -> None:
    planned = graft_quality_input(
        graft_source=source,
        transplant_type=transplant_type,
        donor_count=donors,
        recipient_weight_kg=60,
        cd34_per_kg=3.0,
        tnc_per_kg=5.0,
        tnc_unit=Ucum.E7_PER_KG,
        viability_pct=90,
    )
    cord_allo = source is GraftSource.CORD_BLOOD and transplant_type is TransplantType.ALLOGENEIC
    if cord_allo and donors > 2:
        assert isinstance(planned, NotApplicable)
        return
    assert isinstance(planned, GraftQualityInput)
    assert graft_quality(planned).category is planned.category


def test_graft_categories_cover_both_sides() -> None:
    reachable = {graft_category(s, t, n) for s in GraftSource for t in TransplantType for n in (1, 2)}
    assert reachable == set(GraftCategory)


def test_every_graft_source_names_its_regulatory_product() -> None:
    assert set(PRODUCT) == set(GraftSource)


@pytest.mark.parametrize("drug", list(ConditioningDrug), ids=str)
@pytest.mark.parametrize("variant", list(ConditioningVariant), ids=str)
def test_every_conditioning_drug_is_graded(drug: ConditioningDrug, variant: ConditioningVariant) -> None:
    unit = Ucum.MG_PER_KG if drug in _PER_KG else Ucum.MG_PER_M2
    row = ConditioningRow(drug, 10.0, unit, DrugRoute.IV if drug is ConditioningDrug.BUSULFAN else None)
    planned = conditioning_input([row], None, None, variant)
    assert isinstance(planned, ConditioningInput)
    assert conditioning_intensity(planned).value in set(ConditioningIntensity)


_PER_KG = {
    ConditioningDrug.BUSULFAN,
    ConditioningDrug.THIOTEPA,
    ConditioningDrug.CYCLOPHOSPHAMIDE,
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_RABBIT,
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_HORSE,
}


def test_missing_regimen_facts_are_skipped_with_reasons() -> None:
    variant = ConditioningVariant.CIBMTR_OPERATIONAL
    busulfan = ConditioningRow(ConditioningDrug.BUSULFAN, 12.8, Ucum.MG_PER_KG, None)
    assert "route" in _reason(conditioning_input([busulfan], None, None, variant))
    assert "fractions" in _reason(conditioning_input([], 12.0, None, variant))
    assert "no conditioning" in _reason(conditioning_input([], None, None, variant))
    melphalan_per_kg = ConditioningRow(ConditioningDrug.MELPHALAN, 4.0, Ucum.MG_PER_KG, None)
    assert "melphalan.total_dose" in _reason(conditioning_input([melphalan_per_kg], None, None, variant))


def _reason(planned: object) -> str:
    assert isinstance(planned, NotApplicable)
    return planned.reason


def _row(drug: ConditioningDrug, dose: float, unit: Ucum) -> ConditioningRow:
    return ConditioningRow(drug, dose, unit, None)


def test_every_intensity_has_an_outcome_code() -> None:
    assert set(INTENSITY_CODES) == set(ConditioningIntensity)
    assert sorted(INTENSITY_CODES.values()) == ["MAC", "NMA", "RIC"]


@pytest.mark.parametrize(
    ("rows", "tbi", "code"),
    [
        pytest.param(
            [ConditioningRow(ConditioningDrug.MELPHALAN, 200, Ucum.MG_PER_M2, None)], None, "MAC", id="mel200"
        ),
        pytest.param(
            [ConditioningRow(ConditioningDrug.FLUDARABINE, 150, Ucum.MG_PER_M2, None)], (2.0, 1), "NMA", id="flu-tbi2"
        ),
        pytest.param(
            [ConditioningRow(ConditioningDrug.BUSULFAN, 6.4, Ucum.MG_PER_KG, None)], None, "", id="bu-no-route"
        ),
    ],
)
def test_outcome_table_intensity(rows: list[ConditioningRow], tbi: tuple[float, int] | None, code: str) -> None:
    assert _intensity(tbi[0] if tbi else None, tbi[1] if tbi else None, rows) == code


@pytest.mark.parametrize("marker", list(MarkerTest), ids=str)
@pytest.mark.parametrize("result", list(MarkerResult), ids=str)
def test_every_marker_and_result_reaches_donor_eligibility(marker: MarkerTest, result: MarkerResult) -> None:
    planned = donor_eligibility_input(
        transplant_type=TransplantType.ALLOGENEIC,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        recovery_date=DAY0,
        markers=[MarkerRow(marker, result, DAY0 - dt.timedelta(days=5))],
        screening_complete=True,
        screening_risk_factor_identified=False,
        documented_urgent_medical_need=False,
    )
    # a single marker is an incomplete panel for an allogeneic donor: refused by the instrument, with its reason
    assert isinstance(planned, NotApplicable) and "markers missing from the panel" in planned.reason
    full = [MarkerRow(m, MarkerResult.NON_REACTIVE, DAY0) for m in MarkerTest if m is not marker]
    planned = donor_eligibility_input(
        transplant_type=TransplantType.ALLOGENEIC,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        recovery_date=DAY0,
        markers=[*full, MarkerRow(marker, result, DAY0)],
        screening_complete=True,
        screening_risk_factor_identified=False,
        documented_urgent_medical_need=False,
    )
    assert isinstance(planned, DonorEligibilityInput)
    assert donor_eligibility(planned).value is not None


@pytest.mark.parametrize("age", [0, 15, 16, 90])
def test_performance_scale_follows_age(age: int) -> None:
    scale, planned = performance_input(80, age)
    result = lansky(planned) if scale is PerformanceScale.LANSKY else karnofsky(planned)  # type: ignore[arg-type]
    assert result.instrument == scale.value
    assert scale is (PerformanceScale.LANSKY if age < 16 else PerformanceScale.KARNOFSKY)


class _Typed(BaseModel):
    number: int


def test_a_structural_validation_error_is_a_mapping_error_never_a_skip() -> None:
    with pytest.raises(ValidationError) as excinfo:
        _Typed.model_validate({"number": "many"})
    with pytest.raises(ScoreMappingError, match="number: int_parsing"):
        refusal_reason(excinfo.value, "test")
