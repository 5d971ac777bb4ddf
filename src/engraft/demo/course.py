"""The post-transplant course of one synthetic transplant: complications, relapse, death, visits.

Latent times (days from day 0) for relapse, non-relapse death, acute and chronic GVHD, SOS/VOD,
infections and graft failure are drawn independently; complications that kill (grade III-IV
acute GVHD, severe SOS/VOD, graft failure, severe chronic GVHD) add competing death times. The
earliest death wins, and nothing is recorded after death or after the data cut-off (``horizon``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from engraft.demo.draws import Rng, chance, latent_day, pick, truncnorm
from engraft.demo.transplant_plan import (
    DR,
    Fever,
    PlannedAcuteGvhd,
    PlannedEvent,
    TransplantPlan,
    Visit,
    acute_gvhd_grade,
    bacteraemia,
    respiratory_virus,
    status_factor,
)
from engraft.vocabulary import DiseaseStatus, EventType, GraftSource, PerformanceScale
from engraft.vocabulary.time import DAYS_PER_YEAR

ET = EventType
_NRM_DONOR = {
    DR.MATCHED_SIBLING: 0.8,
    DR.MATCHED_UNRELATED: 1.0,
    DR.MISMATCHED_UNRELATED: 1.3,
    DR.HAPLOIDENTICAL: 1.1,
    DR.CORD_BLOOD_UNIT: 1.35,
}
_AGVHD_DONOR = {
    DR.MATCHED_SIBLING: 0.32,
    DR.MATCHED_UNRELATED: 0.43,
    DR.MISMATCHED_UNRELATED: 0.52,
    DR.HAPLOIDENTICAL: 0.35,
    DR.CORD_BLOOD_UNIT: 0.47,
}
_CR = (DiseaseStatus.CR1, DiseaseStatus.CR2, DiseaseStatus.CR3_OR_LATER)


def _median_days(rng: Rng, median_days: float) -> int:
    return int(rng.exponential(median_days / math.log(2)))


def resolve_course(rng: Rng, plan: TransplantPlan) -> None:
    """Fill ``plan`` with its events, death, fevers and follow-up visits."""
    ind, allo, donor = plan.indication, plan.allogeneic, plan.donor_type
    deaths: list[tuple[int, str, str | None]] = []
    events: list[PlannedEvent] = []
    has = set(plan.prophylaxis)

    # relapse or progression
    if ind.relapse[2] > 0:
        f = status_factor(plan.status)
        c1, c2, c5 = (min(0.9, c * f) for c in ind.relapse)
        start = 45 if allo else 75
        curve = ((start, 0.0), (365, c1), (730, c2), (1826, c5), (3652, min(0.95, c5 * 1.15)))
        plan.relapse_day = latent_day(rng, curve)
        if plan.relapse_day is not None:
            deaths.append(
                (plan.relapse_day + 1 + _median_days(rng, ind.post_relapse_months * 30.44), "primary disease", None)
            )

    # baseline non-relapse mortality
    age_factor = min(1.6, max(0.5, 1 + (0.015 if allo else 0.03) * (plan.age - (50 if allo else 55))))
    if allo and donor is not None:
        c1 = 0.13 * _NRM_DONOR[donor] * age_factor * min(1.3, status_factor(plan.status))
        c1 *= 1.25 if plan.regimen.intensity == "MAC" and plan.age > 50 else 1.0
        c1 *= 0.6 if ind.group == "non-malignant" else 1.0
        points = ((30, 0.25 * c1), (100, 0.55 * c1), (365, c1), (730, c1 + 0.03), (3652, c1 + 0.10))
    else:
        c1 = (0.035 if ind.group in ("myeloma", "autoimmune") else 0.06) * age_factor
        points = ((30, 0.35 * c1), (100, 0.6 * c1), (365, c1), (730, c1 + 0.01), (3652, c1 + 0.06))
    nrm = latent_day(rng, points)
    if nrm is not None:
        deaths.append((max(nrm, 2), "nrm", None))

    # graft failure (primary): no neutrophil recovery by day 28 (day 42 after cord blood)
    if plan.graft_failure:
        gf_day = 42 if plan.graft_source is GraftSource.CORD_BLOOD else 28
        events.append(PlannedEvent(gf_day, ET.GRAFT_FAILURE, {"kind": "primary"}))
        if chance(rng, 0.65):
            deaths.append((gf_day + int(rng.integers(5, 60)), "graft failure", "primary graft failure"))
        else:  # rescued (second infusion or autologous reconstitution): late count recovery
            plan.late_recovery = gf_day + int(rng.integers(10, 30))

    # acute GVHD (maximum grade, MAGIC organ stages)
    if allo and donor is not None and not plan.graft_failure:
        p24 = _AGVHD_DONOR[donor]
        p24 *= 0.8 if "anti-thymocyte globulin (rabbit)" in has else 1.0
        p24 *= 0.85 if plan.graft_source is GraftSource.BONE_MARROW else 1.0
        p24 *= 0.6 if ind.group == "non-malignant" else 0.8 if plan.age < 18 else 1.0
        u = float(rng.random())
        frac34 = 0.28 if "post-transplant cyclophosphamide" in has else 0.38
        grade = 0
        if u < p24:
            grade = (4 if chance(rng, 0.3) else 3) if chance(rng, frac34) else 2
        elif chance(rng, 0.15):
            grade = 1
        if grade:
            onset = int(
                min(100, max(plan.neutrophil_target + int(rng.integers(1, 6)), 8 + rng.lognormal(math.log(18), 0.5)))
            )
            plan.agvhd = PlannedAcuteGvhd(onset, acute_gvhd_grade(rng, grade))
            events.append(PlannedEvent(onset, ET.ACUTE_GVHD, plan.agvhd.details()))
            if grade >= 3 and chance(rng, 0.3 if grade == 3 else 0.65):
                deaths.append((onset + int(rng.integers(14, 150)), "GVHD", "steroid-refractory acute GVHD"))

    # SOS/VOD
    mac = plan.regimen.intensity == "MAC"
    sos_p = (0.09 if plan.regimen.busulfan else 0.05) if mac else 0.015 if allo else 0.0
    sos_p = 0.06 if plan.regimen.name == "BuMel" else sos_p
    if chance(rng, sos_p):
        onset = int(truncnorm(rng, 12, 5, 2, 21))
        severity = str(pick(rng, (("mild", 0.2), ("moderate", 0.35), ("severe", 0.3), ("very severe", 0.15))))
        plan.sos = (onset, severity)
        criteria = "EBMT 2018 paediatric" if plan.age < 18 else "EBMT 2016 adult"
        events.append(PlannedEvent(onset, ET.SOS_VOD, {"criteria": criteria, "severity": severity}))
        if chance(rng, {"very severe": 0.6, "severe": 0.25}.get(severity, 0.0)):
            deaths.append((onset + int(rng.integers(5, 30)), "organ failure", "SOS/VOD with multi-organ failure"))

    # chronic GVHD (NIH 2014 global severity)
    if allo and donor is not None and not plan.graft_failure:
        p = 0.47 * (0.7 if plan.graft_source is GraftSource.BONE_MARROW else 1.0)
        p *= 0.6 if has & {"anti-thymocyte globulin (rabbit)", "post-transplant cyclophosphamide"} else 1.0
        p *= 0.6 if donor is DR.CORD_BLOOD_UNIT or plan.age < 18 else 1.0
        p *= 1.4 if plan.agvhd is not None and plan.agvhd.grade.value >= 2 else 1.0
        if chance(rng, min(p, 0.7)):
            onset = int(min(900, 100 + rng.lognormal(math.log(80), 0.6)))
            severity = str(pick(rng, (("mild", 0.35), ("moderate", 0.42), ("severe", 0.23))))
            systemic = severity != "mild" or chance(rng, 0.3)
            plan.cgvhd_day = onset
            events.append(PlannedEvent(onset, ET.CHRONIC_GVHD, {"severity": severity, "systemic_treatment": systemic}))
            if severity == "severe" and chance(rng, 0.2):
                deaths.append((onset + int(rng.integers(90, 900)), "GVHD", "chronic GVHD"))

    # second malignancy
    if chance(rng, 0.025 if allo else 0.02):
        day = int(rng.integers(90, 240)) if allo and chance(rng, 0.3) else int(rng.integers(365, 8 * 365))
        name, icd = _second_malignancy(rng, allo, day)
        events.append(PlannedEvent(day, ET.SECOND_MALIGNANCY, {"diagnosis": name, "icd10": icd}))
        if chance(rng, 0.35):
            deaths.append((day + int(rng.integers(60, 600)), "second malignancy", name))

    _infections(rng, plan, events)

    # resolve deaths: the earliest wins; censor at the data cut-off
    deaths.sort(key=lambda d: d[0])
    if deaths and deaths[0][0] <= plan.horizon:
        day, cause, text = deaths[0]
        if cause == "nrm":
            cause, text = _nrm_cause(rng, plan, events, day)
        plan.death_day, plan.death_cause, plan.death_text = day, cause, text
        if cause == "infection":
            _fatal_infection(rng, plan, events, day)
    cut = plan.horizon if plan.death_day is None else min(plan.horizon, plan.death_day)
    if plan.relapse_day is not None and plan.relapse_day <= cut:
        kind = ET.RELAPSE if plan.status in _CR or ind.group not in ("myeloma", "lymphoma") else ET.PROGRESSION
        events.append(PlannedEvent(plan.relapse_day, kind, {"method": ind.method}))
    elif plan.relapse_day is not None:
        plan.relapse_day = None
    plan.events = sorted((e for e in events if e.day <= cut), key=lambda e: e.day)
    if plan.agvhd is not None and plan.agvhd.onset > cut:
        plan.agvhd = None
    if plan.sos is not None and plan.sos[0] > cut:
        plan.sos = None
    if plan.cgvhd_day is not None and plan.cgvhd_day > cut:
        plan.cgvhd_day = None
    plan.visits = _visits(rng, plan)


def _second_malignancy(rng: Rng, allo: bool, day: int) -> tuple[str, str]:
    if allo and day < 365:
        return "Post-transplant lymphoproliferative disorder", "D47.Z1"
    options: tuple[tuple[tuple[str, str], float], ...] = (
        (("Basal cell carcinoma of skin", "C44.9"), 0.3),
        (("Squamous cell carcinoma of skin", "C44.9"), 0.3 if allo else 0.1),
        (("Myelodysplastic neoplasm, post cytotoxic therapy", "D46.9"), 0.05 if allo else 0.4),
        (("Squamous cell carcinoma of the oral cavity", "C06.9"), 0.15 if allo else 0.02),
        (("Adenocarcinoma of the breast", "C50.9"), 0.1),
    )
    return pick(rng, options)


def _infections(rng: Rng, plan: TransplantPlan, events: list[PlannedEvent]) -> None:
    allo, target = plan.allogeneic, plan.neutrophil_target
    aplasia_end = max(6, target if not plan.graft_failure else 40)
    bact_p = (0.35 if plan.graft_source is GraftSource.CORD_BLOOD else 0.25) if allo else 0.15
    if chance(rng, bact_p):
        day = int(rng.integers(3, aplasia_end))
        events.append(PlannedEvent(day, ET.INFECTION, bacteraemia(rng)))
        plan.fevers.append(Fever(day - 1, int(rng.integers(2, 5)), float(rng.uniform(38.6, 40.1)), chance(rng, 0.15)))
    elif chance(rng, 0.6):  # culture-negative febrile neutropenia (no event recorded)
        plan.fevers.append(
            Fever(int(rng.integers(3, aplasia_end)), int(rng.integers(1, 4)), float(rng.uniform(38.1, 39.0)))
        )
    if allo:
        donor_pos = any(d.cmv.value == "positive" for d in plan.donors)
        letermovir = plan.day0 >= dt.date(2018, 6, 1)
        p = (0.35 if letermovir else 0.6) if plan.cmv.value == "positive" else 0.15 if donor_pos else 0.0
        if chance(rng, p):
            late = letermovir and chance(rng, 0.5)
            day = int(rng.integers(101, 200)) if late else int(truncnorm(rng, 38, 12, 14, 100))
            site = "lung" if chance(rng, 0.05) else "blood"
            events.append(
                PlannedEvent(
                    day, ET.INFECTION, {"organism": "cytomegalovirus", "organism_class": "viral", "site": site}
                )
            )
            if chance(rng, 0.3):
                plan.fevers.append(Fever(day, 2, float(rng.uniform(37.8, 38.5))))
        if chance(rng, 0.18 if plan.donor_type is DR.HAPLOIDENTICAL else 0.07):
            day = int(rng.integers(15, 61))
            events.append(
                PlannedEvent(
                    day,
                    ET.INFECTION,
                    {"organism": "BK polyomavirus", "organism_class": "viral", "site": "urinary bladder"},
                )
            )
        if chance(rng, 0.06):
            day = int(rng.integers(25, 101))
            events.append(PlannedEvent(day, ET.INFECTION, bacteraemia(rng)))
            plan.fevers.append(Fever(day - 1, int(rng.integers(2, 4)), float(rng.uniform(38.4, 39.8))))
    ifi_p = 0.01 if not allo else 0.04 + (0.15 if plan.agvhd is not None and plan.agvhd.grade.value >= 3 else 0.0)
    if chance(rng, ifi_p):
        low = plan.agvhd.onset + 7 if plan.agvhd is not None else 10
        day = int(rng.integers(low, low + 170))
        events.append(
            PlannedEvent(
                day, ET.INFECTION, {"organism": "Aspergillus fumigatus", "organism_class": "fungal", "site": "lung"}
            )
        )
        plan.fevers.append(Fever(day - 2, int(rng.integers(3, 6)), float(rng.uniform(38.4, 39.6)), hypoxia=True))
    if chance(rng, 0.07):
        day = int(rng.integers(1, 61))
        events.append(
            PlannedEvent(
                day,
                ET.INFECTION,
                {"organism": "Clostridioides difficile", "organism_class": "bacterial", "site": "colon"},
            )
        )
    if chance(rng, 0.12):
        day = int(rng.integers(1, 366))
        details = respiratory_virus(rng, plan.day0 + dt.timedelta(days=day))
        events.append(PlannedEvent(day, ET.INFECTION, details))
        plan.fevers.append(Fever(day, 2, float(rng.uniform(37.8, 38.8)), hypoxia=details["site"] == "lung"))
    if chance(rng, 0.08 if allo else 0.04):
        day = int(rng.integers(120, 720))
        events.append(
            PlannedEvent(
                day, ET.INFECTION, {"organism": "varicella-zoster virus", "organism_class": "viral", "site": "skin"}
            )
        )


def _nrm_cause(rng: Rng, plan: TransplantPlan, events: list[PlannedEvent], day: int) -> tuple[str, str | None]:
    gvhd_before = any(
        (e.event_type is ET.ACUTE_GVHD and e.details["grade"] >= 2) or e.event_type is ET.CHRONIC_GVHD
        for e in events
        if e.day < day
    )
    if plan.allogeneic and gvhd_before and chance(rng, 0.45):
        return "GVHD", None
    if day < 100:
        options: tuple[tuple[tuple[str, str | None], float], ...] = (
            (("infection", None), 0.45),
            (("organ failure", "idiopathic pneumonia syndrome"), 0.1),
            (("organ failure", "multi-organ failure"), 0.12),
            (("toxicity", "regimen-related toxicity"), 0.08),
            (("haemorrhage", "intracranial haemorrhage"), 0.08),
            (("vascular", "transplant-associated thrombotic microangiopathy"), 0.07),
            (("other", None), 0.1),
        )
    else:
        options = (
            (("infection", None), 0.5),
            (("organ failure", "respiratory failure"), 0.15),
            (("vascular", "cardiovascular disease"), 0.1),
            (("other", None), 0.2),
            (("unknown", None), 0.05),
        )
    return pick(rng, options)


def _fatal_infection(rng: Rng, plan: TransplantPlan, events: list[PlannedEvent], death: int) -> None:
    day = max(1, death - int(rng.integers(0, 7)))
    kind = pick(rng, (("bact", 0.5), ("fungal", 0.25), ("viral", 0.25)))
    details: dict[str, Any]
    if kind == "bact":
        organisms = (("Pseudomonas aeruginosa", 0.4), ("Klebsiella pneumoniae", 0.35), ("Escherichia coli", 0.25))
        details = {"organism": pick(rng, organisms), "organism_class": "bacterial", "site": "blood"}
    elif kind == "fungal":
        details = {"organism": "Aspergillus fumigatus", "organism_class": "fungal", "site": "lung"}
    else:
        details = respiratory_virus(rng, plan.day0 + dt.timedelta(days=day)) | {"site": "lung"}
    events.append(PlannedEvent(day, ET.INFECTION, details))
    plan.fevers.append(Fever(day, death - day + 1, float(rng.uniform(38.5, 40.0)), shock=True, hypoxia=kind != "bact"))
    plan.death_text = f"{details['organism']} {'sepsis' if details['site'] == 'blood' else 'pneumonia'}"


def _visits(rng: Rng, plan: TransplantPlan) -> list[Visit]:
    """Day 100, 6 months, 1 year, then yearly; a last visit records death; none after the cut-off."""
    schedule = [(100, 7), (182, 14), (365, 30)] + [(365 * k, 30) for k in range(2, 40)]
    malignant = plan.indication.relapse[2] > 0
    converted = chance(rng, 0.45)
    visits: list[Visit] = []
    base = int(pick(rng, ((100, 0.35), (90, 0.45), (80, 0.2))))
    for target, jitter in schedule:
        day = target + int(rng.integers(-jitter, jitter + 1))
        if day > plan.horizon:
            break
        if plan.death_day is not None and day >= plan.death_day:
            visits.append(Visit(day, False, None, None, None))
            break
        relapsed = plan.relapse_day is not None and plan.relapse_day <= day
        score = base - (30 if relapsed else 0) - (10 if plan.age > 65 and chance(rng, 0.5) else 0)
        if plan.cgvhd_day is not None and plan.cgvhd_day <= day:
            severity = next(e.details["severity"] for e in plan.events if e.event_type is ET.CHRONIC_GVHD)
            score -= {"mild": 10, "moderate": 20, "severe": 30}[severity]
        if plan.death_day is not None and plan.death_day - day < 120:
            score -= 20
        age = plan.age + day / DAYS_PER_YEAR
        scale = PerformanceScale.LANSKY if age < 16 else PerformanceScale.KARNOFSKY
        visits.append(
            Visit(day, True, scale, max(30, min(100, score)), _disease_status(plan, relapsed, malignant, converted))
        )
    return visits


def _disease_status(plan: TransplantPlan, relapsed: bool, malignant: bool, converted: bool) -> DiseaseStatus:
    if not malignant:
        return DiseaseStatus.NOT_APPLICABLE
    if relapsed:
        return DiseaseStatus.RELAPSE
    if plan.status in _CR:
        return plan.status
    if plan.status is DiseaseStatus.PR and not converted:
        return DiseaseStatus.PR
    return DiseaseStatus.CR1
