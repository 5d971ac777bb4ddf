"""Organ-toxicity signals as a rule kind: :mod:`engraft.grading.organ_toxicity` on the episode's series.

One kind, ``organ toxicity``, whose ``signal`` parameter names the grading function applied:

* ``creatinine doubling``: creatinine >= 2x the baseline (EBMT 2016 adult SOS/VOD severity, renal column);
* ``bilirubin doubling``: a bilirubin >= 2x one measured up to 48 h before it (EBMT 2016 / 2018 severity);
* ``bilirubin rising``: bilirubin rising on 3 consecutive days (EBMT 2018 paediatric; refused for an adult-only
  rule, and never found for an adult, since the adult criteria have no such item);
* ``weight gain``: weight gain above baseline by the threshold of the named SOS/VOD ``criteria`` set.

The baseline is the last reading of the signal's codes before ``baseline_before_day`` (day 0 by default: the
pre-transplant value); without one the signal is not evaluated. Readings inside the rule's day window after
the baseline are read; units are converted by the grading (mg/dL and umol/L with the clinical factors; kg, g,
[lb_av]). One alert per episode and rule: from the first reading that meets the signal; it stays until a
clinician resolves it (the published signal is an event in the course, not a state that ends).

Creatinine doubling is the same condition as the shipped centre rule ``creatinine-doubling`` (kind ``rise from
baseline``, factor 2 over the last value before day 0): the shipped file therefore does not also ship a
published creatinine-doubling rule, which would raise two alerts for one condition. A centre that wants the
published rule disables ``creatinine-doubling`` and adds an ``organ toxicity`` rule with ``signal = "creatinine
doubling"``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.grading import GradingRule
from engraft.grading.organ_toxicity import (
    BILIRUBIN_DOUBLING_RULE,
    BILIRUBIN_RISING_RULE,
    CREATININE_DOUBLING_RULE,
    BaselineSignal,
    Population,
    SignalStatus,
    bilirubin_doubling,
    bilirubin_rising_three_days,
    creatinine_doubling,
    weight_gain,
)
from engraft.grading.timed import Reading
from engraft.measurements import Quantity
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import ADULT_AGE_YEARS, MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.organ_toxicity_screen import may_meet
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.events import SosVodCriteria
from engraft.vocabulary.phrases import Phrase

CREATININE_CODES: Final = ("2160-0", "14682-9")
BILIRUBIN_CODES: Final = ("1975-2", "14631-6")
WEIGHT_CODES: Final = ("29463-7",)


class Signal(StrEnum):
    CREATININE_DOUBLING = "creatinine doubling"
    BILIRUBIN_DOUBLING = "bilirubin doubling"
    BILIRUBIN_RISING = "bilirubin rising"
    WEIGHT_GAIN = "weight gain"


_CODES: Final = {
    Signal.CREATININE_DOUBLING: CREATININE_CODES,
    Signal.BILIRUBIN_DOUBLING: BILIRUBIN_CODES,
    Signal.BILIRUBIN_RISING: BILIRUBIN_CODES,
    Signal.WEIGHT_GAIN: WEIGHT_CODES,
}


class OrganToxicityParameters(RuleParameters):
    signal: Signal
    criteria: SosVodCriteria | None = Field(default=None, description="Weight gain: the SOS/VOD criteria set.")
    baseline_before_day: int = Field(default=0, ge=-365, le=365, strict=True)

    @model_validator(mode="after")
    def _criteria_for_weight(self) -> OrganToxicityParameters:
        if (self.signal is Signal.WEIGHT_GAIN) != (self.criteria is not None):
            raise ValueError(
                f"signal={self.signal.value!r} with criteria={self.criteria!r}; expected a criteria set exactly for "
                "'weight gain' (e.g. criteria = 'EBMT 2016 adult')"
            )
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        return _CODES[self.signal]


SIGNAL_MET: Final = Phrase(
    "{signal}: {values} against the baseline {baseline} of day {day} ({threshold}) ({reference})."
)
SIGNAL_MET_HIGHEST_RATIO: Final = Phrase(
    "{signal}: {values} against the baseline {baseline} of day {day} ({threshold}); "
    "highest so far {highest}x baseline ({reference})."
)
SIGNAL_MET_HIGHEST_PERCENT: Final = Phrase(
    "{signal}: {values} against the baseline {baseline} of day {day} ({threshold}); "
    "highest so far {highest} % above baseline ({reference})."
)


def _readings(
    observations: tuple[MonitoredObservation, ...], codes: tuple[str, ...]
) -> dict[Reading, MonitoredObservation]:
    found: dict[Reading, MonitoredObservation] = {}
    for o in observations:
        if o.loinc in codes:
            found.setdefault(Reading(at=o.observed_at, quantity=Quantity(value=o.value, unit=o.unit)), o)
    return found


class OrganToxicityAdapter:
    kind = RuleKind.ORGAN_TOXICITY
    parameters = OrganToxicityParameters
    published: GradingRule | None = None
    """Each signal has its own grading rule: :meth:`published_for`, which the rule file checks a rule against."""

    def published_for(self, parameters: RuleParameters) -> GradingRule:
        assert isinstance(parameters, OrganToxicityParameters)
        return signal_rule(parameters)

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, OrganToxicityParameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, OrganToxicityParameters)
        if not may_meet(rule, series, p.signal.value, p.codes, p.baseline_before_day):
            return []
        observations = series.typed(p.codes)
        readings = _readings(observations, p.codes)
        before = [r for r in readings if context.day_of(r.at) < p.baseline_before_day]
        if not before:
            return []
        baseline = max(before, key=lambda r: (r.at, readings[r].id))
        watched = [r for r in readings if r.at > baseline.at and rule.applies.covers_day(context.day_of(r.at))]
        signal = _apply(p, baseline, watched, context)
        if signal is None or signal.status is not SignalStatus.MET:
            return []
        used = [readings[r] for r in signal.first]
        peak = signal.peak
        # The list's items stay plain text: a phrase "{value} on day {day}" would also match the whole list.
        shown = ", ".join(f"{o.value:g} {o.unit} on day {context.day_of(o.observed_at):+d}" for o in used)
        base = readings[baseline]
        params = {
            "signal": signal.name,
            "values": shown,
            "baseline": f"{base.value:g} {base.unit}",
            "day": f"{context.day_of(base.observed_at):+d}",
            "threshold": signal.threshold,
            "reference": rule.source.reference,
        }
        if peak is None:
            explanation = SIGNAL_MET(**params)
        elif p.signal is Signal.WEIGHT_GAIN:
            explanation = SIGNAL_MET_HIGHEST_PERCENT(**params, highest=f"{peak.relative:.3g}")
        else:
            explanation = SIGNAL_MET_HIGHEST_RATIO(**params, highest=f"{peak.relative:.3g}")
        return [
            Finding(
                key="first-" + used[-1].observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                triggering=(base.id, *(o.id for o in used)),
                detected_at=used[-1].observed_at,
                result_time=max(o.result_time for o in used),
                explanation=explanation,
            )
        ]


def _population(context: EpisodeContext) -> Population | None:
    if context.age_at_day0 is None:
        return None
    return Population.ADULT if context.age_at_day0 >= ADULT_AGE_YEARS else Population.PAEDIATRIC


def _apply(
    p: OrganToxicityParameters, baseline: Reading, readings: list[Reading], context: EpisodeContext
) -> BaselineSignal | None:
    if p.signal is Signal.CREATININE_DOUBLING:
        return creatinine_doubling(baseline, readings)
    if p.signal is Signal.BILIRUBIN_DOUBLING:
        return bilirubin_doubling(baseline, readings)
    if p.signal is Signal.BILIRUBIN_RISING:
        population = _population(context)
        return None if population is None else bilirubin_rising_three_days(baseline, readings, population)
    assert p.criteria is not None
    return weight_gain(baseline, readings, p.criteria)


_ANY_MOMENT: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def signal_rule(parameters: OrganToxicityParameters) -> GradingRule:
    """The grading rule a signal applies (its citations and verification level)."""
    if parameters.signal is Signal.CREATININE_DOUBLING:
        return CREATININE_DOUBLING_RULE
    if parameters.signal is Signal.BILIRUBIN_DOUBLING:
        return BILIRUBIN_DOUBLING_RULE
    if parameters.signal is Signal.BILIRUBIN_RISING:
        return BILIRUBIN_RISING_RULE
    assert parameters.criteria is not None
    # the weight rule of a criteria set, as the grading reports it (no readings: only the rule is read)
    baseline = Reading(at=_ANY_MOMENT, quantity=Quantity(value=70.0, unit="kg"))
    return weight_gain(baseline, [], parameters.criteria).rule


ORGAN_TOXICITY_ADAPTERS: Final = (OrganToxicityAdapter(),)
