"""A few synthetic CAR-T patients for the demo: autologous CAR-T cells infused on day 0, with a CRS course.

THE DATA ARE SYNTHETIC. Each patient follows one scripted course (:data:`CAR_T_COURSES`): fever from day 1-3 after
the infusion, in some with low blood pressure and oxygen need, then recovery. The values around the script (day 0
dates, names, the exact temperatures and the noise of every series) are drawn from ``numpy.random.default_rng``
seeded with the cohort's seed and :data:`CAR_T_STREAM`, so the transplants of the cohort are unchanged by them and
the same seed always gives the same patients.

The courses follow the published picture only roughly, for a demonstration: after axicabtagene ciloleucel for large
B-cell lymphoma CRS of any grade in about 90% and grade >= 3 in about 10%, median onset day 2 (Neelapu SS et al.,
NEJM 2017); after tisagenlecleucel for B-ALL in about 77%, median onset day 3 (Maude SL et al., NEJM 2018). The
recorded CRS event has the ASTCT grade (Lee DW et al., BBMT 2019) the script says; the vital signs are those the grade
needs (fever; hypotension; oxygen by nasal cannula), except the vasopressor of a grade 3, which is not an observation.
Lymphodepletion (fludarabine 30 mg/m2 and cyclophosphamide 500 mg/m2 daily on days -5 to -3) leaves the counts above
0.5 x10^9/L neutrophils and 20 x10^9/L platelets here, so no count-recovery or graft-failure rule has anything to
find: those are transplant rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from engraft.demo.cohort_tables import CENTRES, DemoCentre
from engraft.demo.draws import Rng
from engraft.demo.transplant_plan import identity_names
from engraft.measurements import Ucum
from engraft.vocabulary import ConditioningDrug, DiseaseStatus, Sex
from engraft.vocabulary.time import DAYS_PER_YEAR

CAR_T_STREAM: Final = 0xCA27
"""Mixed into the cohort's seed for the CAR-T patients' own random stream."""
FIRST_DAY: Final = -5
LAST_DAY: Final = 30
OXYGEN_FLOW: Final = "3151-8"
LYMPHODEPLETION: Final = (
    (ConditioningDrug.FLUDARABINE, 90.0, Ucum.MG_PER_M2),
    (ConditioningDrug.CYCLOPHOSPHAMIDE, 1500.0, Ucum.MG_PER_M2),
)

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CrsScript:
    """One patient's course: who, for what, and the CRS in days from the infusion (day 0)."""

    who_name: str
    icd10: str
    status: DiseaseStatus
    sex: Sex
    age: int
    grade: int
    """The ASTCT CRS grade recorded (1-4)."""
    fever: tuple[int, int]
    """First and last febrile day."""
    hypotension: tuple[int, int] | None = None
    """First and last day of a systolic pressure below 90 mm[Hg]."""
    oxygen: tuple[int, int, float] | None = None
    """First and last day of oxygen by nasal cannula, and its flow in L/min."""


CAR_T_COURSES: Final = (
    CrsScript("Diffuse large B-cell lymphoma, NOS", "C83.3", DiseaseStatus.PR, Sex.MALE, 58, 1, (1, 3)),
    CrsScript(
        "Diffuse large B-cell lymphoma, NOS", "C83.3", DiseaseStatus.PR, Sex.FEMALE, 64, 2, (2, 5), hypotension=(3, 4)
    ),
    CrsScript(
        "B-lymphoblastic leukaemia/lymphoma, NOS",
        "C91.0",
        DiseaseStatus.CR2,
        Sex.MALE,
        21,
        2,
        (1, 4),
        oxygen=(2, 3, 2.0),
    ),
    CrsScript(
        "Diffuse large B-cell lymphoma, NOS",
        "C83.3",
        DiseaseStatus.PR,
        Sex.MALE,
        69,
        3,
        (2, 6),
        hypotension=(3, 5),
        oxygen=(3, 5, 4.0),
    ),
)


@dataclass(frozen=True, slots=True)
class SyntheticCarT:
    """One CAR-T patient: identity, the infusion (day 0), the recorded CRS and daily labs and vital signs."""

    number: int
    script: CrsScript
    centre: DemoCentre
    day0: dt.date
    birth_date: dt.date
    diagnosis_date: dt.date
    height_cm: float
    weight_kg: float
    given_name: str
    family_name: str
    mrn: str
    lab_minute: int
    """Labs are drawn at 05:MM and vital signs recorded at 07:MM (UTC) every day, as in the transplant cohort."""
    vital_minute: int
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
    oxygen_flow: Array
    """L/min by nasal cannula; 0 on days without oxygen (nothing is recorded then)."""

    @property
    def registry_id(self) -> str:
        return f"DEMO-CART-{self.number:02d}"

    @property
    def crs_onset_day(self) -> int:
        return self.script.fever[0]

    def reported_labs(self) -> tuple[tuple[str, str, Array], ...]:
        """(LOINC, UCUM unit, daily values) of the labs, in mg/dL at every centre."""
        return (
            ("751-8", "10*9/L", self.anc),
            ("777-3", "10*9/L", self.platelets),
            ("718-7", "g/dL", self.haemoglobin),
            ("1975-2", "mg/dL", self.bilirubin),
            ("2160-0", "mg/dL", self.creatinine),
        )

    def reported_vitals(self) -> tuple[tuple[str, str, Array], ...]:
        """(LOINC, UCUM unit, daily values) of the vital signs; the oxygen flow only on days it was given."""
        return (
            ("8310-5", "Cel", self.temperature),
            ("8867-4", "/min", self.heart_rate),
            ("8480-6", "mm[Hg]", self.systolic),
            ("59408-5", "%", self.spo2),
            (OXYGEN_FLOW, "L/min", self.oxygen_flow),
        )


def car_t_patients(
    seed: int, end_date: dt.date, centres: tuple[DemoCentre, ...] = CENTRES
) -> tuple[SyntheticCarT, ...]:
    """The demo's CAR-T patients, their infusions within the two years before ``end_date`` (the last at least
    :data:`LAST_DAY` days before it, so each course is complete)."""
    rng = np.random.default_rng((seed, CAR_T_STREAM))
    patients = []
    days = np.arange(FIRST_DAY, LAST_DAY + 1, dtype=np.int64)
    for number, script in enumerate(CAR_T_COURSES, start=1):
        centre = centres[(number - 1) % len(centres)]
        day0 = end_date - dt.timedelta(days=int(rng.integers(LAST_DAY + 5, 730)))
        birth = day0 - dt.timedelta(days=int(script.age * DAYS_PER_YEAR + rng.integers(0, 300)))
        given, family = identity_names(rng, script.sex)
        height = float(np.round(rng.normal(177 if script.sex is Sex.MALE else 164, 6), 1))
        patients.append(
            SyntheticCarT(
                number=number,
                script=script,
                centre=centre,
                day0=day0,
                birth_date=birth,
                diagnosis_date=day0 - dt.timedelta(days=int(rng.integers(240, 900))),
                height_cm=height,
                weight_kg=float(np.round(rng.normal(22.5, 2.5) * (height / 100) ** 2, 1)),
                given_name=given,
                family_name=family,
                mrn=f"{centre.mrn_prefix}9{number:06d}",
                lab_minute=int(rng.integers(0, 60)),
                vital_minute=int(rng.integers(0, 60)),
                days=days,
                **_series(rng, script, days),
            )
        )
    return tuple(patients)


def _within(days: NDArray[np.int64], span: tuple[int, int] | tuple[int, int, float] | None) -> NDArray[np.bool_]:
    if span is None:
        return np.zeros(len(days), dtype=bool)
    return (days >= span[0]) & (days <= span[1])


def _series(rng: Rng, script: CrsScript, days: NDArray[np.int64]) -> dict[str, Array]:
    d = days.astype(np.float64)
    n = len(days)
    # lymphodepletion: a shallow dip of the counts around day 7, never below the engraftment thresholds
    dip = np.exp(-(((d - 7) / 6) ** 2))
    anc = np.maximum(0.6, float(rng.uniform(2.4, 3.6)) * (1 - 0.7 * dip) * rng.lognormal(0, 0.08, n))
    platelets = np.maximum(45.0, float(rng.uniform(150, 230)) * (1 - 0.55 * dip) * rng.lognormal(0, 0.06, n))
    haemoglobin = np.clip(float(rng.uniform(10.5, 12.5)) - 1.2 * dip + rng.normal(0, 0.25, n), 7.5, 15.5)
    bilirubin = np.clip(float(rng.lognormal(np.log(0.5), 0.2)) * rng.lognormal(0, 0.1, n), 0.1, 2.0)
    creatinine = np.clip(float(rng.uniform(0.7, 0.95)) * rng.lognormal(0, 0.05, n), 0.3, 2.0)

    febrile = _within(days, script.fever)
    temperature = rng.normal(36.8, 0.2, n)
    temperature[febrile] = float(rng.uniform(38.9, 39.8)) - rng.uniform(0, 0.8, int(febrile.sum()))
    temperature = np.clip(temperature, 35.5, 37.6 * ~febrile + 41.0 * febrile)
    low = _within(days, script.hypotension)
    systolic = 124 + rng.normal(0, 7, n)
    systolic[low] = rng.uniform(78, 88, int(low.sum()))
    oxygen = _within(days, script.oxygen)
    spo2 = np.clip(rng.normal(97.4, 0.9, n), 94, 100)
    spo2[oxygen] = rng.uniform(90, 93, int(oxygen.sum()))
    flow = np.where(oxygen, script.oxygen[2] if script.oxygen is not None else 0.0, 0.0)
    heart_rate = 76 + 10 * np.clip(temperature - 37, 0, None) + 18 * low + rng.normal(0, 5, n)
    return {
        "anc": _f(np.round(anc, 2)),
        "platelets": _f(np.round(platelets)),
        "haemoglobin": _f(np.round(haemoglobin, 1)),
        "bilirubin": _f(np.round(bilirubin, 1)),
        "creatinine": _f(np.round(creatinine, 2)),
        "temperature": _f(np.round(temperature, 1)),
        "heart_rate": _f(np.round(np.clip(heart_rate, 45, 170))),
        "systolic": _f(np.round(systolic)),
        "spo2": _f(np.round(spo2)),
        "oxygen_flow": _f(flow),
    }


def _f(values: object) -> Array:
    return np.asarray(values, dtype=np.float64)
