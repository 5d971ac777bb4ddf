"""An RMST comparison as one typed question and answer, shared by ``engraft outcomes rmst`` and the API.

Undefined numbers (a p-value with zero standard error, an RMTL ratio when a group loses no time) are
``None`` (JSON ``null``), never NaN.
"""

from __future__ import annotations

import math

from pydantic import ConfigDict, Field

from engraft.outcomes.rmst import Contrast, RestrictedMean, RmstComparison, compare_restricted_means
from engraft.provenance import FrozenModel
from engraft.vocabulary import TimeUnit


class _Model(FrozenModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class RmstQuestion(_Model):
    """Two groups' follow-up (time, 0/1 event, group label), the horizon tau and the level."""

    time: list[float] = Field(min_length=2, description="follow-up time of each patient, in time_unit")
    event: list[int] = Field(min_length=2, description="1 event, 0 censored")
    group: list[str] = Field(min_length=2, description="group label of each patient (exactly two labels)")
    reference: str | None = Field(default=None, description="the reference group (default: first in sorted order)")
    tau: float | None = Field(default=None, gt=0, description="horizon (default: survRM2's rule)")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="1 - confidence level")
    time_unit: TimeUnit = Field(default=TimeUnit.DAYS)


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


class GroupRmst(_Model):
    group: str
    n: int
    events: int
    rmst: float
    rmtl: float
    std_error: float
    lower: float
    upper: float


class ContrastSummary(_Model):
    estimate: float | None
    lower: float | None
    upper: float | None
    p_value: float | None


class RmstSummary(_Model):
    """survRM2 ``rmst2`` (unadjusted): RMST per group and group minus (over) reference."""

    tau: float
    alpha: float
    time_unit: TimeUnit
    group: GroupRmst
    reference: GroupRmst
    difference: ContrastSummary = Field(description="RMST group - reference")
    ratio: ContrastSummary = Field(description="RMST group / reference")
    rmtl_ratio: ContrastSummary = Field(description="RMTL group / reference")


def _group(label: object, r: RestrictedMean) -> GroupRmst:
    return GroupRmst(
        group=str(label),
        n=r.n,
        events=r.events,
        rmst=r.rmst,
        rmtl=r.rmtl,
        std_error=r.std_error,
        lower=r.lower,
        upper=r.upper,
    )


def _contrast(c: Contrast) -> ContrastSummary:
    return ContrastSummary(estimate=_num(c.estimate), lower=_num(c.lower), upper=_num(c.upper), p_value=_num(c.p_value))


def summarise_rmst(result: RmstComparison, time_unit: TimeUnit) -> RmstSummary:
    return RmstSummary(
        tau=result.tau,
        alpha=result.alpha,
        time_unit=time_unit,
        group=_group(result.group, result.arm),
        reference=_group(result.reference, result.control),
        difference=_contrast(result.difference),
        ratio=_contrast(result.ratio),
        rmtl_ratio=_contrast(result.rmtl_ratio),
    )


def answer_rmst(question: RmstQuestion) -> RmstSummary:
    """Compare the two groups of ``question``."""
    result = compare_restricted_means(
        question.time,
        question.event,
        question.group,
        tau=question.tau,
        reference=question.reference,
        alpha=question.alpha,
    )
    return summarise_rmst(result, question.time_unit)
