"""The patient page's view building: HLA by locus, lab units, engraftment marks, CMV charts per unit."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.outcomes.activity import INDICATION_ORDER
from engraft.registry.patient_record import ChartObservation
from engraft.registry.schemas.clinical import EventOut
from engraft.registry.schemas.episode import EpisodeOut
from engraft.vocabulary import EventSource, EventType, GraftSource, TransplantType
from engraft.web.pages.patients import GROUP_LABELS
from engraft.web.pages.patients_course import episode_course
from engraft.web.pages.patients_engraftment import computed_neutrophil_engraftment
from engraft.web.pages.patients_hla import hla_by_locus, hla_rows
from engraft.web.pages.patients_wording import Wording

DAY0 = dt.date(2025, 3, 1)
WORDING = Wording(gettext=lambda m: m, number=lambda v: f"{v:g}", date=lambda d: d.isoformat())
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _episode() -> EpisodeOut:
    return EpisodeOut(
        id=1,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        patient_id=1,
        diagnosis_id=None,
        centre="C1",
        sequence_number=1,
        transplant_type=TransplantType.AUTOLOGOUS,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        day0=DAY0,
        donor_ids=[],
        conditioning=[],
        tbi_dose_gy=None,
        tbi_fractions=None,
        gvhd_prophylaxis=[],
        cd34_per_kg=None,
        tnc_per_kg=None,
        tnc_unit=None,
        viability_pct=None,
    )


def _obs(day: int, loinc: str, value: float, unit: str, canonical: float | None = None) -> ChartObservation:
    at = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(6), tzinfo=dt.UTC)
    return ChartObservation(1, at, loinc, value, unit, value if canonical is None else canonical)


def test_every_disease_group_has_a_label() -> None:
    assert set(GROUP_LABELS) == set(INDICATION_ORDER)


def test_hla_by_locus() -> None:
    typing = hla_by_locus(
        "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*07:02^HLA-DRB1*15:01/HLA-DRB1*15:02+HLA-DRB1*03:01"
    )
    assert typing == {"A": "A*01:01+A*02:01", "B": "B*08:01+B*07:02", "DRB1": "DRB1*15:01/DRB1*15:02+DRB1*03:01"}
    assert hla_by_locus(None) == {} and hla_by_locus("") == {}


def test_hla_rows_in_the_usual_locus_order_with_gaps() -> None:
    rows = hla_rows("HLA-DRB1*15:01+HLA-DRB1*03:01^HLA-A*01:01+HLA-A*02:01", ["HLA-A*01:01+HLA-A*03:01", None])
    assert [r.locus for r in rows] == ["A", "DRB1"]
    assert rows[0].donors == ["A*01:01+A*03:01", ""]
    assert rows[1].patient == "DRB1*15:01+DRB1*03:01" and rows[1].donors == ["", ""]


@pytest.mark.parametrize(
    ("anc", "day"),
    [
        pytest.param([(0, 0.1), (10, 0.6), (11, 0.7), (12, 0.9)], 10, id="three-in-a-row"),
        pytest.param([(0, 0.1), (10, 0.6), (11, 0.4), (12, 0.9), (13, 0.9), (14, 1.0)], 12, id="broken-run"),
        pytest.param([(0, 0.1), (10, 0.6), (11, 0.7)], None, id="only-two"),
        pytest.param([(0, 0.1), (10, 0.2), (10, 0.6), (11, 0.7), (12, 0.8)], 10, id="last-value-of-a-day-counts"),
        pytest.param([], None, id="no-values"),
    ],
)
def test_computed_neutrophil_engraftment(anc: list[tuple[int, float]], day: int | None) -> None:
    mark = computed_neutrophil_engraftment(DAY0, anc)
    assert (mark.day if mark else None) == day
    if mark is not None:
        assert mark.computed and mark.date == DAY0 + dt.timedelta(days=day or 0)


def test_bilirubin_in_the_unit_most_values_came_in() -> None:
    observations = [
        _obs(1, "14631-6", 20.0, "umol/L"),
        _obs(2, "14631-6", 30.0, "umol/L"),
        _obs(3, "1975-2", 1.0, "mg/dL"),  # 17.104 umol/L on the molar-mass basis
    ]
    course = episode_course(_episode(), observations, [], [], [], WORDING)
    bilirubin = next(c for c in course.charts if c.key == "bilirubin")
    assert bilirubin.unit == "umol/L" and bilirubin.unit_display == "µmol/L"
    assert [round(r.value, 2) for r in bilirubin.rows] == [20.0, 30.0, 17.1]


def test_cmv_units_are_never_mixed() -> None:
    observations = [_obs(5, "30247-1", 500.0, "{copies}/mL"), _obs(6, "72493-0", 300.0, "[IU]/mL")]
    course = episode_course(_episode(), observations, [], [], [], WORDING)
    cmv = [c for c in course.charts if c.key.startswith("cmv")]
    assert [(c.key, c.unit, [r.value for r in c.rows]) for c in cmv] == [
        ("cmv-copies", "{copies}/mL", [500.0]),
        ("cmv-iu", "[IU]/mL", [300.0]),
    ]


def test_only_one_empty_cmv_chart() -> None:
    course = episode_course(_episode(), [], [], [], [], WORDING)
    assert [c.key for c in course.charts] == ["anc", "platelets", "bilirubin", "creatinine", "cmv-copies"]
    assert all(c.empty for c in course.charts)


def test_window_hides_values_outside_it_but_engraftment_uses_them_all() -> None:
    anc = [_obs(d, "751-8", 0.1 if d < 120 else 0.9, "10*9/L") for d in range(0, 125)]
    early = episode_course(_episode(), anc, [], [], [], WORDING)
    chart = early.charts[0]
    assert max(r.day for r in chart.rows) == 100
    assert early.neutrophil is not None and early.neutrophil.day == 120  # outside the window, still reported
    whole = episode_course(_episode(), anc, [], [], [], WORDING, window=None)
    assert max(r.day for r in whole.charts[0].rows) == 124
    assert "+120" in str(whole.charts[0].svg)


def test_recorded_engraftment_beats_computed() -> None:
    anc = [_obs(d, "751-8", 0.1 if d < 10 else 0.9, "10*9/L") for d in range(0, 20)]
    event = EventOut(
        id=1,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        patient_id=1,
        episode_id=1,
        event_type=EventType.NEUTROPHIL_ENGRAFTMENT,
        event_date=DAY0 + dt.timedelta(days=11),
        source=EventSource.MANUAL,
        details={},
    )
    course = episode_course(_episode(), anc, [event], [], [], WORDING)
    assert course.neutrophil is not None and (course.neutrophil.day, course.neutrophil.computed) == (11, False)
