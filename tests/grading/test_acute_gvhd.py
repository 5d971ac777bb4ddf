"""MAGIC overall acute GVHD grade, pinned to the published criteria (not to a copy of the code).

Source of every expectation here: the overall clinical grade printed below Table 43.4 of the EBMT
Handbook, 8th ed. (Holler E, Greinix H, Zeiser R. Acute graft-versus-host disease. In: Sureda A et al.
(eds), Springer 2024, pp. 385-393, doi:10.1007/978-3-031-44080-9_43), where the table is given
"according to Harris et al. 2016" (Biol Blood Marrow Transplant 22:4-10):

    Grade 0   no stage 1-4 of any organ
    Grade I   stage 1-2 skin without liver, upper GI or lower GI involvement
    Grade II  stage 3 rash and/or stage 1 liver and/or stage 1 upper GI and/or stage 1 lower GI
    Grade III stage 2-3 liver and/or stage 2-3 lower GI, with stage 0-3 skin and/or stage 0-1 upper GI
    Grade IV  stage 4 skin, liver or lower GI involvement, with stage 0-1 upper GI

The overall grade is "based upon most severe target organ involvement".
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import AcuteGvhdGradingSystem, AcuteGvhdOrgan, OrganStages, grade_acute_gvhd
from engraft.provenance import VerificationLevel

# The whole stage x grade table, written by hand from the five rules above (not computed).
# One line per (skin stage, upper GI stage); the 25 digits are the overall grade for liver stage 0-4
# (the five groups) by lower GI stage 0-4 (the digits within a group).
MAGIC_TABLE = """
skin 0 upper GI 0: 02334 22334 33334 33334 44444
skin 1 upper GI 0: 12334 22334 33334 33334 44444
skin 2 upper GI 0: 12334 22334 33334 33334 44444
skin 3 upper GI 0: 22334 22334 33334 33334 44444
skin 4 upper GI 0: 44444 44444 44444 44444 44444
skin 0 upper GI 1: 22334 22334 33334 33334 44444
skin 1 upper GI 1: 22334 22334 33334 33334 44444
skin 2 upper GI 1: 22334 22334 33334 33334 44444
skin 3 upper GI 1: 22334 22334 33334 33334 44444
skin 4 upper GI 1: 44444 44444 44444 44444 44444
"""


def _published_table() -> dict[tuple[int, int, int, int], int]:
    table: dict[tuple[int, int, int, int], int] = {}
    for line in MAGIC_TABLE.strip().splitlines():
        label, digits = line.split(":")
        words = label.split()
        skin, upper_gi = int(words[1]), int(words[4])
        groups = digits.split()
        assert len(groups) == 5 and all(len(g) == 5 for g in groups)
        for liver, group in enumerate(groups):
            for lower_gi, grade in enumerate(group):
                table[(skin, liver, upper_gi, lower_gi)] = int(grade)
    return table


PUBLISHED = _published_table()


def stages(skin: int = 0, liver: int = 0, upper_gi: int = 0, lower_gi: int = 0) -> OrganStages:
    return OrganStages(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi)


def test_the_written_table_covers_every_stage_combination() -> None:
    assert set(PUBLISHED) == set(itertools.product(range(5), range(5), range(2), range(5)))


@pytest.mark.parametrize(("organ_stages", "grade"), sorted(PUBLISHED.items()))
def test_grade_matches_the_published_table(organ_stages: tuple[int, int, int, int], grade: int) -> None:
    skin, liver, upper_gi, lower_gi = organ_stages
    result = grade_acute_gvhd(OrganStages(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi))
    assert result.value == grade


@pytest.mark.parametrize(
    ("organ_stages", "grade"),
    [
        pytest.param(stages(), 0, id="grade-0-no-organ-involved"),
        pytest.param(stages(skin=1), 1, id="grade-I-skin-1-alone"),
        pytest.param(stages(skin=2), 1, id="grade-I-skin-2-alone"),
        pytest.param(stages(skin=3), 2, id="grade-II-stage-3-rash-alone"),
        pytest.param(stages(liver=1), 2, id="grade-II-liver-1-alone"),
        pytest.param(stages(upper_gi=1), 2, id="grade-II-upper-gi-1-alone"),
        pytest.param(stages(lower_gi=1), 2, id="grade-II-lower-gi-1-alone"),
        pytest.param(stages(skin=1, upper_gi=1), 2, id="skin-1-with-upper-gi-is-not-grade-I"),
        pytest.param(stages(skin=2, liver=1), 2, id="skin-2-with-liver-is-not-grade-I"),
        pytest.param(stages(liver=2), 3, id="grade-III-liver-2"),
        pytest.param(stages(lower_gi=3), 3, id="grade-III-lower-gi-3"),
        pytest.param(stages(skin=3, upper_gi=1, lower_gi=2), 3, id="grade-III-with-skin-3-and-upper-gi-1"),
        pytest.param(stages(skin=4), 4, id="grade-IV-skin-4"),
        pytest.param(stages(liver=4), 4, id="grade-IV-liver-4"),
        pytest.param(stages(lower_gi=4), 4, id="grade-IV-lower-gi-4"),
        pytest.param(stages(lower_gi=4, upper_gi=1), 4, id="grade-IV-with-upper-gi-1"),
        pytest.param(stages(skin=3, liver=3, upper_gi=1, lower_gi=3), 3, id="every-organ-below-4-is-III"),
    ],
)
def test_reference_cases_from_the_grade_definitions(organ_stages: OrganStages, grade: int) -> None:
    result = grade_acute_gvhd(organ_stages)
    assert result.value == grade
    assert result.roman == ("0", "I", "II", "III", "IV")[grade]


def test_result_carries_inputs_decisive_organs_and_provenance() -> None:
    staged = stages(skin=3, liver=2, lower_gi=3)
    result = grade_acute_gvhd(staged)
    assert result.system is AcuteGvhdGradingSystem.MAGIC
    assert result.stages == staged
    assert result.decisive_organs == (AcuteGvhdOrgan.LIVER, AcuteGvhdOrgan.LOWER_GI)
    assert result.rule.verification is VerificationLevel.SECONDARY
    assert result.rule.citation.year == 2016 and "Harris" in result.rule.citation.authors
    assert any(c.doi == "10.1007/978-3-031-44080-9_43" for c in result.rule.citations)
    assert grade_acute_gvhd(stages()).decisive_organs == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("skin", 5, id="skin-above-4"),
        pytest.param("liver", -1, id="negative-stage"),
        pytest.param("upper_gi", 2, id="upper-gi-has-stages-0-1-only"),
        pytest.param("lower_gi", 2.0, id="a-float-is-not-a-stage"),
        pytest.param("skin", "2", id="a-string-is-not-a-stage"),
        pytest.param("skin", True, id="a-bool-is-not-a-stage"),
        pytest.param("gut", 1, id="unknown-organ"),
    ],
)
def test_bad_stages_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field) as error:
        OrganStages.model_validate({"skin": 0, "liver": 0, "upper_gi": 0, "lower_gi": 0, field: value})
    assert error.value.error_count() == 1


def test_an_organ_that_was_not_staged_is_refused_not_taken_as_stage_0() -> None:
    with pytest.raises(ValidationError, match="lower_gi"):
        OrganStages.model_validate({"skin": 1, "liver": 0, "upper_gi": 0})


_stage = {
    "skin": st.integers(0, 4),
    "liver": st.integers(0, 4),
    "upper_gi": st.integers(0, 1),
    "lower_gi": st.integers(0, 4),
}
_maxima = {"skin": 4, "liver": 4, "upper_gi": 1, "lower_gi": 4}


@given(st.fixed_dictionaries(_stage), st.sampled_from(sorted(_stage)))
def test_grade_never_falls_when_an_organ_stage_rises(staged: dict[str, int], organ: str) -> None:
    before = grade_acute_gvhd(stages(**staged)).value
    if staged[organ] < _maxima[organ]:
        after = grade_acute_gvhd(stages(**{**staged, organ: staged[organ] + 1})).value
        assert after >= before


@given(st.fixed_dictionaries(_stage))
def test_grade_is_that_of_the_most_severely_involved_organ(staged: dict[str, int]) -> None:
    """'Based upon most severe target organ involvement': each organ graded alone, the highest wins."""
    alone = [grade_acute_gvhd(stages(**{organ: stage})).value for organ, stage in staged.items()]
    assert grade_acute_gvhd(stages(**staged)).value == max(alone)
