"""Febrile neutropenia from timestamped temperatures and neutrophil counts.

Source of the expectations: IDSA 2010 (Freifeld et al., Clin Infect Dis 2011;52(4):e56-e93) as reproduced in
clinical-scores.md section 10.2 ([S], identical across several reproductions; seen again 2026-12-04 in the
Johns Hopkins ABX Guide and UpToDate): single oral temperature >= 38.3 C (101 F), or >= 38.0 C (100.4 F)
sustained over 1 h; ANC < 500/mm3 or expected to fall below 500 within 48 h. The rule is labelled
``secondary`` accordingly. The tests marked "Engraft's reading" pin choices the definition leaves open
(the 2 h gap limit, the nearest ANC within 24 h), documented in the module.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.grading import (
    IDSA_2010_FEVER,
    AncReading,
    FebrileNeutropeniaStatus,
    FeverCriteria,
    FeverKind,
    TemperatureReading,
    TemperatureSite,
    febrile_neutropenia,
    fevers,
)
from engraft.measurements import Quantity, UnitError, convert
from engraft.provenance import VerificationLevel

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
FN = FebrileNeutropeniaStatus


def temp(
    minutes: float, value: float, unit: str = "Cel", site: TemperatureSite = TemperatureSite.ORAL
) -> TemperatureReading:
    return TemperatureReading(
        at=T0 + dt.timedelta(minutes=minutes), quantity=Quantity(value=value, unit=unit), site=site
    )


def anc(minutes: float, value: float, unit: str = "10*9/L") -> AncReading:
    return AncReading(at=T0 + dt.timedelta(minutes=minutes), quantity=Quantity(value=value, unit=unit))


LOW = [anc(-60, 0.1)]


def test_fahrenheit_conversion_is_the_ucum_definition() -> None:
    assert convert(100.4, "[degF]", "Cel") == pytest.approx(38.0, abs=1e-12)
    assert convert(101.0, "[degF]", "Cel") == pytest.approx(38.333333333, abs=1e-9)
    assert convert(38.3, "Cel", "[degF]") == pytest.approx(100.94, abs=1e-9)


# --- single reading >= 38.3 C ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "fever"),
    [
        pytest.param(38.29, "Cel", False, id="38.29-C-below"),
        pytest.param(38.3, "Cel", True, id="38.3-C-at"),
        pytest.param(38.31, "Cel", True, id="38.31-C-above"),
        pytest.param(100.93, "[degF]", False, id="100.93-F-below"),
        pytest.param(100.94, "[degF]", True, id="100.94-F-at-38.3-C"),
        pytest.param(101.0, "[degF]", True, id="101-F-as-the-guideline-prints"),
    ],
)
def test_single_reading_threshold_in_both_units(value: float, unit: str, fever: bool) -> None:
    result = febrile_neutropenia([temp(0, value, unit)], LOW)
    assert (result.status is FN.FEBRILE_NEUTROPENIA) is fever
    if fever:
        assert result.fever is not None and result.fever.kind is FeverKind.SINGLE and result.fever.onset == T0


# --- >= 38.0 C sustained over one hour ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "onset_minutes"),
    [
        pytest.param([(0, 38.0), (59, 38.1)], None, id="59-minutes-not-sustained"),
        pytest.param([(0, 38.0), (60, 38.1)], 60, id="60-minutes-sustained"),
        pytest.param([(0, 38.0), (30, 38.2), (61, 38.0)], 61, id="61-minutes-three-readings"),
        pytest.param([(0, 37.99), (60, 38.1)], None, id="first-reading-37.99-below"),
        pytest.param([(0, 38.1), (30, 37.9), (60, 38.1)], None, id="reading-below-in-between-breaks"),
        pytest.param([(0, 38.1), (30, 37.9), (60, 38.1), (120, 38.2)], 120, id="restarts-after-the-dip"),
        pytest.param([(0, 100.4, "[degF]"), (60, 100.4, "[degF]")], 60, id="100.4-F-is-38.0-C-at"),
        pytest.param([(0, 100.39, "[degF]"), (60, 100.5, "[degF]")], None, id="100.39-F-below"),
        pytest.param([(0, 38.0), (60, 100.5, "[degF]")], 60, id="mixed-units-in-one-run"),
    ],
)
def test_sustained_fever(readings: list[tuple], onset_minutes: int | None) -> None:  # type: ignore[type-arg]
    result = febrile_neutropenia([temp(*r) for r in readings], LOW)
    if onset_minutes is None:
        assert result.status is FN.NO_FEVER and result.fever is None
    else:
        assert result.status is FN.FEBRILE_NEUTROPENIA and result.fever is not None
        assert result.fever.kind is FeverKind.SUSTAINED
        assert result.fever.onset == T0 + dt.timedelta(minutes=onset_minutes)
        first, last = result.fever.readings[0], result.fever.readings[-1]
        assert last.at == result.fever.onset and last.at - first.at >= dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("gap_minutes", "sustained"),
    [
        pytest.param(119, True, id="gap-under-2h-keeps-the-run"),
        pytest.param(120, True, id="gap-of-2h-keeps-the-run"),
        pytest.param(121, False, id="gap-over-2h-breaks-the-run"),
    ],
)
def test_a_gap_longer_than_2h_breaks_a_sustained_run(gap_minutes: int, sustained: bool) -> None:
    """Engraft's reading: a gap longer than max_gap (2 h) between readings does not show a sustained fever."""
    result = febrile_neutropenia([temp(0, 38.1), temp(gap_minutes, 38.1)], LOW)
    assert (result.status is FN.FEBRILE_NEUTROPENIA) is sustained


# --- neutropenia ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [
        pytest.param(0.49, "10*9/L", FN.FEBRILE_NEUTROPENIA, id="anc-0.49-neutropenic"),
        pytest.param(0.5, "10*9/L", FN.FEVER_WITHOUT_NEUTROPENIA, id="anc-0.5-not-neutropenic"),
        pytest.param(0.51, "10*9/L", FN.FEVER_WITHOUT_NEUTROPENIA, id="anc-0.51-not-neutropenic"),
        pytest.param(499, "/mm3", FN.FEBRILE_NEUTROPENIA, id="anc-499-per-mm3"),
        pytest.param(500, "/uL", FN.FEVER_WITHOUT_NEUTROPENIA, id="anc-500-per-uL"),
    ],
)
def test_anc_threshold(value: float, unit: str, status: FebrileNeutropeniaStatus) -> None:
    result = febrile_neutropenia([temp(0, 38.5)], [anc(-30, value, unit)])
    assert (
        result.status is status
        and result.anc is not None
        and result.anc.count == pytest.approx(value * (1e-3 if unit != "10*9/L" else 1))
    )


def test_expected_to_fall_makes_a_fever_with_anc_above_0_5_febrile_neutropenia() -> None:
    result = febrile_neutropenia([temp(0, 38.5)], [anc(-30, 0.9)], expected_to_fall=True)
    assert result.status is FN.FEBRILE_NEUTROPENIA and result.expected_to_fall
    assert any("expected to fall" in note for note in result.notes)


@pytest.mark.parametrize(
    ("counts", "status", "used_minutes"),
    [
        pytest.param([anc(-24 * 60, 0.1)], FN.FEBRILE_NEUTROPENIA, -24 * 60, id="anc-24h-before-counts"),
        pytest.param([anc(-24 * 60 - 1, 0.1)], FN.FEVER_ANC_UNKNOWN, None, id="anc-over-24h-before-too-old"),
        pytest.param([anc(120, 0.1)], FN.FEBRILE_NEUTROPENIA, 120, id="anc-drawn-after-the-fever-counts"),
        pytest.param([anc(-600, 0.1), anc(60, 0.9)], FN.FEVER_WITHOUT_NEUTROPENIA, 60, id="nearest-anc-decides"),
        pytest.param([anc(-60, 0.9), anc(60, 0.1)], FN.FEBRILE_NEUTROPENIA, 60, id="equally-near-lowest-decides"),
        pytest.param([], FN.FEVER_ANC_UNKNOWN, None, id="no-anc"),
    ],
)
def test_which_anc_decides(
    counts: list[AncReading], status: FebrileNeutropeniaStatus, used_minutes: int | None
) -> None:
    """Engraft's reading: the ANC nearest the fever onset within 24 h, the lowest of equally near ones."""
    result = febrile_neutropenia([temp(0, 38.6)], counts)
    assert result.status is status
    if used_minutes is None:
        assert result.anc is None
    else:
        assert result.anc is not None and result.anc.at == T0 + dt.timedelta(minutes=used_minutes)


def test_the_first_fever_with_neutropenia_is_reported_and_every_fever_listed() -> None:
    temperatures = [temp(0, 38.5), temp(60, 37.0), temp(3 * 24 * 60, 38.4)]
    counts = [anc(0, 1.5), anc(3 * 24 * 60, 0.2)]
    result = febrile_neutropenia(temperatures, counts)
    assert result.status is FN.FEBRILE_NEUTROPENIA
    assert result.fever is not None and result.fever.onset == T0 + dt.timedelta(days=3)
    assert [f.onset for f in result.fevers] == [T0, T0 + dt.timedelta(days=3)]


@pytest.mark.parametrize(
    "minutes",
    [pytest.param(range(0, 300, 30), id="every-30-minutes"), pytest.param(range(0, 1440, 240), id="every-4-hours")],
)
def test_one_fever_episode_is_reported_once_while_it_lasts(minutes: range) -> None:
    assert len(fevers([temp(m, 38.6) for m in minutes])) == 1


def test_a_reading_below_38_ends_a_fever_and_the_next_one_is_new() -> None:
    found = fevers([temp(0, 38.6), temp(60, 37.2), temp(120, 38.4)])
    assert [f.onset for f in found] == [T0, T0 + dt.timedelta(minutes=120)]


def test_the_rule_says_where_it_comes_from_and_notes_a_non_oral_site() -> None:
    result = febrile_neutropenia([temp(0, 38.4, site=TemperatureSite.AXILLARY)], LOW)
    assert result.rule.verification is VerificationLevel.SECONDARY
    assert result.rule.citation.doi == "10.1093/cid/cir073"
    assert any("non-oral site (axillary)" in note for note in result.notes)


def test_a_centre_may_set_its_own_criteria_and_the_result_says_so() -> None:
    centre = FeverCriteria(
        name="centre paediatric axillary protocol",
        single=Quantity(value=38.0, unit="Cel"),
        sustained=Quantity(value=37.8, unit="Cel"),
    )
    reading = [temp(0, 38.0, site=TemperatureSite.AXILLARY)]
    assert febrile_neutropenia(reading, LOW).status is FN.NO_FEVER
    result = febrile_neutropenia(reading, LOW, criteria=centre)
    assert result.status is FN.FEBRILE_NEUTROPENIA and result.criteria == centre
    assert any("not the IDSA 2010 thresholds" in note for note in result.notes)


# --- inputs ---------------------------------------------------------------------------------------------------


def test_bad_inputs_are_refused_with_the_field_named() -> None:
    with pytest.raises((ValidationError, UnitError), match="temperature"):
        TemperatureReading(at=T0, quantity=Quantity(value=38.0, unit="mg/dL"))
    with pytest.raises((ValidationError, UnitError), match="anc"):
        AncReading(at=T0, quantity=Quantity(value=0.4, unit="g/L"))
    with pytest.raises(ValidationError, match="no time zone"):
        TemperatureReading(at=dt.datetime(2026, 3, 1, 8, 0), quantity=Quantity(value=38.0, unit="Cel"))
    with pytest.raises((ValidationError, UnitError), match="fever threshold"):
        FeverCriteria(name="x", single=Quantity(value=1, unit="%"), sustained=IDSA_2010_FEVER.sustained)


# --- invariants -----------------------------------------------------------------------------------------------

_temperatures = st.lists(
    st.tuples(st.integers(0, 600).map(lambda m: m - m % 15), st.sampled_from([36.8, 37.99, 38.0, 38.2, 38.3, 39.0])),
    max_size=25,
)
_counts = st.lists(st.tuples(st.integers(-1500, 1500), st.sampled_from([0.05, 0.49, 0.5, 2.0])), max_size=6)


@given(_temperatures, _counts, st.randoms(use_true_random=False))
def test_order_of_arrival_never_changes_the_result(
    temperatures: list[tuple[int, float]], counts: list[tuple[int, float]], rnd: object
) -> None:
    t = [temp(m, v) for m, v in temperatures]
    a = [anc(m, v) for m, v in counts]
    shuffled_t, shuffled_a = list(t), list(a)
    rnd.shuffle(shuffled_t)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_a)  # type: ignore[attr-defined]
    assert febrile_neutropenia(t, a) == febrile_neutropenia(shuffled_t, shuffled_a)


@given(_temperatures, _counts, st.data())
def test_a_duplicate_reading_never_changes_the_result(
    temperatures: list[tuple[int, float]], counts: list[tuple[int, float]], data: st.DataObject
) -> None:
    t = [temp(m, v) for m, v in temperatures]
    a = [anc(m, v) for m, v in counts]
    extra_t = [data.draw(st.sampled_from(t))] if t else []
    extra_a = [data.draw(st.sampled_from(a))] if a else []
    assert febrile_neutropenia(t, a) == febrile_neutropenia(t + extra_t, a + extra_a)


@given(_temperatures)
def test_the_same_temperatures_in_fahrenheit_give_the_same_fevers(temperatures: list[tuple[int, float]]) -> None:
    celsius = [temp(m, v) for m, v in temperatures]
    fahrenheit = [temp(m, convert(v, "Cel", "[degF]"), "[degF]") for m, v in temperatures]
    assert [(f.kind, f.onset) for f in fevers(celsius)] == [(f.kind, f.onset) for f in fevers(fahrenheit)]
