"""CMV and EBV DNAemia against a centre's thresholds: first detection, threshold crossing, log10 rise.

There is no universal threshold: the EBMT Handbook (chapter 38, Ljungman et al. 2024) gives no CMV DNA level
at which to start pre-emptive therapy, because it depends on patient factors, the material monitored (plasma
or whole blood) and the assay; clinical-scores.md 10.3 reports a 2024 systematic review finding 2-3 log10
IU/mL thresholds similar ([V]). So every number here is the centre's: :class:`CentreViralThresholds` names
the virus, the specimen, the threshold (with its UCUM unit) and, optionally, the log10 rise the centre treats
as significant, with the centre document it comes from.

Units are never mixed. International units ([IU]/mL, [IU]/L) and copies ({copies}/mL, or
[log_10]{copies}/mL, converted by its definition copies = 10^value) measure different things: the factor
between them depends on the assay. A series or a threshold that mixes them is refused with
:class:`~engraft.measurements.UnitError`, and so is a series that mixes viruses or specimens.

Definitions used (arithmetic, Engraft's wording; each also in the rule's ``notes``):

* First detection: the first result reported as detected (quantified or below the quantification limit).
* Threshold crossing: the first quantified load at or above the centre threshold (``inclusive``), or above
  it when the centre's threshold is exclusive.
* Log10 rise: log10(load) minus log10(previous quantified load); the largest is reported, and the first that
  reaches the centre's significant rise when one is given. Results at the same moment count once, as the
  highest of them; exact duplicates and arrival order never change a result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from enum import StrEnum
from itertools import pairwise
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.grading.timed import require_aware
from engraft.measurements import Dimension, Quantity, UnitError, convert, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel

_IU: Final = Dimension.ARBITRARY_CONCENTRATION
_COPIES: Final = Dimension.COPY_CONCENTRATION
_LOG_COPIES: Final = Dimension.LOG_COPY_CONCENTRATION
_CANONICAL: Final = {_IU: "[IU]/mL", _COPIES: "{copies}/mL", _LOG_COPIES: "{copies}/mL"}


class Virus(StrEnum):
    CMV = "CMV"
    EBV = "EBV"


class Specimen(StrEnum):
    PLASMA = "plasma"
    WHOLE_BLOOD = "whole blood"


class Detection(StrEnum):
    NOT_DETECTED = "not detected"
    DETECTED_NOT_QUANTIFIABLE = "detected, below the quantification limit"
    QUANTIFIED = "quantified"


class ViralLoadMeasurement(FrozenModel):
    """One viral DNA PCR result: virus, specimen, moment, detection and (when quantified) the load with its unit."""

    at: dt.datetime
    virus: Virus
    specimen: Specimen
    detection: Detection
    load: Quantity | None = Field(default=None, description="Required when quantified; in IU or copies per volume.")
    assay: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, at: dt.datetime) -> dt.datetime:
        return require_aware(at, "at")

    @field_validator("load")
    @classmethod
    def _viral_unit(cls, load: Quantity | None) -> Quantity | None:
        if load is None:
            return None
        require_dimension(load, (_IU, _COPIES, _LOG_COPIES), "load")
        if load.dimension is not _LOG_COPIES and load.value <= 0:
            raise ValueError(f"load={load}: a quantified load must be above 0")
        return load

    @model_validator(mode="after")
    def _load_when_quantified(self) -> ViralLoadMeasurement:
        if (self.detection is Detection.QUANTIFIED) != (self.load is not None):
            raise ValueError(
                f"detection={self.detection.value!r} with load={self.load}: expected a load exactly when quantified"
            )
        return self

    @property
    def detected(self) -> bool:
        return self.detection is not Detection.NOT_DETECTED


class CentreViralThresholds(FrozenModel):
    """A centre's threshold for one virus and specimen, with the document it comes from."""

    virus: Virus
    specimen: Specimen
    threshold: Quantity
    inclusive: bool = Field(default=True, description="True: a load equal to the threshold crosses it.")
    significant_log10_rise: float | None = Field(default=None, gt=0)
    source: str = Field(min_length=1, description="The centre's protocol and version the numbers come from.")

    @field_validator("threshold")
    @classmethod
    def _viral_unit(cls, threshold: Quantity) -> Quantity:
        return require_dimension(threshold, (_IU, _COPIES, _LOG_COPIES), "threshold")


class LogRise(FrozenModel):
    """A rise between two consecutive quantified loads."""

    earlier: ViralLoadMeasurement
    later: ViralLoadMeasurement
    log10_rise: float


class DnaemiaResult(FrozenModel):
    virus: Virus
    specimen: Specimen
    unit: str = Field(description="The unit loads were compared in ([IU]/mL or {copies}/mL).")
    first_detection: ViralLoadMeasurement | None
    threshold_crossing: ViralLoadMeasurement | None
    largest_rise: LogRise | None
    significant_rise: LogRise | None = Field(description="The first rise reaching the centre's significant rise.")
    latest: ViralLoadMeasurement | None
    observations: tuple[ViralLoadMeasurement, ...] = Field(description="The results used, in canonical order.")
    thresholds: CentreViralThresholds
    rule: GradingRule


DNAEMIA_RULE: Final = GradingRule(
    name="CMV/EBV DNAemia against centre thresholds",
    version="centre thresholds (EBMT Handbook 2024, chapter 38: no universal level)",
    statement=(
        "First detected result, first quantified load reaching the centre's threshold, and log10 rises between "
        "consecutive quantified loads, never comparing IU with copies."
    ),
    citations=(sources.LJUNGMAN_2024,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "The threshold and the significant log10 rise are the centre's inputs, not published values.",
        "First detection, threshold crossing and log10 rise are Engraft's arithmetic definitions.",
        "Results at one moment count once, as the highest; the same result twice counts once.",
    ),
)


def assess_dnaemia(measurements: Iterable[ViralLoadMeasurement], thresholds: CentreViralThresholds) -> DnaemiaResult:
    """DNAemia events of one virus and specimen against ``thresholds`` (see the module docstring)."""
    results = sorted(set(measurements), key=_order)
    for m in results:
        if (m.virus, m.specimen) != (thresholds.virus, thresholds.specimen):
            raise ValueError(
                f"measurement at {m.at.isoformat()} is {m.virus.value} in {m.specimen.value}; expected "
                f"{thresholds.virus.value} in {thresholds.specimen.value} as the thresholds"
            )
    unit = _common_unit([thresholds.threshold, *(m.load for m in results if m.load is not None)])
    limit = _in(thresholds.threshold, unit)
    quantified = _highest_per_moment([m for m in results if m.load is not None])

    def crosses(m: ViralLoadMeasurement) -> bool:
        load = _in(m.load, unit) if m.load is not None else 0.0
        return load >= limit if thresholds.inclusive else load > limit

    rises = [LogRise(earlier=a, later=b, log10_rise=_log10(b, unit) - _log10(a, unit)) for a, b in pairwise(quantified)]
    significant = None
    if thresholds.significant_log10_rise is not None:
        wanted = thresholds.significant_log10_rise - 1e-9
        significant = next((r for r in rises if r.log10_rise >= wanted), None)
    positive = [r for r in rises if r.log10_rise > 0]
    return DnaemiaResult(
        virus=thresholds.virus,
        specimen=thresholds.specimen,
        unit=unit,
        first_detection=next((m for m in results if m.detected), None),
        threshold_crossing=next((m for m in quantified if crosses(m)), None),
        largest_rise=max(positive, key=lambda r: (r.log10_rise, -r.later.at.timestamp())) if positive else None,
        significant_rise=significant,
        latest=results[-1] if results else None,
        observations=tuple(results),
        thresholds=thresholds,
        rule=DNAEMIA_RULE,
    )


def _order(m: ViralLoadMeasurement) -> tuple[dt.datetime, int, float, str, str]:
    rank = list(Detection).index(m.detection)
    value = m.load.value if m.load is not None else -math.inf
    unit = m.load.unit.value if m.load is not None else ""
    return (m.at, rank, value, unit, m.assay or "")


def _common_unit(loads: list[Quantity]) -> str:
    kinds = {_CANONICAL[q.dimension] for q in loads}
    if len(kinds) > 1:
        shown = ", ".join(sorted({q.unit.value for q in loads}))
        raise UnitError(
            f"viral loads in international units and in copies cannot be compared ({shown}): the factor between "
            "them depends on the assay; expected one kind of unit for the series and the centre threshold"
        )
    return kinds.pop()


def _in(load: Quantity, unit: str) -> float:
    if load.dimension is _LOG_COPIES:
        return float(10.0**load.value)
    return convert(load.value, load.unit, unit)


def _log10(m: ViralLoadMeasurement, unit: str) -> float:
    return math.log10(_in(_load(m), unit))


def _load(m: ViralLoadMeasurement) -> Quantity:
    if m.load is None:
        raise ValueError(f"measurement at {m.at.isoformat()} has no load; expected a quantified result")
    return m.load


def _highest_per_moment(quantified: list[ViralLoadMeasurement]) -> list[ViralLoadMeasurement]:
    by_moment: dict[dt.datetime, ViralLoadMeasurement] = {}
    for m in quantified:
        best = by_moment.get(m.at)
        if best is None or _raw(m) > _raw(best):
            by_moment[m.at] = m
    return [by_moment[at] for at in sorted(by_moment)]


def _raw(m: ViralLoadMeasurement) -> float:
    load = _load(m)
    return _in(load, _CANONICAL[load.dimension])
