"""ICE score and ASTCT ICANS grade, pinned to the published tables (not to a copy of the code).

Source of every expectation: the ASTCT ICANS table and ICE footnote adapted from Lee et al. 2019 (Biol
Blood Marrow Transplant 25:625-638), read on https://pmc.ncbi.nlm.nih.gov/articles/PMC9327779/table/t0002,
and clinical-scores.md sections 8.2 and 8.3 [V]:

    ICE: orientation (year, month, city, hospital) 4, naming 3 objects 3, following commands 1,
         writing a standard sentence 1, attention (count back from 100 by 10) 1; 10 = no impairment
    ICE score            7-9: 1   3-6: 2   0-2: 3   unarousable, unable to do ICE: 4
    consciousness        awakens spontaneously 1, to voice 2, only to tactile stimulus 3, unarousable 4
    seizure              rapidly resolving: 3; prolonged > 5 min / repetitive without return to baseline: 4
    motor                deep focal motor weakness: 4
    raised ICP           focal/local oedema: 3; diffuse oedema, posturing, CN VI palsy, papilloedema,
                         Cushing's triad: 4
    grade = most severe event not attributable to another cause ("ICE 3 plus a generalised seizure = 3")

The paediatric CAPD table is marked [U]: only its labelling as unverified is asserted here.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    ConsciousnessLevel,
    EncephalopathyTool,
    IcansDomain,
    IcansFindings,
    IceAssessment,
    IceDomain,
    MotorFinding,
    RaisedIcpFinding,
    Seizure,
    grade_icans,
    ice_score,
)
from engraft.provenance import VerificationLevel

ITEMS = tuple(IceAssessment.model_fields)


def ice_with(score: int) -> IceAssessment:
    """An assessment with the first ``score`` items correct."""
    return IceAssessment(**{name: index < score for index, name in enumerate(ITEMS)})


def adult(ice: IceAssessment | None = None, **other: object) -> IcansFindings:
    return IcansFindings(
        age_years=40,
        tool=EncephalopathyTool.ICE,
        ice=ice if ice is not None or other.get("unable_to_perform") else IceAssessment.all_correct(),
        **other,  # type: ignore[arg-type]
    )


def test_ice_has_ten_items() -> None:
    assert len(ITEMS) == 10


@pytest.mark.parametrize(
    ("wrong", "domain", "points_left"),
    [
        pytest.param(("oriented_to_year", "oriented_to_month"), IceDomain.ORIENTATION, 2, id="orientation-out-of-4"),
        pytest.param(
            ("oriented_to_year", "oriented_to_month", "oriented_to_city", "oriented_to_hospital"),
            IceDomain.ORIENTATION,
            0,
            id="orientation-all-wrong",
        ),
        pytest.param(("names_second_object",), IceDomain.NAMING, 2, id="naming-out-of-3"),
        pytest.param(("follows_simple_commands",), IceDomain.FOLLOWING_COMMANDS, 0, id="commands-1-point"),
        pytest.param(("writes_standard_sentence",), IceDomain.WRITING, 0, id="writing-1-point"),
        pytest.param(("counts_backwards_from_100_by_10",), IceDomain.ATTENTION, 0, id="attention-1-point"),
    ],
)
def test_ice_points_per_domain(wrong: tuple[str, ...], domain: IceDomain, points_left: int) -> None:
    assessment = IceAssessment(**{name: name not in wrong for name in ITEMS})
    result = ice_score(assessment)
    assert result.domain_points[domain] == points_left
    assert result.value == 10 - len(wrong)
    assert result.rule.verification is VerificationLevel.SECONDARY


def test_ice_of_ten_is_no_impairment_and_domains_sum_to_the_score() -> None:
    result = ice_score(IceAssessment.all_correct())
    assert result.value == 10
    assert result.domain_points == {
        IceDomain.ORIENTATION: 4,
        IceDomain.NAMING: 3,
        IceDomain.FOLLOWING_COMMANDS: 1,
        IceDomain.WRITING: 1,
        IceDomain.ATTENTION: 1,
    }


def test_every_ice_item_must_be_given() -> None:
    with pytest.raises(ValidationError, match="names_third_object"):
        IceAssessment(**{name: True for name in ITEMS if name != "names_third_object"})


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        pytest.param(10, 0, id="ice-10-no-icans"),
        pytest.param(9, 1, id="ice-9-grade-1"),
        pytest.param(7, 1, id="ice-7-grade-1"),
        pytest.param(6, 2, id="ice-6-grade-2"),
        pytest.param(3, 2, id="ice-3-grade-2"),
        pytest.param(2, 3, id="ice-2-grade-3"),
        pytest.param(0, 3, id="ice-0-awake-grade-3"),
    ],
)
def test_ice_bands(score: int, grade: int) -> None:
    result = grade_icans(adult(ice_with(score)))
    assert result.ice_score is not None and result.ice_score.value == score
    assert result.value == grade


def test_unarousable_unable_to_do_ice_is_grade_4() -> None:
    result = grade_icans(adult(unable_to_perform=True))
    assert result.value == 4
    assert result.by_domain[IcansDomain.ENCEPHALOPATHY] == 4
    assert result.ice_score is None


@pytest.mark.parametrize(
    ("other", "grade", "domain"),
    [
        pytest.param(
            {"consciousness": ConsciousnessLevel.AWAKENS_SPONTANEOUSLY}, 1, IcansDomain.CONSCIOUSNESS, id="c1"
        ),
        pytest.param({"consciousness": ConsciousnessLevel.AWAKENS_TO_VOICE}, 2, IcansDomain.CONSCIOUSNESS, id="c2"),
        pytest.param(
            {"consciousness": ConsciousnessLevel.AWAKENS_ONLY_TO_TACTILE_STIMULUS},
            3,
            IcansDomain.CONSCIOUSNESS,
            id="c3",
        ),
        pytest.param({"consciousness": ConsciousnessLevel.UNAROUSABLE}, 4, IcansDomain.CONSCIOUSNESS, id="c4"),
        pytest.param({"seizure": Seizure.RAPIDLY_RESOLVING}, 3, IcansDomain.SEIZURE, id="seizure-resolving-3"),
        pytest.param({"seizure": Seizure.LIFE_THREATENING}, 4, IcansDomain.SEIZURE, id="seizure-prolonged-4"),
        pytest.param({"motor": MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS}, 4, IcansDomain.MOTOR, id="motor-weakness-4"),
        pytest.param({"raised_icp": {RaisedIcpFinding.FOCAL_OEDEMA}}, 3, IcansDomain.RAISED_ICP, id="focal-oedema-3"),
        *[
            pytest.param({"raised_icp": {finding}}, 4, IcansDomain.RAISED_ICP, id=f"icp-{finding.name.lower()}-4")
            for finding in RaisedIcpFinding
            if finding is not RaisedIcpFinding.FOCAL_OEDEMA
        ],
    ],
)
def test_each_domain_alone_gives_its_published_grade(other: dict[str, object], grade: int, domain: IcansDomain) -> None:
    result = grade_icans(adult(**other))
    assert result.value == grade
    assert result.decisive == (domain,)


def test_published_example_ice_3_with_generalised_seizure_is_grade_3() -> None:
    result = grade_icans(adult(ice_with(3), seizure=Seizure.RAPIDLY_RESOLVING))
    assert result.value == 3
    assert result.decisive == (IcansDomain.SEIZURE,)
    assert result.by_domain[IcansDomain.ENCEPHALOPATHY] == 2


def test_most_severe_domain_sets_the_grade() -> None:
    result = grade_icans(
        adult(
            ice_with(8), consciousness=ConsciousnessLevel.AWAKENS_TO_VOICE, raised_icp={RaisedIcpFinding.PAPILLOEDEMA}
        )
    )
    assert result.value == 4
    assert result.decisive == (IcansDomain.RAISED_ICP,)


def test_a_finding_attributable_to_another_cause_is_left_out_and_named() -> None:
    sedated = adult(
        ice_with(8),
        consciousness=ConsciousnessLevel.AWAKENS_ONLY_TO_TACTILE_STIMULUS,
        attributable_to_other_cause={IcansDomain.CONSCIOUSNESS},
    )
    result = grade_icans(sedated)
    assert result.value == 1
    assert result.excluded == (IcansDomain.CONSCIOUSNESS,)
    assert result.notes == ("left out as attributable to another cause: depressed level of consciousness",)
    assert result.by_domain[IcansDomain.CONSCIOUSNESS] == 3


def test_no_finding_is_grade_0() -> None:
    result = grade_icans(adult())
    assert (result.value, result.decisive) == (0, ())
    assert result.rule.verification is VerificationLevel.SECONDARY


def test_capd_path_is_labelled_unverified() -> None:
    result = grade_icans(IcansFindings(age_years=6, tool=EncephalopathyTool.CAPD, capd_score=12))
    assert result.tool is EncephalopathyTool.CAPD
    assert result.rule.verification is VerificationLevel.UNVERIFIED
    assert result.ice_score is None
    assert "unverified" in result.notes[0]
    # No verified reproduction was found (EBMT Handbook ch. 53, 60, 93 and others read 2026-12-05): the rule
    # keeps saying where it was looked for, so the label is not raised without a source.
    assert any("No secondary reproduction found" in note and "ch. 60" in note for note in result.rule.notes)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        pytest.param({"age_years": 11, "tool": "ICE", "ice": None, "unable_to_perform": True}, "CAPD for children"),
        pytest.param({"age_years": 30, "tool": "ICE"}, "exactly one of ice"),
        pytest.param({"age_years": 30, "tool": "ICE", "capd_score": 3}, "capd_score=3 given with tool='ICE'"),
        pytest.param({"age_years": 5, "tool": "CAPD"}, "exactly one of capd_score"),
        pytest.param({"age_years": 5, "tool": "CAPD", "capd_score": 33}, "capd_score"),
        pytest.param({"age_years": 5, "tool": "CAPD", "capd_score": 4, "unable_to_perform": True}, "exactly one"),
        pytest.param({"age_years": -1, "tool": "CAPD", "capd_score": 4}, "age_years"),
    ],
)
def test_bad_input_is_refused_naming_the_field(payload: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        IcansFindings(**payload)  # type: ignore[arg-type]


_ORDERED_CONSCIOUSNESS = list(ConsciousnessLevel)
_ORDERED_SEIZURE = list(Seizure)
_FINDINGS = st.builds(
    lambda score, unable, consciousness, seizure, motor, icp, other: adult(
        None if unable else ice_with(score),
        unable_to_perform=unable,
        consciousness=consciousness,
        seizure=seizure,
        motor=motor,
        raised_icp=icp,
        attributable_to_other_cause=other,
    ),
    st.integers(min_value=0, max_value=10),
    st.booleans(),
    st.sampled_from(_ORDERED_CONSCIOUSNESS),
    st.sampled_from(_ORDERED_SEIZURE),
    st.sampled_from(list(MotorFinding)),
    st.frozensets(st.sampled_from(list(RaisedIcpFinding))),
    st.frozensets(st.sampled_from(list(IcansDomain))),
)


def _worse(findings: IcansFindings, change: int) -> IcansFindings:
    data = findings.model_dump()
    if change == 0 and findings.ice is not None:
        correct = [name for name in ITEMS if data["ice"][name]]
        if correct:
            data["ice"][correct[0]] = False
    elif change == 1:
        index = _ORDERED_CONSCIOUSNESS.index(findings.consciousness)
        data["consciousness"] = _ORDERED_CONSCIOUSNESS[min(index + 1, len(_ORDERED_CONSCIOUSNESS) - 1)]
    elif change == 2:
        index = _ORDERED_SEIZURE.index(findings.seizure)
        data["seizure"] = _ORDERED_SEIZURE[min(index + 1, len(_ORDERED_SEIZURE) - 1)]
    elif change == 3:
        data["motor"] = MotorFinding.DEEP_FOCAL_MOTOR_WEAKNESS
    elif change == 4:
        data["raised_icp"] = set(findings.raised_icp) | {RaisedIcpFinding.FOCAL_OEDEMA}
    else:
        data.update(ice=None, unable_to_perform=True)
    return IcansFindings.model_validate(data)


@given(findings=_FINDINGS, change=st.integers(min_value=0, max_value=5))
def test_a_worse_finding_never_lowers_the_grade(findings: IcansFindings, change: int) -> None:
    assert grade_icans(_worse(findings, change)).value >= grade_icans(findings).value


@given(findings=_FINDINGS)
def test_grade_is_the_highest_counted_domain(findings: IcansFindings) -> None:
    result = grade_icans(findings)
    counted = [grade for domain, grade in result.by_domain.items() if domain not in result.excluded]
    assert result.value == max(counted, default=0)
    assert all(result.by_domain[d] == result.value for d in result.decisive)


def test_every_ice_score_maps_to_exactly_one_band() -> None:
    grades = [grade_icans(adult(ice_with(score))).value for score in range(11)]
    assert grades == [3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 0]
    assert all(a >= b for a, b in itertools.pairwise(grades))
