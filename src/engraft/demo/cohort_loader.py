"""Write a synthetic demo cohort (:mod:`engraft.demo.cohort`) into a registry.

THE DATA ARE SYNTHETIC (see :mod:`engraft.demo.cohort` for how they are generated and calibrated).
All writes go through :class:`~engraft.registry.service.RegistryService` and
:func:`~engraft.registry.observations.add_observations`, so every registry rule applies to the
demo data exactly as to real data. Only the CLI (``engraft demo``, ``engraft serve --demo``) and
the tests use this module.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from engraft.demo.car_t import car_t_patients
from engraft.demo.car_t_loader import write_car_t
from engraft.demo.cohort import (
    DEFAULT_END_DATE,
    DEFAULT_SEED,
    DERIVED_EVENT_TYPES,
    SyntheticCohort,
    SyntheticTransplant,
)
from engraft.demo.labs import reported_labs, reported_vitals
from engraft.demo.patient_hla import patient_hla
from engraft.demo.risk_answers import risk_profile_request
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.risk_profile import build_risk_profile
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn, MarkerIn
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import DrugRoute, EventSource, EventType, ObservationSource, VitalStatus

__all__ = ["DEFAULT_END_DATE", "DEFAULT_SEED", "DemoSummary", "load_demo_cohort"]

OBSERVATION_BATCH = 20_000


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo_cohort` wrote (counts by record kind; episodes and events by type)."""

    centres: int
    patients: int
    donors: int
    episodes: dict[str, int]
    observations: int
    events: dict[str, int]
    follow_ups: int
    seed: int
    first_day0: dt.date | None
    end_date: dt.date
    assessments: int = 0
    """Risk-profile results (HCT-CI, EBMT score, ...) from the synthetic pre-transplant answers
    (:mod:`engraft.demo.risk_answers`)."""
    car_t_episodes: int = 0
    """Immune effector cell (CAR-T) episodes (:mod:`engraft.demo.car_t`); their patients, observations and CRS events
    are in ``patients``, ``observations`` and ``events``, not in ``episodes`` (transplants by type)."""

    @property
    def transplants(self) -> int:
        return sum(self.episodes.values())


@dataclass
class _Tally:
    patients: int = 0
    donors: int = 0
    observations: int = 0
    follow_ups: int = 0
    assessments: int = 0
    episodes: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)


def load_demo_cohort(
    service: RegistryService,
    *,
    transplants: int = 500,
    years: int = 8,
    centres: int = 3,
    seed: int = DEFAULT_SEED,
    end_date: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    hla_typings: bool = True,
    car_t: bool = False,
) -> DemoSummary:
    """Write a synthetic cohort of ``transplants`` first transplants at ``centres`` centres.

    Day 0 dates are spread over the ``years`` years before ``end_date`` (default 2026-06-30, the
    data cut-off: nothing is dated after it). The registry must not already hold the demo
    centres (codes ``DEMO-...``). ``progress(done, total)`` is called once per transplant.

    ``hla_typings=False`` leaves the donors' HLA typings out (for a registry without an IPD-IMGT/HLA release,
    which refuses every typing); everything else is the same cohort.

    ``car_t=True`` adds the CAR-T patients of :mod:`engraft.demo.car_t` after the transplants (their own random
    stream of the same seed: the transplants are the same either way).

    Each record is its own transaction unless ``service`` is bound to an outer one (e.g. from
    ``RegistryService.batch()``), which makes the load all-or-nothing and markedly faster.
    """
    end = end_date or DEFAULT_END_DATE
    cohort = SyntheticCohort(transplants=transplants, years=years, centres=centres, seed=seed, end_date=end)
    if end > dt.date.today():
        raise ValueError(f"end_date {end.isoformat()} is in the future; the registry refuses future dates")
    for site in cohort.sites:
        service.create_centre(CentreIn(code=site.code, name=site.name, country=site.country))
    tally = _Tally()
    pending: list[ObservationRow] = []
    unreported = 0
    first_day0: dt.date | None = None
    for transplant in cohort:
        first_day0 = first_day0 or transplant.plan.day0
        pending.extend(_write_transplant(service, transplant, tally, hla_typings, seed))
        unreported += 1
        if len(pending) >= OBSERVATION_BATCH or transplant.number == transplants:
            tally.observations += add_observations(service, pending).inserted
            pending = []
            if progress is not None:
                for done in range(transplant.number + 1 - unreported, transplant.number + 1):
                    progress(done, transplants)
            unreported = 0
    car_t_episodes = 0
    if car_t:
        rows: list[ObservationRow] = []
        for patient in car_t_patients(seed, end, cohort.sites):
            written = write_car_t(service, patient)
            rows.extend(written.rows)
            tally.patients += 1
            tally.events[EventType.CRS.value] += 1
            car_t_episodes += 1
        tally.observations += add_observations(service, rows).inserted
    return DemoSummary(
        centres=len(cohort.sites),
        patients=tally.patients,
        donors=tally.donors,
        episodes=dict(sorted(tally.episodes.items())),
        observations=tally.observations,
        events=dict(sorted(tally.events.items())),
        follow_ups=tally.follow_ups,
        assessments=tally.assessments,
        car_t_episodes=car_t_episodes,
        seed=seed,
        first_day0=first_day0,
        end_date=end,
    )


def _write_transplant(
    service: RegistryService, transplant: SyntheticTransplant, tally: _Tally, hla_typings: bool, seed: int
) -> list[ObservationRow]:
    plan = transplant.plan
    site = plan.centre
    patient = service.create_patient(
        PatientIn(
            registry_id=f"DEMO-{transplant.number:05d}",
            centre=site.code,
            sex=plan.sex,
            birth_date=plan.birth_date,
            abo=plan.abo,
            rh=plan.rh,
            cmv_serostatus=plan.cmv,
            height_cm=plan.height_cm,
            weight_kg=plan.weight_kg,
            hla_gl_string=(
                patient_hla(plan.donors[0].hla, plan.donors[0].relation, seed, transplant.number)
                if hla_typings and plan.donors
                else None
            ),
            identity=IdentityIn(
                given_name=transplant.given_name, family_name=transplant.family_name, mrn=transplant.mrn
            ),
        )
    )
    tally.patients += 1
    ind = plan.indication
    diagnosis = service.create_diagnosis(
        DiagnosisIn(
            patient_id=patient.id,
            who_name=ind.who_name,
            icd10=ind.icd10,
            diagnosis_date=plan.diagnosis_date,
            status_at_transplant=plan.status,
        )
    )
    donor_ids = []
    for k, (donor, consent_days) in enumerate(
        zip(plan.donors, transplant.consent_days_before_collection, strict=True), start=1
    ):
        collected = plan.day0 + dt.timedelta(days=donor.collection_day)
        out = service.create_donor(
            DonorIn(
                donor_code=f"DEMO-{transplant.number:05d}-D{k}",
                relation=donor.relation,
                age_years=donor.age,
                sex=donor.sex,
                abo=donor.abo,
                rh=donor.rh,
                cmv_serostatus=donor.cmv,
                hla_gl_string=donor.hla if hla_typings else None,
                eligibility=donor.eligibility,
                consent_date=collected - dt.timedelta(days=consent_days),
                markers=[
                    MarkerIn(test=t, result=r, result_date=plan.day0 + dt.timedelta(days=day))
                    for t, r, day in donor.markers
                ],
            )
        )
        donor_ids.append(out.id)
        tally.donors += 1
    regimen = plan.regimen
    episode = service.create_episode(
        EpisodeIn(
            patient_id=patient.id,
            diagnosis_id=diagnosis.id,
            centre=site.code,
            transplant_type=plan.transplant_type,
            graft_source=plan.graft_source,
            day0=plan.day0,
            donor_ids=donor_ids,
            conditioning=[
                ConditioningAgentIn(drug=a, total_dose=dose, unit=unit, route=DrugRoute.IV if a == "busulfan" else None)
                for a, dose, unit in regimen.agents
            ],
            tbi_dose_gy=regimen.tbi[0] if regimen.tbi else None,
            tbi_fractions=regimen.tbi[1] if regimen.tbi else None,
            gvhd_prophylaxis=plan.prophylaxis,
            cd34_per_kg=plan.cd34,
            tnc_per_kg=plan.tnc,
            tnc_unit=plan.tnc_unit,
            viability_pct=plan.viability,
        )
    )
    tally.episodes[plan.transplant_type.value] += 1
    profile = build_risk_profile(service, episode.id, risk_profile_request(transplant, seed))
    tally.assessments += len(profile.assessments)
    for event in transplant.events:
        service.create_event(
            EventIn(
                patient_id=patient.id,
                episode_id=episode.id,
                event_type=event.event_type,
                event_date=plan.day0 + dt.timedelta(days=event.day),
                source=EventSource.DERIVED if event.event_type in DERIVED_EVENT_TYPES else EventSource.MANUAL,
                details=event.details,
            )
        )
        tally.events[event.event_type.value] += 1
    for visit in plan.visits:
        service.create_follow_up(
            FollowUpIn(
                patient_id=patient.id,
                episode_id=episode.id,
                visit_date=plan.day0 + dt.timedelta(days=visit.day),
                vital_status=VitalStatus.ALIVE if visit.alive else VitalStatus.DEAD,
                performance_scale=visit.scale,
                performance_score=visit.score,
                disease_status=visit.status,
            )
        )
        tally.follow_ups += 1
    return _observation_rows(transplant, patient.id, episode.id, f"{patient.registry_id}/{episode.id}")


def _observation_rows(
    transplant: SyntheticTransplant, patient_id: int, episode_id: int, key: str
) -> list[ObservationRow]:
    plan, labs = transplant.plan, transplant.labs
    lab_time = dt.datetime.combine(plan.day0, dt.time(5, transplant.lab_minute), tzinfo=dt.UTC)
    vital_time = dt.datetime.combine(plan.day0, dt.time(7, transplant.vital_minute), tzinfo=dt.UTC)
    rows: list[ObservationRow] = []
    feed, device = ObservationSource.LAB_FEED.value, ObservationSource.DEVICE.value
    day_list = labs.days.tolist()
    for series, at, source in (
        (reported_labs(labs, plan.centre.si_units), lab_time, feed),
        (reported_vitals(labs), vital_time, device),
    ):
        stamps = [at + dt.timedelta(days=day) for day in day_list]
        for loinc, unit, values in series:
            for day, when, value in zip(day_list, stamps, values.tolist(), strict=True):
                rows.append(
                    ObservationRow(patient_id, episode_id, when, loinc, value, unit, source, f"{key}/{loinc}/{day}")
                )
    findings = transplant.acute_gvhd_findings
    if findings is not None:  # recorded at the bedside round, an hour after the vital signs
        when = vital_time + dt.timedelta(days=findings.day, hours=1)
        manual = ObservationSource.MANUAL.value
        for code, unit, value in findings.observations():
            source_id = f"{key}/{code}/{findings.day}/agvhd"
            rows.append(ObservationRow(patient_id, episode_id, when, code, value, unit, manual, source_id))
    return rows
