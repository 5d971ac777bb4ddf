"""CMV/EBV DNAemia as a rule kind: :func:`engraft.grading.viral_load.assess_dnaemia` against a centre threshold.

The threshold is the centre's (the EBMT Handbook, chapter 38, gives no universal level), so rules of this kind
are centre rules. The rule names the virus, the specimen, the LOINC codes it reads, the threshold with its UCUM
unit ([IU]/mL or {copies}/mL) and optionally the centre's significant log10 rise.

Units are never mixed: when the rule file is read, every code the rule lists must report in the rule's kind of
unit (international units or copies); a rule in [IU]/mL that lists a copies code (or the reverse) is refused
with the rule, code and units named. At evaluation a result whose unit is of the other kind (a code a centre
file maps differently) is never compared: it is left out and the explanation says how many were.

A stored value of 0 is read as "not detected" (a quantified load must be above 0); the registry stores no
"detected, below the quantification limit" flag, so that state is never produced here. One alert per
occurrence: from the first load at or above the threshold (the grading's threshold crossing) until the first
later result below it, which clears the alert; a later crossing is a new occurrence.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
from pydantic import Field

from engraft.grading import GradingRule
from engraft.grading.viral_load import (
    CentreViralThresholds,
    Detection,
    DnaemiaResult,
    Specimen,
    ViralLoadMeasurement,
    Virus,
    assess_dnaemia,
)
from engraft.measurements import Dimension, Quantity, Ucum, UnitError, lookup_observation_kind
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import EpisodeContext, MonitoredObservation

_VIRAL: Final = (Dimension.ARBITRARY_CONCENTRATION, Dimension.COPY_CONCENTRATION)


class DnaemiaParameters(RuleParameters):
    virus: Virus
    specimen: Specimen
    loinc: tuple[str, ...] = Field(min_length=1)
    threshold: float = Field(gt=0)
    unit: Ucum
    inclusive: bool = True
    significant_log10_rise: float | None = Field(default=None, gt=0)

    def threshold_quantity(self) -> Quantity:
        return Quantity(value=self.threshold, unit=self.unit)


def _dimension(unit: str) -> Dimension:
    return Quantity(value=1.0, unit=unit).dimension


class DnaemiaAdapter:
    kind = RuleKind.DNAEMIA
    parameters = DnaemiaParameters
    published: GradingRule | None = None
    """The threshold is the centre's: a centre rule (the grading's arithmetic is named in each explanation)."""

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, DnaemiaParameters)
        wanted = _dimension(parameters.unit)
        if wanted not in _VIRAL:
            raise ValueError(
                f"rule {rule_id}: unit={parameters.unit.value!r} is a {wanted.value}; expected [IU]/mL or {{copies}}/mL"
            )
        for code in parameters.loinc:
            kind = lookup_observation_kind(code)
            if kind.dimension is not wanted:
                raise ValueError(
                    f"rule {rule_id}: loinc={code!r} ({kind.name}) reports in {kind.canonical_unit.value}; expected "
                    f"{parameters.unit.value} like the threshold (international units and copies are never compared)"
                )

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, DnaemiaParameters)
        if _cannot_cross(series, p):
            return []  # no threshold crossing: the grading would find no occurrence, so no result is typed
        observations = series.typed(p.loinc)
        thresholds = CentreViralThresholds(
            virus=p.virus,
            specimen=p.specimen,
            threshold=p.threshold_quantity(),
            inclusive=p.inclusive,
            significant_log10_rise=p.significant_log10_rise,
            source=rule.source.reference,
        )
        wanted = _dimension(p.unit)
        readings: list[tuple[ViralLoadMeasurement, MonitoredObservation]] = []
        refused = 0
        for o in observations:
            if o.loinc not in p.loinc or not rule.applies.covers_day(context.day_of(o.observed_at)):
                continue
            try:
                same_kind = _dimension(o.unit) is wanted
            except UnitError:
                same_kind = False
            if not same_kind:
                refused += 1
                continue
            readings.append((_measurement(o, p), o))
        return _occurrences(rule, context, thresholds, readings, refused)


_MARGIN: Final = 1e-9
"""Relative margin below the threshold: a value this near it goes to the grading (its unit arithmetic)."""


def _cannot_cross(series: EpisodeSeries, p: DnaemiaParameters) -> bool:
    """Whether no result of the rule's codes can cross the threshold: every result is in the threshold's own unit
    and below it by more than the margin (converting both to the grading's common unit keeps that order). A result
    in any other unit sends the episode to the grading."""
    rows = series.rows_of(p.loinc)
    if not len(rows):
        return True
    units = np.unique(series.unit[rows])
    if len(units) != 1 or series.columns.units[int(units[0])] != p.unit.value:
        return False
    return bool(series.value[rows].max() < p.threshold * (1 - _MARGIN))


def _measurement(o: MonitoredObservation, p: DnaemiaParameters) -> ViralLoadMeasurement:
    if o.value <= 0:
        return ViralLoadMeasurement(
            at=o.observed_at, virus=p.virus, specimen=p.specimen, detection=Detection.NOT_DETECTED
        )
    return ViralLoadMeasurement(
        at=o.observed_at,
        virus=p.virus,
        specimen=p.specimen,
        detection=Detection.QUANTIFIED,
        load=Quantity(value=o.value, unit=o.unit),
    )


def _crosses(m: ViralLoadMeasurement, thresholds: CentreViralThresholds) -> bool:
    return assess_dnaemia([m], thresholds).threshold_crossing is not None


def _occurrences(
    rule: MonitoringRule,
    context: EpisodeContext,
    thresholds: CentreViralThresholds,
    readings: list[tuple[ViralLoadMeasurement, MonitoredObservation]],
    refused: int,
) -> list[Finding]:
    findings: list[Finding] = []
    remaining = readings
    while remaining:
        result = assess_dnaemia([m for m, _ in remaining], thresholds)
        crossing = result.threshold_crossing
        if crossing is None:
            break
        start = next(i for i, (m, _) in enumerate(remaining) if m == crossing)
        end = next(
            (
                i
                for i in range(start + 1, len(remaining))
                if remaining[i][0].at > crossing.at and not _crosses(remaining[i][0], thresholds)
            ),
            None,
        )
        run = remaining[start:] if end is None else remaining[start : end + 1]
        findings.append(_finding(rule, context, result, run, end is not None, refused))
        if end is None:
            break
        remaining = remaining[end + 1 :]
    return findings


def _finding(
    rule: MonitoringRule,
    context: EpisodeContext,
    result: DnaemiaResult,
    run: list[tuple[ViralLoadMeasurement, MonitoredObservation]],
    cleared: bool,
    refused: int,
) -> Finding:
    t = result.thresholds
    first = run[0][1]
    relation = ">=" if t.inclusive else ">"
    text = (
        f"{t.virus.value} DNAemia in {t.specimen.value}: {first.value:g} {first.unit} on day "
        f"{context.day_of(first.observed_at):+d}, {relation} the centre threshold {t.threshold.value:g} "
        f"{t.threshold.unit.value} ({result.rule.name})"
    )
    if result.significant_rise is not None:
        rise = result.significant_rise
        text += f"; a log10 rise of {rise.log10_rise:.2f} by {rise.later.at:%Y-%m-%d %H:%M} UTC"
    cleared_at = None
    if cleared:
        last = run[-1][1]
        cleared_at = last.observed_at
        shown = "not detected" if last.value <= 0 else f"{last.value:g} {last.unit}"
        text += f"; cleared: {shown} on day {context.day_of(last.observed_at):+d}"
    if refused:
        text += f"; {refused} result(s) in the other kind of unit left out (IU and copies are never compared)"
    return Finding(
        key="from-" + first.observed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        triggering=tuple(o.id for _, o in run[:20]),
        detected_at=first.observed_at,
        result_time=first.result_time,
        cleared_at=cleared_at,
        explanation=f"{text} ({rule.source.reference}).",
    )


VIRAL_LOAD_ADAPTERS: Final = (DnaemiaAdapter(),)
