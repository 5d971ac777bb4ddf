"""Febrile neutropenia (IDSA 2010, Freifeld et al. 2011) from timestamped temperatures and neutrophil counts.

Definition, as reproduced (clinical-scores.md section 10.2 [S]; the guideline text itself was not read, hence
``secondary``): fever is a single oral temperature >= 38.3 C (101 F), or >= 38.0 C (100.4 F) sustained over
one hour; neutropenia is an ANC < 0.5 x10^9/L (500/mm3), or an ANC expected to fall below 0.5 within 48 h.

Temperatures carry their UCUM unit (``Cel`` or ``[degF]``) and are compared in Celsius after the units
module's exact conversion (C = (F - 32) x 5/9; 101 F = 38.33 C, 100.4 F = 38.0 C). A comparison allows
1e-9 C for the rounding of that conversion, so 100.4 F is exactly at 38.0 C.

How Engraft reads what the definition leaves open (each also in the rule's ``notes``):

* "Sustained over one hour": two or more readings in a row (time order) at or above the sustained
  threshold, the first and the last at least one hour apart, with no reading below it in between and no
  two consecutive readings more than ``max_gap`` apart (default 2 h: a gap longer than that does not show a
  sustained temperature). The fever starts when the hour is complete.
* The ANC that decides neutropenia is the one drawn nearest in time to the fever onset, within
  ``anc_window`` before or after it (default 24 h); of equally near ones the lowest counts.
* "Expected to fall below 0.5 within 48 h" is a clinical judgement: it is an input, never predicted.
* The definition is for oral temperatures; a reading taken elsewhere is used but named in the notes.
  Paediatric and axillary thresholds differ by region and are not verified: a centre passes its own
  :class:`FeverCriteria`.
* Readings are put in one canonical order (time, then value), so arrival order and duplicates never change
  the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.grading.timed import Reading
from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel

CELSIUS: Final = "Cel"
_TOLERANCE_C: Final = 1e-9
NEUTROPENIA_ANC_BELOW: Final = 0.5
"""x10^9/L; an ANC of exactly 0.5 is not neutropenic."""


class TemperatureSite(StrEnum):
    ORAL = "oral"
    AXILLARY = "axillary"
    TYMPANIC = "tympanic"
    RECTAL = "rectal"
    CORE = "core"
    UNKNOWN = "unknown"


class TemperatureReading(Reading):
    """A body temperature (``Cel`` or ``[degF]``) at a moment, with the site it was taken at."""

    site: TemperatureSite = TemperatureSite.ORAL

    @field_validator("quantity")
    @classmethod
    def _temperature(cls, quantity: Quantity) -> Quantity:
        return require_dimension(quantity, Dimension.TEMPERATURE, "temperature")

    @property
    def celsius(self) -> float:
        return self.quantity.to(CELSIUS)


class AncReading(Reading):
    """An absolute neutrophil count at a moment (10*9/L, 10*3/uL, /uL or /mm3)."""

    @field_validator("quantity")
    @classmethod
    def _count(cls, quantity: Quantity) -> Quantity:
        return require_dimension(quantity, Dimension.NUMBER_CONCENTRATION, "anc")

    @property
    def count(self) -> float:
        """The ANC in 10^9/L."""
        return self.quantity.to("10*9/L")


class FeverCriteria(FrozenModel):
    """The temperatures and duration that define fever; :data:`IDSA_2010_FEVER` unless a centre sets its own."""

    name: str
    single: Quantity = Field(description="One reading at or above this is fever.")
    sustained: Quantity = Field(description="Readings at or above this for ``sustained_for`` are fever.")
    sustained_for: dt.timedelta = dt.timedelta(hours=1)
    max_gap: dt.timedelta = Field(
        default=dt.timedelta(hours=2), description="Longest gap between two readings of a sustained run."
    )

    @field_validator("single", "sustained")
    @classmethod
    def _temperature(cls, quantity: Quantity) -> Quantity:
        return require_dimension(quantity, Dimension.TEMPERATURE, "fever threshold")


IDSA_2010_FEVER: Final = FeverCriteria(
    name="IDSA 2010",
    single=Quantity(value=38.3, unit=CELSIUS),
    sustained=Quantity(value=38.0, unit=CELSIUS),
)


class FeverKind(StrEnum):
    SINGLE = "single reading"
    SUSTAINED = "sustained over the period"


class Fever(FrozenModel):
    """The first moment the fever criteria were met, and the readings that met them."""

    kind: FeverKind
    onset: dt.datetime
    readings: tuple[TemperatureReading, ...]


class FebrileNeutropeniaStatus(StrEnum):
    FEBRILE_NEUTROPENIA = "febrile neutropenia"
    FEVER_WITHOUT_NEUTROPENIA = "fever without neutropenia"
    FEVER_ANC_UNKNOWN = "fever, no ANC near it"
    NO_FEVER = "no fever"


class FebrileNeutropeniaResult(FrozenModel):
    status: FebrileNeutropeniaStatus
    fever: Fever | None = Field(description="The fever that decides the status (the first with neutropenia).")
    anc: AncReading | None = Field(description="The ANC that decided neutropenia for that fever.")
    expected_to_fall: bool = Field(description="Input: ANC expected to fall below 0.5 within 48 h.")
    fevers: tuple[Fever, ...] = Field(description="Every fever onset found, in time order.")
    criteria: FeverCriteria
    rule: GradingRule
    notes: tuple[str, ...] = ()


FEBRILE_NEUTROPENIA_RULE: Final = GradingRule(
    name="febrile neutropenia",
    version="IDSA 2010 (Freifeld 2011)",
    statement=(
        "A single oral temperature >= 38.3 C (101 F), or >= 38.0 C (100.4 F) sustained over one hour, with an ANC "
        "< 0.5 x10^9/L or an ANC expected to fall below 0.5 x10^9/L within 48 h."
    ),
    citations=(sources.FREIFELD_2011,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read in reproductions only (clinical-scores.md 10.2 [S], Johns Hopkins ABX Guide, UpToDate); the guideline "
        "text was not read.",
        "Sustained: consecutive readings at or above 38.0 C spanning >= 1 h, none below in between, no gap > 2 h "
        "(Engraft's reading; the gap limit is Engraft's choice).",
        "The ANC nearest in time to the fever onset within 24 h counts (Engraft's choice).",
        "'Expected to fall below 0.5 within 48 h' is an input (a clinical judgement), never predicted.",
    ),
)


def sustained_threshold_celsius(criteria: FeverCriteria = IDSA_2010_FEVER) -> float:
    """The lowest Celsius value :func:`fevers` reads as febrile (the sustained threshold, less the tolerance).

    A reading below it ends any fever and any sustained run: :func:`fevers` over the readings in their
    canonical order is the fevers of each stretch of consecutive readings at or above it, so a caller holding
    many readings may pass only those stretches, one call each.
    """
    return criteria.sustained.to(CELSIUS) - _TOLERANCE_C


def fevers(temperatures: Iterable[TemperatureReading], criteria: FeverCriteria = IDSA_2010_FEVER) -> tuple[Fever, ...]:
    """Every fever onset in ``temperatures``.

    A fever lasts until a reading below the sustained threshold; a gap longer than ``max_gap`` restarts the
    count of a sustained run but does not by itself end a fever. Readings are taken in the canonical order
    (time, Celsius value, site, unit).
    """
    ordered = sorted(set(temperatures), key=lambda r: (r.at, r.celsius, r.site.value, r.quantity.unit.value))
    single = criteria.single.to(CELSIUS) - _TOLERANCE_C
    sustained = sustained_threshold_celsius(criteria)
    found: list[Fever] = []
    run: list[TemperatureReading] = []
    in_fever = False
    for r in ordered:
        if r.celsius < sustained:
            run, in_fever = [], False
            continue
        if run and r.at - run[-1].at > criteria.max_gap:
            run = []
        run.append(r)
        if in_fever:
            continue
        if r.celsius >= single:
            found.append(Fever(kind=FeverKind.SINGLE, onset=r.at, readings=(r,)))
            in_fever = True
        elif r.at - run[0].at >= criteria.sustained_for:
            found.append(Fever(kind=FeverKind.SUSTAINED, onset=r.at, readings=tuple(run)))
            in_fever = True
    return tuple(found)


def febrile_neutropenia(
    temperatures: Iterable[TemperatureReading],
    anc: Iterable[AncReading],
    *,
    expected_to_fall: bool = False,
    criteria: FeverCriteria = IDSA_2010_FEVER,
    anc_window: dt.timedelta = dt.timedelta(hours=24),
) -> FebrileNeutropeniaResult:
    """Febrile neutropenia from the readings (see the module docstring for the reading of the definition)."""
    found = fevers(temperatures, criteria)
    counts = sorted(set(anc), key=lambda a: (a.at, a.count, a.quantity.unit.value))
    decided: tuple[Fever | None, AncReading | None, FebrileNeutropeniaStatus] = (
        None,
        None,
        FebrileNeutropeniaStatus.NO_FEVER,
    )
    for fever in found:
        nearest = _nearest(counts, fever.onset, anc_window)
        neutropenic = (nearest is not None and nearest.count < NEUTROPENIA_ANC_BELOW) or expected_to_fall
        if neutropenic:
            decided = (fever, nearest, FebrileNeutropeniaStatus.FEBRILE_NEUTROPENIA)
            break
        if decided[0] is None:
            status = (
                FebrileNeutropeniaStatus.FEVER_ANC_UNKNOWN
                if nearest is None
                else FebrileNeutropeniaStatus.FEVER_WITHOUT_NEUTROPENIA
            )
            decided = (fever, nearest, status)
    chosen, count, status = decided
    return FebrileNeutropeniaResult(
        status=status,
        fever=chosen,
        anc=count,
        expected_to_fall=expected_to_fall,
        fevers=found,
        criteria=criteria,
        rule=FEBRILE_NEUTROPENIA_RULE,
        notes=_notes(chosen, count, expected_to_fall, criteria),
    )


def _nearest(counts: list[AncReading], at: dt.datetime, window: dt.timedelta) -> AncReading | None:
    near = [a for a in counts if abs(a.at - at) <= window]
    return min(near, key=lambda a: (abs(a.at - at), a.count, a.at)) if near else None


def _notes(
    fever: Fever | None, count: AncReading | None, expected_to_fall: bool, criteria: FeverCriteria
) -> tuple[str, ...]:
    notes = []
    if criteria != IDSA_2010_FEVER:
        notes.append(f"fever criteria: {criteria.name} (not the IDSA 2010 thresholds)")
    if fever is not None:
        sites = sorted({r.site.value for r in fever.readings if r.site is not TemperatureSite.ORAL})
        if sites:
            notes.append(f"temperature taken at a non-oral site ({', '.join(sites)}): the IDSA definition is oral")
    if expected_to_fall and (count is None or count.count >= NEUTROPENIA_ANC_BELOW):
        notes.append("neutropenia rests on the input that the ANC is expected to fall below 0.5 within 48 h")
    return tuple(notes)
