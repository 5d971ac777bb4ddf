"""Organ-toxicity signals against a baseline: creatinine doubling, bilirubin rise, weight gain (for SOS/VOD).

These are the single signals the SOS/VOD criteria are built from, evaluated on timestamped readings; they
are not an SOS/VOD diagnosis or grade (which need hepatomegaly, ascites, imaging and clinical judgement).
Each threshold is taken from a named criteria set, read in reproductions (hence ``secondary``):

* Creatinine >= 2x the baseline at transplant: the very severe renal column of the EBMT 2016 adult SOS/VOD
  severity scale (Mohty 2016; clinical-scores-verification.md 4.2, ASH view-large reproduction, confirmed).
* Bilirubin doubling within 48 h: the severe "bilirubin kinetics" row of the same adult scale and of the EBMT
  2018 paediatric severity table (Corbacioglu 2018; clinical-scores.md 9.2 [V]).
* Paediatric only: bilirubin rising from baseline on 3 consecutive days (EBMT 2018 paediatric diagnosis,
  clinical-scores.md 9.2 [V]); the adult criteria have no such item, so it is not evaluated for adults.
* Weight gain above baseline: > 2 % (modified Seattle, McDonald 1993; clinical-scores.md 9.3 [V]); > 5 % (EBMT
  2016 adult diagnosis; clinical-scores-verification.md 4.4, secondary); > 5 % (EBMT 2018 paediatric; 9.2
  [V]); > 5 % (Baltimore, Jones 1987, as the reproduction prints it; the original is believed ">= 5 %", so
  a gain of exactly 5 % is not met, as in :mod:`engraft.grading.sos_vod_diagnosis`). The paediatric set also
  names weight gain on 3 consecutive days.

Units: creatinine and bilirubin in mg/dL or umol/L, converted explicitly with the clinical factors the
criteria were written against (:data:`~engraft.measurements.ConversionBasis.CLINICAL_FACTOR`: bilirubin
17.1, creatinine 88.4 umol/L per mg/dL); weight in kg, g or [lb_av]. Comparisons allow 1e-9 for the float
error of a conversion.

Engraft's readings where the criteria leave room (also in each rule's ``notes``): only readings after the
baseline's moment count; "within 48 h" includes exactly 48 h; "on 3 consecutive days" uses calendar days in
each reading's own time zone, the day's highest value, each day above the baseline and above the day
before. Several readings at one moment, duplicates and arrival order never change a result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Final

from pydantic import Field

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.grading.timed import Reading
from engraft.measurements import Analyte, ConversionBasis, Dimension, require_dimension
from engraft.provenance import Citation, FrozenModel, VerificationLevel
from engraft.vocabulary.events import SosVodCriteria

_EPS: Final = 1e-9
CREATININE_DOUBLING_RATIO: Final = 2.0
BILIRUBIN_DOUBLING_RATIO: Final = 2.0
BILIRUBIN_DOUBLING_WINDOW: Final = dt.timedelta(hours=48)
CONSECUTIVE_RISING_DAYS: Final = 3


class Population(StrEnum):
    ADULT = "adult"
    PAEDIATRIC = "paediatric"


class SignalStatus(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    NO_READINGS = "no readings after the baseline"


class RatioPoint(FrozenModel):
    """One reading and its value relative to the baseline (ratio, or percent gain for weight)."""

    reading: Reading
    relative: float


class BaselineSignal(FrozenModel):
    """One signal against a baseline: status, the first reading that met it, and what it rests on."""

    name: str
    status: SignalStatus
    baseline: Reading
    threshold: str = Field(description="The threshold applied, in words (e.g. '>= 2x baseline').")
    first: tuple[Reading, ...] = Field(description="The reading(s) that first met the signal (empty if none).")
    peak: RatioPoint | None = Field(description="The highest value relative to the baseline.")
    observations: tuple[RatioPoint, ...] = Field(description="Every reading after the baseline, relative to it.")
    rule: GradingRule


def _rule(
    name: str, statement: str, citations: tuple[Citation, ...], level: VerificationLevel, *notes: str
) -> GradingRule:
    return GradingRule(
        name=name, version=name, statement=statement, citations=citations, verification=level, notes=notes
    )


_ORDER_NOTE: Final = "Only readings after the baseline's moment count; order of arrival and duplicates do not matter."

CREATININE_DOUBLING_RULE: Final = _rule(
    "creatinine >= 2x baseline (EBMT 2016 adult SOS/VOD severity, renal)",
    "Serum creatinine at least twice the baseline at transplant.",
    (sources.MOHTY_2016,),
    VerificationLevel.SECONDARY,
    "Read in the ASH view-large reproduction of the EBMT severity scale (very severe renal column).",
    "A signal, not an SOS/VOD grade; mg/dL and umol/L compared with the clinical factor 88.4.",
    _ORDER_NOTE,
)
BILIRUBIN_DOUBLING_RULE: Final = _rule(
    "bilirubin doubling within 48 h (EBMT 2016 adult and 2018 paediatric SOS/VOD severity)",
    "A bilirubin at least twice a bilirubin measured up to 48 h before it.",
    (sources.MOHTY_2016, sources.CORBACIOGLU_2018),
    VerificationLevel.SECONDARY,
    "'Within 48 h' includes exactly 48 h (Engraft's reading).",
    "mg/dL and umol/L compared with the clinical factor 17.1.",
    _ORDER_NOTE,
)
BILIRUBIN_RISING_RULE: Final = _rule(
    "bilirubin rising from baseline on 3 consecutive days (EBMT 2018 paediatric SOS/VOD)",
    "Bilirubin above the baseline and higher than the day before on three consecutive calendar days.",
    (sources.CORBACIOGLU_2018,),
    VerificationLevel.SECONDARY,
    "Calendar days in each reading's time zone, the day's highest value (Engraft's reading).",
    "Paediatric criteria only; not evaluated for adults.",
    _ORDER_NOTE,
)
_WEIGHT_RULES: Final[dict[SosVodCriteria, tuple[float, bool, GradingRule]]] = {
    SosVodCriteria.MODIFIED_SEATTLE: (
        2.0,
        False,
        _rule(
            "weight gain > 2 % (modified Seattle)",
            "Weight more than 2 % above the pre-transplant weight.",
            (sources.MCDONALD_1993,),
            VerificationLevel.SECONDARY,
            "Read in the WJG 2019 Table 2 reproduction.",
            _ORDER_NOTE,
        ),
    ),
    SosVodCriteria.BALTIMORE: (
        5.0,
        False,
        _rule(
            "weight gain > 5 % (Baltimore)",
            "Weight more than 5 % above baseline, as the WJG 2019 reproduction prints it.",
            (sources.JONES_1987,),
            VerificationLevel.SECONDARY,
            "Read in the WJG 2019 Table 2 reproduction (clinical-scores.md 9.3), which prints '> 5 %'; the original "
            "is believed to say '>= 5 %' (unverified): a gain of exactly 5 % is not met here, as in the SOS/VOD "
            "diagnosis rule.",
            _ORDER_NOTE,
        ),
    ),
    SosVodCriteria.EBMT_2016_ADULT: (
        5.0,
        False,
        _rule(
            "weight gain > 5 % (EBMT 2016 adult SOS/VOD diagnosis)",
            "Weight more than 5 % above baseline.",
            (sources.MOHTY_2016,),
            VerificationLevel.SECONDARY,
            "Read in the diagnosis reproductions of clinical-scores-verification.md 4.4.",
            _ORDER_NOTE,
        ),
    ),
    SosVodCriteria.EBMT_2018_PAEDIATRIC: (
        5.0,
        False,
        _rule(
            "weight gain > 5 % above baseline (EBMT 2018 paediatric SOS/VOD)",
            "Weight more than 5 % above baseline; the set also names weight gain on 3 consecutive days.",
            (sources.CORBACIOGLU_2018,),
            VerificationLevel.SECONDARY,
            "'Otherwise unexplained' and 'despite diuretics' are clinical judgements, not evaluated.",
            _ORDER_NOTE,
        ),
    ),
}


def _concentration(analyte: Analyte) -> Callable[[Reading], float]:
    def in_mg_per_dl(reading: Reading) -> float:
        quantity = require_dimension(
            reading.quantity,
            (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION),
            analyte.value,
        )
        return quantity.concentration_in("mg/dL", analyte, ConversionBasis.CLINICAL_FACTOR)

    return in_mg_per_dl


def _weight_kg(reading: Reading) -> float:
    return require_dimension(reading.quantity, Dimension.MASS, "weight").to("kg")


def _after(
    baseline: Reading, readings: Iterable[Reading], value: Callable[[Reading], float]
) -> list[tuple[Reading, float]]:
    value(baseline)
    unique = {r for r in readings if r.at > baseline.at}
    pairs = [(r, value(r)) for r in unique]
    return sorted(pairs, key=lambda p: (p[0].at, p[1], p[0].quantity.unit.value))


def creatinine_doubling(baseline: Reading, readings: Iterable[Reading]) -> BaselineSignal:
    """Creatinine >= 2x ``baseline`` (mg/dL or umol/L)."""
    points = _after(baseline, readings, _concentration(Analyte.CREATININE))
    base = _concentration(Analyte.CREATININE)(baseline)
    ratios = [RatioPoint(reading=r, relative=v / base) for r, v in points]
    first = next((p.reading for p in ratios if p.relative >= CREATININE_DOUBLING_RATIO - _EPS), None)
    return _signal(">= 2x baseline", baseline, ratios, (first,) if first else (), CREATININE_DOUBLING_RULE)


def bilirubin_doubling(baseline: Reading, readings: Iterable[Reading]) -> BaselineSignal:
    """A bilirubin >= 2x a bilirubin measured up to 48 h before it (the baseline included)."""
    value = _concentration(Analyte.BILIRUBIN)
    base = value(baseline)
    points = [(baseline, base), *_after(baseline, readings, value)]
    first: tuple[Reading, ...] = ()
    for i, (later, v) in enumerate(points):
        earlier = [(r, u) for r, u in points[:i] if r.at < later.at and later.at - r.at <= BILIRUBIN_DOUBLING_WINDOW]
        low = min(earlier, key=lambda p: (p[1], p[0].at), default=None)
        if low is not None and v >= BILIRUBIN_DOUBLING_RATIO * low[1] - _EPS:
            first = (low[0], later)
            break
    ratios = [RatioPoint(reading=r, relative=v / base) for r, v in points[1:]]
    return _signal("doubling within 48 h", baseline, ratios, first, BILIRUBIN_DOUBLING_RULE)


def bilirubin_rising_three_days(
    baseline: Reading, readings: Iterable[Reading], population: Population
) -> BaselineSignal | None:
    """Paediatric: bilirubin rising from baseline on 3 consecutive days; ``None`` for adults (no such item)."""
    if population is Population.ADULT:
        return None
    value = _concentration(Analyte.BILIRUBIN)
    points = _after(baseline, readings, value)
    base = value(baseline)
    first = _rising_days(points, base)
    ratios = [RatioPoint(reading=r, relative=v / base) for r, v in points]
    return _signal("rising on 3 consecutive days", baseline, ratios, first, BILIRUBIN_RISING_RULE)


def weight_gain(baseline: Reading, readings: Iterable[Reading], criterion: SosVodCriteria) -> BaselineSignal:
    """Weight gain in percent above ``baseline`` against the weight threshold of the SOS/VOD ``criterion`` set."""
    percent, inclusive, rule = _WEIGHT_RULES[criterion]
    base = _weight_kg(baseline)
    points = _after(baseline, readings, _weight_kg)
    gains = [RatioPoint(reading=r, relative=(v - base) / base * 100.0) for r, v in points]
    first = next((p.reading for p in gains if _exceeds(p.relative, percent, inclusive)), None)
    words = f"{'>=' if inclusive else '>'} {percent:g} % above baseline"
    return _signal(words, baseline, gains, (first,) if first else (), rule)


def _exceeds(value: float, threshold: float, inclusive: bool) -> bool:
    return value >= threshold - _EPS if inclusive else value > threshold + _EPS


def weight_rising_three_days(baseline: Reading, readings: Iterable[Reading]) -> BaselineSignal:
    """Paediatric (EBMT 2018): weight gain on 3 consecutive days (above baseline, each day above the one before)."""
    points = _after(baseline, readings, _weight_kg)
    base = _weight_kg(baseline)
    gains = [RatioPoint(reading=r, relative=(v - base) / base * 100.0) for r, v in points]
    rule = _WEIGHT_RULES[SosVodCriteria.EBMT_2018_PAEDIATRIC][2]
    return _signal("gain on 3 consecutive days", baseline, gains, _rising_days(points, base), rule)


def _rising_days(points: list[tuple[Reading, float]], base: float) -> tuple[Reading, ...]:
    highest: dict[dt.date, tuple[Reading, float]] = {}
    for r, v in points:
        day = r.at.date()
        if day not in highest or v > highest[day][1]:
            highest[day] = (r, v)
    run: list[tuple[dt.date, Reading, float]] = []
    for day in sorted(highest):
        r, v = highest[day]
        if v > base + _EPS and run and day - run[-1][0] == dt.timedelta(days=1) and v > run[-1][2] + _EPS:
            run.append((day, r, v))
        elif v > base + _EPS:
            run = [(day, r, v)]
        else:
            run = []
        if len(run) == CONSECUTIVE_RISING_DAYS:
            return tuple(r for _, r, _ in run)
    return ()


def _signal(
    threshold: str,
    baseline: Reading,
    points: list[RatioPoint],
    first: tuple[Reading, ...],
    rule: GradingRule,
) -> BaselineSignal:
    if not points:
        status = SignalStatus.NO_READINGS
    else:
        status = SignalStatus.MET if first else SignalStatus.NOT_MET
    return BaselineSignal(
        name=rule.name,
        status=status,
        baseline=baseline,
        threshold=threshold,
        first=first,
        peak=max(points, key=lambda p: (p.relative, -p.reading.at.timestamp())) if points else None,
        observations=tuple(points),
        rule=rule,
    )
