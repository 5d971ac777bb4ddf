"""The findings the SOS/VOD criteria read, with explicit units, and the check of one criterion.

Bilirubin carries its UCUM unit: a mass concentration (``mg/dL``, ``mg/L``, ...) is compared with the
criterion's mg/dL threshold, a substance concentration (``umol/L``, ...) with its umol/L threshold. Where
the source prints a umol/L value (modified Seattle 34.2, EBMT 2016 34 umol/L) that value is used;
otherwise the mg/dL threshold is converted with the clinical factor 17.1 (:data:`CLINICAL_FACTORS
<engraft.measurements.CLINICAL_FACTORS>`), which the check names. Weight gain is a percentage above a
baseline weight, computed from two weights with units (:meth:`WeightGain.from_weights`) or given.

A finding left ``None`` was not assessed: it is not the same as absent, and results name it.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.measurements import (
    CLINICAL_FACTORS,
    Analyte,
    Dimension,
    Quantity,
    require_dimension,
)
from engraft.provenance import FrozenModel

_DECIMALS: Final = 6
"""Converted values are compared after rounding to this many decimals (5% of 80 kg is exactly 84 kg)."""
BILIRUBIN_FACTOR: Final = CLINICAL_FACTORS[Analyte.BILIRUBIN].umol_per_l_per_mg_per_dl


class SosVodSign(StrEnum):
    """A sign or finding one of the SOS/VOD criteria counts."""

    BILIRUBIN = "bilirubin"
    HEPATOMEGALY = "hepatomegaly"
    PAINFUL_HEPATOMEGALY = "painful hepatomegaly"
    HEPATOMEGALY_OR_RUQ_PAIN = "hepatomegaly or right upper quadrant pain"
    WEIGHT_GAIN = "weight gain"
    ASCITES = "ascites"
    REFRACTORY_THROMBOCYTOPENIA = "refractory thrombocytopenia"
    HISTOLOGICAL_PROOF = "histologically proven SOS/VOD"
    HAEMODYNAMIC_OR_ULTRASOUND_EVIDENCE = "haemodynamic and/or ultrasound evidence"
    ONSET_WINDOW = "time since HSCT"


class WeightGain(FrozenModel):
    """Weight gain above a baseline weight, in percent (negative for a loss)."""

    percent: float
    baseline: Quantity | None = Field(default=None, description="Baseline weight, when computed from weights.")
    current: Quantity | None = None

    @field_validator("percent")
    @classmethod
    def _finite(cls, percent: float) -> float:
        if not math.isfinite(percent):
            raise ValueError(f"percent={percent} is not a finite number; expected a weight change in percent")
        return percent

    @classmethod
    def from_weights(cls, baseline: Quantity, current: Quantity) -> WeightGain:
        """The gain of ``current`` over ``baseline`` (both masses, e.g. kg or [lb_av])."""
        require_dimension(baseline, Dimension.MASS, "baseline weight")
        require_dimension(current, Dimension.MASS, "current weight")
        base_kg, now_kg = baseline.to("kg"), current.to("kg")
        if base_kg <= 0:
            raise ValueError(f"baseline weight={baseline} is not positive; expected a body weight > 0")
        if now_kg <= 0:
            raise ValueError(f"current weight={current} is not positive; expected a body weight > 0")
        percent = round((now_kg - base_kg) / base_kg * 100.0, _DECIMALS)
        return cls(percent=percent, baseline=baseline, current=current)

    def __str__(self) -> str:
        weights = f" ({self.baseline} -> {self.current})" if self.baseline and self.current else ""
        return f"{self.percent:g}% above baseline{weights}"


class SosVodFindings(FrozenModel):
    """What was found at one assessment after HSCT. ``None`` means not assessed."""

    day_after_hsct: int = Field(ge=0, strict=True, description="Days from day 0 (the infusion) to these findings.")
    bilirubin: Quantity | None = Field(default=None, description="Total bilirubin, mg/dL or umol/L (or mg/L, ...).")
    weight_gain: WeightGain | None = None
    hepatomegaly: bool | None = Field(default=None, description="Above the pre-HSCT baseline (best by imaging).")
    right_upper_quadrant_pain: bool | None = Field(default=None, description="Hepatalgia.")
    ascites: bool | None = Field(default=None, description="Above the pre-HSCT baseline (best by imaging).")
    refractory_thrombocytopenia: bool | None = Field(
        default=None,
        description="Unexplained consumptive, transfusion-refractory thrombocytopenia (>= 1 weight-adjusted "
        "platelet transfusion a day to keep the institutional threshold).",
    )
    weight_rising_three_days_despite_diuretics: bool | None = Field(
        default=None, description="Otherwise unexplained weight gain on 3 consecutive days despite diuretics."
    )
    bilirubin_rising_three_days: bool | None = Field(
        default=None, description="Bilirubin rising from a baseline value on 3 consecutive days."
    )
    histologically_proven: bool | None = None
    haemodynamic_or_ultrasound_evidence: bool | None = Field(
        default=None,
        description="e.g. hepatic venous pressure gradient, or ultrasound (hepatomegaly, ascites, decreased "
        "velocity or reversal of portal flow).",
    )

    @model_validator(mode="after")
    def _bilirubin_unit(self) -> SosVodFindings:
        if self.bilirubin is not None:
            require_dimension(
                self.bilirubin, (Dimension.MASS_CONCENTRATION, Dimension.SUBSTANCE_CONCENTRATION), "bilirubin"
            )
            if self.bilirubin.value < 0:
                raise ValueError(f"bilirubin={self.bilirubin} is negative; expected a concentration >= 0")
        return self


class CriterionCheck(FrozenModel):
    """One sign as a criterion set reads it: met, not met, or not assessed (``met`` None), and why."""

    sign: SosVodSign
    met: bool | None
    finding: str = Field(description="The finding used and the threshold, e.g. '2.1 mg/dL >= 2 mg/dL'.")


class BilirubinThreshold(FrozenModel):
    """A bilirubin threshold in both unit families; ``umol_per_l_printed`` says where the umol/L value comes from."""

    mg_per_dl: float
    umol_per_l: float
    umol_per_l_printed: bool = Field(description="True: printed by the source; False: converted at 17.1.")

    @classmethod
    def from_mg_per_dl(cls, mg_per_dl: float, umol_per_l: float | None = None) -> BilirubinThreshold:
        if umol_per_l is None:
            return cls(mg_per_dl=mg_per_dl, umol_per_l=round(mg_per_dl * BILIRUBIN_FACTOR, 3), umol_per_l_printed=False)
        return cls(mg_per_dl=mg_per_dl, umol_per_l=umol_per_l, umol_per_l_printed=True)

    def in_unit_family(self, bilirubin: Quantity) -> tuple[float, float, str]:
        """(value, threshold, unit) in mg/dL or umol/L, whichever family ``bilirubin`` was given in."""
        if bilirubin.dimension is Dimension.MASS_CONCENTRATION:
            return round(bilirubin.to("mg/dL"), _DECIMALS), self.mg_per_dl, "mg/dL"
        return round(bilirubin.to("umol/L"), _DECIMALS), self.umol_per_l, "umol/L"


def check_flag(sign: SosVodSign, value: bool | None, label: str | None = None) -> CriterionCheck:
    text = label or sign.value
    if value is None:
        return CriterionCheck(sign=sign, met=None, finding=f"{text}: not assessed")
    return CriterionCheck(sign=sign, met=value, finding=f"{text}: {'present' if value else 'absent'}")


def check_bilirubin(bilirubin: Quantity | None, threshold: BilirubinThreshold) -> CriterionCheck:
    """Bilirubin >= the threshold, in the unit family it was given in."""
    if bilirubin is None:
        return CriterionCheck(sign=SosVodSign.BILIRUBIN, met=None, finding="bilirubin: not assessed")
    value, limit, unit = threshold.in_unit_family(bilirubin)
    met = value >= limit
    source = "" if unit == "mg/dL" or threshold.umol_per_l_printed else " (converted at 17.1)"
    shown = f"{bilirubin}" if bilirubin.unit.value == unit else f"{bilirubin} = {value:g} {unit}"
    finding = f"bilirubin {shown} {'>=' if met else '<'} {limit:g} {unit}{source}"
    return CriterionCheck(sign=SosVodSign.BILIRUBIN, met=met, finding=finding)


def check_weight_gain(gain: WeightGain | None, percent: float, inclusive: bool) -> CriterionCheck:
    """Weight gain ``> percent`` (or ``>= percent`` when ``inclusive``)."""
    relation = ">=" if inclusive else ">"
    if gain is None:
        return CriterionCheck(sign=SosVodSign.WEIGHT_GAIN, met=None, finding="weight gain: not assessed")
    met = gain.percent >= percent if inclusive else gain.percent > percent
    finding = f"weight gain {gain} {relation if met else 'not ' + relation} {percent:g}%"
    return CriterionCheck(sign=SosVodSign.WEIGHT_GAIN, met=met, finding=finding)


def check_either(sign: SosVodSign, first: CriterionCheck, second: CriterionCheck) -> CriterionCheck:
    """Met when either is met; not met when both are not; otherwise not assessed."""
    if first.met or second.met:
        met: bool | None = True
    elif first.met is False and second.met is False:
        met = False
    else:
        met = None
    return CriterionCheck(sign=sign, met=met, finding=f"{first.finding}; {second.finding}")


def check_both(sign: SosVodSign, first: CriterionCheck, second: CriterionCheck) -> CriterionCheck:
    """Met when both are met; not met when either is not; otherwise not assessed."""
    if first.met is False or second.met is False:
        met: bool | None = False
    elif first.met and second.met:
        met = True
    else:
        met = None
    return CriterionCheck(sign=sign, met=met, finding=f"{first.finding}; {second.finding}")
