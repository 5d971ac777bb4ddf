"""One synthetic transplant: recipient, indication, donor, graft source, cell dose and regimen.

:func:`plan_transplant` draws who is transplanted, for what, with which donor and graft; the
course after day 0 is added by :mod:`engraft.demo.course` and the labs by
:mod:`engraft.demo.labs`. All days are counted from day 0. Everything here is pure and seeded: the
random generator passed in is the only source of variation.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from engraft.demo.cohort_tables import (
    AUTOLOGOUS_SHARE,
    BACTERAEMIA_ORGANISMS,
    DONOR_TYPES,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INDICATIONS,
    REGIMENS,
    RESPIRATORY_VIRUSES,
    DemoCentre,
    Indication,
    Regimen,
)
from engraft.demo.donors import ABO, PlannedDonor, draw_donor
from engraft.demo.draws import Rng, chance, pick, truncnorm
from engraft.grading import AcuteGvhdGrade, OrganStages, grade_acute_gvhd
from engraft.vocabulary import (
    AboGroup,
    DiseaseStatus,
    DonorRelation,
    EventType,
    GraftSource,
    PerformanceScale,
    RhD,
    Serostatus,
    Sex,
    TransplantType,
)
from engraft.vocabulary.time import DAYS_PER_YEAR

DR = DonorRelation
YEAR = DAYS_PER_YEAR


@dataclass(slots=True)
class PlannedEvent:
    day: int
    event_type: EventType
    details: dict[str, Any]


@dataclass(slots=True)
class Fever:
    start: int
    days: int
    peak: float
    shock: bool = False
    hypoxia: bool = False


@dataclass(slots=True)
class Visit:
    day: int
    alive: bool
    scale: PerformanceScale | None
    score: int | None
    status: DiseaseStatus | None


@dataclass(frozen=True, slots=True)
class PlannedAcuteGvhd:
    """Maximum acute GVHD: onset day and the overall grade (MAGIC, from :mod:`engraft.grading`) of its stages."""

    onset: int
    grade: AcuteGvhdGrade

    def details(self) -> dict[str, Any]:
        """The registry event details: overall grade, organ stages and grading system."""
        stages = self.grade.stages
        return {
            "grade": self.grade.value,
            "skin_stage": stages.skin,
            "liver_stage": stages.liver,
            "upper_gi_stage": stages.upper_gi,
            "lower_gi_stage": stages.lower_gi,
            "grading_system": self.grade.system.value,
        }


@dataclass(slots=True)
class TransplantPlan:
    """Everything about one transplant, in days from day 0 (``horizon`` = days to the data cut-off)."""

    centre: DemoCentre
    day0: dt.date
    horizon: int
    sex: Sex
    birth_date: dt.date
    age: float
    abo: AboGroup
    rh: RhD
    cmv: Serostatus
    height_cm: float
    weight_kg: float
    indication: Indication
    status: DiseaseStatus
    diagnosis_date: dt.date
    transplant_type: TransplantType
    graft_source: GraftSource
    regimen: Regimen
    prophylaxis: list[str]
    cd34: float
    tnc: float
    tnc_unit: str
    viability: float
    donors: list[PlannedDonor] = field(default_factory=list)
    donor_type: DonorRelation | None = None
    neutrophil_target: int = 14
    platelet_target: int | None = 16
    graft_failure: bool = False
    late_recovery: int | None = None  # graft failure survivors: day of autologous/rescue recovery
    agvhd: PlannedAcuteGvhd | None = None
    sos: tuple[int, str] | None = None
    relapse_day: int | None = None
    death_day: int | None = None
    death_cause: str | None = None
    death_text: str | None = None
    cgvhd_day: int | None = None
    fevers: list[Fever] = field(default_factory=list)
    events: list[PlannedEvent] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)

    @property
    def last_lab_day(self) -> int:
        last = min(100, self.horizon)
        return last if self.death_day is None else min(last, self.death_day)

    @property
    def allogeneic(self) -> bool:
        return self.transplant_type is TransplantType.ALLOGENEIC


def acute_gvhd_grade(rng: Rng, target: int) -> AcuteGvhdGrade:
    """Organ stages drawn so that their overall MAGIC grade is ``target`` (1-4), graded by engraft.grading."""
    skin = liver = upper_gi = lower_gi = 0
    if target == 1:
        skin = int(rng.integers(1, 3))
    elif target == 2:
        kind = pick(rng, (("skin", 0.4), ("ugi", 0.25), ("lgi", 0.25), ("liver", 0.1)))
        skin = 3 if kind == "skin" else int(rng.integers(0, 4))
        upper_gi = 1 if kind == "ugi" else int(chance(rng, 0.3))
        lower_gi = 1 if kind == "lgi" else 0
        liver = 1 if kind == "liver" else 0
    elif target == 3:
        skin = int(rng.integers(0, 4))
        upper_gi = int(chance(rng, 0.5))
        if chance(rng, 0.75):
            lower_gi = int(rng.integers(2, 4))
            liver = int(rng.choice([0, 0, 1, 2]))
        else:
            liver = int(rng.integers(2, 4))
            lower_gi = int(rng.integers(0, 2))
    else:
        kind = pick(rng, (("lgi", 0.6), ("skin", 0.2), ("liver", 0.2)))
        skin = 4 if kind == "skin" else int(rng.integers(1, 4))
        lower_gi = 4 if kind == "lgi" else int(rng.integers(0, 4))
        liver = 4 if kind == "liver" else int(rng.choice([0, 0, 1, 2]))
        upper_gi = int(chance(rng, 0.5))
    grade = grade_acute_gvhd(OrganStages(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi))
    if grade.value != target:
        raise RuntimeError(f"demo drew acute GVHD stages {grade.stages} of grade {grade.value}, expected {target}")
    return grade


def status_factor(status: DiseaseStatus) -> float:
    if status in (DiseaseStatus.CR1, DiseaseStatus.CHRONIC_PHASE, DiseaseStatus.NOT_APPLICABLE):
        return 0.85
    if status in (DiseaseStatus.CR2, DiseaseStatus.PR, DiseaseStatus.UNTREATED, DiseaseStatus.STABLE_DISEASE):
        return 1.0
    return 1.7


def _choose_indication(rng: Rng, tt: TransplantType | None) -> Indication:
    if tt is None:
        tt = TransplantType.AUTOLOGOUS if chance(rng, AUTOLOGOUS_SHARE) else TransplantType.ALLOGENEIC
    return pick(rng, [(i, i.weight) for i in INDICATIONS if i.transplant_type is tt])


def _donor_type(rng: Rng, ind: Indication, age: float) -> DonorRelation:
    if ind.key in ("THAL", "SCD"):
        return pick(rng, ((DR.MATCHED_SIBLING, 0.8), (DR.HAPLOIDENTICAL, 0.2)))
    if ind.key == "SAA":
        return pick(rng, ((DR.MATCHED_SIBLING, 0.55), (DR.MATCHED_UNRELATED, 0.35), (DR.HAPLOIDENTICAL, 0.1)))
    options = list(DONOR_TYPES)
    if age < 18:
        options = [(r, w * (2.0 if r is DR.CORD_BLOOD_UNIT else 1.0)) for r, w in options]
    if age > 60:
        options = [(r, w * (0.6 if r is DR.MATCHED_SIBLING else 1.0)) for r, w in options]
    return pick(rng, options)


def _regimen(rng: Rng, ind: Indication, age: float, donor: DonorRelation | None) -> Regimen:
    r = REGIMENS
    if ind.transplant_type is TransplantType.AUTOLOGOUS:
        by_key = {"MM": "MEL140" if age > 70 or chance(rng, 0.06) else "MEL200", "AL": "MEL200", "PCNSL": "TT-BCNU"}
        by_key |= {"NBL": "BuMel", "GCT": "CE", "MS": "Cy-ATG"}
        return r[by_key.get(ind.key, "BEAM")]
    if ind.key == "SAA":
        return r["FluCyATG"]
    if ind.key in ("THAL", "SCD", "SCID"):
        return r["TreoFluTT"]
    mac_p = 0.85 if age < 40 else 0.6 if age < 55 else 0.15
    if (ind.group in ("lymphoid", "myeloma") and ind.key != "ALL") or ind.key == "MF":
        mac_p = 0.1
    mac = chance(rng, mac_p)
    if donor is DR.CORD_BLOOD_UNIT:
        return r["FluCyTBI13.2" if mac else "FluCyTBI2-cord"]
    if donor is DR.HAPLOIDENTICAL:
        return r["TBF" if mac else "FluCyTBI2"]
    if not mac:
        return r[pick(rng, (("FluMel", 0.35), ("FluBu2", 0.35), ("FluTreo", 0.2), ("FluTBI2", 0.1)))]
    if ind.key == "ALL":
        return r["CyTBI" if chance(rng, 0.75) else "VP16-TBI"]
    return r[pick(rng, (("FluBu4", 0.5), ("BuCy", 0.3), ("CyTBI", 0.2)))]


def _prophylaxis(rng: Rng, donor: DonorRelation, regimen: Regimen, day0: dt.date) -> list[str]:
    ptcy = ["post-transplant cyclophosphamide", "tacrolimus", "mycophenolate mofetil"]
    if donor is DR.HAPLOIDENTICAL or (donor is DR.MISMATCHED_UNRELATED and chance(rng, 0.6)):
        return ptcy
    if donor is DR.CORD_BLOOD_UNIT:
        return ["ciclosporin", "mycophenolate mofetil"]
    if donor in (DR.MATCHED_UNRELATED, DR.MISMATCHED_UNRELATED):
        if day0.year >= 2021 and chance(rng, 0.3):
            return ptcy
        if chance(rng, 0.65):
            return ["anti-thymocyte globulin (rabbit)", "ciclosporin", "methotrexate"]
        return ["tacrolimus", "methotrexate"]
    if regimen.name == "FluTBI2":
        return ["ciclosporin", "mycophenolate mofetil"]
    return ["ciclosporin", "methotrexate"] if chance(rng, 0.6) else ["tacrolimus", "methotrexate"]


def _anthropometry(rng: Rng, age: float, sex: Sex) -> tuple[float, float]:
    if age >= 18:
        h = truncnorm(rng, 176 if sex is Sex.MALE else 163, 7, 145, 205)
        bmi = truncnorm(rng, 26.5, 4.5, 17, 45)
        return round(h, 1), round(bmi * (h / 100) ** 2, 1)
    h = min(75 + 6.2 * age, 170 if sex is Sex.FEMALE else 178) + rng.normal(0, 5) if age >= 1 else 62 + 14 * age
    bmi = truncnorm(rng, 17 if age > 2 else 16, 2, 12.5, 30)
    return round(float(max(h, 50)), 1), round(float(max(bmi * (h / 100) ** 2, 3.0)), 1)


def plan_transplant(
    rng: Rng, centre: DemoCentre, day0: dt.date, end_date: dt.date, transplant_type: TransplantType | None = None
) -> TransplantPlan:
    """Draw a recipient, indication, donor and graft (of ``transplant_type`` if given, else at random)."""
    ind = _choose_indication(rng, transplant_type)
    age = truncnorm(rng, *ind.age)
    male_p = 1.0 if ind.key == "GCT" else 0.3 if ind.key == "MS" else 0.58
    sex = Sex.MALE if chance(rng, male_p) else Sex.FEMALE
    birth = day0 - dt.timedelta(days=int(age * YEAR))
    age = (day0 - birth).days / YEAR
    cmv_p = 0.35 if age < 18 else min(0.75, 0.4 + 0.005 * age)
    cmv = Serostatus.POSITIVE if chance(rng, cmv_p) else Serostatus.NEGATIVE
    height, weight = _anthropometry(rng, age, sex)
    status: DiseaseStatus = pick(rng, ind.statuses)
    months = float(rng.uniform(*ind.months_since_diagnosis))
    diagnosis = max(birth + dt.timedelta(days=14), day0 - dt.timedelta(days=int(months * 30.44)))
    tt = ind.transplant_type
    donor_type = _donor_type(rng, ind, age) if tt is TransplantType.ALLOGENEIC else None
    regimen = _regimen(rng, ind, age, donor_type)
    plan = TransplantPlan(
        centre=centre, day0=day0, horizon=(end_date - day0).days, sex=sex, birth_date=birth, age=age,
        abo=pick(rng, ABO), rh=RhD.POSITIVE if chance(rng, 0.85) else RhD.NEGATIVE, cmv=cmv,
        height_cm=height, weight_kg=weight, indication=ind, status=status, diagnosis_date=diagnosis,
        transplant_type=tt, graft_source=GraftSource.PERIPHERAL_BLOOD, regimen=regimen, prophylaxis=[],
        cd34=0.0, tnc=0.0, tnc_unit="10*8/kg", viability=round(float(rng.uniform(88, 99.5)), 1),
        donor_type=donor_type,
    )  # fmt: skip
    _graft(rng, plan)
    return plan


def _graft(rng: Rng, plan: TransplantPlan) -> None:
    """Donors, graft source, cell doses, prophylaxis and the planned engraftment days."""
    d, age = plan.donor_type, plan.age
    if d is None:
        if chance(rng, 0.01):
            plan.graft_source = GraftSource.BONE_MARROW
    elif d is DR.CORD_BLOOD_UNIT:
        plan.graft_source = GraftSource.CORD_BLOOD
    else:
        bm_p = {DR.HAPLOIDENTICAL: 0.3, DR.MATCHED_SIBLING: 0.15}.get(d, 0.12)
        if age < 18 or plan.indication.group == "non-malignant":
            bm_p = 0.7
        if chance(rng, bm_p):
            plan.graft_source = GraftSource.BONE_MARROW
    if d is not None:
        units = 2 if d is DR.CORD_BLOOD_UNIT and age >= 18 and chance(rng, 0.5) else 1
        collection = 0 if plan.graft_source is GraftSource.BONE_MARROW else -1
        plan.donors = [draw_donor(rng, d, age, collection) for _ in range(units)]
        plan.prophylaxis = _prophylaxis(rng, d, plan.regimen, plan.day0)
    src = plan.graft_source
    if src is GraftSource.CORD_BLOOD:
        plan.cd34 = round(truncnorm(rng, 0.22, 0.08, 0.08, 0.6), 2)
        plan.tnc, plan.tnc_unit = round(truncnorm(rng, 3.6, 0.8, 2.5, 6.0), 2), "10*7/kg"
        plan.viability = round(float(rng.uniform(75, 95)), 1)
    elif src is GraftSource.BONE_MARROW:
        plan.cd34 = round(truncnorm(rng, 2.8, 0.9, 1.0, 6.0), 2)
        plan.tnc = round(truncnorm(rng, 3.8, 1.0, 2.0, 7.0), 2)
    else:
        mean = 6.0 if d is not None else 4.5
        low, high = (4.0, 8.5) if d is not None else (2.0, 8.5)
        plan.cd34 = round(float(min(high, max(low, rng.lognormal(math.log(mean), 0.28)))), 2)
        plan.tnc = round(truncnorm(rng, 8.0 if d is not None else 6.0, 2.0, 3.0, 15.0), 2)
    if d is None:
        target = 11.5 - 0.35 * (plan.cd34 - 4.5) if src is GraftSource.PERIPHERAL_BLOOD else 20
        plan.neutrophil_target = round(truncnorm(rng, target, 1.3, 9, 17))
        plan.platelet_target = round(truncnorm(rng, plan.neutrophil_target + 1.5, 2.5, 9, 30))
        no_platelets = 0.02
    elif src is GraftSource.CORD_BLOOD:
        plan.neutrophil_target = round(truncnorm(rng, 26, 4.5, 17, 42))
        plan.platelet_target = round(truncnorm(rng, 45, 12, 28, 90))
        no_platelets = 0.15
    else:
        marrow = src is GraftSource.BONE_MARROW
        mean = 22.0 if marrow else 15.0 if plan.regimen.intensity == "RIC" else 17.0
        mean += 1.5 if "post-transplant cyclophosphamide" in plan.prophylaxis else 0.0
        plan.neutrophil_target = round(truncnorm(rng, mean, 2.8, 11, 35))
        pmean = plan.neutrophil_target + (6 if marrow or d is DR.HAPLOIDENTICAL else 1)
        plan.platelet_target = round(truncnorm(rng, pmean, 5, 10, 70))
        no_platelets = 0.07 if d is DR.HAPLOIDENTICAL else 0.04
    if chance(rng, no_platelets):
        plan.platelet_target = None
    gf_p = {DR.CORD_BLOOD_UNIT: 0.05, DR.HAPLOIDENTICAL: 0.035}.get(d, 0.01) if d is not None else 0.0
    if plan.indication.key in ("SAA", "THAL", "SCD"):
        gf_p = 0.05
    plan.graft_failure = chance(rng, gf_p)
    if plan.graft_failure:
        plan.platelet_target = None


def bacteraemia(rng: Rng) -> dict[str, Any]:
    return {"organism": pick(rng, BACTERAEMIA_ORGANISMS), "organism_class": "bacterial", "site": "blood"}


def respiratory_virus(rng: Rng, day: dt.date) -> dict[str, Any]:
    covid = day >= dt.date(2020, 3, 1) and chance(rng, 0.35)
    organism = "SARS-CoV-2" if covid else str(rng.choice(RESPIRATORY_VIRUSES))
    site = "lung" if chance(rng, 0.3) else "upper respiratory tract"
    return {"organism": organism, "organism_class": "viral", "site": site}


def identity_names(rng: Rng, sex: Sex) -> tuple[str, str]:
    given = GIVEN_MALE if sex is Sex.MALE else GIVEN_FEMALE
    return str(rng.choice(given)), str(rng.choice(FAMILY))
