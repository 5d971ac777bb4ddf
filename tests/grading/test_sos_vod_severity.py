"""EBMT 2016 adult SOS/VOD severity grade, pinned to the published table (not to a copy of the code).

Rows (clinical-scores-verification.md section 4.2, CONFIRMED from the ASH view-large reproduction
4463002 of the EBMT scale, and the EBMT Handbook 8th ed. Table 49.3, doi:10.1007/978-3-031-44080-9_49):

    time since first symptoms   > 7 d mild | 5-7 d moderate | <= 4 d severe
    bilirubin mg/dL             2-<3 | 3-<5 | 5-<8 | >= 8           (umol/L: 34-<51 | 51-<85 | 85-<136 | >= 136)
    bilirubin kinetics          doubling within 48 h: severe
    transaminases (x normal)    <= 2 | > 2-5 | > 5-8 | > 8
    weight gain                 >= 5% (and < 10%): severe | >= 10%: very severe   (Handbook; moderate cell [U])
    creatinine (x transplant)   < 1.2 | 1.2-< 1.5 | 1.5-< 2 | >= 2, or MOD
    aggregation                 the category fulfilled by >= 2 criteria; with >= 2 in two categories the more
                                severe; MOD very severe; >= 2 risk factors move mild/moderate up one grade

Engraft reads a criterion met at a more severe level as fulfilling the milder categories too (the rule's
notes say why); the reference cases below hold under either reading.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    AdultSosVodSeverityFindings,
    SeverityCriterion,
    SosVodSeverity,
    WeightGain,
    grade_adult_sos_vod_severity,
)
from engraft.measurements import Quantity
from engraft.provenance import VerificationLevel

MILD, MODERATE, SEVERE, VERY_SEVERE = (
    SosVodSeverity.MILD,
    SosVodSeverity.MODERATE,
    SosVodSeverity.SEVERE,
    SosVodSeverity.VERY_SEVERE,
)


def findings(
    days: int = 10,
    bilirubin: tuple[float, str] = (2.5, "mg/dL"),
    doubled: bool = False,
    transaminases: float = 1.0,
    weight: float = 1.0,
    creatinine: tuple[float, str] = (1.0, "mg/dL"),
    baseline: tuple[float, str] = (1.0, "mg/dL"),
    mod: bool = False,
    risk_factors: int = 0,
) -> AdultSosVodSeverityFindings:
    return AdultSosVodSeverityFindings(
        days_since_first_symptoms=days,
        bilirubin=Quantity(value=bilirubin[0], unit=bilirubin[1]),
        bilirubin_doubled_within_48_h=doubled,
        transaminases_times_normal=transaminases,
        weight_gain=WeightGain(percent=weight),
        creatinine=Quantity(value=creatinine[0], unit=creatinine[1]),
        creatinine_at_transplant=Quantity(value=baseline[0], unit=baseline[1]),
        multi_organ_dysfunction=mod,
        risk_factors=risk_factors,
    )


def category_of(result_findings: AdultSosVodSeverityFindings, criterion: SeverityCriterion) -> SosVodSeverity | None:
    result = grade_adult_sos_vod_severity(result_findings)
    held = [category for category, criteria in result.criteria_by_category.items() if criterion in criteria]
    assert len(held) <= 1
    return held[0] if held else None


@pytest.mark.parametrize(
    ("days", "category"),
    [
        pytest.param(8, MILD, id="8-days-mild"),
        pytest.param(7, MODERATE, id="7-days-moderate"),
        pytest.param(5, MODERATE, id="5-days-moderate"),
        pytest.param(4, SEVERE, id="4-days-severe"),
    ],
)
def test_time_since_first_symptoms(days: int, category: SosVodSeverity) -> None:
    assert category_of(findings(days=days), SeverityCriterion.TIME_SINCE_FIRST_SYMPTOMS) is category


@pytest.mark.parametrize(
    ("bilirubin", "category"),
    [
        pytest.param((1.9, "mg/dL"), None, id="1.9-mg-dl-none"),
        pytest.param((2.0, "mg/dL"), MILD, id="2.0-mg-dl-mild"),
        pytest.param((2.9, "mg/dL"), MILD, id="2.9-mg-dl-mild"),
        pytest.param((3.0, "mg/dL"), MODERATE, id="3.0-mg-dl-moderate"),
        pytest.param((4.9, "mg/dL"), MODERATE, id="4.9-mg-dl-moderate"),
        pytest.param((5.0, "mg/dL"), SEVERE, id="5.0-mg-dl-severe"),
        pytest.param((7.9, "mg/dL"), SEVERE, id="7.9-mg-dl-severe"),
        pytest.param((8.0, "mg/dL"), VERY_SEVERE, id="8.0-mg-dl-very-severe"),
        pytest.param((8.1, "mg/dL"), VERY_SEVERE, id="8.1-mg-dl-very-severe"),
        pytest.param((33.9, "umol/L"), None, id="33.9-umol-none"),
        pytest.param((34.0, "umol/L"), MILD, id="34-umol-mild"),
        pytest.param((50.9, "umol/L"), MILD, id="50.9-umol-mild"),
        pytest.param((51.0, "umol/L"), MODERATE, id="51-umol-moderate"),
        pytest.param((84.9, "umol/L"), MODERATE, id="84.9-umol-moderate"),
        pytest.param((85.0, "umol/L"), SEVERE, id="85-umol-severe"),
        pytest.param((135.9, "umol/L"), SEVERE, id="135.9-umol-severe"),
        pytest.param((136.0, "umol/L"), VERY_SEVERE, id="136-umol-very-severe"),
        pytest.param((30.0, "mg/L"), MODERATE, id="30-mg-l-is-3-mg-dl"),
        pytest.param((0.136, "mmol/L"), VERY_SEVERE, id="0.136-mmol-l-is-136-umol-l"),
    ],
)
def test_bilirubin_bands_in_both_units(bilirubin: tuple[float, str], category: SosVodSeverity | None) -> None:
    assert category_of(findings(bilirubin=bilirubin), SeverityCriterion.BILIRUBIN) is category


def test_bilirubin_doubling_within_48_h_is_severe() -> None:
    assert category_of(findings(doubled=True), SeverityCriterion.BILIRUBIN_KINETICS) is SEVERE
    assert category_of(findings(doubled=False), SeverityCriterion.BILIRUBIN_KINETICS) is None


@pytest.mark.parametrize(
    ("times_normal", "category"),
    [
        pytest.param(2.0, MILD, id="2x-mild"),
        pytest.param(2.01, MODERATE, id="2.01x-moderate"),
        pytest.param(5.0, MODERATE, id="5x-moderate"),
        pytest.param(5.01, SEVERE, id="5.01x-severe"),
        pytest.param(8.0, SEVERE, id="8x-severe"),
        pytest.param(8.01, VERY_SEVERE, id="8.01x-very-severe"),
    ],
)
def test_transaminases(times_normal: float, category: SosVodSeverity) -> None:
    assert category_of(findings(transaminases=times_normal), SeverityCriterion.TRANSAMINASES) is category


@pytest.mark.parametrize(
    ("creatinine", "baseline", "category"),
    [
        pytest.param((1.19, "mg/dL"), (1.0, "mg/dL"), MILD, id="1.19x-mild"),
        pytest.param((1.2, "mg/dL"), (1.0, "mg/dL"), MODERATE, id="1.2x-moderate"),
        pytest.param((1.49, "mg/dL"), (1.0, "mg/dL"), MODERATE, id="1.49x-moderate"),
        pytest.param((1.5, "mg/dL"), (1.0, "mg/dL"), SEVERE, id="1.5x-severe"),
        pytest.param((1.99, "mg/dL"), (1.0, "mg/dL"), SEVERE, id="1.99x-severe"),
        pytest.param((2.0, "mg/dL"), (1.0, "mg/dL"), VERY_SEVERE, id="2x-very-severe"),
        pytest.param((132.6, "umol/L"), (1.0, "mg/dL"), SEVERE, id="132.6-umol-over-1-mg-dl-is-1.5x"),
        pytest.param((176.8, "umol/L"), (88.4, "umol/L"), VERY_SEVERE, id="umol-over-umol-2x"),
    ],
)
def test_renal_function_against_creatinine_at_transplant(
    creatinine: tuple[float, str], baseline: tuple[float, str], category: SosVodSeverity
) -> None:
    assert category_of(findings(creatinine=creatinine, baseline=baseline), SeverityCriterion.RENAL_FUNCTION) is category


@pytest.mark.parametrize(
    ("percent", "category"),
    [
        pytest.param(4.9, None, id="4.9-percent-no-category"),
        pytest.param(5.0, SEVERE, id="5.0-percent-severe"),
        pytest.param(5.1, SEVERE, id="5.1-percent-severe"),
        pytest.param(9.9, SEVERE, id="9.9-percent-severe"),
        pytest.param(10.0, VERY_SEVERE, id="10-percent-very-severe"),
        pytest.param(10.1, VERY_SEVERE, id="10.1-percent-very-severe"),
    ],
)
def test_weight_gain_verified_cells(percent: float, category: SosVodSeverity | None) -> None:
    assert category_of(findings(weight=percent), SeverityCriterion.WEIGHT_GAIN) is category


@pytest.mark.parametrize(
    ("case", "grade"),
    [
        pytest.param(findings(), MILD, id="all-mild-criteria-mild"),
        pytest.param(findings(days=6, bilirubin=(3.5, "mg/dL")), MODERATE, id="two-moderate-criteria-moderate"),
        pytest.param(
            findings(days=6, bilirubin=(3.5, "mg/dL"), transaminases=6, creatinine=(1.6, "mg/dL")),
            SEVERE,
            id="two-moderate-and-two-severe-most-severe-of-both",
        ),
        pytest.param(
            findings(days=3, doubled=True, bilirubin=(9, "mg/dL")),
            SEVERE,
            id="two-severe-and-one-very-severe-is-severe",
        ),
        pytest.param(
            findings(bilirubin=(9, "mg/dL"), transaminases=9), VERY_SEVERE, id="two-very-severe-criteria-very-severe"
        ),
        pytest.param(findings(mod=True), VERY_SEVERE, id="multi-organ-dysfunction-very-severe"),
        pytest.param(findings(days=3, weight=6), SEVERE, id="weight-5-to-10-with-another-severe-criterion"),
        pytest.param(findings(risk_factors=2), MODERATE, id="mild-with-2-risk-factors-moderate"),
        pytest.param(findings(risk_factors=1), MILD, id="mild-with-1-risk-factor-stays-mild"),
        pytest.param(
            findings(days=6, bilirubin=(3.5, "mg/dL"), risk_factors=2), SEVERE, id="moderate-with-2-risk-factors-severe"
        ),
        pytest.param(
            findings(days=3, doubled=True, risk_factors=3), SEVERE, id="severe-with-risk-factors-stays-severe"
        ),
    ],
)
def test_published_aggregation_rules(case: AdultSosVodSeverityFindings, grade: SosVodSeverity) -> None:
    assert grade_adult_sos_vod_severity(case).severity is grade


def test_result_names_each_criterion_and_the_rule() -> None:
    result = grade_adult_sos_vod_severity(findings(days=6, bilirubin=(3.5, "mg/dL"), risk_factors=2))
    assert result.before_risk_factor_upgrade is MODERATE
    assert result.severity is SEVERE
    assert result.criterion_findings[SeverityCriterion.BILIRUBIN] == "bilirubin 3.5 mg/dL: moderate"
    assert "2 risk factors" in result.notes[0]
    assert result.rule.verification is VerificationLevel.SECONDARY
    assert result.rule.citations[-1].doi == "10.1007/978-3-031-44080-9_49"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        pytest.param({"bilirubin": Quantity(value=3, unit="U/L")}, "bilirubin: unit 'U/L'", id="bilirubin-enzyme-unit"),
        pytest.param(
            {"creatinine": Quantity(value=-1, unit="mg/dL")}, "creatinine=-1 mg/dL is negative", id="negative"
        ),
        pytest.param({"transaminases_times_normal": -0.5}, "transaminases_times_normal", id="negative-ratio"),
        pytest.param({"days_since_first_symptoms": -1}, "days_since_first_symptoms", id="negative-days"),
        pytest.param({"risk_factors": 1.5}, "risk_factors", id="fractional-risk-factors"),
    ],
)
def test_bad_input_is_refused_naming_the_field(change: dict[str, object], fragment: str) -> None:
    data = findings().model_dump() | change
    with pytest.raises(ValidationError, match=fragment):
        AdultSosVodSeverityFindings.model_validate(data)


_ORDER = list(SosVodSeverity)
_CASES = st.builds(
    findings,
    days=st.integers(min_value=0, max_value=20),
    bilirubin=st.tuples(st.floats(min_value=0, max_value=20, allow_nan=False), st.sampled_from(["mg/dL", "umol/L"])),
    doubled=st.booleans(),
    transaminases=st.floats(min_value=0, max_value=20, allow_nan=False),
    weight=st.floats(min_value=-5, max_value=20, allow_nan=False),
    creatinine=st.tuples(st.floats(min_value=0.3, max_value=5, allow_nan=False), st.just("mg/dL")),
    mod=st.booleans(),
    risk_factors=st.integers(min_value=0, max_value=4),
)


def _worse(case: AdultSosVodSeverityFindings, change: int, step: float) -> AdultSosVodSeverityFindings:
    data = case.model_dump()
    if change == 0:
        data["days_since_first_symptoms"] = max(0, case.days_since_first_symptoms - int(step * 4))
    elif change == 1:
        data["bilirubin"]["value"] = case.bilirubin.value * (1 + step)
    elif change == 2:
        data["bilirubin_doubled_within_48_h"] = True
    elif change == 3:
        data["transaminases_times_normal"] = case.transaminases_times_normal * (1 + step) + step
    elif change == 4:
        data["weight_gain"] = {"percent": case.weight_gain.percent + step * 5}
    elif change == 5:
        data["creatinine"]["value"] = case.creatinine.value * (1 + step)
    elif change == 6:
        data["multi_organ_dysfunction"] = True
    else:
        data["risk_factors"] = case.risk_factors + 1
    return AdultSosVodSeverityFindings.model_validate(data)


@given(case=_CASES, change=st.integers(min_value=0, max_value=7), step=st.floats(min_value=0, max_value=2))
def test_a_worse_finding_never_lowers_the_grade(case: AdultSosVodSeverityFindings, change: int, step: float) -> None:
    before = grade_adult_sos_vod_severity(case).severity
    after = grade_adult_sos_vod_severity(_worse(case, change, step)).severity
    assert _ORDER.index(after) >= _ORDER.index(before)
