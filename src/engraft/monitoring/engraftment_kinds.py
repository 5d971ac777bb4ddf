"""Engraftment rule kinds: the CIBMTR neutrophil and platelet recovery days, and "not engrafted by day X".

The recovery days are :func:`engraft.grading.neutrophil_engraftment` and
:func:`engraft.grading.platelet_engraftment` applied to the episode's counts on UTC days from day 0,
converted to 10^9/L by :mod:`engraft.measurements` (the rules read the lowest count of each day).
Platelet recovery needs the platelet transfusion days: where the registry holds none
(:attr:`EpisodeContext.platelet_transfusion_days` is ``None``) it is not asserted. "Not engrafted by day X"
is a centre rule: X is the centre's, per graft source if it wants.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from pydantic import Field

from engraft.grading import (
    EngraftmentResult,
    EngraftmentStatus,
    GradingRule,
    Lineage,
)
from engraft.grading.engraftment import NEUTROPHIL_RULE, PLATELET_RULE
from engraft.measurements import Dimension, lookup_observation_kind
from engraft.monitoring.daily_counts import DailyCounts, daily_counts, recovery
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.findings import DetectedEvent, Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import ANC_CODES, PLATELET_CODES, EpisodeContext, MonitoredObservation
from engraft.vocabulary import EventType
from engraft.vocabulary.phrases import Phrase

_CODES: Final = {Lineage.NEUTROPHIL: ANC_CODES, Lineage.PLATELET: PLATELET_CODES}
_EVENTS: Final = {
    Lineage.NEUTROPHIL: EventType.NEUTROPHIL_ENGRAFTMENT,
    Lineage.PLATELET: EventType.PLATELET_ENGRAFTMENT,
}
_NAMES: Final = {Lineage.NEUTROPHIL: "ANC", Lineage.PLATELET: "platelets"}
_SHOWN_BEFORE_DEADLINE = 3
_ENGRAFTED_HEAD: Final = "{name} >= {threshold} x10^9/L: {values}"
_ENGRAFTED_TAIL: Final = ". {lineage} engraftment on day {day} ({rule}, {version})."
ENGRAFTED: Final = {
    (nadir, noted): Phrase(
        _ENGRAFTED_HEAD
        + ("; nadir {nadir} on day {nadir_day}" if nadir else "")
        + _ENGRAFTED_TAIL
        + (" Note: {notes}." if noted else "")
    )
    for nadir in (False, True)
    for noted in (False, True)
}
"""The engraftment day's explanation, by whether a nadir is known and whether the definition adds notes."""
NOT_ENGRAFTED: Final = Phrase(
    "No {lineage} engraftment by the end of day {day} (centre rule; last {name} values by then: {last})."
)
NOT_ENGRAFTED_UNTIL_LATER: Final = Phrase(
    "No {lineage} engraftment by the end of day {day} (centre rule; last {name} values by then: {last}). "
    "Engrafted later, on day {later}."
)


class CountCodes(RuleParameters):
    """The LOINC codes read as the lineage's count (each must be a number concentration)."""

    loinc: tuple[str, ...] = Field(default=(), description="Empty: the lineage's catalogue codes.")


class NoEngraftmentParameters(RuleParameters):
    lineage: Lineage
    day: int = Field(ge=1, le=365, strict=True, description="Alert when not engrafted by the end of this day.")


def _check_codes(rule_id: str, codes: tuple[str, ...]) -> None:
    for code in codes:
        kind = lookup_observation_kind(code)
        if kind.dimension is not Dimension.NUMBER_CONCENTRATION:
            raise ValueError(
                f"rule {rule_id}: loinc={code!r} ({kind.name}) is a {kind.dimension.value}; expected a blood count "
                "(number concentration)"
            )


def _recovery(
    lineage: Lineage, series: EpisodeSeries, codes: tuple[str, ...]
) -> tuple[EngraftmentResult, DailyCounts] | None:
    chosen = codes or _CODES[lineage]
    result = recovery(series, lineage, chosen)
    return None if result is None else (result, daily_counts(series, chosen))


def _qualifying(result: EngraftmentResult, counts: DailyCounts, series: EpisodeSeries) -> list[MonitoredObservation]:
    """The observation behind each qualifying day's lowest count (the lowest id among equal counts)."""
    return [series.observation(counts.lowest_row(m.day, series)) for m in result.qualifying]


class EngraftmentDayAdapter:
    """Neutrophil or platelet recovery day, reported once per episode as an event."""

    parameters = CountCodes

    def __init__(self, lineage: Lineage, kind: RuleKind, published: GradingRule) -> None:
        self.lineage = lineage
        self.kind = kind
        self.published: GradingRule | None = published

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, CountCodes)
        _check_codes(rule_id, parameters.loinc)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        assert isinstance(rule.parameters, CountCodes)
        found = _recovery(self.lineage, series, rule.parameters.loinc)
        if found is None:
            return []
        result, counts = found
        if result.status is not EngraftmentStatus.ENGRAFTED or result.day is None:
            return []
        qualifying = _qualifying(result, counts, series)
        name = _NAMES[self.lineage]
        values = ", ".join(f"{m.count:g} on day {m.day:+d}" for m in result.qualifying)
        params = {
            "name": name,
            "threshold": f"{result.threshold:g}",
            "values": values,
            "lineage": self.lineage.value.capitalize(),
            "day": f"{result.day:+d}",
            "rule": result.rule.name,
            "version": result.rule.version,
        }
        if result.nadir is not None:
            params |= {"nadir": f"{result.nadir.count:g}", "nadir_day": f"{result.nadir.day:+d}"}
        if result.notes:
            params["notes"] = "; ".join(result.notes)
        explanation = ENGRAFTED[result.nadir is not None, bool(result.notes)](**params)
        return [
            Finding(
                key="engrafted",
                triggering=tuple(o.id for o in qualifying),
                detected_at=qualifying[-1].observed_at,
                result_time=max(o.result_time for o in qualifying),
                explanation=explanation,
                event=DetectedEvent(
                    event_type=_EVENTS[self.lineage],
                    day=result.day,
                    date=context.day0 + dt.timedelta(days=result.day),
                ),
            )
        ]


class NoEngraftmentByDayAdapter:
    """Alert when the lineage has not engrafted by the end of the rule's day (a centre rule)."""

    kind = RuleKind.NO_ENGRAFTMENT_BY_DAY
    parameters = NoEngraftmentParameters
    published: GradingRule | None = None

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, NoEngraftmentParameters)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        parameters = rule.parameters
        assert isinstance(parameters, NoEngraftmentParameters)
        deadline = context.start_of_day(parameters.day + 1)
        if as_of < deadline:
            return []
        recorded = context.recorded_engraftment_day(parameters.lineage)
        if recorded is not None and context.start_of_day(recorded) > as_of:
            recorded = None  # recorded for a day not begun at the evaluation's time (a replay, a zone ahead of UTC)
        if recorded is not None and recorded <= parameters.day:
            return []  # the registry records engraftment in time (entered or imported: results may be missing)
        found = _recovery(parameters.lineage, series, ())
        if found is None:
            return []
        result, counts = found
        if result.status is EngraftmentStatus.NOT_APPLICABLE or (
            result.day is not None and result.day <= parameters.day
        ):
            return []  # engrafted in time, or the count never fell (or no count at all): nothing to wait for
        name = _NAMES[parameters.lineage]
        codes = _CODES[parameters.lineage]
        rows = series.rows_of(codes)
        days = series.day[rows]
        shown = series.observations(rows[(days >= 0) & (days <= parameters.day)][-_SHOWN_BEFORE_DEADLINE:])
        last = ", ".join(f"{o.value:g} {o.unit} on day {context.day_of(o.observed_at):+d}" for o in shown) or "none"
        cleared_at = None
        params = {"lineage": parameters.lineage.value, "day": f"{parameters.day:+d}", "name": name, "last": last}
        explanation = NOT_ENGRAFTED(**params)
        if result.day is not None and (recorded is None or result.day <= recorded):
            cleared_at = _qualifying(result, counts, series)[-1].observed_at
            explanation = NOT_ENGRAFTED_UNTIL_LATER(**params, later=f"{result.day:+d}")
        elif recorded is not None:  # recorded later, and the results do not show it (earlier)
            cleared_at = context.start_of_day(recorded)
            explanation = NOT_ENGRAFTED_UNTIL_LATER(**params, later=f"{recorded:+d}")
        return [
            Finding(
                key=f"day-{parameters.day}",
                triggering=tuple(o.id for o in shown),
                detected_at=deadline,
                result_time=deadline,
                cleared_at=cleared_at,
                explanation=explanation,
            )
        ]


ENGRAFTMENT_ADAPTERS: Final = (
    EngraftmentDayAdapter(Lineage.NEUTROPHIL, RuleKind.NEUTROPHIL_ENGRAFTMENT, NEUTROPHIL_RULE),
    EngraftmentDayAdapter(Lineage.PLATELET, RuleKind.PLATELET_ENGRAFTMENT, PLATELET_RULE),
    NoEngraftmentByDayAdapter(),
)
