"""A simulated transplant ward for the live demo: six synthetic patients in the day 0-30 window.

THE DATA ARE SYNTHETIC. The ward is anchored at the moment it is admitted (``anchor``): each patient's
day 0 lies a whole number of days before it, and each course is a function of the time since day 0 (in
days, :func:`value_at`) with its telling change placed just after the anchor, so the history back-filled
before the anchor is unremarkable-to-suspicious and the results the live feed sends after it show the
change as it happens:

* ``recovery``: aplasia after conditioning, neutrophils recovering through 0.5 x10^9/L (the third day at
  or above it is the first live day);
* ``febrile-neutropenia``: profound neutropenia, temperature 38.5-38.9 C from the anchor on;
* ``sos-vod``: bilirubin rising over a week to 1.8 mg/dL, from the anchor on 2.4 mg/dL and rising; weight more
  than 5% over its baseline;
* ``cmv``: CMV DNAemia (IU/mL) rising log-linearly from day 12 to 800 IU/mL, from the anchor on 1,500 and rising;
* ``kidney``: creatinine rising to 1.75 times its baseline under a calcineurin inhibitor, from the anchor on more
  than twice it;
* ``car-t-crs``: autologous CAR-T cells infused the day before the anchor (an immune effector cell episode, not a
  transplant), afebrile until the anchor, then 38.8-39.4 C: a possible CRS; from :data:`CRS_HYPOTENSION_AFTER`
  after the anchor the systolic pressure falls to about 82 mm[Hg], which escalates it. Lymphodepletion leaves the
  counts above the neutropenia thresholds, so the CRS alert is this bed's only one.

Every series has small deterministic noise (``numpy.random.default_rng`` seeded by patient, code and
time), so the same ward at the same time gives the same values.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

from engraft.vocabulary import Sex

WARD_SEED: Final = 20261204
LAB_HOUR: Final = 5
"""Labs are drawn at 05:MM each morning."""
VITALS_EVERY_HOURS: Final = 6
FIRST_DAY: Final = -7
WARD_STALE_AFTER_DAYS: Final = 10
CRS_HYPOTENSION_AFTER: Final = dt.timedelta(minutes=2)
"""The CAR-T bed's blood pressure falls this long after the anchor (after its fever), so a new user sees the possible
CRS raised, then escalated."""
"""A ward admitted longer ago than this is replaced by a new one (its patients would leave the day 0-30 window)."""

ANC, PLATELETS, HAEMOGLOBIN = "751-8", "777-3", "718-7"
BILIRUBIN, CREATININE, CMV_DNA = "1975-2", "2160-0", "72493-0"
TEMPERATURE, HEART_RATE, SYSTOLIC, SPO2, WEIGHT = "8310-5", "8867-4", "8480-6", "59408-5", "29463-7"

UNITS: Final = {
    ANC: "10*9/L",
    PLATELETS: "10*9/L",
    HAEMOGLOBIN: "g/dL",
    BILIRUBIN: "mg/dL",
    CREATININE: "mg/dL",
    CMV_DNA: "[IU]/mL",
    TEMPERATURE: "Cel",
    HEART_RATE: "/min",
    SYSTOLIC: "mm[Hg]",
    SPO2: "%",
    WEIGHT: "kg",
}
DAILY_LABS: Final = (ANC, PLATELETS, HAEMOGLOBIN, BILIRUBIN, CREATININE)
VITALS: Final = (TEMPERATURE, HEART_RATE, SYSTOLIC, SPO2)
_DECIMALS: Final = {ANC: 2, PLATELETS: 0, HAEMOGLOBIN: 1, BILIRUBIN: 1, CREATININE: 2, CMV_DNA: 0}


class WardCourse(StrEnum):
    RECOVERY = "recovery"
    FEBRILE_NEUTROPENIA = "febrile-neutropenia"
    SOS_VOD = "sos-vod"
    CMV = "cmv"
    KIDNEY = "kidney"
    CAR_T_CRS = "car-t-crs"


@dataclass(frozen=True, slots=True)
class WardPatient:
    """One bed: identity (synthetic), body size and the course; ``day_at_anchor`` = days from day 0 to the anchor."""

    bed: int
    course: WardCourse
    given_name: str
    family_name: str
    sex: Sex
    birth_year: int
    height_cm: float
    weight_kg: float
    day_at_anchor: int
    lab_minute: int

    def mrn(self, anchor: dt.datetime) -> str:
        return f"W{anchor:%y%m%d%H%M}{self.bed:02d}"

    def registry_id(self, anchor: dt.datetime) -> str:
        return f"WARD-{anchor:%Y%m%d%H%M}-{self.bed:02d}"

    def day0(self, anchor: dt.datetime) -> dt.date:
        return anchor.date() - dt.timedelta(days=self.day_at_anchor)

    def day0_time(self, anchor: dt.datetime) -> dt.datetime:
        """Day 0 as an instant: the anchor's time of day, ``day_at_anchor`` days earlier."""
        return anchor - dt.timedelta(days=self.day_at_anchor)

    def codes(self) -> tuple[str, ...]:
        extra = (CMV_DNA,) if self.course is WardCourse.CMV else ()
        return DAILY_LABS + extra


WARD: Final = (
    WardPatient(1, WardCourse.RECOVERY, "Alba", "Marsh", Sex.FEMALE, 1971, 166.0, 64.0, 15, 12),
    WardPatient(2, WardCourse.FEBRILE_NEUTROPENIA, "Bram", "Oakes", Sex.MALE, 1964, 178.0, 81.0, 7, 20),
    WardPatient(3, WardCourse.SOS_VOD, "Cleo", "Vance", Sex.FEMALE, 1988, 161.0, 58.0, 13, 31),
    WardPatient(4, WardCourse.CMV, "Dario", "Penn", Sex.MALE, 1979, 183.0, 88.0, 19, 44),
    WardPatient(5, WardCourse.KIDNEY, "Edda", "Fry", Sex.FEMALE, 1957, 159.0, 67.0, 18, 52),
    WardPatient(6, WardCourse.CAR_T_CRS, "Femi", "Okafor", Sex.MALE, 1968, 174.0, 79.0, 1, 7),
)


def _noise(patient: WardPatient, code: str, at: dt.datetime, scale: float) -> float:
    key = zlib.crc32(f"{patient.bed}|{code}".encode())
    rng = np.random.default_rng((WARD_SEED, key, int(at.timestamp()) // 60))
    return float(rng.normal(0.0, scale))


def _logistic(d: float, centre: float, low: float, high: float, width: float) -> float:
    return low + (high - low) / (1.0 + math.exp(-(d - centre) / width))


def _anc(patient: WardPatient, d: float) -> float:
    if patient.course is WardCourse.CAR_T_CRS:  # lymphodepletion on days -5 to -3: a shallow dip
        return 3.0 - 2.1 * math.exp(-(((d - 7) / 6) ** 2))
    if d < 4:
        return max(0.05, 3.2 * math.exp(-0.45 * (d - FIRST_DAY)))
    if patient.course is WardCourse.RECOVERY:
        return max(0.02, _logistic(d, patient.day_at_anchor - 0.5, 0.03, 3.0, 0.9))
    if patient.course in (WardCourse.CMV, WardCourse.KIDNEY):
        return max(0.02, _logistic(d, 14.0, 0.03, 2.6, 1.2))
    return 0.04


def _platelets(patient: WardPatient, d: float) -> float:
    if patient.course is WardCourse.CAR_T_CRS:
        return 190.0 - 90.0 * math.exp(-(((d - 7) / 6) ** 2))
    decay = 180.0 * math.exp(-0.3 * max(0.0, d + 1))
    if patient.course in (WardCourse.CMV, WardCourse.KIDNEY):
        return max(decay, _logistic(d, 18.0, 14.0, 140.0, 2.0))
    if patient.course is WardCourse.RECOVERY:
        return max(decay, _logistic(d, patient.day_at_anchor + 2.0, 14.0, 120.0, 2.0))
    return max(decay, 14.0)


def _ramp(d: float, start: float, end: float, low: float, high: float) -> float:
    """``low`` until day ``start``, rising linearly to ``high`` at day ``end``, then ``high``."""
    return low + (high - low) * min(1.0, max(0.0, (d - start) / (end - start)))


def _bilirubin(patient: WardPatient, d: float) -> float:
    anchor = patient.day_at_anchor
    if patient.course is not WardCourse.SOS_VOD:
        return 0.6
    if d < anchor:
        return _ramp(d, anchor - 6, anchor, 0.6, 1.8)
    return min(6.0, 2.4 + 0.35 * (d - anchor))


def _creatinine(patient: WardPatient, d: float) -> float:
    baseline = 0.8 if patient.sex is Sex.MALE else 0.7
    anchor = patient.day_at_anchor
    if patient.course is not WardCourse.KIDNEY:
        return baseline
    if d < anchor:
        return baseline * _ramp(d, anchor - 5, anchor, 1.0, 1.75)
    return baseline * min(3.0, 2.15 + 0.1 * (d - anchor))


def _cmv(patient: WardPatient, d: float) -> float:
    onset, anchor = 12.0, patient.day_at_anchor
    if d < onset:
        return 0.0
    if d < anchor:
        return 150.0 * 10 ** ((d - onset) * math.log10(800.0 / 150.0) / (anchor - onset))
    return 1500.0 * 10 ** (0.15 * (d - anchor))


def _temperature(patient: WardPatient, d: float) -> float:
    if patient.course is WardCourse.FEBRILE_NEUTROPENIA and d >= patient.day_at_anchor:
        return 38.7
    if patient.course is WardCourse.CAR_T_CRS and d >= patient.day_at_anchor:
        return 39.1
    return 36.8


def _systolic(patient: WardPatient, d: float) -> float:
    if patient.course is WardCourse.CAR_T_CRS and d >= patient.day_at_anchor + CRS_HYPOTENSION_AFTER / dt.timedelta(
        days=1
    ):
        return 82.0
    return 122.0


def _weight(patient: WardPatient, d: float) -> float:
    if patient.course is WardCourse.SOS_VOD:
        return patient.weight_kg * _logistic(d, patient.day_at_anchor - 2.0, 1.0, 1.08, 1.2)
    return patient.weight_kg


_COURSES: Final[dict[str, tuple[Callable[[WardPatient, float], float], float]]] = {
    ANC: (_anc, 0.04),
    PLATELETS: (_platelets, 0.05),
    HAEMOGLOBIN: (lambda p, d: 11.5 - 3.0 * min(1.0, max(0.0, (d - FIRST_DAY) / 17)), 0.02),
    BILIRUBIN: (_bilirubin, 0.04),
    CREATININE: (_creatinine, 0.03),
    CMV_DNA: (_cmv, 0.04),
    TEMPERATURE: (_temperature, 0.004),
    WEIGHT: (_weight, 0.003),
}


def value_at(patient: WardPatient, code: str, day: float, at: dt.datetime) -> float:
    """The patient's ``code`` value on (fractional) day ``day`` from day 0, observed at ``at``, rounded."""
    if code == HEART_RATE:
        return float(round(80 + 12 * (value_at(patient, TEMPERATURE, day, at) - 37) + _noise(patient, code, at, 4)))
    if code == SYSTOLIC:
        scatter = 6 if _systolic(patient, day) > 100 else 2  # the low pressure stays below the centre's 90 mm[Hg]
        return float(round(_systolic(patient, day) + _noise(patient, code, at, scatter)))
    if code == SPO2:
        return float(min(100, round(97.5 + _noise(patient, code, at, 0.8))))
    course, relative = _COURSES[code]
    value = course(patient, day) * (1 + _noise(patient, code, at, relative))
    if code == TEMPERATURE:
        return round(course(patient, day) + _noise(patient, code, at, 0.15), 1)
    return round(max(0.0, value), _DECIMALS.get(code, 1))


@dataclass(frozen=True, slots=True)
class WardResult:
    """One result of a ward patient: LOINC code, value in its UCUM unit, observation time (UTC)."""

    code: str
    value: float
    unit: str
    at: dt.datetime


def results_at(patient: WardPatient, anchor: dt.datetime, at: dt.datetime, *, labs: bool) -> tuple[WardResult, ...]:
    """The patient's vital signs (and, with ``labs``, the lab panel and weight) observed at ``at``."""
    day = (at - patient.day0_time(anchor)) / dt.timedelta(days=1)
    codes = VITALS + ((*patient.codes(), WEIGHT) if labs else ())
    return tuple(WardResult(c, value_at(patient, c, day, at), UNITS[c], at) for c in codes)


def history(patient: WardPatient, anchor: dt.datetime) -> tuple[WardResult, ...]:
    """Everything observed before ``anchor``: labs and weight each morning from day -7, vitals every 6 hours."""
    start = dt.datetime.combine(patient.day0(anchor), dt.time(0, 0), tzinfo=dt.UTC) + dt.timedelta(days=FIRST_DAY)
    results: list[WardResult] = []
    day = start
    while day < anchor:
        lab_time = day + dt.timedelta(hours=LAB_HOUR, minutes=patient.lab_minute)
        for hour in range(0, 24, VITALS_EVERY_HOURS):
            at = day + dt.timedelta(hours=hour, minutes=patient.lab_minute)
            if at < anchor:
                results.extend(results_at(patient, anchor, at, labs=False))
        if lab_time < anchor:
            results.extend(r for r in results_at(patient, anchor, lab_time, labs=True) if r.code not in VITALS)
        day += dt.timedelta(days=1)
    return tuple(results)
