"""The simulated demo ward: its courses (pure), its admission into a registry, and its live MLLP feed."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engraft.demo.ward import (
    ANC,
    BILIRUBIN,
    CMV_DNA,
    CREATININE,
    CRS_HYPOTENSION_AFTER,
    SYSTOLIC,
    TEMPERATURE,
    WARD,
    WARD_STALE_AFTER_DAYS,
    WEIGHT,
    WardCourse,
    WardPatient,
    WardResult,
    history,
    results_at,
)
from engraft.demo.ward_feed import BACKFILL_SOURCE, WardFeed, ack_code, admit_ward, oru_message
from engraft.grading import (
    AncReading,
    CentreViralThresholds,
    FebrileNeutropeniaStatus,
    Reading,
    TemperatureReading,
    ViralLoadMeasurement,
    assess_dnaemia,
    creatinine_doubling,
    febrile_neutropenia,
)
from engraft.grading.organ_toxicity import SignalStatus
from engraft.grading.viral_load import Detection, Specimen, Virus
from engraft.io.hl7_oru import read_oru
from engraft.io.mllp import MllpListener
from engraft.measurements import Quantity, Ucum
from engraft.monitoring import Detection as Alerted
from engraft.monitoring import (
    EpisodeContext,
    MonitoredObservation,
    RuleKind,
    Severity,
    evaluate,
    load_rule_set,
)
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import InboundMessage, Observation
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, GraftSource, TransplantType

ANCHOR = dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
LIVE = ANCHOR + dt.timedelta(hours=6)


def _bed(course: WardCourse) -> WardPatient:
    return next(p for p in WARD if p.course is course)


def _values(results: tuple[WardResult, ...], code: str) -> list[float]:
    return [r.value for r in results if r.code == code]


def _live(course: WardCourse, code: str) -> float:
    results = results_at(_bed(course), ANCHOR, LIVE, labs=True)
    return next(r.value for r in results if r.code == code)


def test_every_bed_is_in_the_day_0_to_30_window_with_a_distinct_mrn() -> None:
    assert {p.course for p in WARD} == set(WardCourse)
    for patient in WARD:
        assert 0 <= (ANCHOR.date() - patient.day0(ANCHOR)).days <= 30 - WARD_STALE_AFTER_DAYS
    assert len({p.mrn(ANCHOR) for p in WARD}) == len(WARD)


def test_history_ends_before_the_anchor_and_is_the_same_each_time() -> None:
    for patient in WARD:
        past = history(patient, ANCHOR)
        assert past and max(r.at for r in past) < ANCHOR
        assert past == history(patient, ANCHOR)


def test_recovery_bed_is_aplastic_then_recovers_through_half_a_billion_per_litre() -> None:
    anc = _values(history(_bed(WardCourse.RECOVERY), ANCHOR), ANC)
    assert min(anc) < 0.1
    assert anc[-3] < 0.5
    assert _live(WardCourse.RECOVERY, ANC) >= 0.5


def test_febrile_neutropenia_bed_is_afebrile_before_the_anchor_and_febrile_after() -> None:
    patient = _bed(WardCourse.FEBRILE_NEUTROPENIA)
    past = history(patient, ANCHOR)
    assert max(_values(past, TEMPERATURE)) < 38.0
    assert _live(WardCourse.FEBRILE_NEUTROPENIA, TEMPERATURE) >= 38.3
    assert _live(WardCourse.FEBRILE_NEUTROPENIA, ANC) < 0.5


def test_sos_bed_has_bilirubin_rising_past_2_mg_dl_and_weight_over_5_percent_above_baseline() -> None:
    patient = _bed(WardCourse.SOS_VOD)
    bilirubin = _values(history(patient, ANCHOR), BILIRUBIN)
    assert bilirubin[0] < 1.0 and max(bilirubin) < _live(WardCourse.SOS_VOD, BILIRUBIN)
    assert _live(WardCourse.SOS_VOD, BILIRUBIN) >= 2.0
    assert _live(WardCourse.SOS_VOD, WEIGHT) > patient.weight_kg * 1.05


def test_cmv_bed_has_dnaemia_rising_past_1000_iu_per_ml() -> None:
    dnaemia = [v for v in _values(history(_bed(WardCourse.CMV), ANCHOR), CMV_DNA) if v > 0]
    assert dnaemia == sorted(dnaemia)
    assert dnaemia[-1] < 1000 <= _live(WardCourse.CMV, CMV_DNA)


def test_kidney_bed_doubles_its_baseline_creatinine() -> None:
    creatinine = _values(history(_bed(WardCourse.KIDNEY), ANCHOR), CREATININE)
    assert creatinine[-1] > 1.5 * creatinine[0]
    assert _live(WardCourse.KIDNEY, CREATININE) >= 2 * creatinine[0]


@pytest.mark.parametrize("patient", WARD, ids=[p.course.value for p in WARD])
def test_ward_messages_read_back_without_problems(patient: WardPatient) -> None:
    results = results_at(patient, ANCHOR, LIVE, labs=True)
    read = read_oru(oru_message("C-1", patient, patient.mrn(ANCHOR), results, LIVE))
    assert not read.problems
    assert [(o.loinc, o.value, o.unit, o.observed_at) for o in read.observations] == [
        (r.code, r.value, r.unit, r.at) for r in results
    ]
    assert {o.patient.mrn for o in read.observations} == {patient.mrn(ANCHOR)}


def _registry(tmp_path: Path) -> RegistryService:
    engine = make_engine(f"sqlite:///{tmp_path / 'ward.db'}")
    upgrade(engine)
    return RegistryService(make_session_factory(engine), actor="test")


def test_admitting_twice_writes_the_ward_once_and_a_stale_ward_is_replaced(tmp_path: Path) -> None:
    service = _registry(tmp_path)
    first = admit_ward(service, ANCHOR)
    assert first.anchor == ANCHOR and first.backfilled > 0
    again = admit_ward(service, ANCHOR + dt.timedelta(hours=3))
    assert again.anchor == ANCHOR and again.backfilled == 0
    assert [b[1] for b in again.beds] == [b[1] for b in first.beds]
    therapies = {p.course: service.list_episodes(patient_id=pid).items[0].cell_therapy for p, pid, _mrn in first.beds}
    assert therapies.pop(WardCourse.CAR_T_CRS) is CellTherapy.IMMUNE_EFFECTOR_CELLS
    assert set(therapies.values()) == {CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT}
    later = ANCHOR + dt.timedelta(days=WARD_STALE_AFTER_DAYS + 1)
    fresh = admit_ward(service, later)
    assert fresh.anchor == later
    assert not {b[1] for b in fresh.beds} & {b[1] for b in first.beds}


def test_feed_through_a_real_mllp_listener_stores_each_result_once_and_every_ack_is_aa(tmp_path: Path) -> None:
    service = _registry(tmp_path)
    ward = admit_ward(service)
    rounds = 2 * len(WARD) + 1

    async def play() -> tuple[int, list[str]]:
        listener = MllpListener(service)
        host, port = await listener.start("127.0.0.1", 0)
        try:
            progress = await WardFeed(ward, host, port, interval=0.01).run(rounds)
        finally:
            await listener.close()
        return progress.results, progress.acks

    sent, acks = asyncio.run(play())
    assert len(acks) == rounds
    assert [ack_code(a) for a in acks] == ["AA"] * rounds
    with service.read_snapshot() as session:
        fed = select(Observation).where(Observation.source_system != BACKFILL_SOURCE).subquery()
        assert session.scalar(select(func.count()).select_from(fed)) == sent
        assert session.scalar(select(func.count(func.distinct(fed.c.source_id)))) == sent
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == rounds
        backfilled = select(func.count()).where(Observation.source_system == BACKFILL_SOURCE)
        assert session.scalar(backfilled) == ward.backfilled


# The ward through the real rules of engraft.grading: what the history shows, and what the live feed adds.
LIVE_ROUND = tuple(ANCHOR + dt.timedelta(minutes=m) for m in (1, 30, 75))


def _readings(results: list[WardResult], code: str) -> list[Reading]:
    return [Reading(at=r.at, quantity=Quantity(value=r.value, unit=Ucum(r.unit))) for r in results if r.code == code]


def _past_and_live(course: WardCourse) -> tuple[list[WardResult], list[WardResult]]:
    patient = _bed(course)
    past = list(history(patient, ANCHOR))
    live = [r for at in LIVE_ROUND for r in results_at(patient, ANCHOR, at, labs=True)]
    return past, past + live


def test_febrile_neutropenia_appears_only_with_the_live_temperatures() -> None:
    def status(results: list[WardResult]) -> FebrileNeutropeniaStatus:
        temperatures = [TemperatureReading(at=r.at, quantity=r.quantity) for r in _readings(results, TEMPERATURE)]
        counts = [AncReading(at=r.at, quantity=r.quantity) for r in _readings(results, ANC)]
        return febrile_neutropenia(temperatures, counts).status

    past, with_live = _past_and_live(WardCourse.FEBRILE_NEUTROPENIA)
    assert status(past) is FebrileNeutropeniaStatus.NO_FEVER
    assert status(with_live) is FebrileNeutropeniaStatus.FEBRILE_NEUTROPENIA


def test_creatinine_doubling_is_met_only_with_the_live_results() -> None:
    past, with_live = _past_and_live(WardCourse.KIDNEY)
    baseline, *later = _readings(past, CREATININE)
    assert creatinine_doubling(baseline, later).status is SignalStatus.NOT_MET
    assert creatinine_doubling(baseline, _readings(with_live, CREATININE)[1:]).status is SignalStatus.MET


def test_cmv_dnaemia_crosses_an_illustrative_centre_threshold_only_with_the_live_results() -> None:
    thresholds = CentreViralThresholds(
        virus=Virus.CMV,
        specimen=Specimen.PLASMA,
        threshold=Quantity(value=1000, unit=Ucum.IU_PER_ML),
        source="illustrative demo threshold (a centre sets its own)",
    )

    def crossing(results: list[WardResult]) -> object:
        loads = [
            ViralLoadMeasurement(
                at=r.at,
                virus=Virus.CMV,
                specimen=Specimen.PLASMA,
                detection=Detection.QUANTIFIED if r.quantity.value > 0 else Detection.NOT_DETECTED,
                load=r.quantity if r.quantity.value > 0 else None,
            )
            for r in _readings(results, CMV_DNA)
        ]
        return assess_dnaemia(loads, thresholds).threshold_crossing

    past, with_live = _past_and_live(WardCourse.CMV)
    assert crossing(past) is None
    assert crossing(with_live) is not None


def _crs_detections(results: list[WardResult]) -> list[Alerted]:
    patient = _bed(WardCourse.CAR_T_CRS)
    context = EpisodeContext(
        patient_id=patient.bed,
        episode_id=patient.bed,
        day0=patient.day0(ANCHOR),
        age_at_day0=patient.day0(ANCHOR).year - patient.birth_year - 1,
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        transplant_type=TransplantType.AUTOLOGOUS,
        cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
    )
    observations = [
        MonitoredObservation(id=n, observed_at=r.at, loinc=r.code, value=r.value, unit=r.unit)
        for n, r in enumerate(results, start=1)
    ]
    as_of = max(r.at for r in results)
    return list(evaluate(load_rule_set(), context, observations, as_of).detections)


def test_car_t_bed_gets_a_possible_crs_with_the_live_fever_escalated_by_the_falling_pressure() -> None:
    patient = _bed(WardCourse.CAR_T_CRS)
    assert (ANCHOR.date() - patient.day0(ANCHOR)).days == 1  # infused yesterday
    past = list(history(patient, ANCHOR))
    assert max(_values(tuple(past), TEMPERATURE)) < 38.0
    assert _crs_detections(past) == []  # nothing before the anchor, no neutropenia or count alert either
    fever = list(results_at(patient, ANCHOR, ANCHOR + dt.timedelta(minutes=1), labs=True))
    (raised,) = _crs_detections(past + fever)
    assert raised.kind is RuleKind.POSSIBLE_CRS and raised.severity is Severity.WARNING
    later = ANCHOR + CRS_HYPOTENSION_AFTER + dt.timedelta(minutes=1)
    low = list(results_at(patient, ANCHOR, later, labs=False))
    assert _values(tuple(low), SYSTOLIC)[0] < 90
    (escalated,) = _crs_detections(past + fever + low)
    assert escalated.dedup_key == raised.dedup_key and escalated.severity is Severity.CRITICAL
    assert "systolic blood pressure" in escalated.explanation
