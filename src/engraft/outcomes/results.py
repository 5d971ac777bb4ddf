"""Typed answers of the outcome analyses: what the CLI writes as JSON and the API returns (pure).

Every number that can be undefined (a median not reached, a confidence limit where the estimate is
0 or 1, a test with one group) is ``None`` (JSON ``null``), never NaN: the models refuse non-finite
floats, so an answer that validates is valid JSON. Estimates at landmarks carry log-log 95%
confidence limits (Kaplan-Meier) or the Aalen-Johansen variance with log-log limits (cumulative
incidence); see :mod:`engraft.outcomes.kaplan_meier` and :mod:`engraft.outcomes.cumulative_incidence`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from engraft.outcomes.queries import Population
from engraft.provenance import FrozenModel
from engraft.vocabulary import TimeUnit


class ResultModel(FrozenModel):
    """Immutable, unknown fields refused, non-finite floats refused (undefined values are ``None``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Provenance(ResultModel):
    """Where the analysed transplants came from and which of them were analysed."""

    source: Literal["registry", "csv"]
    file: str | None = Field(default=None, description="the CSV file read (source csv)")
    centre: str | None = Field(default=None, description="the centre analysed; null for every centre")
    population: Population | None = Field(default=None, description="episodes analysed (source registry)")
    allogeneic_only: bool | None = Field(default=None, description="whether the endpoint is allogeneic-only")
    transplants: int = Field(ge=0, description="transplants (rows) analysed")


class MedianEstimate(ResultModel):
    """Median time to event with its 95% confidence limits (null when not reached)."""

    estimate: float | None
    lower: float | None
    upper: float | None


class SurvivalAtLandmark(ResultModel):
    """Survival probability at one time with log-log 95% limits and Greenwood standard error."""

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    std_error: float | None


class SurvivalGroup(ResultModel):
    """Kaplan-Meier results of one group."""

    group: str
    n: int = Field(ge=0)
    events: int = Field(ge=0)
    median: MedianEstimate
    landmarks: tuple[SurvivalAtLandmark, ...]


class IncidenceAtLandmark(ResultModel):
    """Cumulative incidence at one time with its variance and 95% limits."""

    time: float
    incidence: float | None
    lower: float | None
    upper: float | None
    variance: float | None


class IncidenceGroup(ResultModel):
    """Aalen-Johansen results of one group for the cause analysed."""

    group: str
    n: int = Field(ge=0)
    events: int = Field(ge=0, description="events of the cause analysed")
    competing_events: int = Field(ge=0, description="events of the other cause")
    landmarks: tuple[IncidenceAtLandmark, ...]


class GroupTest(ResultModel):
    """A k-sample test across groups: log-rank (survival) or Gray's test (cumulative incidence)."""

    name: Literal["log-rank", "Gray"]
    statistic: float | None
    df: int
    p_value: float | None
    groups: tuple[str, ...]
    observed: tuple[float, ...] | None = Field(default=None, description="log-rank: observed events per group")
    expected: tuple[float, ...] | None = Field(default=None, description="log-rank: expected events per group")


class SurvivalSummary(ResultModel):
    """Kaplan-Meier analysis of a survival endpoint, by group when asked, with a log-rank test."""

    endpoint: str
    label: str
    time_unit: TimeUnit
    conf_level: float
    groups: tuple[SurvivalGroup, ...]
    test: GroupTest | None
    provenance: Provenance


class IncidenceSummary(ResultModel):
    """Cumulative incidence of one cause of a competing-risks endpoint, with Gray's test by group."""

    endpoint: str
    label: str
    cause: int
    cause_label: str
    time_unit: TimeUnit
    conf_level: float
    groups: tuple[IncidenceGroup, ...]
    test: GroupTest | None
    provenance: Provenance


class GroupComparison(ResultModel):
    """A test across groups and the per-group estimates it compares."""

    endpoint: str
    kind: Literal["survival", "cumulative incidence"]
    cause: int
    time_unit: TimeUnit
    test: GroupTest
    groups: tuple[SurvivalGroup, ...] | tuple[IncidenceGroup, ...]
    provenance: Provenance


class CurvePoint(ResultModel):
    """One step of a survival or cumulative incidence curve (the CSV the CLI writes)."""

    group: str
    time: float
    n_risk: int
    n_event: int
    estimate: float | None
    lower: float | None
    upper: float | None


class EndpointDescription(ResultModel):
    """An endpoint the registry supports."""

    name: str
    label: str
    kind: Literal["survival", "competing"]
    allogeneic_only: bool
    causes: tuple[str, ...] = Field(description="label of cause 1 (and of the competing cause 2)")
