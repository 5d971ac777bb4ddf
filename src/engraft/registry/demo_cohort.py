"""A synthetic, seeded demo cohort of HSCT recipients written through the registry service.

THE DATA ARE SYNTHETIC. No record describes a real person, donor or centre; names, MRNs, HLA
typings and every value are drawn from small built-in lists and random numbers
(``numpy.random.default_rng(seed)``), so a seed always gives the same cohort. The figures below
are targets the generator was tuned towards, taken from published aggregate data; the cohort is
for demonstrations and software tests, not for any clinical or scientific conclusion.

Calibration sources (approximate targets):

* Activity and indications: EBMT activity surveys, Passweg JR et al., Bone Marrow Transplant
  (2013 data, 2015: 43% allogeneic / 57% autologous; 2017 data, 2019: 42% / 58%): autologous
  mostly plasma cell disorders and lymphoma, allogeneic mostly AML, ALL and MDS/MPN; donor
  types and graft sources (peripheral blood ~99% of autografts).
* Donor types, graft source and survival: CIBMTR, D'Souza A, Fretham C et al., "Current use of
  and trends in hematopoietic cell transplantation in the United States" (BBMT 2020) and the
  CIBMTR Summary Slides (2023): allogeneic donors ~25% matched sibling, ~45% matched unrelated,
  ~8% mismatched unrelated, ~17% haploidentical, ~5% cord blood; 1-year overall survival about
  90% after autologous and 70-80% after allogeneic HCT; day-100 mortality 2-5% autologous.
* Engraftment: CIBMTR definitions (neutrophils: first of 3 consecutive days >= 0.5 x10^9/L;
  platelets: first of 3 consecutive days >= 20 x10^9/L without transfusion for 7 days); median
  days ~11-12 autologous PBSC, ~15-18 allogeneic PBSC, ~21-24 marrow, ~25-30 cord blood
  (e.g. Rocha V et al., NEJM 2004; Eapen M et al., Lancet Oncol 2010).
* Acute GVHD grade II-IV ~30-35% and III-IV ~10-15% (Jagasia M et al., Blood 2012; MAGIC
  staging, Harris AC et al., BBMT 2016); chronic GVHD ~30-40% of survivors (Arai S et al.,
  BBMT 2015; NIH severity, Jagasia M et al., BBMT 2015).
* SOS/VOD ~5-9% after allogeneic HCT, highest after myeloablative busulfan (Carreras E et al.,
  Blood 1998: 8.9% allogeneic, 3.1% autologous; CIBMTR 2008-2013: 4.9% by day 100, Strouse C
  et al., BBMT 2018; EBMT criteria, Mohty M et al., Bone Marrow Transplant 2016). CMV
  reactivation in seropositive recipients ~60% before and ~35% after letermovir prophylaxis
  (Marty FM et al., NEJM 2017).
* Non-relapse mortality ~15-20% at 1 year after allogeneic and ~2-5% after autologous HCT;
  relapse ~30% at 2 years after allogeneic HCT for AML (CIBMTR Summary Slides; Gooley TA
  et al., NEJM 2010); myeloma progression over years after autografts (Attal M et al., NEJM 2017).

All writes go through :class:`~engraft.registry.service.RegistryService` and
:func:`~engraft.registry.observations.add_observations`, so every registry rule applies to the
demo data exactly as to real data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from engraft.registry.demo_clinical import PlannedEvent, TransplantPlan, identity_names, plan_transplant
from engraft.registry.demo_course import resolve_course
from engraft.registry.demo_labs import (
    BILIRUBIN_UMOL_PER_MG_DL,
    CREATININE_UMOL_PER_MG_DL,
    Array,
    LabSeries,
    engraftment_day,
    simulate_labs,
)
from engraft.registry.demo_tables import AUTOLOGOUS_SHARE, CENTRES, DemoCentre
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn, MarkerIn
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import (
    DrugRoute,
    EventSource,
    EventType,
    ObservationSource,
    TransplantType,
    VitalStatus,
)

__all__ = ["DEFAULT_END_DATE", "DEFAULT_SEED", "DemoSummary", "load_demo_cohort"]

DEFAULT_END_DATE = dt.date(2026, 6, 30)
DEFAULT_SEED = 20261125
OBSERVATION_BATCH = 20_000
MAX_CENTRES = len(CENTRES)


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

    @property
    def transplants(self) -> int:
        return sum(self.episodes.values())


@dataclass
class _Tally:
    patients: int = 0
    donors: int = 0
    observations: int = 0
    follow_ups: int = 0
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
) -> DemoSummary:
    """Write a synthetic cohort of ``transplants`` first transplants at ``centres`` centres.

    Day 0 dates are spread over the ``years`` years before ``end_date`` (default 2026-06-30, the
    data cut-off: nothing is dated after it). The registry must not already hold the demo
    centres (codes ``DEMO-...``). ``progress(done, total)`` is called once per transplant.

    Each record is its own transaction unless ``service`` is bound to an outer one (e.g. from
    ``RegistryService.batch()``), which makes the load all-or-nothing and markedly faster.
    """
    end = end_date or DEFAULT_END_DATE
    if transplants < 1 or years < 1:
        raise ValueError("transplants and years must be at least 1")
    if not 1 <= centres <= MAX_CENTRES:
        raise ValueError(f"centres must be from 1 to {MAX_CENTRES}")
    if end > dt.date.today():
        raise ValueError(f"end_date {end.isoformat()} is in the future; the registry refuses future dates")
    rng = np.random.default_rng(seed)
    sites = CENTRES[:centres]
    for site in sites:
        service.create_centre(CentreIn(code=site.code, name=site.name, country=site.country))
    start = end - dt.timedelta(days=int(years * 365.25))
    offsets = np.sort(rng.integers(0, (end - start).days - 1, size=transplants))
    weights = np.array([s.weight for s in sites])
    choices = rng.choice(len(sites), size=transplants, p=weights / weights.sum())
    autologous = round(transplants * AUTOLOGOUS_SHARE)  # stratified: the split does not depend on chance
    is_autologous = rng.permutation(transplants) < autologous
    mrn_next = {s.code: int(rng.integers(100_000, 900_000)) for s in sites}
    tally = _Tally()
    pending: list[ObservationRow] = []
    unreported = 0
    for number in range(transplants):
        site = sites[int(choices[number])]
        day0 = start + dt.timedelta(days=int(offsets[number]))
        plan = plan_transplant(
            rng, site, day0, end, TransplantType.AUTOLOGOUS if is_autologous[number] else TransplantType.ALLOGENEIC
        )
        resolve_course(rng, plan)
        labs = simulate_labs(rng, plan)
        mrn_next[site.code] += int(rng.integers(1, 40))
        pending.extend(_write_transplant(service, rng, plan, labs, number + 1, mrn_next[site.code], tally))
        unreported += 1
        if len(pending) >= OBSERVATION_BATCH or number + 1 == transplants:
            tally.observations += add_observations(service, pending).inserted
            pending = []
            if progress is not None:
                for done in range(number + 2 - unreported, number + 2):
                    progress(done, transplants)
            unreported = 0
    return DemoSummary(
        centres=len(sites),
        patients=tally.patients,
        donors=tally.donors,
        episodes=dict(sorted(tally.episodes.items())),
        observations=tally.observations,
        events=dict(sorted(tally.events.items())),
        follow_ups=tally.follow_ups,
        seed=seed,
        first_day0=start + dt.timedelta(days=int(offsets[0])),
        end_date=end,
    )


def _write_transplant(
    service: RegistryService,
    rng: np.random.Generator,
    plan: TransplantPlan,
    labs: LabSeries,
    number: int,
    mrn: int,
    tally: _Tally,
) -> list[ObservationRow]:
    given, family = identity_names(rng, plan.sex)
    site = plan.centre
    patient = service.create_patient(
        PatientIn(
            registry_id=f"DEMO-{number:05d}",
            centre=site.code,
            sex=plan.sex,
            birth_date=plan.birth_date,
            abo=plan.abo,
            rh=plan.rh,
            cmv_serostatus=plan.cmv,
            height_cm=plan.height_cm,
            weight_kg=plan.weight_kg,
            identity=IdentityIn(given_name=given, family_name=family, mrn=f"{site.mrn_prefix}{mrn:07d}"),
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
    for k, donor in enumerate(plan.donors, start=1):
        collected = plan.day0 + dt.timedelta(days=donor.collection_day)
        out = service.create_donor(
            DonorIn(
                donor_code=f"DEMO-{number:05d}-D{k}",
                relation=donor.relation,
                age_years=donor.age,
                sex=donor.sex,
                abo=donor.abo,
                rh=donor.rh,
                cmv_serostatus=donor.cmv,
                hla_gl_string=donor.hla,
                eligibility=donor.eligibility,
                consent_date=collected - dt.timedelta(days=int(rng.integers(31, 90))),
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
    events = list(plan.events)
    if not plan.graft_failure:
        for event_type, values, threshold in (
            (EventType.NEUTROPHIL_ENGRAFTMENT, labs.anc, 0.5),
            (EventType.PLATELET_ENGRAFTMENT, labs.platelets, 20.0),
        ):
            day = engraftment_day(labs.days, values, threshold)
            if day is not None:
                events.append(PlannedEvent(day, event_type, {}))
    events.sort(key=lambda e: e.day)
    if plan.death_day is not None:
        details = {"primary_cause": plan.death_cause, "cause_text": plan.death_text}
        events.append(PlannedEvent(plan.death_day, EventType.DEATH, details))
    derived = (EventType.NEUTROPHIL_ENGRAFTMENT, EventType.PLATELET_ENGRAFTMENT)
    for event in events:
        service.create_event(
            EventIn(
                patient_id=patient.id,
                episode_id=episode.id,
                event_type=event.event_type,
                event_date=plan.day0 + dt.timedelta(days=event.day),
                source=EventSource.DERIVED if event.event_type in derived else EventSource.MANUAL,
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
    return _observation_rows(rng, plan, labs, patient.id, episode.id, f"{patient.registry_id}/{episode.id}")


def _observation_rows(
    rng: np.random.Generator, plan: TransplantPlan, labs: LabSeries, patient_id: int, episode_id: int, key: str
) -> list[ObservationRow]:
    site: DemoCentre = plan.centre
    if site.si_units:
        bili = ("14631-6", "umol/L", np.round(labs.bilirubin * BILIRUBIN_UMOL_PER_MG_DL))
        creat = ("14682-9", "umol/L", np.round(labs.creatinine * CREATININE_UMOL_PER_MG_DL))
    else:
        bili = ("1975-2", "mg/dL", labs.bilirubin)
        creat = ("2160-0", "mg/dL", labs.creatinine)
    lab_series: Sequence[tuple[str, str, Array]] = (
        ("751-8", "10*9/L", labs.anc),
        ("777-3", "10*9/L", labs.platelets),
        ("718-7", "g/dL", labs.haemoglobin),
        bili,
        creat,
    )
    vital_series: Sequence[tuple[str, str, Array]] = (
        ("8310-5", "Cel", labs.temperature),
        ("8867-4", "/min", labs.heart_rate),
        ("8480-6", "mm[Hg]", labs.systolic),
        ("59408-5", "%", labs.spo2),
    )
    lab_time = dt.datetime.combine(plan.day0, dt.time(5, int(rng.integers(0, 60))), tzinfo=dt.UTC)
    vital_time = dt.datetime.combine(plan.day0, dt.time(7, int(rng.integers(0, 60))), tzinfo=dt.UTC)
    rows: list[ObservationRow] = []
    feed, device = ObservationSource.LAB_FEED.value, ObservationSource.DEVICE.value
    day_list = labs.days.tolist()
    for series, at, source in ((lab_series, lab_time, feed), (vital_series, vital_time, device)):
        stamps = [at + dt.timedelta(days=day) for day in day_list]
        for loinc, unit, values in series:
            for day, when, value in zip(day_list, stamps, values.tolist(), strict=True):
                rows.append(
                    ObservationRow(patient_id, episode_id, when, loinc, value, unit, source, f"{key}/{loinc}/{day}")
                )
    return rows
