"""A multi-state analysis as one typed question and answer, shared by ``engraft outcomes multistate`` and the API.

The question (:class:`MultiStateQuestion`) carries the model (state names and allowed transitions), one
time and one status column per entered state (one value per patient, as registries record them), the
starting state and time of the prediction, the report times, the variance methods and optional
covariates for a Cox model per transition. The answer (:class:`MultiStateSummary`) gives the events per
transition, the cumulative hazards and the state occupation probabilities with standard errors at the
report times, and the coefficient table; :class:`MultiStateAnalysis` keeps the full curves for CSV output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import ConfigDict, Field

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.multistate_cox import TransitionCoxResult, transition_cox
from engraft.outcomes.multistate_data import MultiStateData, prepare_long
from engraft.outcomes.multistate_hazards import TransitionHazards, VarianceMethod, nelson_aalen
from engraft.outcomes.multistate_probabilities import StateOccupation, aalen_johansen
from engraft.outcomes.multistate_transitions import TransitionMatrix
from engraft.provenance import FrozenModel
from engraft.vocabulary import TimeUnit

MAX_STATES = 12
MAX_REPORT_TIMES = 50


class _Model(FrozenModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class TransitionSpec(_Model):
    """One allowed transition, by state names."""

    from_state: str = Field(min_length=1, max_length=80)
    to_state: str = Field(min_length=1, max_length=80)


class MultiStateQuestion(_Model):
    """A multi-state analysis of one-row-per-patient data (the columns of ``msprep``)."""

    states: list[str] = Field(min_length=2, max_length=MAX_STATES, description="state names, state 1 first")
    transitions: list[TransitionSpec] = Field(min_length=1, description="allowed transitions, numbered in order")
    time: dict[str, list[float]] = Field(description="per entered state: the time it was reached or censored")
    status: dict[str, list[int]] = Field(description="per entered state: 1 reached at that time, 0 censored")
    ids: list[str] | None = Field(default=None, description="patient identifiers (default 1, 2, ...)")
    covariates: dict[str, list[float]] | None = Field(
        default=None, description="numeric covariates for a Cox model per transition (one value per patient)"
    )
    start_state: str | None = Field(default=None, description="state the occupation probabilities start from")
    start_time: float = Field(default=0.0, ge=0, description="time the prediction starts (mstate predt)")
    report_times: list[float] = Field(
        default_factory=lambda: [1.0], min_length=1, max_length=MAX_REPORT_TIMES, description="times reported"
    )
    hazard_variance: VarianceMethod = Field(default=VarianceMethod.AALEN, description="msfit vartype")
    method: VarianceMethod = Field(default=VarianceMethod.AALEN, description="probtrans method")
    time_unit: TimeUnit = Field(default=TimeUnit.DAYS, description="unit of every time, in and out")


class TransitionEvents(_Model):
    number: int
    from_state: str
    to_state: str
    events: int = Field(ge=0)
    rows_at_risk: int = Field(ge=0, description="long-format rows of the transition (patients who could make it)")


class HazardAtTime(_Model):
    transition: int
    time: float
    cumulative_hazard: float
    std_error: float


class OccupationAtTime(_Model):
    time: float
    state: str
    probability: float
    std_error: float


class TransitionCoefficientRow(_Model):
    """One covariate's effect on one transition (numbers that are not finite, e.g. after divergence, are null)."""

    name: str
    covariate: str
    transition: int
    label: str
    coef: float | None
    hazard_ratio: float | None
    std_error: float | None
    lower: float | None
    upper: float | None
    z: float | None
    p_value: float | None


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


class MultiStateSummary(_Model):
    """What a multi-state analysis found (R mstate: msprep, events, msfit, probtrans, coxph per transition)."""

    states: list[str]
    transitions: list[TransitionEvents]
    patients: int
    rows: int
    start_state: str
    start_time: float
    hazard_variance: VarianceMethod
    method: VarianceMethod
    time_unit: TimeUnit
    hazards: list[HazardAtTime]
    occupation: list[OccupationAtTime]
    cox: list[TransitionCoefficientRow] | None = None
    cox_ties: str | None = None
    cox_converged: bool | None = Field(default=None, description="false when the Cox fit did not converge")


@dataclass(frozen=True, slots=True, eq=False)
class MultiStateAnalysis:
    """The summary and the full results behind it (long data, hazard and occupation curves, Cox fit)."""

    summary: MultiStateSummary
    data: MultiStateData
    hazards: TransitionHazards
    occupation: StateOccupation
    cox: TransitionCoxResult | None


def _columns(question: MultiStateQuestion, tm: TransitionMatrix) -> tuple[np.ndarray, np.ndarray, int]:
    entered = sorted({t.to_state for t in tm.transitions})
    for name in list(question.time) + list(question.status):
        if name not in tm.states:
            raise OutcomeInputError(f"time/status: got a column for {name!r}; expected one of {list(tm.states)}")
    lengths = set()
    for k in entered:
        name = tm.states[k - 1]
        for field, values in (("time", question.time), ("status", question.status)):
            if name not in values:
                raise OutcomeInputError(f"{field}: got no column for state {name!r}; expected one (it can be entered)")
            lengths.add(len(values[name]))
    if len(lengths) != 1:
        raise OutcomeInputError(f"time/status: got columns of lengths {sorted(lengths)}; expected one per patient")
    n = lengths.pop()
    time = np.full((n, tm.n_states), np.nan)
    status = np.full((n, tm.n_states), np.nan)
    for k in entered:
        name = tm.states[k - 1]
        time[:, k - 1] = question.time[name]
        status[:, k - 1] = question.status[name]
    return time, status, n


def analyse_multistate(question: MultiStateQuestion, *, cox_ties: str = "breslow") -> MultiStateAnalysis:
    """Answer ``question``: long data, events, Nelson-Aalen, Aalen-Johansen from the start state, Cox."""
    tm = TransitionMatrix.from_names(question.states, [(t.from_state, t.to_state) for t in question.transitions])
    time, status, _ = _columns(question, tm)
    data = prepare_long(tm, time, status, ids=question.ids, keep=question.covariates)
    return analyse_long(data, question, cox_ties=cox_ties)


def analyse_long(
    data: MultiStateData, question: MultiStateQuestion, *, cox_ties: str = "breslow"
) -> MultiStateAnalysis:
    """The analysis of long-format ``data`` with the settings of ``question`` (its data columns unused)."""
    tm = data.transitions
    n = data.n_subjects
    start = tm.state_number(question.start_state) if question.start_state is not None else 1
    hazards = nelson_aalen(data)
    occupation = aalen_johansen(
        hazards, start_time=question.start_time, hazard_variance=question.hazard_variance, method=question.method
    ).from_state(start)
    report = np.asarray(question.report_times, dtype=np.float64)
    if (report < question.start_time).any():
        raise OutcomeInputError(
            f"report_times: got {float(report.min())!r}; expected times >= start_time {question.start_time!r}"
        )
    haz, haz_se = hazards.at(report, question.hazard_variance)
    probs, prob_se = occupation.at(report)
    counts = np.bincount(data.trans[data.status == 1], minlength=tm.n_transitions + 1)
    rows = np.bincount(data.trans, minlength=tm.n_transitions + 1)
    cox = transition_cox(data, list(data.covariates), ties=cox_ties) if data.covariates else None
    summary = MultiStateSummary(
        states=list(tm.states),
        transitions=[
            TransitionEvents(
                number=t.number,
                from_state=t.from_name,
                to_state=t.to_name,
                events=int(counts[t.number]),
                rows_at_risk=int(rows[t.number]),
            )
            for t in tm.transitions
        ],
        patients=n,
        rows=data.n_rows,
        start_state=tm.states[start - 1],
        start_time=question.start_time,
        hazard_variance=question.hazard_variance,
        method=question.method,
        time_unit=question.time_unit,
        hazards=[
            HazardAtTime(
                transition=t.number,
                time=float(report[i]),
                cumulative_hazard=float(haz[i, t.number - 1]),
                std_error=float(haz_se[i, t.number - 1]),
            )
            for t in tm.transitions
            for i in range(report.size)
        ],
        occupation=[
            OccupationAtTime(
                time=float(report[i]), state=name, probability=float(probs[i, j]), std_error=float(prob_se[i, j])
            )
            for i in range(report.size)
            for j, name in enumerate(tm.states)
        ],
        cox=None
        if cox is None
        else [
            TransitionCoefficientRow(
                name=c.name,
                covariate=c.covariate,
                transition=c.transition,
                label=c.label,
                coef=_finite(c.coef),
                hazard_ratio=_finite(c.hazard_ratio),
                std_error=_finite(c.std_error),
                lower=_finite(c.lower),
                upper=_finite(c.upper),
                z=_finite(c.z),
                p_value=_finite(c.p_value),
            )
            for c in cox.coefficients
        ],
        cox_ties=None if cox is None else cox_ties,
        cox_converged=None if cox is None else cox.fit.converged,
    )
    return MultiStateAnalysis(summary, data, hazards, occupation, cox)
