"""The findings behind each demo acute GVHD episode, drawn so that MAGIC staging gives the recorded stages.

The course (:mod:`engraft.demo.course`) records acute GVHD as organ stages and their MAGIC grade; this
module draws, for one *staging day*, the findings those stages are defined on
(:mod:`engraft.grading.acute_gvhd_staging`): active rash and bullae in % body surface area, non-formed
stool output in mL/day (adult values above 50 kg, per-kg values at or below, multiplied by the weight),
persistent nausea/vomiting/anorexia, grossly bloody stool for lower GI stage 4, and the body weight. Total
bilirubin is not drawn: it is the day's simulated lab (:mod:`engraft.demo.labs`), which already follows the
liver stage, so the staging day is the first day from onset to onset + 12 whose *reported* bilirubin (in the
centre's unit) falls in the recorded liver stage (none such: no findings). Each value is drawn well inside its
band, so rounding never moves a stage.

The draws use their own generator (seeded by cohort seed and transplant number), so adding them changed
nothing else in the cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engraft.demo.draws import Rng
from engraft.demo.labs import LabSeries, reported_labs
from engraft.demo.transplant_plan import TransplantPlan
from engraft.grading import OrganStages
from engraft.grading.acute_gvhd_staging import (
    ADULT_STOOL_WEIGHT_KG,
    AcuteGvhdFindings,
    LiverFindings,
    LowerGiFindings,
    SkinFindings,
    UpperGiFindings,
    stage_liver,
)
from engraft.measurements import Quantity, Ucum

RASH_BSA: Final = "ENGRAFT-RASH-BSA"
BULLAE_BSA: Final = "ENGRAFT-BULLAE"
STOOL_PER_DAY: Final = "ENGRAFT-STOOL-D"
UPPER_GI: Final = "ENGRAFT-UGI"
BLOODY_STOOL: Final = "ENGRAFT-BLOODYST"
BODY_WEIGHT: Final = "29463-7"
BILIRUBIN_CODES: Final = frozenset({"1975-2", "14631-6"})
STAGING_WINDOW_DAYS: Final = 12

_RASH_PERCENT: Final = {0: (0.0, 0.0), 1: (5.0, 22.0), 2: (27.0, 48.0), 3: (55.0, 90.0), 4: (60.0, 95.0)}
_ADULT_ML_PER_DAY: Final = {0: (50.0, 450.0), 1: (550.0, 950.0), 2: (1050.0, 1450.0), 3: (1600.0, 2600.0)}
_CHILD_ML_PER_KG_DAY: Final = {0: (1.0, 9.0), 1: (11.0, 19.0), 2: (21.0, 29.0), 3: (32.0, 45.0)}


@dataclass(frozen=True, slots=True)
class AcuteGvhdFindingsRecord:
    """The findings of one acute GVHD episode on its staging day (days from day 0), as the demo records them."""

    day: int
    rash_bsa_percent: float
    bullae_bsa_percent: float
    stool_ml_per_day: float
    persistent_upper_gi: bool
    grossly_bloody_stool: bool
    weight_kg: float
    bilirubin: Quantity
    """The day's reported total bilirubin (mg/dL or umol/L, as the centre reports it)."""

    def findings(self) -> AcuteGvhdFindings:
        """The MAGIC staging input (:func:`engraft.grading.stage_acute_gvhd`) of these findings."""
        return AcuteGvhdFindings(
            skin=SkinFindings(
                rash_bsa_percent=self.rash_bsa_percent, bullae_desquamation_bsa_percent=self.bullae_bsa_percent
            ),
            liver=LiverFindings(total_bilirubin=self.bilirubin),
            upper_gi=UpperGiFindings(persistent_nausea_vomiting_or_anorexia=self.persistent_upper_gi),
            lower_gi=LowerGiFindings(
                stool_output=Quantity(value=self.stool_ml_per_day, unit=Ucum.ML_PER_DAY),
                grossly_bloody_stool=self.grossly_bloody_stool,
            ),
            body_weight=Quantity(value=self.weight_kg, unit=Ucum.KG),
        )

    def observations(self) -> tuple[tuple[str, str, float], ...]:
        """(code, UCUM unit, value) of the findings the labs do not already report (bilirubin is a daily lab)."""
        return (
            (RASH_BSA, "%", self.rash_bsa_percent),
            (BULLAE_BSA, "%", self.bullae_bsa_percent),
            (STOOL_PER_DAY, "mL/d", self.stool_ml_per_day),
            (UPPER_GI, "1", float(self.persistent_upper_gi)),
            (BLOODY_STOOL, "1", float(self.grossly_bloody_stool)),
            (BODY_WEIGHT, "kg", self.weight_kg),
        )


def acute_gvhd_findings(rng: Rng, plan: TransplantPlan, labs: LabSeries) -> AcuteGvhdFindingsRecord | None:
    """The findings behind ``plan``'s acute GVHD; None without one, or when no lab day from onset to onset + 12
    has a bilirubin in the recorded liver stage (then no findings are recorded rather than contradicting ones)."""
    if plan.agvhd is None:
        return None
    stages = plan.agvhd.grade.stages
    staging = _staging_day(plan, labs, plan.agvhd.onset, stages)
    if staging is None:
        return None
    day, bilirubin = staging
    low, high = _RASH_PERCENT[stages.skin]
    rash = round(float(rng.uniform(low, high)))
    bullae = round(float(rng.uniform(6.0, 20.0))) if stages.skin == 4 else 0.0
    weight = plan.weight_kg
    lower = min(stages.lower_gi, 3)
    if weight > ADULT_STOOL_WEIGHT_KG:
        low, high = _ADULT_ML_PER_DAY[lower]
        stool = float(rng.uniform(low, high))
    else:
        low, high = _CHILD_ML_PER_KG_DAY[lower]
        stool = float(rng.uniform(low, high)) * weight
    return AcuteGvhdFindingsRecord(
        day=day,
        rash_bsa_percent=float(rash),
        bullae_bsa_percent=float(bullae),
        stool_ml_per_day=float(round(stool)),
        persistent_upper_gi=stages.upper_gi == 1,
        grossly_bloody_stool=stages.lower_gi == 4,
        weight_kg=weight,
        bilirubin=bilirubin,
    )


def _staging_day(plan: TransplantPlan, labs: LabSeries, onset: int, stages: OrganStages) -> tuple[int, Quantity] | None:
    """The first day from onset whose reported bilirubin is in the recorded liver stage (None if there is none)."""
    _code, unit, values = next(s for s in reported_labs(labs, plan.centre.si_units) if s[0] in BILIRUBIN_CODES)
    window = (labs.days >= onset) & (labs.days <= onset + STAGING_WINDOW_DAYS)
    days, reported = labs.days[window].tolist(), np.asarray(values)[window].tolist()
    for day, value in zip(days, reported, strict=True):
        quantity = Quantity(value=float(value), unit=Ucum(unit))
        if stage_liver(LiverFindings(total_bilirubin=quantity)).stage == stages.liver:
            return int(day), quantity
    return None
