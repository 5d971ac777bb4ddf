"""Daily labs and vital signs of one synthetic transplant (days -7 to +100, or to death or cut-off).

Neutrophils fall log-linearly under conditioning to an aplastic nadir (about 0.0-0.1 x10^9/L) from
day +2 to +5 and recover along a logistic curve through 0.5 x10^9/L around the planned
engraftment day; platelets decay with a half-life of about two days to a transfusion-supported
plateau below 20 x10^9/L and recover the same way. Platelets are transfused on every day the count
is at or below :data:`PLATELET_TRANSFUSION_TRIGGER` (:func:`platelet_transfusion_days`); in the
week before the planned platelet recovery the count stays above that trigger (the patient's own
platelets), so that the CIBMTR 7-day transfusion-free window ends on the planned day. The
engraftment events are *derived* from these values and transfusions by the real CIBMTR rules in
:mod:`engraft.grading`, never taken from the plan. Bilirubin follows SOS/VOD and liver GVHD (in the
MAGIC liver-stage range); temperature, heart rate, blood pressure and SpO2 follow the planned fevers,
sepsis and the terminal phase. :func:`reported_labs` gives the series as a centre reports them
(bilirubin and creatinine in umol/L at SI centres, converted by :mod:`engraft.measurements` on the
molar-mass basis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engraft.demo.draws import Rng
from engraft.demo.transplant_plan import TransplantPlan
from engraft.grading import PLATELET_TRANSFUSION_FREE_DAYS
from engraft.measurements import Analyte, ConversionBasis, convert_concentration

FIRST_DAY = -7
PLATELET_TRANSFUSION_TRIGGER = 10.0
"""x10^9/L: prophylactic platelet transfusion at or below this count in non-bleeding, non-febrile patients
(EBMT Handbook 8th ed., ch. 24 Transfusion support, section 24.5, Schrezenmeier et al. 2024, citing
Schiffer et al. 2018). The demo applies it every day, as a stable patient's policy."""
_LIVER_STAGE_MG_DL = {1: (2.1, 3.0), 2: (3.1, 6.0), 3: (6.1, 15.0), 4: (15.1, 25.0)}
_ANC_BASE = {"myeloma": 3.0, "lymphoma": 3.2, "myeloid": 1.8, "lymphoid": 2.4, "solid": 2.8, "autoimmune": 3.6}
_PLT_BASE = {"myeloma": 200.0, "lymphoma": 190.0, "myeloid": 110.0, "lymphoid": 150.0, "solid": 240.0}

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LabSeries:
    """One value per day from ``FIRST_DAY``; lab units: ANC/platelets 10*9/L, Hb g/dL, mg/dL."""

    days: NDArray[np.int64]
    anc: Array
    platelets: Array
    haemoglobin: Array
    bilirubin: Array
    creatinine: Array
    temperature: Array
    heart_rate: Array
    systolic: Array
    spo2: Array


def platelet_transfusion_days(labs: LabSeries) -> tuple[int, ...]:
    """Days (from day 0) on which the demo transfuses platelets: the count is at or below the trigger."""
    return tuple(int(day) for day in labs.days[labs.platelets <= PLATELET_TRANSFUSION_TRIGGER])


def reported_labs(labs: LabSeries, si_units: bool) -> tuple[tuple[str, str, Array], ...]:
    """(LOINC, UCUM unit, daily values) of the lab series as a centre reports them.

    SI centres report bilirubin and creatinine in umol/L (LOINC 14631-6, 14682-9), converted from mg/dL
    by :func:`engraft.measurements.convert_concentration` on the exact molar-mass basis and rounded to
    whole umol/L.
    """
    if si_units:
        bili = ("14631-6", "umol/L", _to_umol_per_l(labs.bilirubin, Analyte.BILIRUBIN))
        creat = ("14682-9", "umol/L", _to_umol_per_l(labs.creatinine, Analyte.CREATININE))
    else:
        bili = ("1975-2", "mg/dL", labs.bilirubin)
        creat = ("2160-0", "mg/dL", labs.creatinine)
    return (
        ("751-8", "10*9/L", labs.anc),
        ("777-3", "10*9/L", labs.platelets),
        ("718-7", "g/dL", labs.haemoglobin),
        bili,
        creat,
    )


def reported_vitals(labs: LabSeries) -> tuple[tuple[str, str, Array], ...]:
    """(LOINC, UCUM unit, daily values) of the vital signs."""
    return (
        ("8310-5", "Cel", labs.temperature),
        ("8867-4", "/min", labs.heart_rate),
        ("8480-6", "mm[Hg]", labs.systolic),
        ("59408-5", "%", labs.spo2),
    )


def _to_umol_per_l(mg_per_dl: Array, analyte: Analyte) -> Array:
    basis = ConversionBasis.MOLAR_MASS
    converted = [convert_concentration(v, "mg/dL", "umol/L", analyte, basis) for v in mg_per_dl.tolist()]
    return _f(np.round(converted))


def _logistic(days: Array, centre_day: float, at_centre: float, plateau: float, doubling: float) -> Array:
    """Growth that doubles every ``doubling`` days, equals ``at_centre`` at ``centre_day``, levels off."""
    ratio = plateau / at_centre - 1.0
    result: Array = plateau / (1.0 + ratio * np.power(2.0, -(days - centre_day) / doubling))
    return result


def simulate_labs(rng: Rng, plan: TransplantPlan) -> LabSeries:
    days = np.arange(FIRST_DAY, plan.last_lab_day + 1, dtype=np.int64)
    d = days.astype(np.float64)
    n = len(days)
    group = plan.indication.group
    key = plan.indication.key
    recovery = plan.late_recovery if plan.graft_failure else plan.neutrophil_target

    # neutrophils
    base = _ANC_BASE.get(group, 3.0) * (0.35 if key in ("MDS", "SAA") else 1.0)
    base *= float(rng.lognormal(0, 0.3))
    nadir_day = int(rng.integers(2, 6))
    nadir = float(rng.uniform(0.02, 0.06))
    frac = np.clip((d - FIRST_DAY) / (nadir_day - FIRST_DAY), 0, 1) ** 2
    anc = np.exp(math.log(base) + frac * (math.log(nadir) - math.log(base))) * rng.lognormal(0, 0.08, n)
    aplastic = d >= nadir_day
    anc[aplastic] = np.minimum(0.2, nadir * rng.lognormal(0, 0.5, int(aplastic.sum())))
    if recovery is not None:
        plateau = float(rng.lognormal(math.log(3.6 if plan.donor_type is None else 2.8), 0.3))
        doubling = float(rng.uniform(0.9, 1.5) if plan.donor_type is None else rng.uniform(1.1, 1.8))
        rise = _logistic(d, recovery, 0.65, plateau, doubling) * rng.lognormal(0, 0.12, n)
        late = d >= recovery - 6
        anc[late] = np.maximum(anc[late], rise[late])

    # platelets: decay to a transfusion-supported level below 20, then recovery
    pbase = (_PLT_BASE.get(group, 250.0) * (0.4 if key in ("MDS", "MF") else 0.12 if key == "SAA" else 1.0)) * float(
        rng.lognormal(0, 0.3)
    )
    curve = pbase * np.power(2.0, -np.clip(d + 1, 0, None) / float(rng.uniform(1.8, 2.6))) * rng.lognormal(0, 0.07, n)
    supported = np.clip(rng.lognormal(math.log(12), 0.3, n), 5, 19)
    plt = np.where(curve < 20, supported, curve)
    p_target = plan.late_recovery + 10 if plan.graft_failure and plan.late_recovery else plan.platelet_target
    if p_target is not None:
        crossed = np.nonzero((curve < 20) & (days >= 0))[0]
        first_low = int(days[crossed[0]]) if len(crossed) else 0
        p_target = max(p_target, first_low + 2)
        pplateau = float(rng.uniform(110, 260) if plan.donor_type is None else rng.uniform(80, 220))
        rise = _logistic(d, p_target, 24.0, pplateau, float(rng.uniform(1.8, 3.0))) * rng.lognormal(0, 0.08, n)
        late = d >= p_target
        plt[late] = np.maximum(plt[late], rise[late])
        # the week before recovery the patient's own platelets keep the count above the transfusion trigger,
        # so the last transfusion falls at least PLATELET_TRANSFUSION_FREE_DAYS before the planned recovery day
        weaning = (d >= p_target - PLATELET_TRANSFUSION_FREE_DAYS) & ~late & (plt < PLATELET_TRANSFUSION_TRIGGER + 0.5)
        plt[weaning] += 9.0

    # haemoglobin: transfusion-supported trough, slow recovery after engraftment
    hb_base = (9.2 if group == "non-malignant" or key in ("MDS", "MF") else 11.6) + rng.normal(0, 0.8)
    trough = float(rng.uniform(7.8, 9.0))
    hb = hb_base - (hb_base - trough) * np.clip((d - FIRST_DAY) / 17, 0, 1)
    if recovery is not None:
        hb = hb + np.clip(d - recovery - 10, 0, None) * float(rng.uniform(0.03, 0.06))
    hb = np.clip(hb + rng.normal(0, 0.3, n), 6.8, 15.5)

    # bilirubin (mg/dL): SOS/VOD and liver GVHD
    bili = float(rng.lognormal(math.log(0.55), 0.3)) * rng.lognormal(0, 0.1, n)
    if plan.sos is not None:
        onset, severity = plan.sos
        peak = {"mild": 2.6, "moderate": 4.0, "severe": 6.5, "very severe": 12.0}[severity] * float(
            rng.uniform(0.9, 1.2)
        )
        bili = np.maximum(bili, _bump(d, onset, peak))
    if plan.agvhd is not None and plan.agvhd.grade.stages.liver > 0:
        onset = plan.agvhd.onset
        low, high = _LIVER_STAGE_MG_DL[plan.agvhd.grade.stages.liver]
        level = float(rng.uniform(low + 0.1, high - 0.1))
        bump = _bump(d, onset, level)
        hold = (d >= onset + 4) & (d <= onset + 12)
        bump[hold] = np.clip(level * rng.lognormal(0, 0.04, int(hold.sum())), low, high)
        bili = np.maximum(bili, bump)

    # creatinine (mg/dL): calcineurin inhibitors, SOS/VOD, sepsis
    if plan.age >= 15:
        cr0 = 0.9 if plan.sex.value == "male" else 0.72
    else:
        cr0 = 0.25 + 0.035 * plan.age
    cr = cr0 * float(rng.lognormal(0, 0.15)) * (1.3 if group == "myeloma" and rng.random() < 0.15 else 1.0)
    creat = cr * rng.lognormal(0, 0.06, n)
    if {"ciclosporin", "tacrolimus"} & set(plan.prophylaxis):
        creat *= 1 + float(rng.uniform(0.1, 0.5)) * np.clip(d / 25, 0, 1)
    if plan.sos is not None and plan.sos[1] in ("severe", "very severe"):
        creat *= 1 + _bump(d, plan.sos[0] + 4, 1.2)

    # vital signs
    temp = rng.normal(36.75, 0.22, n)
    shock = np.zeros(n, dtype=bool)
    hypoxia = np.zeros(n, dtype=bool)
    for fever in plan.fevers:
        window = (d >= fever.start) & (d < fever.start + fever.days)
        k = int(window.sum())
        if k:
            temp[window] = fever.peak - rng.uniform(0, 0.5, k)
            if fever.shock:
                shock |= window
            if fever.hypoxia:
                hypoxia |= window
    if plan.death_day is not None:
        terminal = d >= plan.death_day - 3
        shock |= terminal
        hypoxia |= terminal
        creat[terminal] *= 2.0
        if plan.death_cause == "organ failure":
            bili[terminal] *= 2.5
    creat[shock] *= 1.4
    child = plan.age < 12
    hr = (105 if child else 78) + 9 * (temp - 37) + rng.normal(0, 6, n)
    sbp = (100 if child else 124) + rng.normal(0, 8, n) + (6 if plan.prophylaxis else 0) * (d > 14)
    hr[shock] += rng.uniform(25, 45, int(shock.sum()))
    sbp[shock] -= rng.uniform(25, 40, int(shock.sum()))
    spo2 = np.clip(rng.normal(97.6, 1.0, n), 93, 100)
    spo2[hypoxia] = rng.uniform(86, 93, int(hypoxia.sum()))
    return LabSeries(
        days=days,
        anc=_f(np.round(anc, 2)),
        platelets=_f(np.round(plt)),
        haemoglobin=_f(np.round(hb, 1)),
        bilirubin=_f(np.round(np.clip(bili, 0.1, 40), 1)),
        creatinine=_f(np.round(np.clip(creat, 0.15, 12), 2)),
        temperature=_f(np.round(np.clip(temp, 35.0, 41.5), 1)),
        heart_rate=_f(np.round(np.clip(hr, 40, 190))),
        systolic=_f(np.round(np.clip(sbp, 60, 200))),
        spo2=_f(np.round(spo2)),
    )


def _f(values: object) -> Array:
    return np.asarray(values, dtype=np.float64)


def _bump(d: Array, onset: int, peak: float) -> Array:
    """Rise over 4 days from ``onset`` to ``peak``, hold 8 days, fall back over 14 days."""
    up = np.clip((d - onset) / 4, 0, 1)
    down = np.clip(1 - (d - onset - 12) / 14, 0, 1)
    result: Array = peak * np.minimum(up, down) * (d >= onset)
    return result
