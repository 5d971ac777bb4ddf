"""Possible cytokine release syndrome (CRS) after immune effector cells (CAR-T) as a rule kind, from vital signs.

The ASTCT consensus (Lee 2019; :func:`engraft.grading.grade_crs`) needs fever, a temperature >= 38.0 C not
attributable to another cause; fever alone is grade 1. Hypotension and hypoxia raise the grade by what they
need (vasopressors; the oxygen delivery device and flow), which ASTCT gives no blood pressure or saturation
numbers for. So, for an episode whose rule applies (the shipped rule: immune effector cell episodes, from the
infusion day):

- Each febrile body temperature (LOINC 8310-5 in ``Cel`` or ``[degF]``, converted and rounded as the grading
  compares it) starts a possible CRS, unless it comes within ``new_after_hours`` of the previous febrile reading
  (then it belongs to the same one). It is one alert, open until a clinician resolves it: CRS goes on without
  fever once antipyretics or tocilizumab are given, so the fever ending does not clear it.
- From its onset until ``new_after_hours`` after its last febrile reading, a systolic pressure (8480-6) or an
  SpO2 (59408-5) below the rule file's **centre** thresholds (adult or child at day 0; the adult values when the
  age is unknown; each labelled centre policy, unverified, never ASTCT's) or an inhaled oxygen flow (3151-8)
  above 0 makes it "possible CRS ... check vasopressor and oxygen need" at the rule's ``escalated_severity``:
  the open alert of the same key is escalated, not duplicated.
- The grade is a lower bound from the vital signs: grade 1 for fever; 2 with hypotension (vasopressors are not
  observations: 3 or 4 if they are needed); with an oxygen flow, the grade a nasal cannula at that flow gives
  (<= 6 L/min 2, above 3: a mask or positive pressure grades higher). A low SpO2 without a recorded flow does
  not raise it: ASTCT grades hypoxia by the oxygen given. The explanation says which.

A possible CRS is judged by the rule set in force when its first febrile result was recorded (its key is that
reading's time), also for the signs that escalate it later.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Final

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from engraft.grading import ASTCT_CRS_RULE, CrsFindings, GradingRule, OxygenDelivery, grade_crs
from engraft.grading.crs import FEVER_THRESHOLD_CELSIUS
from engraft.measurements import Dimension, lookup_observation_kind
from engraft.monitoring.episode_series import EpisodeSeries, Rows
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import ADULT_AGE_YEARS, MonitoringRule, RuleKind, RuleParameters, Severity
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.provenance import FrozenModel, VerificationLevel
from engraft.vocabulary.phrases import Phrase

CELSIUS: Final = "Cel"
_DECIMALS: Final = 6
"""Converted temperatures are rounded like :mod:`engraft.grading.crs` rounds them (100.4 [degF] is 38.0 Cel)."""
US_PER_HOUR: Final = 3_600_000_000


class CentreThreshold(FrozenModel):
    """A vital-sign threshold a centre sets (ASTCT gives none): below it counts; adult and child values."""

    adult: float = Field(gt=0)
    child: float = Field(gt=0)
    unit: str = Field(min_length=1, max_length=16)
    reference: str = Field(min_length=3, max_length=300, description="The centre policy the numbers come from.")
    verification: VerificationLevel = VerificationLevel.UNVERIFIED

    @model_validator(mode="after")
    def _centre_policy(self) -> CentreThreshold:
        if self.verification is not VerificationLevel.UNVERIFIED:
            raise ValueError(
                f"verification={self.verification.value!r}; expected 'unverified' (a centre threshold, not ASTCT's)"
            )
        return self


class PossibleCrsParameters(RuleParameters):
    temperature_loinc: tuple[str, ...] = Field(default=("8310-5",), min_length=1)
    systolic_loinc: tuple[str, ...] = Field(default=("8480-6",), min_length=1)
    spo2_loinc: tuple[str, ...] = Field(default=("59408-5",), min_length=1)
    oxygen_flow_loinc: tuple[str, ...] = Field(default=("3151-8",))
    systolic_below: CentreThreshold
    spo2_below: CentreThreshold
    new_after_hours: int = Field(
        default=72, ge=1, le=24 * 14, strict=True, description="A fever this long after the last starts a new one."
    )
    escalated_severity: Severity = Severity.CRITICAL


CRS_FEVER: Final = Phrase(
    "Possible CRS grade 1 (fever): {temperatures} from {onset} UTC, day {day} after immune effector cell infusion "
    "(ASTCT: fever >= 38.0 C not attributable to another cause, {version}). Check for another cause of the fever; "
    "hypotension or oxygen need would raise the grade."
)
CRS_WITH_SIGNS: Final = Phrase(
    "Possible CRS: fever >= 38.0 C ({temperatures}) from {onset} UTC, day {day} after immune effector cell infusion, "
    "with {signs}: check vasopressor and oxygen need. At least grade {grade} ({version}): the grade cannot be set "
    "from vital signs alone (vasopressors and the oxygen delivery device are not observations)."
)
LOW_SYSTOLIC: Final = Phrase(
    "systolic blood pressure {value} at {at} UTC below {threshold} ({group}; centre threshold, unverified, not ASTCT's)"
)
LOW_SPO2: Final = Phrase(
    "SpO2 {value} at {at} UTC below {threshold} ({group}; centre threshold, unverified, not ASTCT's; "
    "hypoxia is graded by the oxygen given)"
)
OXYGEN_FLOW: Final = Phrase("inhaled oxygen {value} at {at} UTC (graded as a nasal cannula at that flow)")
SIGN_SEPARATOR: Final = ", "
"""Signs are listed as the pages read a list (no comma outside parentheses inside a sign)."""


def _check(rule_id: str, codes: tuple[str, ...], dimension: Dimension, what: str) -> None:
    for code in codes:
        kind = lookup_observation_kind(code)
        if kind.dimension is not dimension:
            raise ValueError(
                f"rule {rule_id}: {what} loinc={code!r} ({kind.name}) is a {kind.dimension.value}; "
                f"expected a {dimension.value}"
            )


def _check_threshold(rule_id: str, threshold: CentreThreshold, codes: tuple[str, ...], what: str) -> None:
    for code in codes:
        kind = lookup_observation_kind(code)
        for value in (threshold.adult, threshold.child):
            kind.to_canonical(value, threshold.unit)  # UnitError naming the unit and the code when it does not fit
            if not kind.minimum <= kind.to_canonical(value, threshold.unit) <= kind.maximum:
                raise ValueError(
                    f"rule {rule_id}: {what}={value:g} {threshold.unit} is outside {kind.name}'s possible range "
                    f"{kind.minimum:g}-{kind.maximum:g} {kind.canonical_unit.value}"
                )


class PossibleCrsAdapter:
    kind = RuleKind.POSSIBLE_CRS
    parameters = PossibleCrsParameters
    published: GradingRule | None = ASTCT_CRS_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, PossibleCrsParameters)
        _check(rule_id, parameters.temperature_loinc, Dimension.TEMPERATURE, "temperature")
        _check(rule_id, parameters.systolic_loinc, Dimension.PRESSURE, "systolic pressure")
        _check(rule_id, parameters.spo2_loinc, Dimension.FRACTION, "SpO2")
        _check(rule_id, parameters.oxygen_flow_loinc, Dimension.VOLUME_RATE, "oxygen flow")
        _check_threshold(rule_id, parameters.systolic_below, parameters.systolic_loinc, "systolic_below")
        _check_threshold(rule_id, parameters.spo2_below, parameters.spo2_loinc, "spo2_below")

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, PossibleCrsParameters)
        temperatures = _in_window(rule, series, series.rows_of(p.temperature_loinc))
        if not len(temperatures):
            return []
        celsius = np.round(series.values_in(temperatures, CELSIUS), _DECIMALS)
        febrile = temperatures[celsius >= FEVER_THRESHOLD_CELSIUS]
        febrile_celsius = celsius[celsius >= FEVER_THRESHOLD_CELSIUS]
        if not len(febrile):
            return []
        gap_us = p.new_after_hours * US_PER_HOUR
        times = series.observed_us[febrile]
        starts = np.flatnonzero(np.concatenate(([True], np.diff(times) > gap_us)))
        bounds = [*starts.tolist(), len(febrile)]
        signs = _Signs(rule, context, series, p)
        findings = []
        for number, (a, b) in enumerate(itertools.pairwise(bounds)):
            start_us = int(times[a])
            end_us = int(times[b - 1]) + gap_us
            if number + 1 < len(starts):
                end_us = min(end_us, int(times[b]) - 1)
            findings.append(signs.finding(febrile[a:b], febrile_celsius[a:b], start_us, end_us))
        return findings


def _in_window(rule: MonitoringRule, series: EpisodeSeries, rows: Rows) -> Rows:
    days = series.day[rows]
    return rows[(days >= rule.applies.day_from) & (days <= rule.applies.day_to)]


def _moment(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


class _Signs:
    """The vital signs of one rule evaluation, read once, and the finding of each possible CRS."""

    def __init__(
        self, rule: MonitoringRule, context: EpisodeContext, series: EpisodeSeries, p: PossibleCrsParameters
    ) -> None:
        self.rule, self.context, self.series, self.p = rule, context, series, p
        age = context.age_at_day0
        child = age is not None and age < ADULT_AGE_YEARS
        self.group = "child" if child else ("adult" if age is not None else "adult or age unknown")
        sbp_limit = p.systolic_below.child if child else p.systolic_below.adult
        spo2_limit = p.spo2_below.child if child else p.spo2_below.adult
        self.sbp_threshold = f"{sbp_limit:g} {p.systolic_below.unit}"
        self.spo2_threshold = f"{spo2_limit:g} {p.spo2_below.unit}"
        self.low_sbp = self._below(p.systolic_loinc, sbp_limit, p.systolic_below.unit)
        self.low_spo2 = self._below(p.spo2_loinc, spo2_limit, p.spo2_below.unit)
        flows = _in_window(rule, series, series.rows_of(p.oxygen_flow_loinc))
        litres = series.values_in(flows, "L/min")
        self.flows, self.litres = flows[litres > 0], litres[litres > 0]

    def _below(self, codes: tuple[str, ...], limit: float, unit: str) -> Rows:
        rows = _in_window(self.rule, self.series, self.series.rows_of(codes))
        return rows[self.series.values_in(rows, unit) < limit]

    def _during(self, rows: Rows, start_us: int, end_us: int) -> Rows:
        at = self.series.observed_us[rows]
        return rows[(at >= start_us) & (at <= end_us)]

    def finding(self, febrile: Rows, celsius: npt.NDArray[np.float64], start_us: int, end_us: int) -> Finding:
        series = self.series
        onset = series.observation(int(febrile[0]))
        hottest = series.observation(int(febrile[int(np.argmax(celsius))]))
        shown = ", ".join(f"{o.value:g} {o.unit}" for o in series.observations(febrile))
        low_sbp = self._during(self.low_sbp, start_us, end_us)
        low_spo2 = self._during(self.low_spo2, start_us, end_us)
        in_flow = (series.observed_us[self.flows] >= start_us) & (series.observed_us[self.flows] <= end_us)
        flows, litres = self.flows[in_flow], self.litres[in_flow]
        signs: list[str] = []
        used = list(series.observations(febrile))
        if len(low_sbp):
            lowest = series.observation(int(low_sbp[np.argmin(series.values_in(low_sbp, self.p.systolic_below.unit))]))
            used.append(lowest)
            signs.append(LOW_SYSTOLIC(**self._sign(lowest), threshold=self.sbp_threshold, group=self.group))
        if len(low_spo2):
            lowest = series.observation(int(low_spo2[np.argmin(series.values_in(low_spo2, self.p.spo2_below.unit))]))
            used.append(lowest)
            signs.append(LOW_SPO2(**self._sign(lowest), threshold=self.spo2_threshold, group=self.group))
        flow = None
        if len(flows):
            flow = series.observation(int(flows[int(np.argmax(litres))]))
            used.append(flow)
            signs.append(OXYGEN_FLOW(**self._sign(flow)))
        grade = grade_crs(
            CrsFindings(
                temperature=hottest.quantity,
                hypotension=bool(len(low_sbp)),
                oxygen=OxygenDelivery.NONE if flow is None else OxygenDelivery.NASAL_CANNULA,
                oxygen_flow=None if flow is None else flow.quantity,
            )
        )
        params = {
            "temperatures": shown,
            "onset": _moment(onset.observed_at),
            "day": f"{self.context.day_of(onset.observed_at):+d}",
            "version": grade.rule.version,
        }
        if signs:
            explanation = CRS_WITH_SIGNS(**params, signs=SIGN_SEPARATOR.join(signs), grade=str(grade.value))
        else:
            explanation = CRS_FEVER(**params)
        return Finding(
            key="crs-" + onset.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            triggering=tuple(dict.fromkeys(o.id for o in used)),
            detected_at=onset.observed_at,
            result_time=onset.result_time,
            explanation=explanation,
            severity=self._escalated() if signs else None,
            grade=grade.value,
        )

    def _escalated(self) -> Severity | None:
        """The escalated severity, never below the rule's own."""
        louder = self.p.escalated_severity
        return louder if louder.rank > self.rule.severity.rank else None

    @staticmethod
    def _sign(observation: MonitoredObservation) -> dict[str, str]:
        return {"value": f"{observation.value:g} {observation.unit}", "at": _moment(observation.observed_at)}


CRS_ADAPTERS: Final = (PossibleCrsAdapter(),)
