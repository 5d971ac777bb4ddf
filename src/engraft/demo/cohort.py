"""A synthetic, seeded demo cohort of HSCT recipients, generated without touching any database.

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
* Engraftment: median days ~11-12 autologous PBSC, ~15-18 allogeneic PBSC, ~21-24 marrow,
  ~25-30 cord blood (e.g. Rocha V et al., NEJM 2004; Eapen M et al., Lancet Oncol 2010). The
  recorded engraftment days are derived from the simulated counts and platelet transfusions by the
  CIBMTR rules in :mod:`engraft.grading` (neutrophils: first of 3 consecutive values >= 0.5
  x10^9/L after the fall; platelets: first of 3 consecutive values >= 20 x10^9/L, each with no
  platelet transfusion in the 7 days up to it).
* Acute GVHD grade II-IV ~30-35% and III-IV ~10-15% (Jagasia M et al., Blood 2012); the overall
  grade is computed from the drawn organ stages by the MAGIC rule in :mod:`engraft.grading`, and the findings
  behind the stages (rash % BSA, stool output, upper GI, bilirubin) are recorded on a staging day
  (:mod:`engraft.demo.gvhd_findings`), so staging and grading them gives the recorded grade.
  Chronic GVHD ~30-40% of survivors (Arai S et al., BBMT 2015; NIH severity, Jagasia M et al.,
  BBMT 2015).
* SOS/VOD ~5-9% after allogeneic HCT, highest after myeloablative busulfan (Carreras E et al.,
  Blood 1998: 8.9% allogeneic, 3.1% autologous; CIBMTR 2008-2013: 4.9% by day 100, Strouse C
  et al., BBMT 2018; EBMT criteria, Mohty M et al., Bone Marrow Transplant 2016). CMV
  reactivation in seropositive recipients ~60% before and ~35% after letermovir prophylaxis
  (Marty FM et al., NEJM 2017).
* Non-relapse mortality ~15-20% at 1 year after allogeneic and ~2-5% after autologous HCT;
  relapse ~30% at 2 years after allogeneic HCT for AML (CIBMTR Summary Slides; Gooley TA
  et al., NEJM 2010); myeloma progression over years after autografts (Attal M et al., NEJM 2017).

:mod:`engraft.demo.cohort_loader` writes a cohort through the registry service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from engraft.demo.cohort_tables import AUTOLOGOUS_SHARE, CENTRES, DemoCentre
from engraft.demo.course import resolve_course
from engraft.demo.gvhd_findings import AcuteGvhdFindingsRecord, acute_gvhd_findings
from engraft.demo.labs import LabSeries, platelet_transfusion_days, simulate_labs
from engraft.demo.transplant_plan import PlannedEvent, TransplantPlan, identity_names, plan_transplant
from engraft.grading import (
    CountMeasurement,
    CountSeries,
    EngraftmentResult,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.vocabulary import EventType, TransplantType
from engraft.vocabulary.time import DAYS_PER_YEAR

DEFAULT_END_DATE: Final = dt.date(2026, 6, 30)
DEFAULT_SEED: Final = 20261125
MAX_CENTRES: Final = len(CENTRES)
DERIVED_EVENT_TYPES: Final = frozenset({EventType.NEUTROPHIL_ENGRAFTMENT, EventType.PLATELET_ENGRAFTMENT})
"""Events computed from the simulated labs by :mod:`engraft.grading` rather than planned."""


@dataclass(frozen=True, slots=True)
class SyntheticTransplant:
    """One generated transplant: the plan, daily labs, identity and every event, in days from day 0."""

    number: int
    plan: TransplantPlan
    labs: LabSeries
    given_name: str
    family_name: str
    mrn: str
    consent_days_before_collection: tuple[int, ...]
    """One per donor: consent is dated this many days before the donor's collection."""
    lab_minute: int
    """Labs are drawn at 05:MM and vital signs recorded at 07:MM (UTC) every day."""
    vital_minute: int
    platelet_transfusion_days: tuple[int, ...]
    neutrophil_engraftment: EngraftmentResult | None
    """None after primary graft failure (no engraftment events are recorded then)."""
    platelet_engraftment: EngraftmentResult | None
    events: tuple[PlannedEvent, ...]
    """Planned and derived events ordered by day, the death (if any) last."""
    acute_gvhd_findings: AcuteGvhdFindingsRecord | None = None
    """The findings behind the acute GVHD event on its staging day (:mod:`engraft.demo.gvhd_findings`)."""


@dataclass(frozen=True, slots=True)
class _Frame:
    start: dt.date
    offsets: NDArray[np.int64]
    site_choices: NDArray[np.int64]
    autologous: NDArray[np.bool_]
    first_mrn: dict[str, int]


@dataclass(frozen=True)
class SyntheticCohort:
    """``transplants`` first transplants at ``centres`` demo centres, day 0 spread over ``years`` before ``end_date``.

    Iterating generates the transplants lazily and always gives the same ones for the same arguments.
    """

    transplants: int = 500
    years: int = 8
    centres: int = 3
    seed: int = DEFAULT_SEED
    end_date: dt.date = DEFAULT_END_DATE

    def __post_init__(self) -> None:
        if self.transplants < 1 or self.years < 1:
            raise ValueError("transplants and years must be at least 1")
        if not 1 <= self.centres <= MAX_CENTRES:
            raise ValueError(f"centres must be from 1 to {MAX_CENTRES}")

    @property
    def sites(self) -> tuple[DemoCentre, ...]:
        return CENTRES[: self.centres]

    @property
    def first_day0(self) -> dt.date:
        frame = self._frame(np.random.default_rng(self.seed))
        return frame.start + dt.timedelta(days=int(frame.offsets[0]))

    def _frame(self, rng: np.random.Generator) -> _Frame:
        """Day-0 dates, centres and the auto/allo split: the first draws of the seed."""
        start = self.end_date - dt.timedelta(days=int(self.years * DAYS_PER_YEAR))
        offsets = np.sort(rng.integers(0, (self.end_date - start).days - 1, size=self.transplants))
        weights = np.array([s.weight for s in self.sites])
        choices = rng.choice(len(self.sites), size=self.transplants, p=weights / weights.sum())
        autologous = round(self.transplants * AUTOLOGOUS_SHARE)  # stratified: the split does not depend on chance
        is_autologous = rng.permutation(self.transplants) < autologous
        first_mrn = {s.code: int(rng.integers(100_000, 900_000)) for s in self.sites}
        return _Frame(start, offsets, choices, is_autologous, first_mrn)

    def __iter__(self) -> Iterator[SyntheticTransplant]:
        rng = np.random.default_rng(self.seed)
        frame = self._frame(rng)
        mrn_next = dict(frame.first_mrn)
        for index in range(self.transplants):
            site = self.sites[int(frame.site_choices[index])]
            day0 = frame.start + dt.timedelta(days=int(frame.offsets[index]))
            kind = TransplantType.AUTOLOGOUS if frame.autologous[index] else TransplantType.ALLOGENEIC
            plan = plan_transplant(rng, site, day0, self.end_date, kind)
            resolve_course(rng, plan)
            labs = simulate_labs(rng, plan)
            mrn_next[site.code] += int(rng.integers(1, 40))
            transplant = _transplant(rng, index + 1, plan, labs, f"{site.mrn_prefix}{mrn_next[site.code]:07d}")
            # the findings have their own generator: drawing them leaves every other value of the cohort unchanged
            findings = acute_gvhd_findings(np.random.default_rng((self.seed, index + 1)), plan, labs)
            yield dataclasses.replace(transplant, acute_gvhd_findings=findings)


def _transplant(
    rng: np.random.Generator, number: int, plan: TransplantPlan, labs: LabSeries, mrn: str
) -> SyntheticTransplant:
    given, family = identity_names(rng, plan.sex)
    consent = tuple(int(rng.integers(31, 90)) for _ in plan.donors)
    lab_minute, vital_minute = int(rng.integers(0, 60)), int(rng.integers(0, 60))
    transfusions = platelet_transfusion_days(labs)
    neutrophils = platelets = None
    events = list(plan.events)
    if not plan.graft_failure:
        neutrophils = neutrophil_engraftment(_series(labs.days, labs.anc))
        platelets = platelet_engraftment(_series(labs.days, labs.platelets), transfusions)
        for event_type, result in (
            (EventType.NEUTROPHIL_ENGRAFTMENT, neutrophils),
            (EventType.PLATELET_ENGRAFTMENT, platelets),
        ):
            if result.day is not None:
                events.append(PlannedEvent(result.day, event_type, {}))
    events.sort(key=lambda e: e.day)
    if plan.death_day is not None:
        details = {"primary_cause": plan.death_cause, "cause_text": plan.death_text}
        events.append(PlannedEvent(plan.death_day, EventType.DEATH, details))
    return SyntheticTransplant(
        number=number,
        plan=plan,
        labs=labs,
        given_name=given,
        family_name=family,
        mrn=mrn,
        consent_days_before_collection=consent,
        lab_minute=lab_minute,
        vital_minute=vital_minute,
        platelet_transfusion_days=transfusions,
        neutrophil_engraftment=neutrophils,
        platelet_engraftment=platelets,
        events=tuple(events),
    )


def _series(days: NDArray[np.int64], values: NDArray[np.float64]) -> CountSeries:
    return CountSeries(
        measurements=tuple(
            CountMeasurement(day=day, value=value, unit="10*9/L")
            for day, value in zip(days.tolist(), values.tolist(), strict=True)
        )
    )
