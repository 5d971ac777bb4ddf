"""The demo cohort replayed through the monitoring engine gives the engraftment days the demo recorded.

The demo derives its engraftment events from its simulated counts and platelet transfusions with
:mod:`engraft.grading`; the engine reads the same results as the registry holds them (the LOINC codes,
units and times :mod:`engraft.demo.cohort_loader` writes: labs at 05:MM UTC) and must find the same days.
After a primary graft failure the demo records the failure (day 28, or 42 after cord blood) and no
engraftment, even when a rescue later brings the counts back: there the engine must raise the centre's
"no engraftment by day X" alert for that day. The acute GVHD findings the demo records (at the bedside
round, an hour after the vital signs), staged and graded by the engine, give the grade and organ stages of the
demo's acute GVHD event. The demo's CAR-T patients (:mod:`engraft.demo.car_t`), their vital signs replayed as the
loader writes them, give one possible-CRS alert each from their first febrile reading, escalated exactly when the
recorded course had hypotension or oxygen, at a lower-bound grade no higher than the CRS grade the demo recorded, and
nothing else: no count-recovery, graft-failure or GVHD finding.
"""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.monitoring import EpisodeContext, MonitoredObservation, RuleKind, Severity, evaluate, load_rule_set
from engraft.monitoring.series import age_in_years
from engraft.vocabulary import CellTherapy, EventType, GraftSource, TransplantType
from tests.demo_cohort import (
    CAR_T_COURSES,
    DEMO_CENTRES,
    DEMO_SEED,
    DEMO_TRANSPLANTS,
    SyntheticCarT,
    SyntheticCohort,
    SyntheticTransplant,
    car_t_patients,
    reported_labs,
    reported_vitals,
)

RULES = load_rule_set()
ENGRAFTMENT = (EventType.NEUTROPHIL_ENGRAFTMENT, EventType.PLATELET_ENGRAFTMENT)


def _replayed(transplant: SyntheticTransplant) -> tuple[EpisodeContext, list[MonitoredObservation]]:
    plan, labs = transplant.plan, transplant.labs
    context = EpisodeContext(
        patient_id=transplant.number,
        episode_id=transplant.number,
        day0=plan.day0,
        age_at_day0=age_in_years(plan.birth_date, plan.day0),
        graft_source=plan.graft_source,
        transplant_type=plan.transplant_type,
        platelet_transfusion_days=transplant.platelet_transfusion_days,
    )
    lab_time = dt.datetime.combine(plan.day0, dt.time(5, transplant.lab_minute), tzinfo=dt.UTC)
    vital_time = dt.datetime.combine(plan.day0, dt.time(7, transplant.vital_minute), tzinfo=dt.UTC)
    observations: list[MonitoredObservation] = []
    for series, at in ((reported_labs(labs, plan.centre.si_units), lab_time), (reported_vitals(labs), vital_time)):
        for loinc, unit, values in series:
            for day, value in zip(labs.days.tolist(), values.tolist(), strict=True):
                observations.append(
                    MonitoredObservation(
                        id=len(observations) + 1,
                        observed_at=at + dt.timedelta(days=day),
                        loinc=loinc,
                        value=value,
                        unit=unit,
                    )
                )
    findings = transplant.acute_gvhd_findings
    if findings is not None:
        when = vital_time + dt.timedelta(days=findings.day, hours=1)
        for code, unit, value in findings.observations():
            observations.append(
                MonitoredObservation(id=len(observations) + 1, observed_at=when, loinc=code, value=value, unit=unit)
            )
    return context, observations


def test_the_engine_finds_the_engraftment_days_the_demo_recorded() -> None:
    cohort = SyntheticCohort(transplants=DEMO_TRANSPLANTS, centres=DEMO_CENTRES, seed=DEMO_SEED)
    compared = {event_type: 0 for event_type in (*ENGRAFTMENT, EventType.GRAFT_FAILURE)}
    for transplant in cohort:
        context, observations = _replayed(transplant)
        as_of = max(o.observed_at for o in observations)
        detections = evaluate(RULES, context, observations, as_of).detections
        failure = [e.day for e in transplant.events if e.event_type is EventType.GRAFT_FAILURE]
        if failure:
            late = {d.dedup_key.split("/")[1] for d in detections if d.rule_id.startswith("no-neutrophil-engraftment")}
            assert late == {f"day-{failure[0]}"}, f"transplant {transplant.number}: graft failure {failure}, {late}"
            compared[EventType.GRAFT_FAILURE] += 1
            continue
        recorded = {e.event_type: e.day for e in transplant.events if e.event_type in ENGRAFTMENT}
        found = {d.event.event_type: d.event.day for d in detections if d.event and d.event.event_type in ENGRAFTMENT}
        assert found == recorded, f"transplant {transplant.number}: engine {found} vs demo {recorded}"
        for event_type in recorded:
            compared[event_type] += 1
    assert all(compared[event_type] >= DEMO_TRANSPLANTS // 2 for event_type in ENGRAFTMENT), compared
    assert compared[EventType.GRAFT_FAILURE] >= 1, compared


def test_the_engine_grades_the_acute_gvhd_the_demo_recorded() -> None:
    cohort = SyntheticCohort(transplants=DEMO_TRANSPLANTS, centres=DEMO_CENTRES, seed=DEMO_SEED)
    compared = 0
    for transplant in cohort:
        recorded = [e for e in transplant.events if e.event_type is EventType.ACUTE_GVHD]
        context, observations = _replayed(transplant)
        as_of = max(o.observed_at for o in observations)
        detections = evaluate(RULES, context, observations, as_of).detections
        found = [d.event for d in detections if d.event is not None and d.event.event_type is EventType.ACUTE_GVHD]
        if not recorded or transplant.acute_gvhd_findings is None:
            assert not found, f"transplant {transplant.number}: engine found acute GVHD the demo did not record"
            continue
        (event,) = found
        details = recorded[0].details
        wanted = {k: details[k] for k in ("grade", "skin_stage", "liver_stage", "upper_gi_stage", "lower_gi_stage")}
        assert dict(event.details) == wanted, f"transplant {transplant.number}: {dict(event.details)} vs {wanted}"
        assert event.day == transplant.acute_gvhd_findings.day
        compared += 1
    assert compared >= 1


CAR_T = car_t_patients(DEMO_SEED, dt.date(2026, 6, 30))


def _car_t_replayed(car_t: SyntheticCarT) -> tuple[EpisodeContext, list[MonitoredObservation]]:
    context = EpisodeContext(
        patient_id=car_t.number,
        episode_id=car_t.number,
        day0=car_t.day0,
        age_at_day0=age_in_years(car_t.birth_date, car_t.day0),
        graft_source=GraftSource.PERIPHERAL_BLOOD,
        transplant_type=TransplantType.AUTOLOGOUS,
        cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
    )
    lab_time = dt.datetime.combine(car_t.day0, dt.time(5, car_t.lab_minute), tzinfo=dt.UTC)
    vital_time = dt.datetime.combine(car_t.day0, dt.time(7, car_t.vital_minute), tzinfo=dt.UTC)
    observations: list[MonitoredObservation] = []
    for series, at in ((car_t.reported_labs(), lab_time), (car_t.reported_vitals(), vital_time)):
        for loinc, unit, values in series:
            for day, value in zip(car_t.days.tolist(), values.tolist(), strict=True):
                if unit == "L/min" and value == 0:  # the loader records an oxygen flow only when oxygen is given
                    continue
                observations.append(
                    MonitoredObservation(
                        id=len(observations) + 1,
                        observed_at=at + dt.timedelta(days=day),
                        loinc=loinc,
                        value=value,
                        unit=unit,
                    )
                )
    return context, observations


def test_the_demo_has_car_t_courses_with_and_without_hypotension_and_oxygen() -> None:
    assert len(CAR_T) == len(CAR_T_COURSES) >= 3
    assert {c.script.grade for c in CAR_T} >= {1, 2, 3}
    assert any(c.script.hypotension for c in CAR_T) and any(c.script.oxygen for c in CAR_T)
    again = car_t_patients(DEMO_SEED, dt.date(2026, 6, 30))  # deterministic: the same seed, the same patients
    assert [(c.day0, c.mrn, c.temperature.tolist(), c.systolic.tolist()) for c in again] == [
        (c.day0, c.mrn, c.temperature.tolist(), c.systolic.tolist()) for c in CAR_T
    ]
    assert all(1 <= c.script.fever[0] <= 3 for c in CAR_T)


@pytest.mark.parametrize("car_t", CAR_T, ids=[f"{c.registry_id}-crs-grade-{c.script.grade}" for c in CAR_T])
def test_the_engine_raises_the_possible_crs_of_the_demo_car_t_course(car_t: SyntheticCarT) -> None:
    context, observations = _car_t_replayed(car_t)
    as_of = max(o.observed_at for o in observations)
    detections = evaluate(RULES, context, observations, as_of).detections
    assert {d.rule_id for d in detections} == {"possible-crs-iec"}, [d.rule_id for d in detections]
    (crs,) = detections
    script = car_t.script
    onset = dt.datetime.combine(car_t.day0, dt.time(7, car_t.vital_minute), tzinfo=dt.UTC)
    assert crs.kind is RuleKind.POSSIBLE_CRS and crs.event is None
    assert crs.detected_at == onset + dt.timedelta(days=script.fever[0])
    signs = script.hypotension is not None or script.oxygen is not None
    assert crs.severity is (Severity.CRITICAL if signs else Severity.WARNING)
    assert ("systolic blood pressure" in crs.explanation) is (script.hypotension is not None)
    assert ("inhaled oxygen" in crs.explanation) is (script.oxygen is not None)
    if signs:
        lower_bound = int(crs.explanation.split("At least grade ")[1][0])
        assert 2 <= lower_bound <= script.grade
    else:
        assert crs.explanation.startswith("Possible CRS grade 1 (fever)") and script.grade == 1


@pytest.mark.parametrize("car_t", CAR_T[:1], ids=["hct-context"])
def test_the_same_course_in_a_transplant_episode_raises_no_crs(car_t: SyntheticCarT) -> None:
    context, observations = _car_t_replayed(car_t)
    transplant = context.model_copy(update={"cell_therapy": CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT})
    detections = evaluate(RULES, transplant, observations, max(o.observed_at for o in observations)).detections
    assert not [d for d in detections if d.kind is RuleKind.POSSIBLE_CRS]
