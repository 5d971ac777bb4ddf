"""Ranking by the donor's CMV serostatus, sex and ABO group, given as vocabulary values (Dehn et al. 2019)."""

from __future__ import annotations

import numpy as np
import pytest

from engraft.hla.search.ranking import RankingInputs, RankingOptions, rank_order, rank_reason
from engraft.hla.search.store_codes import ABO, CMV, SEX
from engraft.vocabulary import AboGroup, Serostatus, Sex


def _inputs(
    *, cmv: list[Serostatus] | None = None, sex: list[Sex] | None = None, abo: list[AboGroup | None] | None = None
) -> RankingInputs:
    """Adult donors alike in every key but the given attribute (ids 1..n)."""
    n = len(cmv or sex or abo or [])
    zeros = np.zeros(n, dtype=np.int16)
    return RankingInputs(
        donor_id=np.arange(1, n + 1, dtype=np.int64),
        is_cord=np.zeros(n, dtype=bool),
        mismatches=zeros,
        potential_loci=zeros,
        gvh=zeros,
        grade_score=zeros,
        age=np.full(n, 30, dtype=np.int16),
        dpb1=np.zeros(n, dtype=np.int8),
        cmv=CMV.encode(cmv or [Serostatus.UNKNOWN] * n),
        sex=SEX.encode(sex or [Sex.UNKNOWN] * n),
        abo=ABO.encode(abo or [None] * n),
        tnc=np.full(n, np.nan, dtype=np.float32),
        cd34=np.full(n, np.nan, dtype=np.float32),
    )


def _order(inputs: RankingInputs, **options: object) -> list[int]:
    return [int(inputs.donor_id[i]) for i in rank_order(inputs, RankingOptions(**options))]  # type: ignore[arg-type]


CMV_DONORS = [Serostatus.POSITIVE, Serostatus.NEGATIVE, Serostatus.UNKNOWN, Serostatus.EQUIVOCAL]


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        pytest.param(Serostatus.NEGATIVE, [2, 3, 4, 1], id="negative-patient"),
        pytest.param(Serostatus.POSITIVE, [1, 3, 4, 2], id="positive-patient"),
        pytest.param(Serostatus.EQUIVOCAL, [1, 2, 3, 4], id="equivocal-patient-no-preference"),
        pytest.param(Serostatus.UNKNOWN, [1, 2, 3, 4], id="unknown-patient-no-preference"),
    ],
)
def test_cmv_same_status_first_and_equivocal_as_unknown(patient: Serostatus, expected: list[int]) -> None:
    assert _order(_inputs(cmv=CMV_DONORS), patient_cmv=patient) == expected


def test_male_donors_first_then_other_and_unknown_then_female() -> None:
    inputs = _inputs(sex=[Sex.FEMALE, Sex.UNKNOWN, Sex.OTHER, Sex.MALE])
    assert _order(inputs) == [4, 2, 3, 1]
    reasons = [rank_reason(inputs, RankingOptions(), i, 5) for i in range(4)]
    assert "; female;" in reasons[0] and "sex unknown" in reasons[1] and "sex other" in reasons[2]


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        pytest.param(AboGroup.A, [2, 1, 3], id="identical-then-unknown-then-mismatch"),
        pytest.param(None, [1, 2, 3], id="unknown-patient-no-preference"),
    ],
)
def test_abo_identical_first(patient: AboGroup | None, expected: list[int]) -> None:
    assert _order(_inputs(abo=[None, AboGroup.A, AboGroup.B]), patient_abo=patient) == expected


def test_reasons_speak_the_vocabulary() -> None:
    inputs = _inputs(cmv=[Serostatus.NEGATIVE, Serostatus.EQUIVOCAL], abo=[AboGroup.AB, None])
    options = RankingOptions(patient_cmv=Serostatus.NEGATIVE, patient_abo=AboGroup.A)
    first, second = (rank_reason(inputs, options, i, 5) for i in range(2))
    assert "CMV negative (matches patient)" in first and "ABO AB (ABO mismatch)" in first
    assert "CMV equivocal;" in second and "ABO unknown" in second
