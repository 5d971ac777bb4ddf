"""MAGIC acute GVHD organ stages from findings, pinned to the published staging table.

Source of every expectation: the MAGIC staging table as the EBMT Handbook, 8th ed., reproduces it
(Holler E, Greinix H, Zeiser R, ch. 43, Table 43.4 "according to Harris et al. 2016",
doi:10.1007/978-3-031-44080-9_43), with the footnotes of the NCI PDQ table "adapted from Harris et al."
(NBK577669 Table 4), both marked verified in clinical-scores-verification.md section 1.2:

    stage  skin (active erythema)   liver (bilirubin)  upper GI          lower GI a day: adult | child
    0      no active rash           < 2 mg/dL          no/intermittent   < 500 mL or < 3 ep | < 10 mL/kg or < 4 ep
    1      rash < 25% BSA           2-3 mg/dL          persistent N/V/A  500-999 mL or 3-4 | 10-19.9 mL/kg or 4-6
    2      rash 25-50% BSA          3.1-6 mg/dL        -                 1,000-1,500 or 5-7 | 20-30 mL/kg or 7-10
    3      rash > 50% BSA           6.1-15 mg/dL       -                 > 1,500 mL or > 7 | > 30 mL/kg or > 10
    4      generalised erythroderma (> 50% BSA) plus bullae and desquamation > 5% BSA; bilirubin > 15 mg/dL;
           lower GI: severe abdominal pain with or without ileus, or grossly bloody stool (regardless of volume)

Footnotes: adult stool values for patients weighing > 50 kg; stool mixed with urine presumed 50% stool;
no liver modification for other causes. umol/L is converted with 17.1 umol/L per mg/dL and compared with
the mg/dL cut-points (clinical-scores-verification.md 1.4 item 4: 2.0 mg/dL = 34.2 umol/L, 3.0 = 51.3,
6.0 = 102.6, 15.0 = 256.5). Values between printed bands (3.05, 6.05, 15.05 mg/dL) take the higher band,
the reading clinical-scores.md section 6.1 asks tests to cover.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    AcuteGvhdFindings,
    AcuteGvhdOrgan,
    LiverFindings,
    LowerGiFindings,
    SkinFindings,
    UpperGiFindings,
    grade_acute_gvhd,
    stage_acute_gvhd,
    stage_liver,
    stage_lower_gi,
    stage_skin,
    stage_upper_gi,
)
from engraft.grading.acute_gvhd_staging import (
    LIVER_STAGE_RULE,
    LOWER_GI_STAGE_RULE,
    SKIN_STAGE_RULE,
    UPPER_GI_STAGE_RULE,
)
from engraft.measurements import Quantity, UnitError
from engraft.provenance import VerificationLevel

KG70 = Quantity(value=70, unit="kg")
KG30 = Quantity(value=30, unit="kg")


def q(value: float, unit: str) -> Quantity:
    return Quantity(value=value, unit=unit)


def findings(
    rash: float = 0,
    bullae: float = 0,
    bilirubin: Quantity | None = None,
    upper: bool = False,
    lower: LowerGiFindings | None = None,
    weight: Quantity | None = KG70,
) -> AcuteGvhdFindings:
    return AcuteGvhdFindings(
        skin=SkinFindings(rash_bsa_percent=rash, bullae_desquamation_bsa_percent=bullae),
        liver=LiverFindings(total_bilirubin=bilirubin or q(0.5, "mg/dL")),
        upper_gi=UpperGiFindings(persistent_nausea_vomiting_or_anorexia=upper),
        lower_gi=lower or LowerGiFindings(stool_output=q(0, "mL/d")),
        body_weight=weight,
    )


# --- skin -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rash", "bullae", "stage"),
    [
        pytest.param(0, 0, 0, id="no rash: 0"),
        pytest.param(0.5, 0, 1, id="0.5%: 1"),
        pytest.param(24.9, 0, 1, id="24.9% (below 25): 1"),
        pytest.param(25, 0, 2, id="25% (at 25): 2"),
        pytest.param(25.1, 0, 2, id="25.1%: 2"),
        pytest.param(50, 0, 2, id="50% (at 50): 2"),
        pytest.param(50.1, 0, 3, id="50.1% (above 50): 3"),
        pytest.param(100, 0, 3, id="100% without bullae: 3"),
        pytest.param(60, 5, 3, id="erythroderma, bullae 5% (not above 5): 3"),
        pytest.param(60, 5.1, 4, id="erythroderma, bullae 5.1%: 4"),
        pytest.param(50.1, 20, 4, id="erythroderma just above 50% with bullae: 4"),
        pytest.param(50, 20, 2, id="bullae but rash 50% (not generalised): 2"),
    ],
)
def test_skin_stage_boundaries(rash: float, bullae: float, stage: int) -> None:
    result = stage_skin(SkinFindings(rash_bsa_percent=rash, bullae_desquamation_bsa_percent=bullae))
    assert result.stage == stage
    assert result.organ is AcuteGvhdOrgan.SKIN
    assert result.findings[0].value == rash and result.findings[0].unit == "%"
    assert result.rule is SKIN_STAGE_RULE


@pytest.mark.parametrize("bad", [-0.1, 100.1])
def test_skin_extent_outside_0_to_100_is_refused(bad: float) -> None:
    with pytest.raises(ValidationError, match="rash_bsa_percent"):
        SkinFindings(rash_bsa_percent=bad)


# --- liver ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "stage"),
    [
        pytest.param(1.99, "mg/dL", 0, id="1.99 mg/dL: 0"),
        pytest.param(2.0, "mg/dL", 1, id="2.0 mg/dL: 1"),
        pytest.param(2.01, "mg/dL", 1, id="2.01 mg/dL: 1"),
        pytest.param(3.0, "mg/dL", 1, id="3.0 mg/dL: 1"),
        pytest.param(3.05, "mg/dL", 2, id="3.05 mg/dL (between 3 and 3.1): 2"),
        pytest.param(3.1, "mg/dL", 2, id="3.1 mg/dL: 2"),
        pytest.param(6.0, "mg/dL", 2, id="6.0 mg/dL: 2"),
        pytest.param(6.05, "mg/dL", 3, id="6.05 mg/dL: 3"),
        pytest.param(6.1, "mg/dL", 3, id="6.1 mg/dL: 3"),
        pytest.param(15.0, "mg/dL", 3, id="15.0 mg/dL: 3"),
        pytest.param(15.05, "mg/dL", 4, id="15.05 mg/dL: 4"),
        pytest.param(34.1, "umol/L", 0, id="34.1 umol/L (1.99 mg/dL): 0"),
        pytest.param(34.2, "umol/L", 1, id="34.2 umol/L (= 2.0 mg/dL): 1"),
        pytest.param(34.3, "umol/L", 1, id="34.3 umol/L: 1"),
        pytest.param(51.3, "umol/L", 1, id="51.3 umol/L (= 3.0 mg/dL): 1"),
        pytest.param(51.4, "umol/L", 2, id="51.4 umol/L: 2"),
        pytest.param(102.6, "umol/L", 2, id="102.6 umol/L (= 6.0 mg/dL): 2"),
        pytest.param(102.7, "umol/L", 3, id="102.7 umol/L: 3"),
        pytest.param(256.5, "umol/L", 3, id="256.5 umol/L (= 15.0 mg/dL): 3"),
        pytest.param(256.6, "umol/L", 4, id="256.6 umol/L: 4"),
        pytest.param(20, "mg/L", 1, id="20 mg/L (= 2 mg/dL): 1"),
        pytest.param(0.0513, "mmol/L", 1, id="0.0513 mmol/L (= 3.0 mg/dL): 1"),
    ],
)
def test_liver_stage_boundaries_in_both_units(value: float, unit: str, stage: int) -> None:
    result = stage_liver(LiverFindings(total_bilirubin=q(value, unit)))
    assert result.stage == stage
    assert (result.findings[0].value, result.findings[0].unit) == (value, unit)
    assert result.rule is LIVER_STAGE_RULE


def test_liver_result_names_the_converted_value_it_compared() -> None:
    result = stage_liver(LiverFindings(total_bilirubin=q(51.3, "umol/L")))
    compared = result.findings[1]
    assert (compared.value, compared.unit) == (3.0, "mg/dL")
    assert any("17.1" in note for note in result.notes)


@pytest.mark.parametrize(
    ("value", "unit", "match"),
    [
        pytest.param(2.0, "U/L", "liver.total_bilirubin", id="an enzyme unit"),
        pytest.param(2.0, "kg", "liver.total_bilirubin", id="a mass"),
        pytest.param(-1.0, "mg/dL", "cannot be negative", id="negative"),
    ],
)
def test_bilirubin_in_a_wrong_unit_or_negative_is_refused(value: float, unit: str, match: str) -> None:
    with pytest.raises((ValidationError, UnitError), match=match):
        LiverFindings(total_bilirubin=q(value, unit))


def test_an_unknown_unit_spelling_is_refused_not_guessed() -> None:
    with pytest.raises(ValidationError, match="did you mean UCUM code 'umol/L'"):
        LiverFindings(total_bilirubin={"value": 40, "unit": "µmol/L"})  # type: ignore[arg-type]


# --- upper GI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persistent", "stage"), [(False, 0), (True, 1)])
def test_upper_gi_stage(persistent: bool, stage: int) -> None:
    result = stage_upper_gi(UpperGiFindings(persistent_nausea_vomiting_or_anorexia=persistent))
    assert result.stage == stage
    assert result.findings[0].value is persistent
    assert result.rule is UPPER_GI_STAGE_RULE
    assert any("no upper GI biopsy" in note for note in result.rule.notes)


# --- lower GI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "weight", "stage"),
    [
        pytest.param(499, "mL/d", KG70, 0, id="adult 499 mL/day: 0"),
        pytest.param(500, "mL/d", KG70, 1, id="adult 500 mL/day: 1"),
        pytest.param(999, "mL/d", KG70, 1, id="adult 999 mL/day: 1"),
        pytest.param(999.9, "mL/d", KG70, 1, id="adult 999.9 mL/day: 1"),
        pytest.param(1000, "mL/d", KG70, 2, id="adult 1,000 mL/day: 2"),
        pytest.param(1500, "mL/d", KG70, 2, id="adult 1,500 mL/day: 2"),
        pytest.param(1500.1, "mL/d", KG70, 3, id="adult 1,500.1 mL/day: 3"),
        pytest.param(1.5, "L/d", KG70, 2, id="adult 1.5 L/day: 2"),
        pytest.param(1.6, "L/d", KG70, 3, id="adult 1.6 L/day: 3"),
        pytest.param(7.1, "mL/kg/d", KG70, 0, id="adult 7.1 mL/kg/day (497 mL): 0"),
        pytest.param(7.2, "mL/kg/d", KG70, 1, id="adult 7.2 mL/kg/day (504 mL): 1"),
        pytest.param(9.9, "mL/kg/d", KG30, 0, id="child 9.9 mL/kg/day: 0"),
        pytest.param(10, "mL/kg/d", KG30, 1, id="child 10 mL/kg/day: 1"),
        pytest.param(19.9, "mL/kg/d", KG30, 1, id="child 19.9 mL/kg/day: 1"),
        pytest.param(20, "mL/kg/d", KG30, 2, id="child 20 mL/kg/day: 2"),
        pytest.param(30, "mL/kg/d", KG30, 2, id="child 30 mL/kg/day: 2"),
        pytest.param(30.1, "mL/kg/d", KG30, 3, id="child 30.1 mL/kg/day: 3"),
        pytest.param(297, "mL/d", KG30, 0, id="child 297 mL/day (9.9 mL/kg): 0"),
        pytest.param(300, "mL/d", KG30, 1, id="child 300 mL/day (10 mL/kg): 1"),
        pytest.param(600, "mL/d", KG30, 2, id="child 600 mL/day (20 mL/kg): 2"),
        pytest.param(903, "mL/d", KG30, 3, id="child 903 mL/day (30.1 mL/kg): 3"),
    ],
)
def test_lower_gi_stage_from_stool_volume(value: float, unit: str, weight: Quantity, stage: int) -> None:
    result = stage_lower_gi(LowerGiFindings(stool_output=q(value, unit)), weight)
    assert result.stage == stage
    assert result.rule is LOWER_GI_STAGE_RULE
    by_name = {f.name: f for f in result.findings}
    assert (by_name["stool output"].value, by_name["stool output"].unit) == (value, unit)
    assert (by_name["body weight"].value, by_name["body weight"].unit) == (weight.value, weight.unit.value)


@pytest.mark.parametrize(
    ("episodes", "weight", "stage"),
    [
        pytest.param(0, KG70, 0, id="adult 0 episodes: 0"),
        pytest.param(2, KG70, 0, id="adult 2 episodes: 0"),
        pytest.param(3, KG70, 1, id="adult 3 episodes: 1"),
        pytest.param(4, KG70, 1, id="adult 4 episodes: 1"),
        pytest.param(5, KG70, 2, id="adult 5 episodes: 2"),
        pytest.param(7, KG70, 2, id="adult 7 episodes: 2"),
        pytest.param(8, KG70, 3, id="adult 8 episodes: 3"),
        pytest.param(3, KG30, 0, id="child 3 episodes: 0"),
        pytest.param(4, KG30, 1, id="child 4 episodes: 1"),
        pytest.param(6, KG30, 1, id="child 6 episodes: 1"),
        pytest.param(7, KG30, 2, id="child 7 episodes: 2"),
        pytest.param(10, KG30, 2, id="child 10 episodes: 2"),
        pytest.param(11, KG30, 3, id="child 11 episodes: 3"),
    ],
)
def test_lower_gi_stage_from_episodes_where_volume_is_not_measured(episodes: int, weight: Quantity, stage: int) -> None:
    result = stage_lower_gi(LowerGiFindings(stool_episodes_per_day=episodes), weight)
    assert result.stage == stage
    assert any(f.name == "stool episodes a day" and f.value == episodes for f in result.findings)


@pytest.mark.parametrize(
    ("weight", "episodes_stage", "volume_stage"),
    [
        pytest.param(q(49.5, "kg"), 0, 1, id="49.5 kg: child values"),
        pytest.param(q(50, "kg"), 0, 0, id="exactly 50 kg: child values (adult only above 50)"),
        pytest.param(q(50.1, "kg"), 1, 0, id="50.1 kg: adult values"),
        pytest.param(q(110, "[lb_av]"), 0, 0, id="110 lb (49.9 kg): child values"),
        pytest.param(q(50100, "g"), 1, 0, id="50,100 g: adult values"),
    ],
)
def test_the_50_kg_cut_off_decides_adult_or_child_values(
    weight: Quantity, episodes_stage: int, volume_stage: int
) -> None:
    # 3 episodes: adult stage 1, child stage 0. 495 mL/day: adult stage 0; per kg it is 10 mL/kg at 49.5 kg
    # (child stage 1) but 9.9 mL/kg at 50 kg (stage 0).
    assert stage_lower_gi(LowerGiFindings(stool_episodes_per_day=3), weight).stage == episodes_stage
    assert stage_lower_gi(LowerGiFindings(stool_output=q(495, "mL/d")), weight).stage == volume_stage


@pytest.mark.parametrize(
    ("lower", "weight"),
    [
        pytest.param(LowerGiFindings(severe_abdominal_pain=True), None, id="severe pain, nothing else"),
        pytest.param(LowerGiFindings(grossly_bloody_stool=True, stool_output=q(0, "mL/d")), KG70, id="bloody, 0 mL"),
        pytest.param(LowerGiFindings(grossly_bloody_stool=True, stool_episodes_per_day=1), KG30, id="bloody, child"),
        pytest.param(LowerGiFindings(severe_abdominal_pain=True, stool_output=q(2000, "mL/d")), KG70, id="pain, 2 L"),
    ],
)
def test_severe_pain_or_grossly_bloody_stool_is_stage_4_regardless_of_volume(
    lower: LowerGiFindings, weight: Quantity | None
) -> None:
    result = stage_lower_gi(lower, weight)
    assert result.stage == 4
    assert {f.name for f in result.findings} & {"severe abdominal pain", "grossly bloody stool"}


def test_stool_mixed_with_urine_counts_half() -> None:
    mixed = stage_lower_gi(LowerGiFindings(stool_output=q(1200, "mL/d"), stool_mixed_with_urine=True), KG70)
    assert mixed.stage == 1
    assert any(f.name == "stool output compared" and f.value == 600 for f in mixed.findings)
    assert stage_lower_gi(LowerGiFindings(stool_output=q(1200, "mL/d")), KG70).stage == 2


def test_volume_is_used_when_measured_and_the_episode_count_is_named_as_unused() -> None:
    result = stage_lower_gi(LowerGiFindings(stool_output=q(400, "mL/d"), stool_episodes_per_day=8), KG70)
    assert result.stage == 0
    assert any("stool_episodes_per_day=8 not used" in note for note in result.notes)


def test_stool_staging_without_a_weight_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="body_weight: missing"):
        stage_acute_gvhd(findings(lower=LowerGiFindings(stool_output=q(800, "mL/d")), weight=None))
    with pytest.raises(ValueError, match="body_weight: missing"):
        stage_lower_gi(LowerGiFindings(stool_episodes_per_day=4), None)


def test_lower_gi_without_any_finding_is_refused_not_taken_as_stage_0() -> None:
    with pytest.raises(ValueError, match="lower_gi: no stool_output"):
        stage_lower_gi(LowerGiFindings(), KG70)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"stool_output": q(500, "mg/kg")}, "lower_gi.stool_output", id="a dose unit"),
        pytest.param({"stool_output": q(-1, "mL/d")}, "cannot be negative", id="negative volume"),
        pytest.param({"stool_episodes_per_day": -1}, "stool_episodes_per_day", id="negative episodes"),
        pytest.param({"stool_episodes_per_day": 2.5}, "stool_episodes_per_day", id="fractional episodes"),
        pytest.param({"severe_abdominal_pain": "yes"}, "severe_abdominal_pain", id="text for a yes/no"),
        pytest.param({"stool_mixed_with_urine": True}, "without stool_output", id="mixed with urine, no volume"),
    ],
)
def test_bad_lower_gi_findings_are_refused_naming_the_field(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises((ValidationError, UnitError), match=match):
        LowerGiFindings(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("weight", [pytest.param(q(170, "cm"), id="a length"), pytest.param(q(0, "kg"), id="zero")])
def test_a_body_weight_that_is_not_a_weight_is_refused(weight: Quantity) -> None:
    with pytest.raises((ValidationError, UnitError), match="body_weight"):
        findings(weight=weight)


def test_every_organ_must_be_given() -> None:
    with pytest.raises(ValidationError, match="lower_gi"):
        AcuteGvhdFindings(  # type: ignore[call-arg]
            skin=SkinFindings(rash_bsa_percent=0),
            liver=LiverFindings(total_bilirubin=q(1, "mg/dL")),
            upper_gi=UpperGiFindings(persistent_nausea_vomiting_or_anorexia=False),
            body_weight=KG70,
        )


# --- whole staging, graded --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "stages", "grade"),
    [
        pytest.param(findings(), (0, 0, 0, 0), 0, id="nothing: grade 0"),
        pytest.param(findings(rash=30), (2, 0, 0, 0), 1, id="rash 30% only: skin 2, grade I"),
        pytest.param(findings(rash=60), (3, 0, 0, 0), 2, id="rash 60% only: skin 3, grade II"),
        pytest.param(findings(upper=True), (0, 0, 1, 0), 2, id="persistent nausea only: grade II"),
        pytest.param(findings(bilirubin=q(2.5, "mg/dL")), (0, 1, 0, 0), 2, id="bilirubin 2.5 mg/dL: grade II"),
        pytest.param(findings(bilirubin=q(70, "umol/L")), (0, 2, 0, 0), 3, id="bilirubin 70 umol/L: grade III"),
        pytest.param(
            findings(rash=10, lower=LowerGiFindings(stool_output=q(1600, "mL/d"))),
            (1, 0, 0, 3),
            3,
            id="rash 10%, adult 1,600 mL/day: grade III",
        ),
        pytest.param(
            findings(lower=LowerGiFindings(grossly_bloody_stool=True)), (0, 0, 0, 4), 4, id="bloody stool: grade IV"
        ),
        pytest.param(findings(rash=80, bullae=10), (4, 0, 0, 0), 4, id="erythroderma with bullae: grade IV"),
        pytest.param(
            findings(lower=LowerGiFindings(stool_output=q(25, "mL/kg/d")), weight=KG30),
            (0, 0, 0, 2),
            3,
            id="child 25 mL/kg/day: grade III",
        ),
    ],
)
def test_reference_cases_staged_and_graded(case: AcuteGvhdFindings, stages: tuple[int, ...], grade: int) -> None:
    staging = stage_acute_gvhd(case)
    got = staging.stages
    assert (got.skin, got.liver, got.upper_gi, got.lower_gi) == stages
    assert staging.grade().value == grade
    assert grade_acute_gvhd(got).value == grade
    assert [r.organ for r in staging.organs] == list(AcuteGvhdOrgan)
    assert staging.organ(AcuteGvhdOrgan.LIVER).stage == stages[1]


def test_every_stage_rule_is_secondary_and_cites_harris_and_the_handbook() -> None:
    for rule in (SKIN_STAGE_RULE, LIVER_STAGE_RULE, UPPER_GI_STAGE_RULE, LOWER_GI_STAGE_RULE):
        assert rule.verification is VerificationLevel.SECONDARY
        assert rule.citation.short() == "Harris AC et al. 2016"
        assert any(c.doi == "10.1007/978-3-031-44080-9_43" for c in rule.citations)


# --- invariants -------------------------------------------------------------------------------------

percent = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(percent, percent, percent, percent)
def test_more_rash_or_more_bullae_never_gives_a_lower_skin_stage(a: float, b: float, c: float, d: float) -> None:
    low = stage_skin(SkinFindings(rash_bsa_percent=min(a, b), bullae_desquamation_bsa_percent=min(c, d)))
    high = stage_skin(SkinFindings(rash_bsa_percent=max(a, b), bullae_desquamation_bsa_percent=max(c, d)))
    assert low.stage <= high.stage


milli = st.integers(min_value=0, max_value=40_000).map(lambda i: i / 1000)


@given(milli, milli)
def test_more_bilirubin_never_gives_a_lower_liver_stage(a: float, b: float) -> None:
    low = stage_liver(LiverFindings(total_bilirubin=q(min(a, b), "mg/dL")))
    high = stage_liver(LiverFindings(total_bilirubin=q(max(a, b), "mg/dL")))
    assert low.stage <= high.stage


@given(milli)
def test_mg_dl_and_umol_l_give_the_same_liver_stage(mg_dl: float) -> None:
    in_mass = stage_liver(LiverFindings(total_bilirubin=q(mg_dl, "mg/dL")))
    in_substance = stage_liver(LiverFindings(total_bilirubin=q(mg_dl * 17.1, "umol/L")))
    assert in_mass.stage == in_substance.stage


volume = st.floats(min_value=0, max_value=5000, allow_nan=False)
weights = st.sampled_from([KG30, q(50, "kg"), KG70])


@given(volume, volume, weights)
def test_more_stool_never_gives_a_lower_lower_gi_stage(a: float, b: float, weight: Quantity) -> None:
    low = stage_lower_gi(LowerGiFindings(stool_output=q(min(a, b), "mL/d")), weight)
    high = stage_lower_gi(LowerGiFindings(stool_output=q(max(a, b), "mL/d")), weight)
    assert low.stage <= high.stage <= 3


@given(st.integers(0, 30), st.integers(0, 30), weights)
def test_more_episodes_never_give_a_lower_lower_gi_stage(a: int, b: int, weight: Quantity) -> None:
    low = stage_lower_gi(LowerGiFindings(stool_episodes_per_day=min(a, b)), weight)
    high = stage_lower_gi(LowerGiFindings(stool_episodes_per_day=max(a, b)), weight)
    assert low.stage <= high.stage <= 3


@given(percent, percent, milli, milli, volume, volume, st.booleans())
def test_worse_findings_never_give_a_lower_overall_grade(
    rash_a: float, rash_b: float, bili_a: float, bili_b: float, stool_a: float, stool_b: float, upper: bool
) -> None:
    def graded(rash: float, bilirubin: float, stool: float, upper_gi: bool) -> int:
        case = findings(
            rash=rash,
            bilirubin=q(bilirubin, "mg/dL"),
            upper=upper_gi,
            lower=LowerGiFindings(stool_output=q(stool, "mL/d")),
        )
        return stage_acute_gvhd(case).grade().value

    low = graded(min(rash_a, rash_b), min(bili_a, bili_b), min(stool_a, stool_b), False)
    high = graded(max(rash_a, rash_b), max(bili_a, bili_b), max(stool_a, stool_b), upper)
    assert low <= high
