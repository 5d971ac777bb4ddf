"""A synthetic transplant ward for the monitoring benchmark: vital signs and laboratory results as columns.

Deterministic for a seed. Every patient has one allogeneic or autologous episode with day 0 on
:data:`DAY0` and results on each of ``days`` days starting at day :data:`FIRST_DAY` (before day 0, so the
creatinine rule has a pre-transplant baseline):

* vital signs 4 times a day (00:00, 06:00, 12:00, 18:00 UTC, a few minutes' jitter): body temperature,
  heart rate, systolic and diastolic blood pressure; body weight once a day;
* laboratory results once a day at about 06:00: ANC, platelets, total bilirubin (about a third of the
  patients' laboratories report it in umol/L under LOINC 14631-6, the rest in mg/dL), creatinine; CMV DNA
  (IU/mL) once a week.

Counts fall after conditioning and recover on a per-patient engraftment day (a few grafts never recover);
some patients have a fever while neutropenic, a creatinine that doubles, a bilirubin rise, or a platelet
count below 10 x10^9/L. Nothing here is clinical data; the trajectories only make the rules fire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DAY0 = dt.date(2026, 6, 1)
FIRST_DAY = -5
VITAL_HOURS = (0, 6, 12, 18)
CODES: tuple[tuple[str, str], ...] = (
    ("8310-5", "Cel"),  # 0 temperature
    ("8867-4", "/min"),  # 1 heart rate
    ("8480-6", "mm[Hg]"),  # 2 systolic
    ("8462-4", "mm[Hg]"),  # 3 diastolic
    ("29463-7", "kg"),  # 4 weight
    ("751-8", "10*9/L"),  # 5 ANC
    ("777-3", "10*9/L"),  # 6 platelets
    ("1975-2", "mg/dL"),  # 7 bilirubin (mass)
    ("14631-6", "umol/L"),  # 8 bilirubin (substance)
    ("2160-0", "mg/dL"),  # 9 creatinine
    ("72493-0", "[IU]/mL"),  # 10 CMV DNA
)
TEMPERATURE, HEART_RATE, SYSTOLIC, DIASTOLIC, WEIGHT, ANC, PLATELETS, BILI_MG, BILI_UMOL, CREATININE, CMV = range(11)
GRAFT_SOURCES = ("peripheral blood", "bone marrow", "cord blood")
_US_PER_DAY = 86_400_000_000
_US_PER_MINUTE = 60_000_000
_US_PER_SECOND = 1_000_000
"""Results of one message are whole seconds apart: HL7 v2 times are sent to the second."""


@dataclass(frozen=True, slots=True)
class Ward:
    """Observations as columns, sorted by (episode, observed time), and the episodes' facts (index = episode)."""

    episode: npt.NDArray[np.int32]
    observed_us: npt.NDArray[np.int64]
    """Microseconds since 1970-01-01 UTC."""
    code: npt.NDArray[np.int8]
    """Index into :data:`CODES`."""
    value: npt.NDArray[np.float64]
    age: npt.NDArray[np.int16]
    graft: npt.NDArray[np.int8]
    """Index into :data:`GRAFT_SOURCES`."""
    allogeneic: npt.NDArray[np.bool_]
    platelet_transfusion_days: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        return len(self.value)

    @property
    def patients(self) -> int:
        return len(self.age)


def _epoch_us(day: int) -> int:
    start = dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC) + dt.timedelta(days=day)
    return int(start.timestamp()) * 1_000_000


def _count_curve(
    days: npt.NDArray[np.int64],
    start: npt.NDArray[np.float64],
    nadir: npt.NDArray[np.float64],
    recovery_day: npt.NDArray[np.float64],
    plateau: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Per patient (rows) and day (columns): start level, an exponential fall to the nadir by day 5, flat, then
    a rise over 6 days from the recovery day to the plateau (a recovery day of inf: no recovery)."""
    d = days[None, :].astype(np.float64)
    fall = np.clip((d + 3) / 8, 0, 1)
    level = np.exp(np.log(start[:, None]) * (1 - fall) + np.log(nadir[:, None]) * fall)
    rise = np.clip((d - recovery_day[:, None]) / 6, 0, 1)
    return np.exp(np.log(level) * (1 - rise) + np.log(plateau[:, None]) * rise)


def make_ward(patients: int = 1_000, days: int = 100, seed: int = 20261204) -> Ward:
    """The ward (see the module's description)."""
    rng = np.random.default_rng(seed)
    day = np.arange(FIRST_DAY, FIRST_DAY + days, dtype=np.int64)
    n, m = patients, days
    graft = rng.choice(3, n, p=[0.7, 0.2, 0.1]).astype(np.int8)
    age = np.where(rng.random(n) < 0.15, rng.integers(1, 18, n), rng.integers(18, 75, n)).astype(np.int16)
    allogeneic = rng.random(n) < 0.8
    engraft_mean = np.array([15.0, 20.0, 26.0])[graft]
    anc_recovery = np.round(engraft_mean + rng.normal(0, 3, n))
    anc_recovery[rng.random(n) < 0.04] = np.inf  # graft failure
    plt_recovery = anc_recovery + np.round(rng.uniform(2, 10, n))
    anc = _count_curve(day, rng.uniform(2, 5, n), rng.uniform(0.01, 0.2, n), anc_recovery, rng.uniform(1.5, 4, n))
    plt_nadir = np.where(rng.random(n) < 0.5, rng.uniform(4, 9.5, n), rng.uniform(12, 25, n))
    platelets = _count_curve(day, rng.uniform(150, 300, n), plt_nadir, plt_recovery, rng.uniform(60, 200, n))
    anc = np.maximum(anc * rng.lognormal(0, 0.12, (n, m)), 0.0)
    platelets = platelets * rng.lognormal(0, 0.1, (n, m))
    # platelets transfused every third day while below 20 (the days the platelet rule must see)
    transfused = (platelets < 20) & (day[None, :] % 3 == 0) & (day[None, :] >= 0)
    transfusion_days = tuple(tuple(int(d) for d in day[row]) for row in transfused)

    bilirubin = rng.uniform(0.3, 1.0, n)[:, None] * rng.lognormal(0, 0.08, (n, m))
    sos = rng.random(n) < 0.08
    sos_day = rng.integers(8, 25, n)
    bilirubin = bilirubin + np.where(sos[:, None], np.clip((day[None, :] - sos_day[:, None]) / 4, 0, 1) * 3.0, 0.0)
    bilirubin = bilirubin * np.where(sos[:, None], np.clip(1.5 - (day[None, :] - sos_day[:, None]) / 40, 0.2, 1.5), 1)
    creatinine = rng.uniform(0.6, 1.1, n)[:, None] * rng.lognormal(0, 0.05, (n, m))
    aki = rng.random(n) < 0.1
    aki_day = rng.integers(10, 45, n)
    bump = np.exp(-(((day[None, :] - aki_day[:, None]) / 6.0) ** 2)) * 1.6
    creatinine = creatinine * (1 + np.where(aki[:, None], bump, 0.0))

    febrile = rng.random(n) < 0.4
    fever_day = rng.integers(3, 10, n)
    temperature = rng.normal(36.8, 0.25, (n, m, 4))
    fever_slot = rng.integers(0, 4, n)
    temperature[np.flatnonzero(febrile), fever_day[febrile] - FIRST_DAY, fever_slot[febrile]] = rng.uniform(
        38.4, 39.5, int(febrile.sum())
    )
    heart_rate = rng.normal(80, 10, (n, m, 4)) + (temperature - 36.8) * 10
    systolic = rng.normal(122, 12, (n, m, 4))
    diastolic = systolic * 0.62 + rng.normal(0, 5, (n, m, 4))
    weight = rng.uniform(20, 100, n)[:, None] * (1 + rng.normal(0, 0.005, (n, m)))
    weight[age < 18] *= 0.5
    cmv = np.where(rng.random((n, m)) < 0.2, rng.lognormal(6, 1.5, (n, m)), 0.0)
    bili_in_umol = rng.random(n) < 0.33

    columns: list[
        tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int | npt.NDArray[np.int8], npt.NDArray[np.float64]]
    ]
    columns = []
    patient_day = np.broadcast_to(np.arange(n)[:, None], (n, m))
    day_start = np.array([_epoch_us(int(d)) for d in day], dtype=np.int64)[None, :]
    for slot, hour in enumerate(VITAL_HOURS):
        jitter = rng.integers(0, 10, (n, m)) * _US_PER_MINUTE
        at = day_start + hour * 60 * _US_PER_MINUTE + jitter
        for code, values in (
            (TEMPERATURE, temperature),
            (HEART_RATE, heart_rate),
            (SYSTOLIC, systolic),
            (DIASTOLIC, diastolic),
        ):
            columns.append((patient_day, at + code * _US_PER_MINUTE // 10, code, np.round(values[:, :, slot], 1)))
    morning = day_start + 6 * 60 * _US_PER_MINUTE + rng.integers(15, 90, (n, m)) * _US_PER_MINUTE
    columns.append((patient_day, morning - 30 * _US_PER_MINUTE, WEIGHT, np.round(weight, 1)))
    columns.append((patient_day, morning, ANC, np.round(anc, 2)))
    columns.append((patient_day, morning + _US_PER_SECOND, PLATELETS, np.round(platelets, 0)))
    bili_code = np.where(bili_in_umol[:, None], BILI_UMOL, BILI_MG).astype(np.int8) * np.ones((n, m), np.int8)
    bili_value = np.where(bili_in_umol[:, None], np.round(bilirubin * 17.1, 0), np.round(bilirubin, 2))
    columns.append((patient_day, morning + 2 * _US_PER_SECOND, bili_code, bili_value))
    columns.append((patient_day, morning + 3 * _US_PER_SECOND, CREATININE, np.round(creatinine, 2)))
    weekly = (day - FIRST_DAY) % 7 == 0
    columns.append((patient_day[:, weekly], morning[:, weekly] + 4 * _US_PER_SECOND, CMV, np.round(cmv[:, weekly], 0)))

    episode = np.concatenate([c[0].ravel() for c in columns]).astype(np.int32)
    observed = np.concatenate([c[1].ravel() for c in columns])
    code = np.concatenate([np.broadcast_to(np.asarray(c[2], np.int8), c[0].shape).ravel() for c in columns]).astype(
        np.int8
    )
    value = np.concatenate([c[3].ravel() for c in columns]).astype(np.float64)
    order = np.lexsort((observed, episode))
    return Ward(
        episode=episode[order],
        observed_us=observed[order],
        code=code[order],
        value=value[order],
        age=age,
        graft=graft,
        allogeneic=allogeneic,
        platelet_transfusion_days=transfusion_days,
    )


def subset(ward: Ward, patients: int) -> Ward:
    """The first ``patients`` patients of ``ward`` (the same results)."""
    keep = ward.episode < patients
    return Ward(
        episode=ward.episode[keep],
        observed_us=ward.observed_us[keep],
        code=ward.code[keep],
        value=ward.value[keep],
        age=ward.age[:patients],
        graft=ward.graft[:patients],
        allogeneic=ward.allogeneic[:patients],
        platelet_transfusion_days=ward.platelet_transfusion_days[:patients],
    )
