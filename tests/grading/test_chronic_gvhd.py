"""NIH 2014 chronic GVHD global severity from eight attributed organ scores.

Source of every expectation here (secondary, clinical-scores-verification.md section 2.2, and the EBMT
Handbook, 8th ed., ch. 44, 44.3 and 44.3.1.1, Wolff, Peric, Lawitschka 2024, doi:10.1007/978-3-031-44080-9_44):

    Mild      1-2 organs involved, each score <= 1, and lung score 0
    Moderate  3 or more organs each score <= 1; or any non-lung organ score 2; or lung score 1
    Severe    any organ score 3; or lung score 2 or 3

    An organ whose whole abnormality is unequivocally explained by a documented non-GVHD cause is not
    counted; a multifactorial one (GVHD plus another cause) is counted without downgrading. Skin: the
    higher of its two scores. Lungs: the FEV1-based score, not the symptom score.

The organ scores are built directly here (not from findings): the organ bands are unverified, and the
severity rule must not rest on them. Those are tested in test_chronic_gvhd_organs.py for structure only.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    Attribution,
    ChronicGvhdOrgan,
    ChronicGvhdOrganScore,
    ChronicGvhdOrganScores,
    ChronicGvhdSeverity,
    OrganScale,
    chronic_gvhd_global_severity,
    recorded_organ_score,
)
from engraft.grading.chronic_gvhd import GLOBAL_SEVERITY_RULE
from engraft.grading.chronic_gvhd_organs import LIVER_SCORE_RULE, LUNG_FEV1_SCORE_RULE, SKIN_SCORE_RULE
from engraft.provenance import VerificationLevel

Organ = ChronicGvhdOrgan
G, OTHER, BOTH = Attribution.GVHD, Attribution.OTHER_CAUSE, Attribution.BOTH
FIELD = {
    Organ.SKIN: "skin",
    Organ.MOUTH: "mouth",
    Organ.EYES: "eyes",
    Organ.GI_TRACT: "gi_tract",
    Organ.LIVER: "liver",
    Organ.LUNGS: "lungs",
    Organ.JOINTS_FASCIA: "joints_fascia",
    Organ.GENITAL_TRACT: "genital_tract",
}
SEVERITY_ORDER = {None: 0, ChronicGvhdSeverity.MILD: 1, ChronicGvhdSeverity.MODERATE: 2, ChronicGvhdSeverity.SEVERE: 3}


def organ_score(organ: ChronicGvhdOrgan, score: int, attribution: Attribution | None = G) -> ChronicGvhdOrganScore:
    scale, rule = OrganScale.ORGAN, LIVER_SCORE_RULE
    if organ is Organ.SKIN:
        scale, rule = OrganScale.SKIN_HIGHER_OF_TWO, SKIN_SCORE_RULE
    elif organ is Organ.LUNGS:
        scale, rule = OrganScale.LUNG_FEV1, LUNG_FEV1_SCORE_RULE
    return ChronicGvhdOrganScore(
        organ=organ,
        score=score,
        attribution=attribution if score > 0 else None,
        scale=scale,
        criterion=f"score {score} (test)",
        rule=rule,
    )


def scores(**given: int | tuple[int, Attribution]) -> ChronicGvhdOrganScores:
    """All eight organs, 0 unless given (as a score, or a (score, attribution) pair)."""
    fields = {}
    for organ, name in FIELD.items():
        value = given.get(name, 0)
        score, attribution = value if isinstance(value, tuple) else (value, G)
        fields[name] = organ_score(organ, score, attribution)
    return ChronicGvhdOrganScores(**fields)


@pytest.mark.parametrize(
    ("organ_scores", "severity"),
    [
        pytest.param(scores(), None, id="no organ involved: no severity"),
        pytest.param(scores(mouth=1), ChronicGvhdSeverity.MILD, id="one organ at 1: mild"),
        pytest.param(scores(mouth=1, eyes=1), ChronicGvhdSeverity.MILD, id="two organs at 1: mild"),
        pytest.param(scores(mouth=1, eyes=1, skin=1), ChronicGvhdSeverity.MODERATE, id="three organs at 1: moderate"),
        pytest.param(
            scores(**dict.fromkeys(FIELD.values(), 1) | {"lungs": 0}),
            ChronicGvhdSeverity.MODERATE,
            id="seven non-lung organs at 1: moderate",
        ),
        pytest.param(scores(liver=2), ChronicGvhdSeverity.MODERATE, id="one non-lung organ at 2: moderate"),
        pytest.param(scores(skin=2, mouth=2, eyes=2), ChronicGvhdSeverity.MODERATE, id="three organs at 2: moderate"),
        pytest.param(scores(lungs=1), ChronicGvhdSeverity.MODERATE, id="lung 1 alone: moderate"),
        pytest.param(scores(lungs=1, mouth=1), ChronicGvhdSeverity.MODERATE, id="lung 1 and one organ at 1: moderate"),
        pytest.param(scores(lungs=2), ChronicGvhdSeverity.SEVERE, id="lung 2: severe"),
        pytest.param(scores(lungs=3), ChronicGvhdSeverity.SEVERE, id="lung 3: severe"),
        pytest.param(scores(joints_fascia=3), ChronicGvhdSeverity.SEVERE, id="one organ at 3: severe"),
        pytest.param(
            scores(genital_tract=3, mouth=1), ChronicGvhdSeverity.SEVERE, id="organ at 3 and one at 1: severe"
        ),
    ],
)
def test_global_severity_reference_cases(
    organ_scores: ChronicGvhdOrganScores, severity: ChronicGvhdSeverity | None
) -> None:
    result = chronic_gvhd_global_severity(organ_scores)
    assert result.severity is severity
    assert result.rule is GLOBAL_SEVERITY_RULE
    assert result.scores is organ_scores


@pytest.mark.parametrize(
    ("organ_scores", "severity", "excluded"),
    [
        pytest.param(scores(liver=(3, OTHER)), None, (Organ.LIVER,), id="liver 3 entirely other cause: not counted"),
        pytest.param(
            scores(liver=(3, OTHER), mouth=1),
            ChronicGvhdSeverity.MILD,
            (Organ.LIVER,),
            id="other-cause 3 beside mouth 1",
        ),
        pytest.param(
            scores(lungs=(2, OTHER), skin=1), ChronicGvhdSeverity.MILD, (Organ.LUNGS,), id="lung 2 other cause: mild"
        ),
        pytest.param(
            scores(mouth=1, eyes=1, skin=(1, OTHER)),
            ChronicGvhdSeverity.MILD,
            (Organ.SKIN,),
            id="3 at 1, one other: mild",
        ),
        pytest.param(scores(liver=(2, BOTH)), ChronicGvhdSeverity.MODERATE, (), id="multifactorial 2: not downgraded"),
        pytest.param(scores(lungs=(2, BOTH)), ChronicGvhdSeverity.SEVERE, (), id="multifactorial lung 2: severe"),
    ],
)
def test_attribution_an_organ_entirely_explained_by_another_cause_does_not_count(
    organ_scores: ChronicGvhdOrganScores, severity: ChronicGvhdSeverity | None, excluded: tuple[ChronicGvhdOrgan, ...]
) -> None:
    result = chronic_gvhd_global_severity(organ_scores)
    assert result.severity is severity
    assert result.excluded == excluded
    assert not set(result.counted) & set(excluded)


def test_result_names_counted_and_decisive_organs() -> None:
    result = chronic_gvhd_global_severity(scores(mouth=1, liver=2, eyes=(2, OTHER)))
    assert result.severity is ChronicGvhdSeverity.MODERATE
    assert result.counted == (Organ.MOUTH, Organ.LIVER)
    assert result.excluded == (Organ.EYES,)
    assert result.decisive == (Organ.LIVER,)
    severe = chronic_gvhd_global_severity(scores(lungs=2, skin=3, mouth=1))
    assert severe.decisive == (Organ.SKIN, Organ.LUNGS)


def test_the_lung_symptom_score_is_refused_for_global_severity() -> None:
    fields = {name: organ_score(organ, 0) for organ, name in FIELD.items()}
    fields["lungs"] = recorded_organ_score(Organ.LUNGS, 1, G)
    assert fields["lungs"].scale is OrganScale.LUNG_SYMPTOMS
    with pytest.raises(ValidationError, match="FEV1-based lung score"):
        ChronicGvhdOrganScores(**fields)


def test_an_organ_score_in_the_wrong_place_is_refused() -> None:
    fields = {name: organ_score(organ, 0) for organ, name in FIELD.items()}
    fields["mouth"] = organ_score(Organ.EYES, 1)
    with pytest.raises(ValidationError, match="mouth: got the score of 'eyes'"):
        ChronicGvhdOrganScores(**fields)


def test_every_organ_must_be_given() -> None:
    fields = {name: organ_score(organ, 0) for organ, name in FIELD.items() if organ is not Organ.GENITAL_TRACT}
    with pytest.raises(ValidationError, match="genital_tract"):
        ChronicGvhdOrganScores(**fields)


def test_a_score_above_0_needs_an_attribution() -> None:
    with pytest.raises(ValidationError, match="mouth: score 2 has no attribution"):
        organ_score(Organ.MOUTH, 2, None)


@pytest.mark.parametrize("bad", [-1, 4, 1.5, True])
def test_a_score_outside_0_to_3_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="score"):
        ChronicGvhdOrganScore(
            organ=Organ.MOUTH,
            score=bad,
            attribution=G,
            criterion="x",
            rule=LIVER_SCORE_RULE,  # type: ignore[arg-type]
        )


def test_the_severity_rule_is_secondary_and_cites_jagasia_and_the_handbook() -> None:
    rule = GLOBAL_SEVERITY_RULE
    assert rule.verification is VerificationLevel.SECONDARY
    assert rule.citation.doi == "10.1016/j.bbmt.2014.12.001"
    assert any(c.doi == "10.1007/978-3-031-44080-9_44" for c in rule.citations)


# --- invariants -------------------------------------------------------------------------------------

organ_states = st.fixed_dictionaries(
    {name: st.tuples(st.integers(0, 3), st.sampled_from([G, OTHER, BOTH])) for name in FIELD.values()}
)


def _build(state: dict[str, tuple[int, Attribution]]) -> ChronicGvhdOrganScores:
    return scores(**state)


@given(organ_states, st.sampled_from(sorted(FIELD.values())))
def test_a_higher_organ_score_never_lowers_the_severity(state: dict[str, tuple[int, Attribution]], name: str) -> None:
    score, attribution = state[name]
    raised = state | {name: (min(score + 1, 3), attribution)}
    before = chronic_gvhd_global_severity(_build(state)).severity
    after = chronic_gvhd_global_severity(_build(raised)).severity
    assert SEVERITY_ORDER[before] <= SEVERITY_ORDER[after]


@given(organ_states, st.sampled_from(sorted(FIELD.values())))
def test_attributing_an_organ_to_another_cause_never_raises_the_severity(
    state: dict[str, tuple[int, Attribution]], name: str
) -> None:
    score, _ = state[name]
    before = chronic_gvhd_global_severity(_build(state | {name: (score, G)})).severity
    after = chronic_gvhd_global_severity(_build(state | {name: (score, OTHER)})).severity
    assert SEVERITY_ORDER[after] <= SEVERITY_ORDER[before]


@given(organ_states)
def test_multifactorial_counts_as_gvhd(state: dict[str, tuple[int, Attribution]]) -> None:
    as_both = {name: (score, BOTH if a is G else a) for name, (score, a) in state.items()}
    as_gvhd = {name: (score, G if a is BOTH else a) for name, (score, a) in state.items()}
    assert (
        chronic_gvhd_global_severity(_build(as_both)).severity is chronic_gvhd_global_severity(_build(as_gvhd)).severity
    )


@given(organ_states)
def test_no_severity_exactly_when_no_organ_counts(state: dict[str, tuple[int, Attribution]]) -> None:
    result = chronic_gvhd_global_severity(_build(state))
    assert (result.severity is None) == (not result.counted)
    counted = {FIELD[o] for o in result.counted}
    assert counted == {n for n, (score, a) in state.items() if score > 0 and a is not OTHER}
