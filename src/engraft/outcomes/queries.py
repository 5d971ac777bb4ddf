"""The questions the outcome service answers, as typed, validated requests (pure).

One model per question: :class:`SurvivalQuery` (Kaplan-Meier), :class:`CompetingRiskQuery`
(cumulative incidence), :class:`CompareQuery` (log-rank or Gray's test across groups),
:class:`BenchmarkQuery` (risk-adjusted centre survival) and :class:`ActivityQuery` (transplants per
year). The command line and the API build the same model from their options and call the same
service function (:mod:`engraft.registry.outcome_service`), so one question has one answer.

A parameter that cannot be right whatever the registry holds (an unknown endpoint, a cause the
endpoint does not have, a last year before the first) is refused when the model is built:
:func:`parse_query` turns pydantic's error into one :class:`OutcomeQueryError` naming the field,
the value and what was expected. A valid question that the data cannot answer (no transplant in the
population, a single group to compare) raises :class:`NothingToAnalyse` when it is answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import Field, TypeAdapter, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from engraft.outcomes._validation import OutcomeQueryError
from engraft.provenance import FrozenModel
from engraft.vocabulary import TimeUnit


class SurvivalEndpoint(StrEnum):
    """Endpoints analysed as survival (any event versus censored)."""

    OS = "os"
    DFS = "dfs"
    PFS = "pfs"
    GRFS = "grfs"


class CompetingEndpoint(StrEnum):
    """Endpoints analysed as a cumulative incidence with a competing event."""

    RELAPSE = "relapse"
    NRM = "nrm"
    AGVHD_2_4 = "agvhd_2_4"
    AGVHD_3_4 = "agvhd_3_4"
    CGVHD = "cgvhd"
    NEUTROPHIL_ENGRAFTMENT = "neutrophil_engraftment"
    PLATELET_ENGRAFTMENT = "platelet_engraftment"


class EndpointName(StrEnum):
    """Every endpoint derived from the registry (the survival ones, then the competing ones)."""

    OS = "os"
    DFS = "dfs"
    PFS = "pfs"
    GRFS = "grfs"
    RELAPSE = "relapse"
    NRM = "nrm"
    AGVHD_2_4 = "agvhd_2_4"
    AGVHD_3_4 = "agvhd_3_4"
    CGVHD = "cgvhd"
    NEUTROPHIL_ENGRAFTMENT = "neutrophil_engraftment"
    PLATELET_ENGRAFTMENT = "platelet_engraftment"


class GroupField(StrEnum):
    """Fields of the outcome table that transplants can be grouped by."""

    TRANSPLANT_TYPE = "transplant_type"
    DONOR_RELATION = "donor_relation"
    GRAFT_SOURCE = "graft_source"
    CENTRE = "centre"
    DISEASE_GROUP = "disease_group"
    DISEASE_STATUS = "disease_status"
    CONDITIONING_INTENSITY = "conditioning_intensity"
    RECIPIENT_CMV = "recipient_cmv"
    YEAR = "year"


class Population(StrEnum):
    """Which transplant episodes are analysed."""

    FIRST_TRANSPLANTS = "first transplants"
    """Each patient's first transplant (the default, as in CIBMTR and EBMT outcome reports)."""
    ALL_TRANSPLANTS = "all transplants"
    """Every episode from its own day 0: patients with several transplants count more than once."""


# the registry's centre-code rule (registry.schemas.common.Code), restated: the core cannot import an adapter
CentreCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="centre code (as in the registry)",
    ),
]
Landmark = Annotated[float, Field(ge=0.0, allow_inf_nan=False, description="a time >= 0 in the query's time unit")]
MAX_LANDMARKS: Final = 20
Landmarks = Annotated[tuple[Landmark, ...], Field(min_length=1, max_length=MAX_LANDMARKS)]
Year = Annotated[int, Field(ge=1900, le=2200, description="calendar year of day 0")]
Cause = Annotated[int, Field(ge=1, le=2, description="1: the event of interest; 2: the competing event")]
BootstrapReplicates = Annotated[int, Field(ge=100, le=20_000, description="bootstrap replicates")]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="seed of the bootstrap's random generator")]


_RULE: Final = "outcome_rule"  # a rule tying a parameter to another, which no parameter schema states
_WRONG_KIND: Final = "endpoint_kind"  # an endpoint of the other kind: an enum refusal, with a pointer


def _endpoint_of_kind(value: Any, wanted: type[StrEnum], other: type[StrEnum], other_kind: str, use: str) -> Any:
    """Refuse an endpoint of the other kind with a message that says where it belongs."""
    names = ", ".join(e.value for e in wanted)
    if isinstance(value, str) and value in {e.value for e in other}:
        raise PydanticCustomError(
            _WRONG_KIND,
            "{expected}",
            {"expected": f"one of {names} ({value!r} is a {other_kind} endpoint: {use})"},
        )
    return value


class CohortQuery(FrozenModel):
    """Which transplants a registry analysis reads: one centre or all, first transplants or every one."""

    centre: CentreCode | None = Field(default=None, description="only this centre's transplants")
    population: Population = Field(default=Population.FIRST_TRANSPLANTS, description="episodes analysed")


class SurvivalQuery(CohortQuery):
    """Kaplan-Meier survival of one endpoint, optionally by group, with estimates at landmarks."""

    endpoint: SurvivalEndpoint = SurvivalEndpoint.OS
    group_by: GroupField | None = None
    landmarks: Landmarks | None = Field(default=None, description="default: 1 and 2 years")
    time_unit: TimeUnit = Field(default=TimeUnit.DAYS, description="unit of the results and of the landmarks")

    @field_validator("endpoint", mode="before")
    @classmethod
    def _survival_endpoint(cls, value: Any) -> Any:
        return _endpoint_of_kind(value, SurvivalEndpoint, CompetingEndpoint, "competing", "use cif")


class CompetingRiskQuery(CohortQuery):
    """Cumulative incidence of one cause of a competing-risks endpoint, optionally by group."""

    endpoint: CompetingEndpoint = CompetingEndpoint.RELAPSE
    cause: Cause = 1
    group_by: GroupField | None = None
    landmarks: Landmarks | None = Field(default=None, description="default: day 100, 1 and 2 years")
    time_unit: TimeUnit = Field(default=TimeUnit.DAYS, description="unit of the results and of the landmarks")

    @field_validator("endpoint", mode="before")
    @classmethod
    def _competing_endpoint(cls, value: Any) -> Any:
        return _endpoint_of_kind(value, CompetingEndpoint, SurvivalEndpoint, "survival", "use survival")


class CompareQuery(CohortQuery):
    """A test across groups: log-rank for survival endpoints, Gray's test for competing ones."""

    group_by: GroupField
    endpoint: EndpointName = EndpointName.OS
    cause: Cause = Field(default=1, description="competing endpoints only: the cause compared (1 or 2)")
    time_unit: TimeUnit = Field(default=TimeUnit.DAYS, description="unit of the per-group estimates")

    @field_validator("cause")
    @classmethod
    def _cause_of_endpoint(cls, value: int, info: ValidationInfo) -> int:
        endpoint = info.data.get("endpoint")
        if value != 1 and endpoint is not None and endpoint.value in {e.value for e in SurvivalEndpoint}:
            raise PydanticCustomError(
                _RULE,
                "{expected}",
                {"expected": f"1 ({endpoint.value!r} is a survival endpoint: it has one cause)"},
            )
        return value


class YearRange(FrozenModel):
    """Optional first and last transplant years (inclusive)."""

    first_year: Year | None = None
    last_year: Year | None = None

    @field_validator("last_year")
    @classmethod
    def _not_before_first(cls, value: int | None, info: ValidationInfo) -> int | None:
        first = info.data.get("first_year")
        if value is not None and first is not None and value < first:
            raise PydanticCustomError(_RULE, "{expected}", {"expected": f"a year >= first_year ({first})"})
        return value


class BenchmarkQuery(YearRange):
    """Risk-adjusted 1-year survival of each centre's first allogeneic transplants (CIBMTR CSA manner)."""

    as_of: dt.date | None = Field(default=None, description="data cut-off (default: the latest date on file)")
    n_bootstrap: BootstrapReplicates = 2000
    seed: Seed = 20081


class ActivityQuery(YearRange):
    """Transplants per year by type, indication, donor and graft source (EBMT activity survey layout)."""

    centre: CentreCode | None = Field(default=None, description="only this centre's transplants")


Q = TypeVar("Q", bound=FrozenModel)


def parse_query(model: type[Q], values: Mapping[str, Any]) -> Q:
    """Build ``model`` from ``values`` (options or query parameters; ``None`` means "not given").

    Raises :class:`OutcomeQueryError` for the first parameter refused, with its value and what was
    expected.
    """
    given = {k: v for k, v in values.items() if v is not None}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or "query"
        value = None if error["type"] == "missing" else error.get("input")
        raise OutcomeQueryError(field, value, _expected(error), rule=error["type"] == _RULE) from None


def _expected(error: Mapping[str, Any]) -> str:
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    kind = str(error.get("type"))
    if kind in (_RULE, _WRONG_KIND):
        return str(ctx["expected"])
    if kind == "enum":
        return f"one of {ctx['expected']}"
    for key, text in (("ge", ">= {}"), ("gt", "> {}"), ("le", "<= {}"), ("lt", "< {}")):
        if key in ctx:
            return "a number " + text.format(ctx[key])  # the wording of the API's own parameter checks
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} values"
    if kind == "missing":
        return "a value (required)"
    if kind == "extra_forbidden":
        return "no such parameter"
    return str(error.get("msg", "a valid value")).removeprefix("Input should be ")


_LANDMARKS: Final = TypeAdapter(Landmarks)


def parse_landmarks(values: Sequence[float] | None) -> tuple[float, ...] | None:
    """Landmark times checked as in the queries (finite, >= 0, at most :data:`MAX_LANDMARKS`); None if none."""
    if not values:
        return None
    try:
        marks: tuple[float, ...] = _LANDMARKS.validate_python(tuple(values))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise OutcomeQueryError("landmarks", error.get("input"), _expected(error)) from None
    return marks
