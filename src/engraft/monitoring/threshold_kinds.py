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
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from engraft.grading import GradingRule
from engraft.measurements import (
    Analyte,
    Conversion,
    ConversionBasis,
    Ucum,
    UnitError,
    conversion,
    convert,
    convert_concentration,
    lookup_observation_kind,
)
from engraft.monitoring.episode_series import EpisodeSeries, Rows
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


def _watched(rule: MonitoringRule, parameters: _Measured, series: EpisodeSeries) -> Rows:
    """Positions of the rule's codes inside its day window, in series order."""
    rows = series.rows_of(parameters.loinc)
    days = series.day[rows]
    return rows[(days >= rule.applies.day_from) & (days <= rule.applies.day_to)]


def _runs(
    rule: MonitoringRule,
    series: EpisodeSeries,
    watched: Rows,
    meets: npt.NDArray[np.bool_],
    describe: Callable[[MonitoredObservation], str],
    as_of: dt.datetime,
) -> list[Finding]:
    """One finding per run of consecutive results (``watched``) meeting the condition (``meets``)."""
    if not meets.any():
        return []
    edges = np.diff(np.concatenate(([0], meets.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    context = series.context
    findings: list[Finding] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        run = watched[start:end]
        first = series.observation(int(run[0]))
        ids = series.id[run[: MAX_TRIGGERING - 1]].tolist()
        kept = ids + ([int(series.id[run[-1]])] if len(run) >= MAX_TRIGGERING else [])
        why: dict[str, str] = {}
        cleared_at: dt.datetime | None = None
        if end < len(watched):
            clearing = series.observation(int(watched[end]))
            cleared_at = clearing.observed_at
            why = {"cleared": describe(clearing), "cleared_day": f"{int(series.day[watched[end]]):+d}"}
        else:
            window_end = context.start_of_day(rule.applies.day_to + 1)
            if as_of >= window_end:
                cleared_at = window_end
                why = {"last_watched": f"{rule.applies.day_to:+d}"}
        first_day = int(series.day[run[0]])
        params = {"result": describe(first), "day": f"{first_day:+d}", "reference": rule.source.reference, **why}
        if len(run) > 1:
            last = series.observation(int(run[-1]))
            last_day = int(series.day[run[-1]])
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
    return findings


@lru_cache(maxsize=1024)
def _conversion(unit: str, target: str, analyte: Analyte | None, basis: ConversionBasis | None) -> Conversion:
    """What :meth:`_Measured.to_unit` does, for arrays: the plain conversion, else across mass and substance."""
    try:
        return conversion(unit, target)
    except UnitError:
        if analyte is None or basis is None:
            raise
        return conversion(unit, target, analyte, basis)


def _values(series: EpisodeSeries, rows: Rows, p: _Measured, target: str) -> npt.NDArray[np.float64]:
    return series.converted(rows, lambda unit: _conversion(unit, target, p.analyte, p.basis))


_ARRAY_COMPARE: Final = {
    Comparator.BELOW: np.less,
    Comparator.AT_OR_BELOW: np.less_equal,
    Comparator.AT_OR_ABOVE: np.greater_equal,
    Comparator.ABOVE: np.greater,
}


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
        series: EpisodeSeries,
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

        watched = _watched(rule, p, series)
        meets = _ARRAY_COMPARE[p.comparator](_values(series, watched, p, p.unit), p.value)
        return _runs(rule, series, watched, meets, describe, as_of)


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
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, BaselineRiseParameters)
        unit = lookup_observation_kind(p.loinc[0]).canonical_unit
        rows = series.rows_of(p.loinc)
        before = rows[series.day[rows] < p.baseline_before_day]
        if not len(before):
            return []
        baseline_observation = series.observation(int(before[-1]))
        baseline = p.to_unit(baseline_observation.value, baseline_observation.unit, unit)
        if baseline <= 0:
            return []
        base_day = int(series.day[before[-1]])

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

        watched = _watched(rule, p, series)
        watched = watched[series.id[watched] != baseline_observation.id]
        meets = _values(series, watched, p, unit) / baseline >= p.factor
        findings = _runs(rule, series, watched, meets, describe, as_of)
        return [f.model_copy(update={"triggering": (baseline_observation.id, *f.triggering)}) for f in findings]


THRESHOLD_ADAPTERS: Final = (ThresholdAdapter(), BaselineRiseAdapter())
