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
from engraft.grading.febrile_neutropenia import TemperatureSite
from engraft.measurements import Dimension, Quantity, lookup_observation_kind
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
        observations: tuple[MonitoredObservation, ...],
        as_of: dt.datetime,
    ) -> list[Finding]:
        p = rule.parameters
        assert isinstance(p, FebrileNeutropeniaParameters)
        temperatures: dict[TemperatureReading, MonitoredObservation] = {}
        counts: dict[AncReading, MonitoredObservation] = {}
        for o in observations:
            if not rule.applies.covers_day(context.day_of(o.observed_at)):
                continue
            quantity = Quantity(value=o.value, unit=o.unit)
            if o.loinc in p.temperature_loinc:
                reading = TemperatureReading(at=o.observed_at, quantity=quantity, site=TemperatureSite.UNKNOWN)
                temperatures.setdefault(reading, o)
            elif o.loinc in p.anc_loinc:
                counts.setdefault(AncReading(at=o.observed_at, quantity=quantity), o)
        window = dt.timedelta(hours=p.anc_window_hours)
        findings = []
        for fever in fevers(temperatures):
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


INFECTION_ADAPTERS: Final = (FebrileNeutropeniaAdapter(),)

# The rule file is read with the engine's parameter classes: the reference reads those very classes.
from engraft.monitoring.infection_kinds import FebrileNeutropeniaParameters  # noqa: E402
