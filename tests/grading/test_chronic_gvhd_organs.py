"""NIH 2014 chronic GVHD organ scores from findings: structure and invariants only.

The band values (skin 18/50 % BSA, FEV1 80/60/40 %, liver 3/5 x ULN and 3 mg/dL) are UNVERIFIED
(clinical-scores-verification.md section 2.3: Jagasia 2015 Figure 1 not read), so no test here asserts them
as published facts. What is tested: every rule is labelled unverified; the verified part that the skin score
is the higher of its two scores; that scores stay in 0-3 and never fall as findings worsen; that units
convert or are refused; that the results name their findings; and the recorded-level path.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.grading import (
    Attribution,
    ChronicGvhdOrgan,
    OrganScale,
    SkinSclerosis,
    liver_score,
    lung_fev1_score,
    recorded_organ_score,
    skin_score,
)
from engraft.grading.chronic_gvhd_organs import (
    LIVER_SCORE_RULE,
    LUNG_FEV1_SCORE_RULE,
    RECORDED_SCORE_RULES,
    SKIN_SCORE_RULE,
)
from engraft.measurements import Quantity, UnitError
from engraft.provenance import VerificationLevel

G = Attribution.GVHD


def q(value: float, unit: str) -> Quantity:
    return Quantity(value=value, unit=unit)


def test_every_organ_rule_is_labelled_unverified_and_says_why() -> None:
    rules = [SKIN_SCORE_RULE, LUNG_FEV1_SCORE_RULE, LIVER_SCORE_RULE, *RECORDED_SCORE_RULES.values()]
    for rule in rules:
        assert rule.verification is VerificationLevel.UNVERIFIED
        assert rule.citation.doi == "10.1016/j.bbmt.2014.12.001"
        assert any("Figure 1" in note and "not read" in note for note in rule.notes)
        # EBMT Handbook ch. 44 read in full (2026-12-05): no organ's bands, Annex 1 absent; each rule says so.
        assert any("No secondary reproduction" in note and "ch. 44" in note for note in rule.notes)


percent = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(percent, st.sampled_from(list(SkinSclerosis)))
def test_skin_score_is_the_higher_of_its_two_scores(bsa: float, sclerosis: SkinSclerosis) -> None:
    # Verified (clinical-scores-verification.md 2.2): "higher of the 2 skin scores is used".
    both = skin_score(bsa, sclerosis, G)
    bsa_only = skin_score(bsa, SkinSclerosis.NONE, G)
    sclerosis_only = skin_score(0, sclerosis, G)
    assert both.score == max(bsa_only.score, sclerosis_only.score)
    assert both.scale is OrganScale.SKIN_HIGHER_OF_TWO
    assert both.findings[0].value == bsa and both.findings[0].unit == "%"


@given(percent, percent)
def test_more_skin_involved_never_lowers_the_skin_score(a: float, b: float) -> None:
    low, high = skin_score(min(a, b), SkinSclerosis.NONE, G), skin_score(max(a, b), SkinSclerosis.NONE, G)
    assert 0 <= low.score <= high.score <= 3


def test_no_skin_involvement_scores_0_without_attribution() -> None:
    result = skin_score(0, SkinSclerosis.NONE)
    assert (result.score, result.attribution) == (0, None)


def test_skin_involvement_without_attribution_is_refused() -> None:
    with pytest.raises(ValueError, match=r"skin: score \d has no attribution"):
        skin_score(60, SkinSclerosis.NONE)


@pytest.mark.parametrize("bad", [-1, 100.5])
def test_skin_extent_outside_0_to_100_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="bsa_percent"):
        skin_score(bad, SkinSclerosis.NONE, G)


fev1 = st.integers(min_value=0, max_value=15000).map(lambda i: i / 100)


@given(fev1, fev1)
def test_lower_fev1_never_gives_a_lower_lung_score(a: float, b: float) -> None:
    worse = lung_fev1_score(q(min(a, b), "%"), G)
    better = lung_fev1_score(q(max(a, b), "%"), G)
    assert 0 <= better.score <= worse.score <= 3
    assert worse.scale is OrganScale.LUNG_FEV1
    assert worse.rule is LUNG_FEV1_SCORE_RULE


@given(fev1)
def test_fev1_as_a_ratio_or_a_percentage_gives_the_same_lung_score(percentage: float) -> None:
    as_percent = lung_fev1_score(q(percentage, "%"), G)
    as_ratio = lung_fev1_score(q(percentage / 100, "1"), G)
    assert as_percent.score == as_ratio.score


def test_fev1_in_a_wrong_unit_is_refused() -> None:
    with pytest.raises(UnitError, match="fev1_percent_predicted"):
        lung_fev1_score(q(2.1, "mg/dL"), G)


def _liver(bilirubin: Quantity, alt: float = 20, ap: float = 80) -> int:
    return liver_score(bilirubin, q(1.2, "mg/dL"), q(alt, "U/L"), q(40, "U/L"), q(ap, "U/L"), q(120, "U/L"), G).score


lab = st.integers(min_value=0, max_value=2000).map(lambda i: i / 10)


@given(lab, lab, lab, lab, lab, lab)
def test_worse_liver_tests_never_lower_the_liver_score(
    b1: float, b2: float, a1: float, a2: float, p1: float, p2: float
) -> None:
    low = _liver(q(min(b1, b2) / 10, "mg/dL"), min(a1, a2) * 3, min(p1, p2) * 3)
    high = _liver(q(max(b1, b2) / 10, "mg/dL"), max(a1, a2) * 3, max(p1, p2) * 3)
    assert 0 <= low <= high <= 3


@given(lab)
def test_liver_score_is_the_same_in_mg_dl_and_umol_l(tenths: float) -> None:
    mg_dl = tenths / 10
    assert _liver(q(mg_dl, "mg/dL")) == _liver(q(mg_dl * 17.1, "umol/L"))


def test_liver_result_names_every_finding_it_used() -> None:
    result = liver_score(q(40, "umol/L"), q(21, "umol/L"), q(90, "U/L"), q(40, "U/L"), q(100, "U/L"), q(120, "U/L"), G)
    names = [f.name for f in result.findings]
    assert names == [
        "total bilirubin",
        "total bilirubin ULN",
        "total bilirubin compared",
        "ALT / ULN",
        "alkaline phosphatase / ULN",
    ]
    assert result.findings[0].unit == "umol/L"


@pytest.mark.parametrize(
    ("alt", "alt_uln", "match"),
    [
        pytest.param(q(90, "mg/dL"), q(40, "U/L"), "alt", id="ALT in a mass unit"),
        pytest.param(q(90, "U/L"), q(0, "U/L"), "alt_uln", id="zero upper limit"),
    ],
)
def test_liver_enzymes_in_a_wrong_unit_or_without_a_limit_are_refused(
    alt: Quantity, alt_uln: Quantity, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        liver_score(q(1, "mg/dL"), q(1.2, "mg/dL"), alt, alt_uln, q(100, "U/L"), q(120, "U/L"), G)


@pytest.mark.parametrize(
    "organ",
    [
        ChronicGvhdOrgan.MOUTH,
        ChronicGvhdOrgan.EYES,
        ChronicGvhdOrgan.GI_TRACT,
        ChronicGvhdOrgan.JOINTS_FASCIA,
        ChronicGvhdOrgan.GENITAL_TRACT,
        ChronicGvhdOrgan.LUNGS,
    ],
)
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_recorded_levels_carry_their_description_and_rule(organ: ChronicGvhdOrgan, level: int) -> None:
    result = recorded_organ_score(organ, level, G)
    assert result.score == level
    assert result.rule is RECORDED_SCORE_RULES[organ]
    assert result.criterion and result.criterion in result.rule.statement
    assert result.attribution is (G if level else None)


@pytest.mark.parametrize("organ", [ChronicGvhdOrgan.SKIN, ChronicGvhdOrgan.LIVER])
def test_organs_scored_from_findings_cannot_be_recorded_as_a_level(organ: ChronicGvhdOrgan) -> None:
    with pytest.raises(ValueError, match="scored from findings"):
        recorded_organ_score(organ, 1, G)


@pytest.mark.parametrize("bad", [-1, 4, True, 1.0])
def test_a_recorded_level_outside_0_to_3_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="expected an integer 0-3"):
        recorded_organ_score(ChronicGvhdOrgan.MOUTH, bad, G)  # type: ignore[arg-type]
