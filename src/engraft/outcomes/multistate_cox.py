"""Cox model per transition of a multi-state model (mstate's ``expand.covs`` + ``coxph(... + strata(trans))``).

Each covariate gets one coefficient per transition: column ``x.k`` equals ``x`` on the rows of
transition k and 0 elsewhere, exactly as ``expand.covs(msdata, covs)`` builds it. The model is fitted
on the long-format rows with delayed entry at ``Tstart`` (``Surv(Tstart, Tstop, status)``) and a
separate baseline hazard per transition (``strata(trans)``), by :func:`engraft.outcomes.cox.cox_ph`,
which is pinned to R survival. Ties default to Breslow, as in the mstate analyses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from engraft.outcomes._validation import FloatArray, OutcomeInputError, check_probability
from engraft.outcomes.cox import CoxResult, cox_ph
from engraft.outcomes.multistate_data import MultiStateData
from engraft.outcomes.tidy import FrameKind, coefficient_frame


@dataclass(frozen=True, slots=True)
class TransitionCoefficient:
    """One covariate's effect on one transition: log hazard ratio, its standard error, Wald test and CI."""

    name: str
    covariate: str
    transition: int
    label: str
    coef: float
    std_error: float
    hazard_ratio: float
    lower: float
    upper: float
    z: float
    p_value: float


@dataclass(frozen=True, slots=True, eq=False)
class TransitionCoxResult:
    """The fitted stratified Cox model and its coefficients, one per (covariate, transition)."""

    fit: CoxResult
    coefficients: tuple[TransitionCoefficient, ...]
    level: float

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """The coefficient table (term ``x.k`` for covariate x on transition k), as ``summary(coxph)``."""
        return coefficient_frame(self.fit.names, self.fit.coef, self.fit.std_error, self.level, "hazard_ratio", kind)


def expand_covariates(
    data: MultiStateData, covariates: Sequence[str], transitions: Sequence[int]
) -> tuple[FloatArray, tuple[tuple[str, int], ...]]:
    """The expanded design matrix (rows x terms) and its (covariate, transition) terms, as expand.covs."""
    columns: list[FloatArray] = []
    terms: list[tuple[str, int]] = []
    for name in covariates:
        if name not in data.covariates:
            raise OutcomeInputError(
                f"covariates: got {name!r}; expected one of {sorted(data.covariates) or 'none kept'}"
            )
        x = data.covariates[name]
        for k in transitions:
            rows = data.trans == k
            values = x[rows]
            if values.size == 0 or np.all(values == values[0]):
                raise OutcomeInputError(
                    f"covariates: {name!r} is constant on the rows of transition {k}; expected it to vary"
                    " (leave that transition out of the covariate's transitions)"
                )
            columns.append(np.where(rows, x, 0.0))
            terms.append((name, k))
    return np.column_stack(columns), tuple(terms)


def transition_cox(
    data: MultiStateData,
    covariates: Sequence[str],
    *,
    transitions: Sequence[int] | None = None,
    ties: str = "breslow",
    level: float = 0.95,
) -> TransitionCoxResult:
    """Transition-specific covariate effects (``expand.covs``, stratified by transition).

    ``transitions`` restricts the expanded terms to those transitions (default: every transition
    with at least one event); every transition still has its own baseline hazard.
    """
    if not covariates:
        raise OutcomeInputError("covariates: got none; expected at least one covariate name")
    level = check_probability(level, "level")
    tm = data.transitions
    if transitions is None:
        made = np.bincount(data.trans[data.status == 1], minlength=tm.n_transitions + 1)
        chosen = [t.number for t in tm.transitions if made[t.number] > 0]
    else:
        chosen = [int(k) for k in transitions]
        for k in chosen:
            if not 1 <= k <= tm.n_transitions:
                raise OutcomeInputError(f"transitions: got {k}; expected a transition in 1..{tm.n_transitions}")
    x, terms = expand_covariates(data, covariates, chosen)
    names = [f"{name}.{k}" for name, k in terms]
    try:
        fit = cox_ph(data.tstop, data.status, x, ties=ties, entry=data.tstart, strata=data.trans, covariate_names=names)
    except np.linalg.LinAlgError as exc:
        raise OutcomeInputError(
            f"covariates: got {list(covariates)}, whose per-transition terms are collinear ({exc});"
            " expected covariates that are not linear combinations of each other on any transition"
        ) from exc
    q = float(norm.ppf(0.5 + level / 2))
    labels = {t.number: t.label for t in tm.transitions}
    rows = tuple(
        TransitionCoefficient(
            name=names[j],
            covariate=name,
            transition=k,
            label=labels[k],
            coef=float(fit.coef[j]),
            std_error=float(fit.std_error[j]),
            hazard_ratio=float(np.exp(fit.coef[j])),
            lower=float(np.exp(fit.coef[j] - q * fit.std_error[j])),
            upper=float(np.exp(fit.coef[j] + q * fit.std_error[j])),
            z=float(fit.z[j]),
            p_value=float(fit.p_value[j]),
        )
        for j, (name, k) in enumerate(terms)
    )
    return TransitionCoxResult(fit=fit, coefficients=rows, level=level)
