"""Why a donor ranks where it does, from its sort keys: steps in ranking order, the deciding attribute, texts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.hla.search.rank_explanation import (
    DPB1_TEXT,
    NOT_COMPARED,
    NOT_KNOWN,
    RANK_ATTRIBUTES,
    SAME_UNKNOWN_DIFFERENT,
    SEX_TEXT,
    VALUE_CODES,
    RankContext,
    RankKeyMismatch,
    RankValue,
    decision,
    rank_reason,
    rank_steps,
    rank_texts,
)
from engraft.hla.search.ranking import RankingInputs, RankingOptions, sort_keys
from engraft.vocabulary import AboGroup, DonorKind, Serostatus

KNOWN = RankContext.of(patient_cmv=Serostatus.NEGATIVE, patient_abo=AboGroup.A, patient_weight_kg=None)
UNKNOWN = RankContext.of(patient_cmv=Serostatus.EQUIVOCAL, patient_abo=None, patient_weight_kg=20.0)
KEYS = {a.key: i for i, a in enumerate(RANK_ATTRIBUTES)}
NUMERIC_CODES = {RankValue.NUMBER, RankValue.CELL_DOSE, RankValue.AGE_BAND, RankValue.AGE_BAND_UP_TO}


def _key(**values: float) -> tuple[float, ...]:
    key = [0.0] * len(RANK_ATTRIBUTES)
    for name, value in values.items():
        key[KEYS[name]] = value
    return tuple(key)


def test_one_attribute_per_sort_key_of_the_ranking() -> None:
    one = np.zeros(1, dtype=np.int16)
    inputs = RankingInputs(
        donor_id=np.array([7], dtype=np.int64),
        is_cord=np.zeros(1, dtype=np.bool_),
        mismatches=one,
        potential_loci=one,
        gvh=one,
        grade_score=one,
        age=one,
        dpb1=np.zeros(1, dtype=np.int8),
        cmv=np.zeros(1, dtype=np.uint8),
        sex=np.zeros(1, dtype=np.uint8),
        abo=np.zeros(1, dtype=np.uint8),
        tnc=np.zeros(1, dtype=np.float32),
        cd34=np.zeros(1, dtype=np.float32),
    )
    assert len(sort_keys(inputs, RankingOptions())) == len(RANK_ATTRIBUTES)


@pytest.mark.parametrize(
    ("kind", "keys"),
    [
        pytest.param(
            DonorKind.ADULT,
            ["mismatches", "potential", "gvh", "grade", "age", "dpb1", "cmv", "sex", "abo", "donor_id"],
            id="adult",
        ),
        pytest.param(DonorKind.CORD, ["mismatches", "potential", "tnc", "cd34", "donor_id"], id="cord"),
    ],
)
def test_steps_follow_the_ranking_order_for_the_donors_kind(kind: DonorKind, keys: list[str]) -> None:
    assert [s.key for s in rank_steps(_key(donor_id=12), kind, KNOWN)] == keys


@pytest.mark.parametrize(
    ("band", "text", "words"),
    [
        pytest.param(0, "≤ 22", False, id="youngest-band"),
        pytest.param(1, "23–27", False, id="second-band"),
        pytest.param(98, "508–512", False, id="last-numbered-band"),
        pytest.param(99, "not known", True, id="unknown-age"),
    ],
)
def test_age_bands(band: int, text: str, words: bool) -> None:
    step = next(s for s in rank_steps(_key(age=band), DonorKind.ADULT, KNOWN) if s.key == "age")
    assert (step.value, step.words) == (text, words)


@pytest.mark.parametrize(
    ("context", "cmv", "abo"),
    [
        pytest.param(KNOWN, "differs from the patient's", "not known", id="patient-facts-known"),
        pytest.param(UNKNOWN, NOT_COMPARED, NOT_COMPARED, id="patient-facts-not-known"),
    ],
)
def test_cmv_and_abo_are_compared_only_when_the_patients_is_known(context: RankContext, cmv: str, abo: str) -> None:
    steps = {s.key: s for s in rank_steps(_key(cmv=2, abo=1), DonorKind.ADULT, context)}
    assert (steps["cmv"].value, steps["abo"].value) == (cmv, abo)


def test_cord_doses_per_kg_only_with_the_patients_weight() -> None:
    key = _key(tnc=-3.456, cd34=-1.2)
    per_kg = {s.key: s.value for s in rank_steps(key, DonorKind.CORD, UNKNOWN)}
    total = {s.key: s.value for s in rank_steps(key, DonorKind.CORD, KNOWN)}
    assert per_kg["tnc"] == "3.46 ×10⁷/kg" and per_kg["cd34"] == "1.20 ×10⁶/kg"
    assert total["tnc"] == "3.46 ×10⁷"


def test_keys_that_do_not_fit_the_attributes_are_refused() -> None:
    with pytest.raises(RankKeyMismatch, match="donor 5: rank_key has 3 keys; expected 12"):
        rank_steps((0.0, 0.0, 5.0), DonorKind.ADULT, KNOWN, donor_id=5)


@given(
    st.lists(st.integers(min_value=0, max_value=3), min_size=len(RANK_ATTRIBUTES), max_size=len(RANK_ATTRIBUTES)),
    st.lists(st.integers(min_value=0, max_value=3), min_size=len(RANK_ATTRIBUTES), max_size=len(RANK_ATTRIBUTES)),
)
def test_the_deciding_attribute_is_the_first_key_that_differs(mine: list[int], above: list[int]) -> None:
    found = decision([float(k) for k in mine], [float(k) for k in above], 4, KNOWN)
    differing = [i for i, (a, b) in enumerate(zip(mine, above, strict=True)) if a != b]
    if not differing:
        assert found is None
    else:
        assert found is not None and found.step.key == RANK_ATTRIBUTES[differing[0]].key
        assert found.above_rank == 4 and found.above.key == found.step.key


def test_the_first_donor_has_no_deciding_attribute() -> None:
    assert decision(_key(donor_id=3), None, 0, KNOWN) is None


GENE_OR_MARKER = re.compile(r"\b(?:DPB1|DRB1|DQB1|CD34)\b")


@pytest.mark.parametrize("text", rank_texts())
def test_texts_hold_no_number_for_the_report_catalogue(text: str) -> None:
    """Figures are values of their own; only gene and marker names carry digits."""
    assert not re.search(r"\d", GENE_OR_MARKER.sub("", text)), text


@pytest.mark.parametrize(
    ("kind", "values", "context", "attribute", "code", "parameters"),
    [
        pytest.param(DonorKind.ADULT, {"mismatches": 2}, KNOWN, "mismatches", "number", {"value": 2}, id="count"),
        pytest.param(DonorKind.ADULT, {"donor_id": 42}, KNOWN, "donor_id", "number", {"value": 42}, id="donor-id"),
        pytest.param(DonorKind.ADULT, {"age": 0}, KNOWN, "age", "age_band_up_to", {"high": 22}, id="youngest-band"),
        pytest.param(DonorKind.ADULT, {"age": 1}, KNOWN, "age", "age_band", {"low": 23, "high": 27}, id="age-band"),
        pytest.param(DonorKind.ADULT, {"age": 99}, KNOWN, "age", "not_known", {}, id="age-unknown"),
        pytest.param(DonorKind.ADULT, {"dpb1": 3}, KNOWN, "dpb1", "dpb1_non_permissive_mismatch", {}, id="dpb1-np"),
        pytest.param(DonorKind.ADULT, {"cmv": 0}, KNOWN, "cmv", "same_as_patient", {}, id="cmv-same"),
        pytest.param(DonorKind.ADULT, {"cmv": 2}, UNKNOWN, "cmv", "not_compared", {}, id="cmv-not-compared"),
        pytest.param(DonorKind.ADULT, {"sex": 2}, KNOWN, "sex", "female", {}, id="female"),
        pytest.param(
            DonorKind.CORD,
            {"tnc": -3.456},
            UNKNOWN,
            "tnc",
            "cell_dose",
            {"dose": 3.46, "unit": "10*7{cells}/kg"},
            id="tnc-per-kg",
        ),
        pytest.param(
            DonorKind.CORD, {"cd34": -1.2}, KNOWN, "cd34", "cell_dose", {"dose": 1.2, "unit": "10*6{cells}"}, id="cd34"
        ),
    ],
)
def test_each_value_has_a_code_and_parameters(
    kind: DonorKind,
    values: dict[str, float],
    context: RankContext,
    attribute: str,
    code: str,
    parameters: dict[str, object],
) -> None:
    step = next(s for s in rank_steps(_key(**values), kind, context) if s.key == attribute)
    assert (step.code, dict(step.parameters)) == (code, parameters)


def test_every_value_word_has_one_code() -> None:
    """Each word a value can be has a code, and no two words share one (clients translate by code)."""
    words = [NOT_KNOWN, NOT_COMPARED, *DPB1_TEXT.values(), *SAME_UNKNOWN_DIFFERENT.values(), *SEX_TEXT.values()]
    assert set(VALUE_CODES) == set(words)
    assert len(set(VALUE_CODES.values())) == len(VALUE_CODES)


@given(st.lists(st.integers(min_value=0, max_value=99), min_size=len(RANK_ATTRIBUTES), max_size=len(RANK_ATTRIBUTES)))
def test_the_reason_as_data_is_the_steps_and_the_decision(keys: list[int]) -> None:
    key = [float(k) for k in keys]
    above = [0.0] * len(RANK_ATTRIBUTES)
    reason = rank_reason(key, DonorKind.ADULT, above, 1, KNOWN)
    assert reason.steps == rank_steps(key, DonorKind.ADULT, KNOWN)
    assert reason.decided_by == decision(key, above, 1, KNOWN)
    for step in reason.steps:
        assert step.words == (step.code not in NUMERIC_CODES)
