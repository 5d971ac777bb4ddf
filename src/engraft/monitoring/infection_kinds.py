"""Febrile neutropenia as a rule kind: :func:`engraft.grading.febrile_neutropenia` (IDSA 2010) on the series.

Each fever onset the grading finds (:func:`engraft.grading.fevers`: one reading >= 38.3 C, or >= 38.0 C
sustained over one hour) is judged with the ANC nearest to it within the rule's window; a neutropenic one is a
finding that stays until a clinician resolves its alert (the fever ending does not clear it). The catalogue's
body temperature (LOINC 8310-5) does not say where it was taken: readings are passed as site ``unknown``, and
the grading's note saying the definition is for oral temperatures is part of the explanation. "ANC expected to
fall below 0.5 within 48 h" is a clinical judgement the series cannot give: it is never assumed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
from pydantic import Field

from engraft.grading import (
    FEBRILE_NEUTROPENIA_RULE,
    AncReading,
    FebrileNeutropeniaStatus,
    GradingRule,
    TemperatureReading,
    febrile_neutropenia,
    fevers,
)
from engraft.grading.counts import COUNT_UNIT
from engraft.grading.febrile_neutropenia import CELSIUS, TemperatureSite, sustained_threshold_celsius
from engraft.measurements import Dimension, lookup_observation_kind
from engraft.monitoring.columns import microseconds
from engraft.monitoring.episode_series import EpisodeSeries, Rows
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleParameters
from engraft.monitoring.series import ANC_CODES, EpisodeContext, MonitoredObservation
from engraft.vocabulary.phrases import Phrase

TEMPERATURE_CODES: Final = ("8310-5",)


class FebrileNeutropeniaParameters(RuleParameters):
    temperature_loinc: tuple[str, ...] = Field(default=TEMPERATURE_CODES, min_length=1)
    anc_loinc: tuple[str, ...] = Field(default=ANC_CODES, min_length=1)
    anc_window_hours: int = Field(default=24, ge=1, le=72, strict=True, description="ANC this near the onset.")


FEBRILE_NEUTROPENIA: Final = Phrase(
    "Fever ({kind}: {temperatures}) from {onset} UTC, day {day}, with ANC {anc} x10^9/L at {anc_at} UTC: "
    "febrile neutropenia ({version})."
)
FEBRILE_NEUTROPENIA_NOTED: Final = Phrase(
    "Fever ({kind}: {temperatures}) from {onset} UTC, day {day}, with ANC {anc} x10^9/L at {anc_at} UTC: "
    "febrile neutropenia ({version}). Note: {notes}."
)


def _check(rule_id: str, codes: tuple[str, ...], dimension: Dimension, what: str) -> None:
    for code in codes:
        kind = lookup_observation_kind(code)
        if kind.dimension is not dimension:
            raise ValueError(
                f"rule {rule_id}: {what} loinc={code!r} ({kind.name}) is a {kind.dimension.value}; "
                f"expected a {dimension.value}"
            )


class FebrileNeutropeniaAdapter:
    kind = RuleKind.FEBRILE_NEUTROPENIA
    parameters = FebrileNeutropeniaParameters
    published: GradingRule | None = FEBRILE_NEUTROPENIA_RULE

    def check(self, rule_id: str, parameters: RuleParameters) -> None:
        assert isinstance(parameters, FebrileNeutropeniaParameters)
        _check(rule_id, parameters.temperature_loinc, Dimension.TEMPERATURE, "temperature")
        _check(rule_id, parameters.anc_loinc, Dimension.NUMBER_CONCENTRATION, "ANC")

    def evaluate(
        self,
        rule: MonitoringRule,
        context: EpisodeContext,
        series: EpisodeSeries,
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, FebrileNeutropeniaParameters)
        temperature_rows = _in_window(rule, series, series.rows_of(p.temperature_loinc))
        anc_codes = tuple(c for c in p.anc_loinc if c not in p.temperature_loinc)
        anc_rows = _in_window(rule, series, series.rows_of(anc_codes))
        series.values_in(anc_rows, COUNT_UNIT)  # every count must be one (UnitError naming the unit otherwise)
        temperatures: dict[TemperatureReading, MonitoredObservation] = {}
        stretches: list[list[TemperatureReading]] = []
        for stretch in _febrile_stretches(series, temperature_rows):
            readings: list[TemperatureReading] = []
            for o in series.observations(stretch):
                reading = TemperatureReading(at=o.observed_at, quantity=o.quantity, site=TemperatureSite.UNKNOWN)
                temperatures.setdefault(reading, o)
                readings.append(reading)
            stretches.append(readings)
        anc_us = series.observed_us[anc_rows]
        window = dt.timedelta(hours=p.anc_window_hours)
        window_us = p.anc_window_hours * 3_600_000_000
        findings = []
        for fever in (f for readings in stretches for f in fevers(readings)):
            # the ANC the grading may choose: those within the window of the onset (it reads no other)
            onset_us = microseconds(fever.onset)
            counts: dict[AncReading, MonitoredObservation] = {}
            for o in series.observations(anc_rows[np.abs(anc_us - onset_us) <= window_us]):
                counts.setdefault(AncReading(at=o.observed_at, quantity=o.quantity), o)
            result = febrile_neutropenia(fever.readings, counts, anc_window=window)
            if result.status is not FebrileNeutropeniaStatus.FEBRILE_NEUTROPENIA or result.anc is None:
                continue
            used = [temperatures[r] for r in fever.readings] + [counts[result.anc]]
            shown = ", ".join(f"{temperatures[r].value:g} {temperatures[r].unit}" for r in fever.readings)
            params = {
                "kind": fever.kind.value,
                "temperatures": shown,
                "onset": f"{fever.onset:%Y-%m-%d %H:%M}",
                "day": f"{context.day_of(fever.onset):+d}",
                "anc": f"{result.anc.count:g}",
                "anc_at": f"{result.anc.at:%Y-%m-%d %H:%M}",
                "version": result.rule.version,
            }
            if result.notes:
                explanation = FEBRILE_NEUTROPENIA_NOTED(**params, notes="; ".join(result.notes))
            else:
                explanation = FEBRILE_NEUTROPENIA(**params)
            findings.append(
                Finding(
                    key="fever-" + fever.onset.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    triggering=tuple(o.id for o in used),
                    detected_at=max(fever.onset, result.anc.at),
                    result_time=max(o.result_time for o in used),
                    explanation=explanation,
                )
            )
        return findings


def _in_window(rule: MonitoringRule, series: EpisodeSeries, rows: Rows) -> Rows:
    days = series.day[rows]
    return rows[(days >= rule.applies.day_from) & (days <= rule.applies.day_to)]


def _febrile_stretches(series: EpisodeSeries, rows: Rows) -> list[Rows]:
    """The temperatures :func:`fevers` may find a fever in: each stretch of consecutive readings (in its order:
    time, Celsius value, unit) at or above the sustained threshold; a reading below it ends every run."""
    if not len(rows):
        return []
    celsius = series.values_in(rows, CELSIUS)
    order = np.lexsort((series.unit_rank[rows], celsius, series.observed_us[rows]))
    febrile = celsius[order] >= sustained_threshold_celsius()
    if not febrile.any():
        return []
    edges = np.diff(np.concatenate(([0], febrile.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [rows[order[a:b]] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


INFECTION_ADAPTERS: Final = (FebrileNeutropeniaAdapter(),)
