"""Centre threshold rule kinds: a value beyond a threshold, and a rise over a pre-transplant baseline.

Both watch the rule's LOINC codes inside its day window. Units are checked when the rule is loaded: every
code's canonical unit must convert to the rule's unit through :mod:`engraft.measurements` (across mass and
substance concentration only for the analyte and on the basis the rule names); a rule that would need a
guess is refused. The condition holds over a run of consecutive results that meet it; the first result
that does not (or the end of the window) clears it, and a later result that meets it again starts a new
occurrence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.grading import GradingRule
from engraft.measurements import (
    Analyte,
    ConversionBasis,
    Ucum,
    UnitError,
    convert,
    convert_concentration,
    lookup_observation_kind,
)
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation
from engraft.vocabulary.phrases import Phrase

MAX_TRIGGERING: Final = 20
"""At most this many observation ids are kept for one occurrence: its first ones and its last one."""


class Comparator(StrEnum):
    BELOW = "<"
    AT_OR_BELOW = "<="
    AT_OR_ABOVE = ">="
    ABOVE = ">"

    def holds(self, value: float, threshold: float) -> bool:
        return _COMPARE[self](value, threshold)

    @property
    def words(self) -> str:
        return _WORDS[self]


_COMPARE: Final[dict[Comparator, Callable[[float, float], bool]]] = {
    Comparator.BELOW: lambda v, t: v < t,
    Comparator.AT_OR_BELOW: lambda v, t: v <= t,
    Comparator.AT_OR_ABOVE: lambda v, t: v >= t,
    Comparator.ABOVE: lambda v, t: v > t,
}
_WORDS: Final = {
    Comparator.BELOW: "below",
    Comparator.AT_OR_BELOW: "at or below",
    Comparator.AT_OR_ABOVE: "at or above",
    Comparator.ABOVE: "above",
}


RESULT_AGAINST_LIMIT: Final = {
    (comparator, holds): Phrase("{value} (" + ("" if holds else "no longer ") + words + " {limit})")
    for comparator, words in _WORDS.items()
    for holds in (True, False)
}
"""A result against the rule's limit, by comparator and whether it still meets it."""
RESULT_AGAINST_BASELINE: Final = Phrase("{value} = {ratio} x the baseline {baseline} of day {day} (alert at x{factor})")
FIRST_RESULT: Final = Phrase("{result} on day {day} ({reference}).")
FIRST_RESULT_CLEARED: Final = Phrase("{result} on day {day}; cleared: {cleared} on day {cleared_day} ({reference}).")
FIRST_RESULT_UNWATCHED: Final = Phrase(
    "{result} on day {day}; no longer watched after day {last_watched} ({reference})."
)
RESULTS_IN_A_ROW: Final = Phrase(
    "{result} on day {day}; {count} results in a row, the last {last} on day {last_day} ({reference})."
)
RESULTS_IN_A_ROW_CLEARED: Final = Phrase(
    "{result} on day {day}; {count} results in a row, the last {last} on day {last_day}; "
    "cleared: {cleared} on day {cleared_day} ({reference})."
)
RESULTS_IN_A_ROW_UNWATCHED: Final = Phrase(
    "{result} on day {day}; {count} results in a row, the last {last} on day {last_day}; "
    "no longer watched after day {last_watched} ({reference})."
)


class _Measured(RuleParameters):
    loinc: tuple[str, ...] = Field(min_length=1)
    analyte: Analyte | None = Field(default=None, description="Needed to compare mass and substance units.")
    basis: ConversionBasis | None = None

    @model_validator(mode="after")
    def _analyte_with_basis(self) -> _Measured:
        if (self.analyte is None) != (self.basis is None):
            raise ValueError("analyte and basis go together (e.g. analyte='bilirubin', basis='clinical factor')")
        return self

    def to_unit(self, value: float, unit: str, target: Ucum) -> float:
        """``value`` in ``unit`` expressed in ``target`` (UnitError when no conversion is defined)."""
        try:
            return convert(value, unit, target)
        except UnitError:
            if self.analyte is None or self.basis is None:
                raise
            return convert_concentration(value, unit, target, self.analyte, self.basis)

    def check_units(self, rule_id: str, target: Ucum) -> None:
        for code in self.loinc:
            kind = lookup_observation_kind(code)
            if kind.analyte is not None and self.analyte is not None and kind.analyte is not self.analyte:
                raise ValueError(f"rule {rule_id}: loinc={code!r} measures {kind.analyte.value}, not {self.analyte}")
            try:
                self.to_unit(1.0, kind.canonical_unit, target)
            except UnitError as exc:
                raise ValueError(
                    f"rule {rule_id}: loinc={code!r} ({kind.name}, {kind.canonical_unit.value}) cannot be compared "
                    f"in {target.value}: {exc}"
                ) from exc


class ThresholdParameters(_Measured):
    comparator: Comparator
    value: float
    unit: Ucum


class BaselineRiseParameters(_Measured):
    factor: float = Field(gt=1, le=100, description="Alert when value / baseline >= factor.")
    baseline_before_day: int = Field(
        default=0, ge=-365, le=365, strict=True, description="Baseline: the last value before this day."
    )


_RUN_PHRASES: Final = {
    (False, ()): FIRST_RESULT,
    (False, ("cleared", "cleared_day")): FIRST_RESULT_CLEARED,
    (False, ("last_watched",)): FIRST_RESULT_UNWATCHED,
    (True, ()): RESULTS_IN_A_ROW,
    (True, ("cleared", "cleared_day")): RESULTS_IN_A_ROW_CLEARED,
    (True, ("last_watched",)): RESULTS_IN_A_ROW_UNWATCHED,
}


def _watched(
    rule: MonitoringRule,
    parameters: _Measured,
    context: EpisodeContext,
    observations: tuple[MonitoredObservation, ...],
) -> list[tuple[int, MonitoredObservation]]:
    days = ((context.day_of(o.observed_at), o) for o in observations if o.loinc in parameters.loinc)
    return [(day, o) for day, o in days if rule.applies.covers_day(day)]


def _runs(
    rule: MonitoringRule,
    context: EpisodeContext,
    watched: list[tuple[int, MonitoredObservation]],
    meets: Callable[[MonitoredObservation], bool],
    describe: Callable[[MonitoredObservation], str],
    as_of: dt.datetime,
) -> list[Finding]:
    """One finding per run of consecutive results meeting the condition."""
    findings: list[Finding] = []
    run: list[tuple[int, MonitoredObservation]] = []

    def close(cleared_at: dt.datetime | None, why: dict[str, str]) -> None:
        first_day, first = run[0]
        kept = [o.id for _, o in run[: MAX_TRIGGERING - 1]] + ([run[-1][1].id] if len(run) >= MAX_TRIGGERING else [])
        params = {"result": describe(first), "day": f"{first_day:+d}", "reference": rule.source.reference, **why}
        if len(run) > 1:
            last_day, last = run[-1]
            params |= {"count": str(len(run)), "last": describe(last), "last_day": f"{last_day:+d}"}
        findings.append(
            Finding(
                key="from-" + first.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                triggering=tuple(kept),
                detected_at=first.observed_at,
                result_time=first.result_time,
                cleared_at=cleared_at,
                explanation=_RUN_PHRASES[len(run) > 1, tuple(sorted(why))](**params),
            )
        )

    for day, observation in watched:
        if meets(observation):
            run.append((day, observation))
        elif run:
            close(observation.observed_at, {"cleared": describe(observation), "cleared_day": f"{day:+d}"})
            run = []
    if run:
        window_end = context.start_of_day(rule.applies.day_to + 1)
        if as_of >= window_end:
            close(window_end, {"last_watched": f"{rule.applies.day_to:+d}"})
        else:
            close(None, {})
    return findings


class ThresholdAdapter:
    kind = RuleKind.THRESHOLD
    parameters = ThresholdParameters
    published: GradingRule | None = None

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, ThresholdParameters)
        parameters.check_units(rule_id, parameters.unit)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, ThresholdParameters)

        def value(o: MonitoredObservation) -> float:
            return p.to_unit(o.value, o.unit, p.unit)

        def describe(o: MonitoredObservation) -> str:
            shown = f"{o.value:g} {o.unit}" + ("" if o.unit == p.unit.value else f" = {value(o):.4g} {p.unit.value}")
            holds = p.comparator.holds(value(o), p.value)
            return RESULT_AGAINST_LIMIT[p.comparator, holds](value=shown, limit=f"{p.value:g} {p.unit.value}")

        watched = _watched(rule, p, context, observations)
        return _runs(rule, context, watched, lambda o: p.comparator.holds(value(o), p.value), describe, as_of)


class BaselineRiseAdapter:
    kind = RuleKind.RISE_FROM_BASELINE
    parameters = BaselineRiseParameters
    published: GradingRule | None = None

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, BaselineRiseParameters)
        parameters.check_units(rule_id, lookup_observation_kind(parameters.loinc[0]).canonical_unit)

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, BaselineRiseParameters)
        unit = lookup_observation_kind(p.loinc[0]).canonical_unit
        before = [
            o for o in observations if o.loinc in p.loinc and context.day_of(o.observed_at) < p.baseline_before_day
        ]
        if not before:
            return []
        baseline_observation = before[-1]
        baseline = p.to_unit(baseline_observation.value, baseline_observation.unit, unit)
        if baseline <= 0:
            return []
        base_day = context.day_of(baseline_observation.observed_at)

        def ratio(o: MonitoredObservation) -> float:
            return p.to_unit(o.value, o.unit, unit) / baseline

        def describe(o: MonitoredObservation) -> str:
            return RESULT_AGAINST_BASELINE(
                value=f"{o.value:g} {o.unit}",
                ratio=f"{ratio(o):.2f}",
                baseline=f"{baseline_observation.value:g} {baseline_observation.unit}",
                day=f"{base_day:+d}",
                factor=f"{p.factor:g}",
            )

        watched = [(d, o) for d, o in _watched(rule, p, context, observations) if o.id != baseline_observation.id]
        findings = _runs(rule, context, watched, lambda o: ratio(o) >= p.factor, describe, as_of)
        return [f.model_copy(update={"triggering": (baseline_observation.id, *f.triggering)}) for f in findings]


THRESHOLD_ADAPTERS: Final = (ThresholdAdapter(), BaselineRiseAdapter())

# The rule file is read with the engine's parameter classes: the reference reads those very classes.
from engraft.monitoring.threshold_kinds import BaselineRiseParameters, Comparator, ThresholdParameters  # noqa: E402
