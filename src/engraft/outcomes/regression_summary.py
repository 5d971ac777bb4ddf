"""Cox and Fine-Gray models as typed questions and answers, shared by ``engraft outcomes cox|finegray`` and the API.

A :class:`CoxQuestion` carries the columns of R ``coxph(Surv([entry,] time, event) ~ covariates [+
strata(s)], ties = ...)``: one value per row (a transplant, or a (start, stop] interval of one in
counting-process form for time-varying covariates), the status codes counted as the event (the other
codes are censored) and the ties method. A :class:`FineGrayQuestion` carries those of R ``cmprsk::crr``:
the cause of interest, every other non-zero status code competing. :func:`answer_cox` and
:func:`answer_fine_gray` fit them (:func:`~engraft.outcomes.cox.cox_ph`,
:func:`~engraft.outcomes.fine_gray.fine_gray`, both pinned to R) and answer the model's facts and its
coefficient table (ratio, Wald limits at ``1 - alpha``, p-value).

What the schema cannot say is checked here and refused with an :class:`OutcomeInputError` naming the
field, the value and what was expected: columns of different lengths, an entry time not before its
time, a status code counted as the event that no row has, a cause absent from the status, a covariate
constant (within every stratum) or a linear combination of the others, and a fit without a finite estimate
(Newton-Raphson does not converge, or a standard error over :data:`MAX_STD_ERROR_PER_SD` / SD of its
covariate: the information vanished as the coefficient runs off to infinity, as when a covariate
separates the events from the other rows; R ``coxph`` warns "coefficient may be infinite").
Undefined numbers are ``None`` (JSON ``null``), never NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Discriminator, Field, StringConstraints, Tag

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.cox import CoxResult, cox_ph
from engraft.outcomes.fine_gray import FineGrayResult, fine_gray
from engraft.provenance import FrozenModel

MAX_ROWS = 100_000
"""Rows per question (the 1 MiB request body holds fewer; the CLI reads the same bound)."""
MAX_COVARIATES = 20
MAX_NAME = 80
MAX_CODE = 999
MAX_ABS_COVARIATE = 1e12
"""Covariates beyond this size are refused (rescale the unit): their squares must stay far from overflow."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Label = Annotated[str, StringConstraints(max_length=MAX_NAME)]
StatusCode = Annotated[int, Field(ge=0, le=MAX_CODE)]
EventCode = Annotated[int, Field(ge=1, le=MAX_CODE)]
Time = Annotated[float, Field(ge=0)]
Value = Annotated[float, Field(ge=-MAX_ABS_COVARIATE, le=MAX_ABS_COVARIATE)]
Column = Annotated[list[Value], Field(min_length=1, max_length=MAX_ROWS)]
MAX_STD_ERROR_PER_SD = 1e3
"""A standard error this many times 1/SD of its covariate means the information vanished: the estimate diverges."""


def _event_kind(value: object) -> str:
    return "any" if isinstance(value, str) else "codes"


EventCodes = Annotated[
    Annotated[list[EventCode], Field(min_length=1, max_length=MAX_CODE), Tag("codes")]
    | Annotated[Literal["any"], Tag("any")],
    Discriminator(_event_kind),
]


class _Model(FrozenModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CoxTies(StrEnum):
    """How tied event times enter the partial likelihood (R ``coxph(ties = )``)."""

    EFRON = "efron"
    BRESLOW = "breslow"


class _Columns(_Model):
    time: list[Time] = Field(min_length=1, max_length=MAX_ROWS, description="follow-up (stop) time of each row")
    status: list[StatusCode] = Field(
        min_length=1, max_length=MAX_ROWS, description="status code of each row (0 censored)"
    )
    covariates: dict[Name, Column] = Field(
        min_length=1,
        max_length=MAX_COVARIATES,
        description="numeric covariates by name, one value per row; each name is a row of the coefficient table",
    )
    alpha: float = Field(default=0.05, gt=0, lt=1, description="1 - confidence level of the limits")


class CoxQuestion(_Columns):
    """A Cox proportional hazards model: R ``coxph(Surv([entry,] time, event) ~ covariates [+ strata(s)])``."""

    entry: list[Time] | None = Field(
        default=None,
        max_length=MAX_ROWS,
        description="entry (start) time of each row, before its time: late entry, or (start, stop] rows",
    )
    strata: list[Label] | None = Field(
        default=None, max_length=MAX_ROWS, description="stratum of each row (a baseline hazard each)"
    )
    event: EventCodes = Field(
        default_factory=lambda: [1],
        description="status codes counted as the event ('any': every non-zero code); the others are censored",
    )
    ties: CoxTies = Field(default=CoxTies.EFRON, description="efron (R's default) or breslow")


class FineGrayQuestion(_Columns):
    """A Fine-Gray subdistribution hazards model: R ``cmprsk::crr(time, status, covariates, failcode = cause)``."""

    cause: EventCode = Field(
        default=1, description="status code of the event of interest; other non-zero codes compete"
    )


class CoxCoefficient(_Model):
    """One covariate: log hazard ratio, hazard ratio, standard error, Wald z and p, limits of the ratio."""

    term: str
    coef: float | None
    hazard_ratio: float | None
    std_error: float | None
    z: float | None
    p_value: float | None
    lower: float | None
    upper: float | None


class FineGrayCoefficient(_Model):
    """One covariate: log subdistribution hazard ratio, the ratio, robust standard error, Wald z and p, limits."""

    term: str
    coef: float | None
    subdistribution_hazard_ratio: float | None
    std_error: float | None
    z: float | None
    p_value: float | None
    lower: float | None
    upper: float | None


class _Facts(_Model):
    model: str = Field(description="cox or fine-gray")
    n_obs: int = Field(description="rows fitted")
    n_events: int = Field(description="rows ending in the event (of the cause)")
    loglik_null: float | None = Field(description="log (pseudo-)likelihood at coefficients 0")
    loglik: float | None = Field(description="log (pseudo-)likelihood at the estimates")
    converged: bool
    iterations: int
    alpha: float


class CoxSummary(_Facts):
    """What R ``summary(coxph(...))`` reports: the model's facts and the coefficient table."""

    model: Literal["cox"] = Field(default="cox", description="R coxph")
    ties: CoxTies
    event_codes: list[int] = Field(description="status codes counted as the event")
    censored_codes: list[int] = Field(description="status codes present and counted as censored")
    delayed_entry: bool = Field(description="whether rows enter late ((entry, time] rows)")
    n_strata: int = Field(description="1 when not stratified")
    coefficients: list[CoxCoefficient]


class FineGraySummary(_Facts):
    """What R ``summary(crr(...))`` reports: the model's facts and the coefficient table (robust errors)."""

    model: Literal["fine-gray"] = Field(default="fine-gray", description="R cmprsk::crr")
    cause: int
    competing_codes: list[int] = Field(description="non-zero status codes other than the cause")
    n_competing: int = Field(description="rows ending in a competing event")
    coefficients: list[FineGrayCoefficient]


def _num(value: Any) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


def _check_lengths(n: int, columns: Mapping[str, Sequence[Any] | None]) -> None:
    for field, values in columns.items():
        if values is not None and len(values) != n:
            raise OutcomeInputError(f"{field}: got {len(values)} values; expected {n} (one per row, like time)")


def _design(question: _Columns, groups: np.ndarray | None) -> np.ndarray:
    """The covariate matrix, refused when a column is constant (in every stratum) or collinear with others."""
    names = list(question.covariates)
    x = np.column_stack([np.asarray(question.covariates[k], dtype=np.float64) for k in names])
    labels = np.zeros(x.shape[0], dtype=np.int64) if groups is None else groups
    centred = x.copy()
    for g in np.unique(labels):
        rows = labels == g
        centred[rows] -= x[rows].mean(axis=0)
    within = "" if groups is None else " within every stratum"
    norms = np.sqrt((centred**2).sum(axis=0))
    for j, name in enumerate(names):
        if norms[j] <= 1e-12 * max(1.0, float(np.abs(x[:, j]).max())) * np.sqrt(x.shape[0]):
            got = (
                f"the same value {x[0, j]:g} on every row" if groups is None else "values constant within every stratum"
            )
            raise OutcomeInputError(
                f"covariates.{name}: got {got}; expected a covariate that varies{within} (leave it out)"
            )
    scaled = centred / norms
    if np.linalg.matrix_rank(scaled) < len(names):
        raise OutcomeInputError(
            f"covariates: got {names}, of which some are linear combinations of the others{within};"
            " expected covariates that are not (leave one of them out)"
        )
    return x


def _check_fit(fit: CoxResult | FineGrayResult, x: np.ndarray) -> None:
    """Refuse a fit whose coefficients run off to infinity (monotone likelihood, as R's "may be infinite")."""
    sd = x.std(axis=0)
    diverged = [
        name
        for name, c, s, d in zip(fit.names, fit.coef, fit.std_error, sd, strict=True)
        if not (np.isfinite(c) and np.isfinite(s)) or s * d > MAX_STD_ERROR_PER_SD
    ]
    if fit.converged and not diverged:
        return
    suspects = diverged or [n for n, c in zip(fit.names, fit.coef, strict=True) if abs(c) == max(abs(fit.coef))]
    raise OutcomeInputError(
        f"covariates: got no finite estimate after {fit.iterations} iterations (the coefficient of"
        f" {', '.join(repr(s) for s in suspects)} runs off to infinity: the covariate separates the events from"
        " the other rows); expected covariates with a finite effect (leave it out, or group its values)"
    )


def _table(fit: CoxResult | FineGrayResult, alpha: float) -> list[dict[str, Any]]:
    """The estimator's own coefficient table (``to_frame``), undefined numbers as None."""
    rows: list[dict[str, Any]] = fit.to_frame("arrow", conf_level=1.0 - alpha).to_pylist()
    return [{k: (v if k == "term" else _num(v)) for k, v in row.items()} for row in rows]


def answer_cox(question: CoxQuestion) -> CoxSummary:
    """Fit the Cox model of ``question`` (see the module for what is refused)."""
    n = len(question.time)
    _check_lengths(
        n,
        {
            "status": question.status,
            "entry": question.entry,
            "strata": question.strata,
            **{f"covariates.{k}": v for k, v in question.covariates.items()},
        },
    )
    status = np.asarray(question.status, dtype=np.int64)
    present = sorted(int(c) for c in np.unique(status))
    if question.event == "any":
        codes = [c for c in present if c != 0]
    else:
        codes = sorted(set(question.event))
    event = np.isin(status, codes)
    if not event.any():
        raise OutcomeInputError(
            f"status: got the codes {present}; expected at least one row with an event code {codes or 'other than 0'}"
        )
    groups = None
    if question.strata is not None:
        groups = np.unique(np.asarray(question.strata), return_inverse=True)[1].astype(np.int64)
    x = _design(question, groups)
    names = list(question.covariates)
    with np.errstate(all="ignore"):
        try:
            fit = cox_ph(
                question.time,
                event.astype(np.int64),
                x,
                ties=question.ties.value,
                entry=question.entry,
                strata=groups,
                covariate_names=names,
            )
        except np.linalg.LinAlgError as exc:
            raise OutcomeInputError(
                f"covariates: got {names}, whose information matrix is singular ({exc});"
                " expected covariates that vary among the rows at risk at the event times"
            ) from exc
        _check_fit(fit, x)
        rows = _table(fit, question.alpha)
    return CoxSummary(
        ties=question.ties,
        event_codes=codes,
        censored_codes=[c for c in present if c not in codes],
        delayed_entry=question.entry is not None,
        n_strata=1 if groups is None else int(groups.max()) + 1,
        n_obs=fit.n_obs,
        n_events=fit.n_events,
        loglik_null=_num(fit.loglik_null),
        loglik=_num(fit.loglik),
        converged=fit.converged,
        iterations=fit.iterations,
        alpha=question.alpha,
        coefficients=[CoxCoefficient.model_validate(r) for r in rows],
    )


def answer_fine_gray(question: FineGrayQuestion) -> FineGraySummary:
    """Fit the Fine-Gray model of ``question`` for its cause (see the module for what is refused)."""
    n = len(question.time)
    _check_lengths(n, {"status": question.status, **{f"covariates.{k}": v for k, v in question.covariates.items()}})
    status = np.asarray(question.status, dtype=np.int64)
    causes = sorted(int(c) for c in np.unique(status) if c != 0)
    if question.cause not in causes:
        raise OutcomeInputError(
            f"cause: got {question.cause}; expected a status code that some row has ({causes or 'none but 0'})"
        )
    x = _design(question, None)
    names = list(question.covariates)
    with np.errstate(all="ignore"):
        try:
            fit = fine_gray(question.time, status, x, failure_code=question.cause, causes=causes, covariate_names=names)
        except np.linalg.LinAlgError as exc:
            raise OutcomeInputError(
                f"covariates: got {names}, whose information matrix is singular ({exc});"
                " expected covariates that vary among the rows at risk at the times of the cause"
            ) from exc
        _check_fit(fit, x)
        rows = _table(fit, question.alpha)
    return FineGraySummary(
        cause=question.cause,
        competing_codes=[c for c in causes if c != question.cause],
        n_competing=int(((status != 0) & (status != question.cause)).sum()),
        n_obs=fit.n_obs,
        n_events=fit.n_events,
        loglik_null=_num(fit.loglik_null),
        loglik=_num(fit.loglik),
        converged=fit.converged,
        iterations=fit.iterations,
        alpha=question.alpha,
        coefficients=[FineGrayCoefficient.model_validate(r) for r in rows],
    )
