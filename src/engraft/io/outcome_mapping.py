"""The column-mapping file (TOML) that says how a registry's CSV holds the outcomes Engraft analyses.

Registry datasets name and code their columns study by study: a CIBMTR public dataset gives
intervals from transplant in months with 0/1 indicators and numeric codes whose meaning is in the
study's data dictionary (names such as ``intxrel``/``rel``/``trm`` are examples, not a checked
standard); an EBMT-style export gives dates and text statuses (``Alive``/``Dead``). The mapping
names, for each endpoint, where its time and its status are, and for each covariate its column and
codes; nothing is guessed from column names. See ``docs/outcomes-registry-import.md`` for both layouts with examples.

An endpoint's time is an interval column (``time``, in the file's ``time_unit``) or a date column
(``end``, counted in days from the ``origin`` date column, read with ``date_format``). Its status is
one column with a code table (``status`` and ``codes``: text in the file -> 0 for censored or k for
cause k), or one column per competing cause (``causes``: each a yes/no indicator, optionally with its
own time or date); the first cause to occur is the event, and two causes at the same time are refused.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engraft.outcomes import OutcomeInputError
from engraft.vocabulary import TimeUnit


class RegistryLayout(StrEnum):
    """The registry layouts a mapping describes; each sets the defaults a mapping may leave out."""

    CIBMTR = "cibmtr"
    """CIBMTR public dataset: intervals in months, 0/1 indicators, numeric study-specific codes."""
    EBMT = "ebmt"
    """EBMT-style export: dates (ISO ``YYYY-MM-DD`` by default) and text statuses; times in days."""


DEFAULT_TIME_UNIT: Final = {RegistryLayout.CIBMTR: TimeUnit.MONTHS, RegistryLayout.EBMT: TimeUnit.DAYS}
YES_NO_DEFAULT: Final = (("1",), ("0",))


class _Mapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CauseColumn(_Mapping):
    """One competing cause held in a column of its own (CIBMTR ``rel``/``trm``, EBMT ``RELAPSE``)."""

    column: str = Field(description="the column saying whether this cause occurred")
    label: str | None = Field(default=None, description="the cause's name in results (default: the column)")
    yes: tuple[str, ...] = Field(default=YES_NO_DEFAULT[0], min_length=1, description="texts meaning it occurred")
    no: tuple[str, ...] = Field(default=YES_NO_DEFAULT[1], description="texts meaning it did not")
    time: str | None = Field(default=None, description="its own interval column (default: the endpoint's)")
    date: str | None = Field(default=None, description="its own date column (default: the endpoint's end)")

    @model_validator(mode="after")
    def _one_clock(self) -> Self:
        if self.time is not None and self.date is not None:
            raise ValueError("give time or date for a cause, not both")
        overlap = sorted(set(self.yes) & set(self.no))
        if overlap:
            raise ValueError(f"texts {overlap} are in both yes and no")
        return self


class EndpointMapping(_Mapping):
    """Where one endpoint's time and status are."""

    label: str | None = Field(default=None, description="the endpoint's name in results (default: its key)")
    time: str | None = Field(default=None, description="interval column, in the mapping's time_unit")
    end: str | None = Field(default=None, description="date column: death, event or last follow-up")
    status: str | None = Field(default=None, description="one status column, read with codes")
    codes: dict[str, int] | None = Field(default=None, description="status text -> 0 (censored) or cause k")
    cause_labels: tuple[str, ...] | None = Field(default=None, description="names of causes 1..k (with status)")
    causes: tuple[CauseColumn, ...] | None = Field(default=None, min_length=1, description="one column per cause")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if (self.time is None) == (self.end is None):
            raise ValueError("give exactly one of time (an interval column) or end (a date column)")
        if (self.status is None) == (self.causes is None):
            raise ValueError("give exactly one of status (with codes) or causes (one column per cause)")
        if self.causes is not None and (self.codes is not None or self.cause_labels is not None):
            raise ValueError("codes and cause_labels go with status, not with causes")
        for cause in self.causes or ():
            if (cause.date is not None and self.end is None) or (cause.time is not None and self.time is None):
                raise ValueError(
                    f"cause {cause.column!r}: its clock must be of the endpoint's kind (date with end, time with time)"
                )
        if self.codes is not None:
            values = set(self.codes.values())
            if 0 not in values or any(v < 0 for v in values):
                raise ValueError(f"codes map to {sorted(values)}; expected 0 (censored) and causes 1, 2, ...")
        return self

    def status_codes(self) -> dict[str, int]:
        """The status column's code table (``{"0": 0, "1": 1}`` unless the mapping gives one)."""
        return dict(self.codes) if self.codes is not None else {"0": 0, "1": 1}

    def cause_codes(self) -> tuple[int, ...]:
        """The cause codes of this endpoint: 1..k."""
        if self.causes is not None:
            return tuple(range(1, len(self.causes) + 1))
        return tuple(sorted(v for v in set(self.status_codes().values()) if v != 0))


class CovariateMapping(_Mapping):
    """A covariate: its column and either its code table (study-specific codes -> labels) or numbers."""

    column: str
    codes: dict[str, str] | None = Field(default=None, description="code in the file -> label")
    numeric: bool = Field(default=False, description="read as numbers")

    @model_validator(mode="after")
    def _one_reading(self) -> Self:
        if self.numeric and self.codes is not None:
            raise ValueError("a covariate is numeric or coded, not both")
        return self


class OutcomeMapping(_Mapping):
    """A registry CSV's column mapping: layout, identifier, clock, endpoints and covariates."""

    layout: RegistryLayout
    id: str | None = Field(default=None, description="transplant id column (default: the CSV line number)")
    time_unit: TimeUnit | None = Field(default=None, description="unit of interval columns (default by layout)")
    origin: str | None = Field(default=None, description="date column of day 0 (the transplant)")
    date_format: str = Field(default="%Y-%m-%d", description="strptime format of every date column")
    missing: tuple[str, ...] = Field(default=("",), description="cell texts meaning a missing value")
    endpoints: dict[str, EndpointMapping] = Field(min_length=1)
    covariates: dict[str, CovariateMapping] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_need_origin(self) -> Self:
        dated = [name for name, ep in self.endpoints.items() if ep.end is not None or _cause_dates(ep)]
        if dated and self.origin is None:
            raise ValueError(f"endpoints {dated} use dates; give origin (the date column of the transplant)")
        return self

    @property
    def unit(self) -> TimeUnit:
        """The unit of the interval columns (days for dates)."""
        return self.time_unit if self.time_unit is not None else DEFAULT_TIME_UNIT[self.layout]

    def columns(self) -> list[tuple[str, str]]:
        """Every (column, mapping key naming it) the CSV must have."""
        out: list[tuple[str, str]] = []
        if self.id is not None:
            out.append((self.id, "id"))
        if self.origin is not None:
            out.append((self.origin, "origin"))
        for name, ep in self.endpoints.items():
            for key in ("time", "end", "status"):
                if getattr(ep, key) is not None:
                    out.append((getattr(ep, key), f"endpoints.{name}.{key}"))
            for k, cause in enumerate(ep.causes or ()):
                for key in ("column", "time", "date"):
                    if getattr(cause, key) is not None:
                        out.append((getattr(cause, key), f"endpoints.{name}.causes[{k}].{key}"))
        out.extend((cov.column, f"covariates.{name}.column") for name, cov in self.covariates.items())
        return out


def _cause_dates(ep: EndpointMapping) -> bool:
    return any(c.date is not None for c in ep.causes or ())


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    got = first.get("input")
    shown = "" if isinstance(got, dict) else f"got {got!r}; "
    return f"{where}: {shown}{first['msg'].removeprefix('Value error, ')}"


def parse_mapping(text: str, source: str = "mapping") -> OutcomeMapping:
    """The mapping in TOML ``text``; an unreadable or incomplete one is refused naming the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutcomeInputError(f"{source}: not valid TOML ({exc}); expected a column-mapping file") from None
    try:
        return OutcomeMapping.model_validate(raw)
    except ValidationError as exc:
        raise OutcomeInputError(f"{source}, {_problem(exc)}") from None


def read_mapping(path: str | Path) -> OutcomeMapping:
    """The mapping file at ``path`` (TOML, UTF-8)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise OutcomeInputError(f"{p}: cannot be read ({exc.strerror}); expected a column-mapping TOML file") from None
    return parse_mapping(text, p.name)
