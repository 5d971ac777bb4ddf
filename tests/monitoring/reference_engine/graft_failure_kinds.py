"""Graft failure rule kinds: primary graft failure by the published day limit, and secondary graft failure.

Both apply :mod:`engraft.grading.graft_failure` (ASTCT 2021 harmonised definitions, read in reproductions:
``secondary``) to the episode's ANC (and, for secondary graft failure, platelet) counts on UTC days from day 0.

* Primary graft failure: the day limit is the grading's, per graft source (day +30 peripheral blood and bone
  marrow, day +42 cord blood); an episode whose graft source is unknown or has no published limit is not
  judged. The alert is raised at 00:00 UTC of the day after the limit and names what the definition also needs
  (pancytopenia, donor chimerism). The met criterion is written to the registry as a *derived* graft-failure
  event (kind primary, dated the day after the limit; its provenance in the audit log), which a clinician
  confirms or corrects; it never stops a later derived engraftment. A recovery after the limit does not clear
  the alert (the definition's criterion stays met; the explanation says recovery came later).
  This complements the centre's "no engraftment by day X" rules: those are an earlier review prompt a centre
  chooses, this is the published definition.
* Secondary graft failure: support given after both recoveries were complete. The engine knows the platelet
  transfusion days (``EpisodeContext.platelet_transfusion_days``) and the red-cell transfusion days
  (``EpisodeContext.red_cell_transfusion_days``); growth factor is not fed to the engine and is not assessed
  (said in each explanation). Without a platelet transfusion record platelet recovery is not asserted, so
  secondary graft failure is not judged either. A met criterion is written as a derived graft-failure event
  (kind secondary, dated the first support after recovery).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from pydantic import Field

from engraft.grading import COUNT_UNIT, CountMeasurement, CountSeries, GradingRule, neutrophil_engraftment
from engraft.grading.engraftment import platelet_engraftment
from engraft.grading.graft_failure import (
    PRIMARY_GRAFT_FAILURE_DAY_LIMIT,
    PRIMARY_GRAFT_FAILURE_RULE,
    SECONDARY_GRAFT_FAILURE_RULE,
    GraftFailureStatus,
    Support,
    SupportKind,
    primary_graft_failure,
    secondary_graft_failure,
)
from engraft.measurements import Dimension, convert, lookup_observation_kind
from engraft.monitoring.findings import DetectedEvent, Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import ANC_CODES, PLATELET_CODES, EpisodeContext, MonitoredObservation
from engraft.vocabulary import EventType
from engraft.vocabulary.events import GraftFailureKind
from engraft.vocabulary.phrases import Phrase

_SHOWN: Final = 3


PRIMARY_SUSPECTED: Final = Phrase(
    "Primary graft failure suspected: no neutrophil recovery by day {limit} after a {graft} graft "
    "(last daily lowest ANC values by then: {last}). To confirm: {to_confirm}. {notes} ({reference})."
)
SECONDARY_SUSPECTED: Final = Phrase(
    "Secondary graft failure suspected: support after neutrophil and platelet recovery ({given}); counts "
    "below the recovery thresholds after recovery: {declines}. To confirm: {to_confirm}. "
    "Growth-factor support is not fed to the engine and was not assessed ({reference})."
)


class GraftFailureParameters(RuleParameters):
    anc_loinc: tuple[str, ...] = Field(default=ANC_CODES, min_length=1)
    platelet_loinc: tuple[str, ...] = Field(default=PLATELET_CODES, min_length=1)


def _check(rule_id: str, parameters: RuleParameters) -> None:
    assert isinstance(parameters, GraftFailureParameters)
    for code in (*parameters.anc_loinc, *parameters.platelet_loinc):
        kind = lookup_observation_kind(code)
        if kind.dimension is not Dimension.NUMBER_CONCENTRATION:
            raise ValueError(
                f"rule {rule_id}: loinc={code!r} ({kind.name}) is a {kind.dimension.value}; expected a blood count "
                "(number concentration)"
            )


def _counts(
    context: EpisodeContext, observations: tuple[MonitoredObservation, ...], codes: tuple[str, ...]
) -> tuple[CountSeries, dict[int, list[MonitoredObservation]]]:
    measurements: list[CountMeasurement] = []
    by_day: dict[int, list[MonitoredObservation]] = {}
    for o in observations:
        if o.loinc not in codes:
            continue
        day = context.day_of(o.observed_at)
        measurements.append(CountMeasurement(day=day, value=convert(o.value, o.unit, COUNT_UNIT), unit=COUNT_UNIT))
        by_day.setdefault(day, []).append(o)
    return CountSeries(measurements=tuple(measurements), day0=context.day0), by_day


def _ids(measurements: tuple[CountMeasurement, ...], by_day: dict[int, list[MonitoredObservation]]) -> list[int]:
    """The observations behind the days of ``measurements`` (every result of those days, in series order)."""
    days = {m.day for m in measurements}
    return [o.id for day in sorted(days) for o in by_day.get(day, [])]


class PrimaryGraftFailureAdapter:
    kind = RuleKind.PRIMARY_GRAFT_FAILURE
    parameters = GraftFailureParameters
    published: GradingRule | None = PRIMARY_GRAFT_FAILURE_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        _check(rule_id, parameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, GraftFailureParameters)
        graft = context.graft_source
        if graft is None or graft not in PRIMARY_GRAFT_FAILURE_DAY_LIMIT:
            return []
        anc, by_day = _counts(context, observations, p.anc_loinc)
        result = primary_graft_failure(anc, graft, context.day_of(as_of))
        if result.status is not GraftFailureStatus.CRITERION_MET or result.day_limit is None:
            return []
        limit = result.day_limit
        deadline = context.start_of_day(limit + 1)
        shown = result.observations[-_SHOWN:]
        last = ", ".join(f"{m.count:g} x10^9/L on day {m.day:+d}" for m in shown)
        explanation = PRIMARY_SUSPECTED(
            limit=f"{limit:+d}",
            graft=graft.value,
            last=last,
            to_confirm=", ".join(result.to_confirm),
            notes="; ".join(result.notes),
            reference=rule.source.reference,
        )
        triggering = _ids(shown, by_day)
        return [
            Finding(
                key=f"day-{limit}",
                triggering=tuple(triggering),
                detected_at=deadline,
                result_time=deadline,
                explanation=explanation,
                event=_graft_failure_event(context, limit + 1, GraftFailureKind.PRIMARY),
            )
        ]


class SecondaryGraftFailureAdapter:
    kind = RuleKind.SECONDARY_GRAFT_FAILURE
    parameters = GraftFailureParameters
    published: GradingRule | None = SECONDARY_GRAFT_FAILURE_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        _check(rule_id, parameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, GraftFailureParameters)
        if context.platelet_transfusion_days is None:
            return []  # platelet recovery cannot be asserted without the transfusion record
        anc, anc_days = _counts(context, observations, p.anc_loinc)
        platelets, platelet_days = _counts(context, observations, p.platelet_loinc)
        neutrophils = neutrophil_engraftment(anc)
        platelet = platelet_engraftment(platelets, context.platelet_transfusion_days)
        support = [Support(day=d, kind=SupportKind.PLATELET_TRANSFUSION) for d in context.platelet_transfusion_days]
        support += [Support(day=d, kind=SupportKind.RED_CELL_TRANSFUSION) for d in context.red_cell_transfusion_days]
        result = secondary_graft_failure(neutrophils, platelet, support, context.day_of(as_of))
        if result.status is not GraftFailureStatus.CRITERION_MET or not result.support:
            return []
        first = result.support[0]
        given = ", ".join(f"{s.kind.value} on day {s.day:+d}" for s in result.support[:_SHOWN])
        declines = ", ".join(f"{m.count:g} x10^9/L on day {m.day:+d}" for m in result.observations) or "none recorded"
        explanation = SECONDARY_SUSPECTED(
            given=given,
            declines=declines,
            to_confirm=", ".join(result.to_confirm),
            reference=rule.source.reference,
        )
        both = {day: [*anc_days.get(day, []), *platelet_days.get(day, [])] for day in {*anc_days, *platelet_days}}
        triggering = _ids(result.observations, both)
        detected = context.start_of_day(first.day)
        return [
            Finding(
                key=f"support-day-{first.day}",
                triggering=tuple(triggering),
                detected_at=detected,
                result_time=detected,
                explanation=explanation,
                event=_graft_failure_event(context, first.day, GraftFailureKind.SECONDARY),
            )
        ]


def _graft_failure_event(context: EpisodeContext, day: int, kind: GraftFailureKind) -> DetectedEvent:
    """The registry event of a met criterion, derived (the alert names what confirms it): dated the day the
    criterion is first met (the day after the limit; the first support after recovery)."""
    return DetectedEvent(
        event_type=EventType.GRAFT_FAILURE,
        day=day,
        date=context.day0 + dt.timedelta(days=day),
        details=(("kind", kind.value),),
    )


GRAFT_FAILURE_ADAPTERS: Final = (PrimaryGraftFailureAdapter(), SecondaryGraftFailureAdapter())

# The rule file is read with the engine's parameter classes: the reference reads those very classes.
from engraft.monitoring.graft_failure_kinds import GraftFailureParameters  # noqa: E402
