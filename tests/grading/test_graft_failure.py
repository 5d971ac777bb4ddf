"""Primary and secondary graft failure, poor graft function.

Sources of the expectations (read 2026-12-04):

* ASTCT harmonised definitions (Kharfan-Dabaja et al., Transplant Cell Ther 2021;27(8):642-649), reproduced in
  Bone Marrow Transplant 2024;59(6):832-837, Table 1 (PMC11161398/table/Tab1) and in the EBMT Handbook 8th ed.,
  chapter 41, section 41.2 (Valcarcel et al. 2024): primary graft failure = no ANC >= 500/uL by day +30 (PBSC,
  unstimulated bone marrow) or day +42 (cord blood) with associated pancytopenia; secondary graft failure =
  decline needing blood products or growth factors after neutrophil and platelet recovery; full donor chimerism
  > 95 % in myeloid and lymphoid lineages (also EBMT Handbook chapter 21, section 21.1). clinical-scores.md 10.1
  marks these [V].
* The operational poor-graft-function reading is [S] in clinical-scores.md 10.1 and labelled ``unverified`` in
  Engraft: its tests below pin Engraft's implementation of it (and that it says so), not a published fact.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    ChimerismResult,
    CountMeasurement,
    CountSeries,
    GraftFailureStatus,
    HaemoglobinMeasurement,
    Support,
    SupportKind,
    neutrophil_engraftment,
    platelet_engraftment,
    poor_graft_function_operational,
    primary_graft_failure,
    secondary_graft_failure,
)
from engraft.measurements import Quantity, UnitError
from engraft.provenance import VerificationLevel
from engraft.vocabulary.clinical import GraftSource

BM, PB, CB = GraftSource.BONE_MARROW, GraftSource.PERIPHERAL_BLOOD, GraftSource.CORD_BLOOD


def series(values: dict[int, float], unit: str = "10*9/L") -> CountSeries:
    return CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit=unit) for d, v in values.items()))


def aplastic_until(last_low_day: int, recovery: int | None = None) -> dict[int, float]:
    """ANC 0.05 from day 0 to ``last_low_day``; 0.8 for three days from ``recovery`` when given."""
    values = {d: 0.05 for d in range(0, last_low_day + 1)}
    if recovery is not None:
        values.update({recovery + i: 0.8 for i in range(3)})
    return values


# --- primary graft failure: the day limit per graft source --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "recovery", "status"),
    [
        pytest.param(PB, 29, GraftFailureStatus.NOT_MET, id="pbsc-recovery-day-29-below-limit"),
        pytest.param(PB, 30, GraftFailureStatus.NOT_MET, id="pbsc-recovery-day-30-at-limit"),
        pytest.param(PB, 31, GraftFailureStatus.CRITERION_MET, id="pbsc-recovery-day-31-above-limit"),
        pytest.param(BM, 30, GraftFailureStatus.NOT_MET, id="marrow-recovery-day-30-at-limit"),
        pytest.param(BM, 31, GraftFailureStatus.CRITERION_MET, id="marrow-recovery-day-31-above-limit"),
        pytest.param(CB, 31, GraftFailureStatus.NOT_MET, id="cord-recovery-day-31-is-fine"),
        pytest.param(CB, 41, GraftFailureStatus.NOT_MET, id="cord-recovery-day-41-below-limit"),
        pytest.param(CB, 42, GraftFailureStatus.NOT_MET, id="cord-recovery-day-42-at-limit"),
        pytest.param(CB, 43, GraftFailureStatus.CRITERION_MET, id="cord-recovery-day-43-above-limit"),
    ],
)
def test_primary_graft_failure_day_limit_per_graft_source(
    source: GraftSource, recovery: int, status: GraftFailureStatus
) -> None:
    result = primary_graft_failure(series(aplastic_until(recovery - 1, recovery)), source, as_of_day=60)
    assert result.status is status
    assert result.day_limit == {PB: 30, BM: 30, CB: 42}[source] and result.recovery_day == recovery
    if status is GraftFailureStatus.CRITERION_MET:
        assert result.to_confirm == ("associated pancytopenia", "donor chimerism testing")
        assert all(m.day <= result.day_limit for m in result.observations) and result.observations
        assert any(f"came later, on day {recovery}" in note for note in result.notes)
    else:
        assert [m.day for m in result.observations] == [recovery, recovery + 1, recovery + 2]


def test_primary_graft_failure_rule_is_labelled_secondary_with_its_sources() -> None:
    result = primary_graft_failure(series(aplastic_until(40)), PB, as_of_day=41)
    assert result.status is GraftFailureStatus.CRITERION_MET
    assert result.rule.verification is VerificationLevel.SECONDARY
    assert result.rule.citation.doi == "10.1016/j.jtct.2021.04.007"
    assert {c.doi for c in result.rule.citations} >= {"10.1038/s41409-024-02251-0", "10.1007/978-3-031-44080-9_41"}


@pytest.mark.parametrize(
    ("values", "as_of", "status"),
    [
        pytest.param(aplastic_until(20), 20, GraftFailureStatus.PENDING, id="before-the-limit-pending"),
        pytest.param(aplastic_until(30), 30, GraftFailureStatus.PENDING, id="on-the-limit-day-pending"),
        pytest.param(aplastic_until(31), 31, GraftFailureStatus.CRITERION_MET, id="day-after-the-limit-met"),
        pytest.param(
            {**aplastic_until(28), 29: 0.7, 30: 0.8}, 31, GraftFailureStatus.PENDING, id="run-started-pending"
        ),
        pytest.param({**aplastic_until(28), 29: 0.7, 30: 0.8, 31: 0.9}, 31, GraftFailureStatus.NOT_MET, id="run-done"),
        pytest.param(
            {**aplastic_until(28), 29: 0.7, 30: 0.8, 31: 0.2}, 31, GraftFailureStatus.CRITERION_MET, id="run-broken"
        ),
        pytest.param({**aplastic_until(28), 30: 0.7, 35: 0.8}, 36, GraftFailureStatus.PENDING, id="gap-after-limit"),
        pytest.param({-5: 0.01, 40: 0.02}, 41, GraftFailureStatus.INSUFFICIENT_DATA, id="no-value-day-0-to-30"),
        pytest.param({d: 0.9 for d in range(0, 32)}, 31, GraftFailureStatus.NOT_MET, id="anc-never-fell"),
        pytest.param({d: 0.9 for d in range(0, 20)}, 20, GraftFailureStatus.PENDING, id="never-fell-yet-pending"),
    ],
)
def test_primary_graft_failure_as_known_on_a_day(
    values: dict[int, float], as_of: int, status: GraftFailureStatus
) -> None:
    assert primary_graft_failure(series(values), PB, as_of_day=as_of).status is status


def test_values_after_the_as_of_day_are_not_used() -> None:
    values = {**aplastic_until(28), 29: 0.7, 30: 0.8, 31: 0.9}
    assert primary_graft_failure(series(values), PB, as_of_day=30).status is GraftFailureStatus.PENDING


def test_a_single_value_at_the_threshold_by_the_limit_is_not_recovery() -> None:
    values = {**aplastic_until(28), 29: 0.5, 30: 0.1, 31: 0.1}
    result = primary_graft_failure(series(values), PB, as_of_day=31)
    assert result.status is GraftFailureStatus.CRITERION_MET


@given(
    st.dictionaries(st.integers(0, 50), st.sampled_from([0.05, 0.49, 0.5, 0.9]), max_size=40),
    st.sampled_from([BM, PB, CB]),
    st.integers(0, 60),
    st.randoms(use_true_random=False),
)
def test_primary_graft_failure_does_not_depend_on_arrival_order(
    values: dict[int, float], source: GraftSource, as_of: int, rnd: object
) -> None:
    items = list(values.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    shuffled = CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit="10*9/L") for d, v in items))
    assert primary_graft_failure(series(values), source, as_of) == primary_graft_failure(shuffled, source, as_of)


# --- secondary graft failure ----------------------------------------------------------------------------------

ANC = {0: 0.05, 12: 0.6, 13: 0.8, 14: 1.0, 40: 0.3}
PLATELETS = {0: 5.0, 18: 25.0, 19: 30.0, 20: 40.0, 41: 12.0}


@pytest.mark.parametrize(
    ("support", "status"),
    [
        pytest.param(
            [Support(day=20, kind=SupportKind.PLATELET_TRANSFUSION)],
            GraftFailureStatus.NOT_MET,
            id="on-the-recovery-day",
        ),
        pytest.param(
            [Support(day=21, kind=SupportKind.RED_CELL_TRANSFUSION)],
            GraftFailureStatus.CRITERION_MET,
            id="red-cells-after",
        ),
        pytest.param(
            [Support(day=42, kind=SupportKind.GROWTH_FACTOR)], GraftFailureStatus.CRITERION_MET, id="g-csf-after"
        ),
        pytest.param(
            [Support(day=10, kind=SupportKind.PLATELET_TRANSFUSION)],
            GraftFailureStatus.NOT_MET,
            id="before-platelet-recovery",
        ),
        pytest.param([], GraftFailureStatus.NOT_MET, id="no-support"),
    ],
)
def test_secondary_graft_failure_needs_support_after_both_recoveries(
    support: list[Support], status: GraftFailureStatus
) -> None:
    neutrophils = neutrophil_engraftment(series(ANC))
    platelets = platelet_engraftment(series(PLATELETS), transfusion_days=[d.day for d in support if d.day < 18])
    result = secondary_graft_failure(neutrophils, platelets, support, as_of_day=60)
    assert result.status is status
    if status is GraftFailureStatus.CRITERION_MET:
        assert [m.day for m in result.observations] == [40, 41]
        assert result.support and "donor chimerism testing" in result.to_confirm
        assert result.rule.verification is VerificationLevel.SECONDARY


def test_secondary_graft_failure_needs_both_recoveries_first() -> None:
    neutrophils = neutrophil_engraftment(series(ANC))
    platelets = platelet_engraftment(series({0: 5.0, 18: 25.0}))
    result = secondary_graft_failure(neutrophils, platelets, [Support(day=30, kind=SupportKind.GROWTH_FACTOR)], 60)
    assert result.status is GraftFailureStatus.NOT_APPLICABLE


def test_secondary_graft_failure_ignores_support_after_the_as_of_day_and_duplicates() -> None:
    neutrophils = neutrophil_engraftment(series(ANC))
    platelets = platelet_engraftment(series(PLATELETS))
    late = Support(day=50, kind=SupportKind.RED_CELL_TRANSFUSION)
    assert secondary_graft_failure(neutrophils, platelets, [late], 45).status is GraftFailureStatus.NOT_MET
    once = secondary_graft_failure(neutrophils, platelets, [late], 60)
    twice = secondary_graft_failure(neutrophils, platelets, [late, late], 60)
    assert once == twice and once.support == (late,)


# --- poor graft function (operational reading, unverified) ---------------------------------------------------


def hb(values: dict[int, float], unit: str = "g/L") -> list[HaemoglobinMeasurement]:
    return [HaemoglobinMeasurement(day=d, value=Quantity(value=v, unit=unit)) for d, v in values.items()]


LOW_ANC = series({29: 0.3, 30: 0.2, 31: 0.4})
LOW_PLATELETS = series({29: 10.0, 30: 12.0, 31: 15.0})
FULL = ChimerismResult(myeloid_percent=99.0, lymphoid_percent=97.0)


@pytest.mark.parametrize(
    ("anc", "platelets", "haemoglobin", "required", "status"),
    [
        pytest.param(LOW_ANC, LOW_PLATELETS, {}, 2, GraftFailureStatus.CRITERION_MET, id="two-lineages-met"),
        pytest.param(LOW_ANC, LOW_PLATELETS, {}, 3, GraftFailureStatus.NOT_MET, id="two-of-three-required"),
        pytest.param(
            LOW_ANC, LOW_PLATELETS, {29: 69.9, 30: 60, 31: 65}, 3, GraftFailureStatus.CRITERION_MET, id="three"
        ),
        pytest.param(
            LOW_ANC,
            series({29: 10.0, 30: 20.0, 31: 15.0}),
            {},
            2,
            GraftFailureStatus.NOT_MET,
            id="platelets-20-not-low",
        ),
        pytest.param(
            series({29: 0.3, 30: 0.5, 31: 0.4}), LOW_PLATELETS, {}, 2, GraftFailureStatus.NOT_MET, id="anc-0.5-not-low"
        ),
        pytest.param(
            LOW_ANC,
            series({28: 10.0, 29: 12.0, 31: 15.0}),
            {},
            2,
            GraftFailureStatus.NOT_MET,
            id="day-28-does-not-count",
        ),
        pytest.param(
            LOW_ANC,
            series({29: 10.0, 31: 12.0, 32: 15.0}),
            {},
            2,
            GraftFailureStatus.NOT_MET,
            id="not-consecutive-days",
        ),
        pytest.param(LOW_ANC, LOW_PLATELETS, {}, 2, GraftFailureStatus.CRITERION_MET, id="two-lineages-again"),
    ],
)
def test_poor_graft_function_operational_reading(
    anc: CountSeries, platelets: CountSeries, haemoglobin: dict[int, float], required: int, status: GraftFailureStatus
) -> None:
    result = poor_graft_function_operational(anc, platelets, hb(haemoglobin), FULL, lineages_required=required)
    assert result.status is status
    assert result.rule.verification is VerificationLevel.UNVERIFIED


@pytest.mark.parametrize(
    ("value", "unit", "low"),
    [
        pytest.param(69.9, "g/L", True, id="hb-69.9-g/L-low"),
        pytest.param(70.0, "g/L", False, id="hb-70-g/L-not-low"),
        pytest.param(6.99, "g/dL", True, id="hb-6.99-g/dL-low"),
        pytest.param(7.0, "g/dL", False, id="hb-7.0-g/dL-not-low"),
    ],
)
def test_haemoglobin_threshold_in_both_units(value: float, unit: str, low: bool) -> None:
    result = poor_graft_function_operational(
        LOW_ANC, series({}), hb({29: value, 30: value, 31: value}, unit), FULL, lineages_required=2
    )
    assert (result.status is GraftFailureStatus.CRITERION_MET) is low


@pytest.mark.parametrize(
    ("myeloid", "lymphoid", "status"),
    [
        pytest.param(95.1, 99.0, GraftFailureStatus.CRITERION_MET, id="95.1-is-complete"),
        pytest.param(95.0, 99.0, GraftFailureStatus.NOT_MET, id="95.0-is-not-complete"),
        pytest.param(99.0, 80.0, GraftFailureStatus.NOT_MET, id="split-lymphoid-mixed"),
    ],
)
def test_complete_donor_chimerism_is_strictly_above_95(
    myeloid: float, lymphoid: float, status: GraftFailureStatus
) -> None:
    chimerism = ChimerismResult(myeloid_percent=myeloid, lymphoid_percent=lymphoid)
    assert poor_graft_function_operational(LOW_ANC, LOW_PLATELETS, [], chimerism).status is status


def test_without_chimerism_the_result_asks_for_it() -> None:
    result = poor_graft_function_operational(LOW_ANC, LOW_PLATELETS, [], None)
    assert result.status is GraftFailureStatus.CRITERION_MET
    assert result.to_confirm[0].startswith("complete donor chimerism")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="lineages_required=4"):
        poor_graft_function_operational(LOW_ANC, LOW_PLATELETS, [], FULL, lineages_required=4)
    with pytest.raises((ValidationError, UnitError), match="haemoglobin"):
        HaemoglobinMeasurement(day=30, value=Quantity(value=4.3, unit="mmol/L"))
    with pytest.raises(ValidationError, match="myeloid_percent"):
        ChimerismResult(myeloid_percent=101, lymphoid_percent=99)
