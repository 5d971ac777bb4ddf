"""Acute GVHD grade from findings as a rule kind: MAGIC organ stages (:func:`engraft.grading.stage_acute_gvhd`)
and overall grade (:func:`engraft.grading.grade_acute_gvhd`) from the latest findings in a window.

The findings are observations: rash and bullae % BSA, non-formed stool a day, persistent upper GI symptoms,
grossly bloody stool (local ``ENGRAFT-`` catalogue codes, no verified LOINC), total bilirubin (LOINC 1975-2,
14631-6) and body weight (29463-7). At each rash, stool or upper GI result the adapter takes the latest value of
each code within ``window_hours`` before it; all four organs must be assessed (an organ not assessed is not
stage 0): rash, bilirubin, upper GI and stool output, else nothing is staged. Bullae and bloody stool not recorded
count as absent; the weight is the latest recorded (needed for the stool thresholds by body size).

One finding per grade first reached (keys ``grade-I`` ... ``grade-IV``), so a worsening raises a new alert
and an ongoing grade none; the first (the onset of grade I or more) carries an acute GVHD event with the grade
and organ stages, written to the registry with its provenance like the engraftment events.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from pydantic import Field

from engraft.grading import GradingRule
from engraft.grading.acute_gvhd import MAGIC_RULE
from engraft.grading.acute_gvhd_staging import (
    AcuteGvhdFindings,
    LiverFindings,
    LowerGiFindings,
    SkinFindings,
    UpperGiFindings,
    stage_acute_gvhd,
)
from engraft.monitoring.findings import DetectedEvent, Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary import EventType
from engraft.vocabulary.phrases import Phrase

RASH: Final = "ENGRAFT-RASH-BSA"
BULLAE: Final = "ENGRAFT-BULLAE"
STOOL: Final = "ENGRAFT-STOOL-D"
UPPER_GI: Final = "ENGRAFT-UGI"
BLOODY_STOOL: Final = "ENGRAFT-BLOODYST"
BILIRUBIN: Final = ("1975-2", "14631-6")
WEIGHT: Final = "29463-7"
_TRIGGERS: Final = (RASH, STOOL, UPPER_GI)
_ROMAN: Final = {1: "I", 2: "II", 3: "III", 4: "IV"}
GRADE_REACHED: Final = Phrase(
    "Acute GVHD grade {grade} ({version}) on day {day}: stages skin {skin}, liver {liver}, upper GI {upper_gi}, "
    "lower GI {lower_gi}, from the latest findings within {hours} h ({reference})."
)


class AcuteGvhdParameters(RuleParameters):
    window_hours: int = Field(default=24, ge=1, le=168, strict=True, description="Findings this recent count.")


class AcuteGvhdAdapter:
    kind = RuleKind.ACUTE_GVHD_GRADE
    parameters = AcuteGvhdParameters
    published: GradingRule | None = MAGIC_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, AcuteGvhdParameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, AcuteGvhdParameters)
        window = dt.timedelta(hours=p.window_hours)
        relevant = [
            o for o in observations if o.loinc in (RASH, BULLAE, STOOL, UPPER_GI, BLOODY_STOOL, WEIGHT, *BILIRUBIN)
        ]
        found: list[Finding] = []
        reached = 0
        for moment in [o for o in relevant if o.loinc in _TRIGGERS]:
            day = context.day_of(moment.observed_at)
            if not rule.applies.covers_day(day):
                continue
            recent = [o for o in relevant if moment.observed_at - window <= o.observed_at <= moment.observed_at]
            latest = {(BILIRUBIN[0] if o.loinc in BILIRUBIN else o.loinc): o for o in recent}
            weights = [o for o in relevant if o.loinc == WEIGHT and o.observed_at <= moment.observed_at]
            if weights:
                latest[WEIGHT] = weights[-1]
            if not all(code in latest for code in (RASH, BILIRUBIN[0], UPPER_GI, STOOL)):
                continue
            if WEIGHT not in latest and not (BLOODY_STOOL in latest and latest[BLOODY_STOOL].value >= 1):
                continue  # the stool thresholds need the body weight: lower GI not assessed without it
            findings = AcuteGvhdFindings(
                skin=SkinFindings(
                    rash_bsa_percent=latest[RASH].value,
                    bullae_desquamation_bsa_percent=latest[BULLAE].value if BULLAE in latest else 0.0,
                ),
                liver=LiverFindings(total_bilirubin=latest[BILIRUBIN[0]].quantity),
                upper_gi=UpperGiFindings(persistent_nausea_vomiting_or_anorexia=latest[UPPER_GI].value >= 1),
                lower_gi=LowerGiFindings(
                    stool_output=latest[STOOL].quantity,
                    grossly_bloody_stool=BLOODY_STOOL in latest and latest[BLOODY_STOOL].value >= 1,
                ),
                body_weight=latest[WEIGHT].quantity if WEIGHT in latest else None,
            )
            staging = stage_acute_gvhd(findings)
            grade = staging.grade()
            if grade.value <= reached:
                continue
            s = grade.stages
            stages = {
                "skin_stage": s.skin,
                "liver_stage": s.liver,
                "upper_gi_stage": s.upper_gi,
                "lower_gi_stage": s.lower_gi,
            }
            used = sorted(latest.values(), key=lambda o: (o.observed_at, o.id))
            event = None
            if reached == 0:
                event = DetectedEvent(
                    event_type=EventType.ACUTE_GVHD,
                    day=day,
                    date=context.day0 + dt.timedelta(days=day),
                    details=(("grade", grade.value), *stages.items()),
                )
            found.append(
                Finding(
                    key=f"grade-{_ROMAN[grade.value]}",
                    triggering=tuple(o.id for o in used),
                    detected_at=moment.observed_at,
                    result_time=max(o.result_time for o in used),
                    explanation=GRADE_REACHED(
                        grade=_ROMAN[grade.value],
                        version=grade.rule.version,
                        day=f"{day:+d}",
                        skin=s.skin,
                        liver=s.liver,
                        upper_gi=s.upper_gi,
                        lower_gi=s.lower_gi,
                        hours=p.window_hours,
                        reference=rule.source.reference,
                    ),
                    event=event,
                )
            )
            reached = grade.value
        return found


ACUTE_GVHD_ADAPTERS: Final = (AcuteGvhdAdapter(),)

# The rule file is read with the engine's parameter classes: the reference reads those very classes.
from engraft.monitoring.acute_gvhd_kinds import AcuteGvhdParameters  # noqa: E402
