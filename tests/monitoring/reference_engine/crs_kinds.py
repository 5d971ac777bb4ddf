"""Possible CRS as a rule kind, written again for the reference: typed observations one by one.

Independent of :mod:`engraft.monitoring.crs_kinds` but for its wording (the phrases, imported) and its parameter
class (the rule file is read with it). From the ASTCT CRS table (Lee 2019, clinical-scores.md section 8.1), by
hand: a temperature >= 38.0 C (rounded to 6 decimals after conversion) is fever, grade 1; a systolic pressure
below the centre threshold is hypotension, at least grade 2; an inhaled oxygen flow above 0 read as a nasal
cannula is grade 2 up to 6 L/min and 3 above; the grade is the highest. Febrile readings within
``new_after_hours`` of the previous one are one possible CRS; the signs count from its first febrile reading to
``new_after_hours`` after its last (and before the next one starts).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from engraft.grading import ASTCT_CRS_RULE, GradingRule
from engraft.measurements import convert
from engraft.monitoring.crs_kinds import (
    CRS_FEVER,
    CRS_WITH_SIGNS,
    LOW_SPO2,
    LOW_SYSTOLIC,
    OXYGEN_FLOW,
    PossibleCrsParameters,
)
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation


def _moment(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


def _sign(o: MonitoredObservation) -> dict[str, str]:
    return {"value": f"{o.value:g} {o.unit}", "at": _moment(o.observed_at)}


def _first_extreme(observations: list[MonitoredObservation], unit: str, *, lowest: bool) -> MonitoredObservation | None:
    chosen: MonitoredObservation | None = None
    for o in observations:
        value = convert(o.value, o.unit, unit)
        if chosen is None or (
            value < convert(chosen.value, chosen.unit, unit)
            if lowest
            else value > convert(chosen.value, chosen.unit, unit)
        ):
            chosen = o
    return chosen


class PossibleCrsAdapter:
    kind = RuleKind.POSSIBLE_CRS
    parameters = PossibleCrsParameters
    published: GradingRule | None = ASTCT_CRS_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        del rule_id, parameters

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, PossibleCrsParameters)
        window = [o for o in series if rule.applies.covers_day(context.day_of(o.observed_at))]
        febrile = [
            o for o in window if o.loinc in p.temperature_loinc and round(convert(o.value, o.unit, "Cel"), 6) >= 38.0
        ]
        gap = dt.timedelta(hours=p.new_after_hours)
        groups: list[list[MonitoredObservation]] = []
        for o in febrile:
            if groups and o.observed_at - groups[-1][-1].observed_at <= gap:
                groups[-1].append(o)
            else:
                groups.append([o])
        found = []
        for number, group in enumerate(groups):
            end = group[-1].observed_at + gap
            if number + 1 < len(groups):
                end = min(end, groups[number + 1][0].observed_at - dt.timedelta(microseconds=1))
            during = [o for o in window if group[0].observed_at <= o.observed_at <= end]
            found.append(self._finding(rule, context, p, group, during))
        return found

    def _finding(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        p: PossibleCrsParameters,
        febrile: list[MonitoredObservation],
        during: list[MonitoredObservation],
    ) -> Finding:
        age = context.age_at_day0
        child = age is not None and age < 18
        group = "child" if child else "adult" if age is not None else "adult or age unknown"
        sbp_limit = p.systolic_below.child if child else p.systolic_below.adult
        spo2_limit = p.spo2_below.child if child else p.spo2_below.adult
        low_sbp = [
            o
            for o in during
            if o.loinc in p.systolic_loinc and convert(o.value, o.unit, p.systolic_below.unit) < sbp_limit
        ]
        low_spo2 = [
            o for o in during if o.loinc in p.spo2_loinc and convert(o.value, o.unit, p.spo2_below.unit) < spo2_limit
        ]
        flows = [o for o in during if o.loinc in p.oxygen_flow_loinc and convert(o.value, o.unit, "L/min") > 0]
        used = list(febrile)
        signs: list[str] = []
        grade = 1
        lowest = _first_extreme(low_sbp, p.systolic_below.unit, lowest=True)
        if lowest is not None:
            used.append(lowest)
            threshold = f"{sbp_limit:g} {p.systolic_below.unit}"
            signs.append(LOW_SYSTOLIC(**_sign(lowest), threshold=threshold, group=group))
            grade = 2
        lowest = _first_extreme(low_spo2, p.spo2_below.unit, lowest=True)
        if lowest is not None:
            used.append(lowest)
            signs.append(LOW_SPO2(**_sign(lowest), threshold=f"{spo2_limit:g} {p.spo2_below.unit}", group=group))
        flow = _first_extreme(flows, "L/min", lowest=False)
        if flow is not None:
            used.append(flow)
            signs.append(OXYGEN_FLOW(**_sign(flow)))
            grade = max(grade, 2 if round(convert(flow.value, flow.unit, "L/min"), 6) <= 6.0 else 3)
        onset = febrile[0]
        params = {
            "temperatures": ", ".join(f"{o.value:g} {o.unit}" for o in febrile),
            "onset": _moment(onset.observed_at),
            "day": f"{context.day_of(onset.observed_at):+d}",
            "version": ASTCT_CRS_RULE.version,
        }
        if signs:
            explanation = CRS_WITH_SIGNS(**params, signs=", ".join(signs), grade=str(grade))
        else:
            explanation = CRS_FEVER(**params)
        louder = p.escalated_severity if signs and p.escalated_severity.rank > rule.severity.rank else None
        return Finding(
            key="crs-" + onset.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            triggering=tuple(dict.fromkeys(o.id for o in used)),
            detected_at=onset.observed_at,
            result_time=onset.result_time,
            explanation=explanation,
            severity=louder,
            grade=grade,
        )


CRS_ADAPTERS: Final = (PossibleCrsAdapter(),)
