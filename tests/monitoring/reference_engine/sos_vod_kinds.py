"""SOS/VOD as a rule kind: a named criteria set (:func:`engraft.grading.diagnose_sos_vod`) read from the lab series.

The engine sees bilirubin (LOINC 1975-2, 14631-6) and body weight (29463-7). Hepatomegaly, right upper
quadrant pain, ascites, refractory thrombocytopenia, imaging and histology are clinical findings that are not
observations in the catalogue (:mod:`engraft.measurements.observation_catalogue`), so they are never assessed
here: the findings passed to the criteria leave them ``None`` (not assessed).

At each bilirubin or weight result inside the rule's day window the adapter builds the findings of that moment:
the latest bilirubin of the last 72 h (the criteria's own window for the bilirubin value), the weight gain of
the latest weight of the last 72 h over the last weight before day 0, and, for the paediatric set, whether
bilirubin rose on 3 consecutive days (:func:`engraft.grading.organ_toxicity.bilirubin_rising_three_days`, from
the last bilirubin before day 0). Then:

* criteria met from the lab findings alone: a "criteria met" finding (key ``met``);
* otherwise, when at least one lab sign is met and the criteria *would* be met were the signs not assessed
  present: a "possible SOS/VOD: check clinical signs" finding (key ``possible``) that names the lab signs met
  and every sign not assessed. It never says SOS/VOD is present.

One alert per key and episode (the first moment it holds); it stays until a clinician resolves it. The shipped
rules apply EBMT 2016 adult to adults from day 0 to day +21 (classical onset; late onset needs histology or
haemodynamic/ultrasound evidence, which the engine cannot see) and EBMT 2018 paediatric to children.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from pydantic import Field

from engraft.grading import GradingRule
from engraft.grading.organ_toxicity import Population, SignalStatus, bilirubin_rising_three_days
from engraft.grading.sos_vod_diagnosis import (
    EBMT_2016_ADULT_RULE,
    EBMT_2018_PAEDIATRIC_RULE,
    SosVodDiagnosis,
    diagnose_sos_vod,
)
from engraft.grading.sos_vod_findings import SosVodFindings, SosVodSign, WeightGain
from engraft.grading.timed import Reading
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.events import SosVodCriteria
from engraft.vocabulary.phrases import Phrase

BILIRUBIN_CODES: Final = ("1975-2", "14631-6")
WEIGHT_CODES: Final = ("29463-7",)
LAB_WINDOW: Final = dt.timedelta(hours=72)
_NOT_OBSERVED: Final = (
    "hepatomegaly",
    "right_upper_quadrant_pain",
    "ascites",
    "refractory_thrombocytopenia",
    "weight_rising_three_days_despite_diuretics",
    "histologically_proven",
    "haemodynamic_or_ultrasound_evidence",
)
_SUPPOSED: Final = dict.fromkeys(_NOT_OBSERVED, True)
"""The findings the engine cannot observe, supposed present: would the criteria then be met?"""
_RULES: Final = {
    SosVodCriteria.EBMT_2016_ADULT: EBMT_2016_ADULT_RULE,
    SosVodCriteria.EBMT_2018_PAEDIATRIC: EBMT_2018_PAEDIATRIC_RULE,
}


class SosVodParameters(RuleParameters):
    criteria: SosVodCriteria = Field(description="EBMT 2016 adult or EBMT 2018 paediatric.")


class SosVodAdapter:
    kind = RuleKind.SOS_VOD
    parameters = SosVodParameters
    published: GradingRule | None = None
    """The criteria set is a parameter: :meth:`published_for` names its rule."""

    def published_for(self, parameters: RuleParameters) -> GradingRule:
        assert isinstance(parameters, SosVodParameters)
        return _RULES[parameters.criteria]

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, SosVodParameters)
        if parameters.criteria not in _RULES:
            raise ValueError(
                f"rule {rule_id}: criteria={parameters.criteria.value!r}; expected one of "
                f"{', '.join(c.value for c in _RULES)} (the sets the engine watches)"
            )

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, SosVodParameters)
        bilirubin = [o for o in observations if o.loinc in BILIRUBIN_CODES]
        weights = [o for o in observations if o.loinc in WEIGHT_CODES]
        base_weight = _last_before_day0(context, weights)
        base_bilirubin = _last_before_day0(context, bilirubin)
        found: dict[str, Finding] = {}
        for moment_obs in sorted((*bilirubin, *weights), key=lambda o: (o.observed_at, o.id)):
            day = context.day_of(moment_obs.observed_at)
            if day < 0 or not rule.applies.covers_day(day):
                continue
            at = moment_obs.observed_at
            bili = _latest(bilirubin, at)
            weight = _latest(weights, at)
            used = [o for o in (bili, weight, base_weight if weight else None) if o is not None]
            rising = None
            if p.criteria is SosVodCriteria.EBMT_2018_PAEDIATRIC and base_bilirubin is not None:
                signal = bilirubin_rising_three_days(
                    _reading(base_bilirubin),
                    [_reading(o) for o in bilirubin if base_bilirubin.observed_at < o.observed_at <= at],
                    Population.PAEDIATRIC,
                )
                rising = signal is not None and signal.status is SignalStatus.MET
            gain = None
            if weight is not None and base_weight is not None:
                gain = WeightGain.from_weights(base_weight.quantity, weight.quantity)
            lab = SosVodFindings(
                day_after_hsct=day,
                bilirubin=None if bili is None else bili.quantity,
                weight_gain=gain,
                bilirubin_rising_three_days=rising,
            )
            actual = diagnose_sos_vod(lab, p.criteria)
            if actual.met:
                key = "met"
            elif actual.signs_met and diagnose_sos_vod(lab.model_copy(update=_SUPPOSED), p.criteria).met:
                key = "possible"
            else:
                continue
            if key not in found:
                found[key] = _finding(rule, context, key, actual, used, at)
        return list(found.values())


def _last_before_day0(context: EpisodeContext, series: list[MonitoredObservation]) -> MonitoredObservation | None:
    before = [o for o in series if context.day_of(o.observed_at) < 0]
    return before[-1] if before else None


def _latest(series: list[MonitoredObservation], at: dt.datetime) -> MonitoredObservation | None:
    recent = [o for o in series if at - LAB_WINDOW <= o.observed_at <= at]
    return recent[-1] if recent else None


def _reading(o: MonitoredObservation) -> Reading:
    return Reading(at=o.observed_at, quantity=o.quantity)


CRITERIA_MET: Final = Phrase(
    "SOS/VOD criteria ({criteria}) met from the lab findings on day {day}: {met} ({reference})."
)
CRITERIA_POSSIBLE: Final = Phrase(
    "Possible SOS/VOD ({criteria}): check clinical signs. Lab findings on day {day}: {met}. "
    "The criteria would be met only with signs the engine cannot observe; not assessed: {unassessed} ({reference})."
)


def _finding(
    rule: MonitoringRule,
    context: EpisodeContext,
    key: str,
    diagnosis: SosVodDiagnosis,
    used: list[MonitoredObservation],
    at: dt.datetime,
) -> Finding:
    met = "; ".join(c.finding for c in diagnosis.checks if c.met and c.sign is not SosVodSign.ONSET_WINDOW)
    unassessed = ", ".join(s.value for s in diagnosis.not_assessed)
    name = diagnosis.criteria.value
    day = f"{context.day_of(at):+d}"
    reference = rule.source.reference
    if key == "met":
        text = CRITERIA_MET(criteria=name, day=day, met=met, reference=reference)
    else:
        text = CRITERIA_POSSIBLE(criteria=name, day=day, met=met, unassessed=unassessed, reference=reference)
    return Finding(
        key=key,
        triggering=tuple(sorted({o.id for o in used})),
        detected_at=at,
        result_time=max(o.result_time for o in used),
        explanation=text,
    )


SOS_VOD_ADAPTERS: Final = (SosVodAdapter(),)

# The rule file is read with the engine's parameter classes: the reference reads those very classes.
from engraft.monitoring.sos_vod_kinds import SosVodParameters  # noqa: E402
