"""Risk-adjusted centre benchmarking of 1-year survival in the manner of the CIBMTR CSA.

The CIBMTR Center-Specific Survival Analysis compares each centre's 1-year overall survival after
first allogeneic HCT with the survival predicted for its own patients by a "fixed-effects censored
data logistic regression" on patient characteristics, and flags the centre below / as expected /
above when the observed value falls outside a 95% prediction interval computed "by bootstrapping
the scaled residuals from the regression model" (Logan BR, Nelson GO, Klein JP. Analyzing center
specific outcomes in hematopoietic cell transplantation. Lifetime Data Anal 2008;14:389-404;
CIBMTR Center-Specific Survival Analysis FAQs, cibmtr.org). Centres are rated only when more than
90% of their patients have complete 1-year follow-up (2010 Center Outcomes Forum consensus, FAQ).

Implementation (the exact CIBMTR link, residual scaling and bootstrap size were not checked against
the full paper; the choices below are documented so that results can be reproduced):

1. Pseudo-values of S(tau), tau = 365 days, by jackknife of the Kaplan-Meier estimate over the whole
   cohort (:func:`engraft.outcomes.pseudo_values.km_pseudo_values`).
2. A logit-link quasi-likelihood (GEE with independence working correlation) fit of the
   pseudo-values on the covariates: solves sum_i x_i (theta_i - expit(x_i b)) = 0 by Newton steps on
   the concave objective sum_i theta_i eta_i - log(1 + exp(eta_i)) - (ridge/2) |b|^2. The ridge
   penalty (0.5 on the non-intercept coefficients, worth about two patients' information) keeps the
   coefficients finite when a small category is all alive or all dead; without it such a category
   gets fitted survival of exactly 0 or 1 and its scaled residuals explode. Standard errors are
   robust (sandwich), as usual for pseudo-value regression.
3. Per centre: expected = mean predicted survival of its patients; observed = mean pseudo-value of
   its patients (which estimates the centre's 1-year survival and is the statistic the bootstrap
   reproduces); the centre's own Kaplan-Meier S(tau) with its log-log 95% interval is reported too.
4. Prediction interval under "no centre effect": Pearson-scaled residuals
   r_i = (theta_i - mu_i) / sqrt(mu_i (1 - mu_i)) of all patients (mu_i bounded to [0.01, 0.99] in
   the scale, so that near-certain predictions do not produce huge residuals) are resampled with replacement
   (blocks of up to 250 replicates per centre, each drawn from its own stream
   ``numpy.random.SeedSequence(seed, spawn_key=(centre, first replicate))``, so that the result for a
   seed is the same in one process and on a Dask cluster); for each replicate the centre's statistic is
   mean(mu_i + r*_i sqrt(mu_i (1 - mu_i))) over its patients; the interval is the
   (alpha/2, 1 - alpha/2) quantiles of the replicates.
5. Flag: "below" if observed < lower, "above" if observed > upper, else "as expected"; "not rated"
   when the share of patients with complete follow-up (event by tau, or followed beyond tau) is not
   strictly above ``completeness_threshold`` (0.90). CSA scores: -1 / 0 / +1.

Missing covariates (documented rule): a numeric covariate with missing values (NaN) is imputed with
the median of the observed values and gets an extra 0/1 "missing" indicator column; a categorical
covariate's blank/None values form their own level "missing". Levels with fewer than 10 patients are
pooled into "other (rare)" (e.g. rare diseases or disease phases). The reference level of a
categorical covariate is its most frequent level. A covariate with a single level (or no observed value) is
dropped and listed in ``dropped``. Numeric covariates are centred on their mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from engraft.outcomes._validation import (
    FloatArray,
    OutcomeInputError,
    as_codes,
    as_labels,
    as_times,
    check_probability,
)
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.pseudo_values import km_pseudo_values
from engraft.vocabulary.phrases import Phrase

Flag = Literal["below", "as expected", "above", "not rated"]
SCORES: dict[str, int | None] = {"below": -1, "as expected": 0, "above": 1, "not rated": None}
CITATION = (
    "Logan BR, Nelson GO, Klein JP. Analyzing center specific outcomes in hematopoietic cell "
    "transplantation. Lifetime Data Anal 2008;14:389-404; CIBMTR Center-Specific Survival Analysis FAQs."
)
MISSING_RULE = (
    "numeric: median imputation plus a missing indicator; categorical: blank values form the level "
    "'missing', levels with fewer than 10 patients are pooled as 'other (rare)'; single-level covariates are dropped"
)
RIDGE = 0.5
BENCHMARK_AXIS: Final = Phrase("Survival at {tau} days (observed dot, expected tick, {level} prediction interval)")
"""The benchmark figure's time axis (English; the pages translate the drawn figure)."""
MIN_LEVEL_SIZE = 10
SCALE_BOUNDS = (0.01, 0.99)
BLOCK_REPLICATES = 250
BLOCK_DRAWS = 4_000_000
_MISSING = "missing"
_RARE = "other (rare)"


@dataclass(frozen=True, slots=True)
class Design:
    """The model matrix built from the covariates, with column names and dropped covariates."""

    matrix: FloatArray
    names: tuple[str, ...]
    dropped: tuple[str, ...]


def _is_missing_label(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and not np.isfinite(value):
        return True
    return str(value).strip() == ""


def build_design(covariates: Mapping[str, ArrayLike], n: int, *, min_level_size: int = MIN_LEVEL_SIZE) -> Design:
    """Intercept plus encoded covariates, following the documented missing-data rule."""
    columns: list[FloatArray] = [np.ones(n)]
    names: list[str] = ["(intercept)"]
    dropped: list[str] = []
    for name, values in covariates.items():
        raw = np.asarray(values)
        if raw.ndim != 1 or raw.shape[0] != n:
            raise OutcomeInputError(f"covariates[{name!r}]: got shape {raw.shape}; expected {n} values")
        if raw.dtype.kind in "fiub":
            x = raw.astype(np.float64)
            if np.isinf(x).any():
                i = int(np.flatnonzero(np.isinf(x))[0])
                raise OutcomeInputError(f"covariates[{name!r}][{i}]: got {x[i]!r}; expected a finite number or NaN")
            miss = np.isnan(x)
            observed = x[~miss]
            if observed.size == 0 or (np.ptp(observed) == 0.0 and not miss.any()):
                dropped.append(name)
                continue
            filled = np.where(miss, np.median(observed), x)
            if np.ptp(filled) > 0:
                columns.append(filled - filled.mean())
                names.append(name)
            if miss.any():
                columns.append(miss.astype(np.float64))
                names.append(f"{name}: missing")
            continue
        labels = np.asarray([_MISSING if _is_missing_label(v) else str(v) for v in raw.tolist()], dtype=np.str_)
        levels, counts = np.unique(labels, return_counts=True)
        rare = levels[counts < min_level_size]
        if rare.size:
            labels = np.where(np.isin(labels, rare), _RARE, labels).astype(np.str_)
            levels, counts = np.unique(labels, return_counts=True)
        if levels.size < 2:
            dropped.append(name)
            continue
        order = sorted(range(levels.size), key=lambda k: (levels[k] == _MISSING, -counts[k], str(levels[k])))
        reference = levels[order[0]]
        for k in sorted(order[1:], key=lambda j: str(levels[j])):
            columns.append((labels == levels[k]).astype(np.float64))
            names.append(f"{name}={levels[k]} (vs {reference})")
    return Design(matrix=np.column_stack(columns), names=tuple(names), dropped=tuple(dropped))


@dataclass(frozen=True, slots=True, eq=False)
class PseudoLogitFit:
    """Logit-link fit of pseudo-values: coefficients with robust (sandwich) standard errors."""

    names: tuple[str, ...]
    coef: FloatArray
    robust_se: FloatArray
    fitted: FloatArray
    iterations: int
    converged: bool


def fit_pseudo_logit(
    y: ArrayLike, design: FloatArray, names: tuple[str, ...] | None = None, *, ridge: float = RIDGE
) -> PseudoLogitFit:
    """Solve sum x_i (y_i - expit(x_i b)) = ridge * b (intercept unpenalised) by damped Newton steps."""
    yy = np.asarray(y, dtype=np.float64)
    x = np.asarray(design, dtype=np.float64)
    n, p = x.shape
    if yy.shape != (n,):
        raise OutcomeInputError(f"y: got shape {yy.shape}; expected ({n},)")
    pen = np.full(p, ridge)
    pen[0] = 0.0
    beta = np.zeros(p)
    mean = float(np.clip(yy.mean(), 1e-6, 1 - 1e-6))
    beta[0] = float(np.log(mean / (1 - mean)))

    def objective(b: FloatArray) -> float:
        eta = x @ b
        return float(yy @ eta - np.logaddexp(0.0, eta).sum() - 0.5 * (pen * b * b).sum())

    value = objective(beta)
    converged = False
    it = 0
    for it in range(1, 201):  # noqa: B007  (the count is reported)
        mu = expit(x @ beta)
        w = mu * (1.0 - mu)
        score = x.T @ (yy - mu) - pen * beta
        info = (x * w[:, None]).T @ x + np.diag(pen)
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        new_value = objective(beta + step)
        halvings = 0
        while new_value < value - 1e-12 * abs(value) and halvings < 40:
            step /= 2.0
            new_value = objective(beta + step)
            halvings += 1
        beta = beta + step
        value = new_value
        if np.max(np.abs(step)) < 1e-10 * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    mu = expit(x @ beta)
    w = mu * (1.0 - mu)
    bread = np.linalg.pinv((x * w[:, None]).T @ x + np.diag(pen))
    resid = yy - mu
    meat = (x * (resid * resid)[:, None]).T @ x
    cov = bread @ meat @ bread
    return PseudoLogitFit(
        names=names if names is not None else tuple(f"x{j}" for j in range(p)),
        coef=beta,
        robust_se=np.sqrt(np.clip(np.diag(cov), 0.0, None)),
        fitted=mu,
        iterations=it,
        converged=converged,
    )


@dataclass(frozen=True, slots=True)
class CentreBenchmark:
    """One centre's observed and expected 1-year survival, prediction interval and flag."""

    centre: str
    n: int
    n_complete: int
    completeness: float
    observed: float
    expected: float
    lower: float
    upper: float
    km_survival: float
    km_lower: float
    km_upper: float
    flag: Flag

    @property
    def score(self) -> int | None:
        """CSA score: -1 below, 0 as expected, +1 above, None when not rated."""
        return SCORES[self.flag]


@dataclass(frozen=True, slots=True, eq=False)
class BenchmarkResult:
    """Centre benchmarking result with the fitted risk model and the settings used."""

    tau: float
    level: float
    n_bootstrap: int
    seed: int
    completeness_threshold: float
    model: PseudoLogitFit
    dropped_covariates: tuple[str, ...]
    centres: tuple[CentreBenchmark, ...]
    n_obs: int

    def for_centre(self, centre: str) -> CentreBenchmark:
        for c in self.centres:
            if c.centre == centre:
                return c
        raise OutcomeInputError(f"centre: got {centre!r}; expected one of {[c.centre for c in self.centres]}")


def complete_follow_up(time: FloatArray, event: NDArray[np.int64], tau: float) -> NDArray[np.bool_]:
    """Complete at tau: the event happened by tau, or the last contact is more than tau days after day 0.

    CIBMTR FAQ: to count as a 1-year survivor, "their most recent contact date must be more than
    365 days after the transplant and their status reported as alive".
    """
    out: NDArray[np.bool_] = ((event == 1) & (time <= tau)) | (time > tau)
    return out


class BootstrapCluster(Protocol):
    """What the bootstrap needs of a cluster: a ``dask.distributed.Client`` (or a LocalCluster's) fits."""

    def scatter(self, data: Any, *, broadcast: bool = ...) -> Any: ...

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def gather(self, futures: Any) -> Any: ...


def replicate_blocks(n_patients: int, n_boot: int) -> list[tuple[int, int]]:
    """(first replicate, size) of each replicate block of a centre with ``n_patients`` patients.

    Blocks hold ``BLOCK_REPLICATES`` replicates (fewer for very large centres, so that one block's
    draw stays within ``BLOCK_DRAWS`` numbers). They depend on the data only, never on the workers.
    """
    size = max(1, min(BLOCK_REPLICATES, BLOCK_DRAWS // max(n_patients, 1)))
    return [(start, min(size, n_boot - start)) for start in range(0, n_boot, size)]


def replicate_block(
    residuals: FloatArray, mu: FloatArray, sd: FloatArray, seed: int, centre_index: int, first: int, size: int
) -> FloatArray:
    """The centre's bootstrap statistic for replicates ``first`` .. ``first + size - 1``.

    Each block has its own random stream, ``SeedSequence(seed, spawn_key=(centre_index, first))``,
    so that the replicates are the same whichever process or Dask worker draws them.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(centre_index, first)))
    draw = residuals[rng.integers(0, residuals.size, size=(size, mu.size))]
    draw *= sd
    draw += mu
    return np.asarray(draw.mean(axis=1), dtype=np.float64)


def bootstrap_statistics(
    residuals: FloatArray,
    centres: Sequence[tuple[FloatArray, FloatArray]],
    n_boot: int,
    seed: int,
    cluster: BootstrapCluster | None = None,
) -> list[FloatArray]:
    """Bootstrap replicates of each centre's statistic (``centres``: its patients' mu and sd).

    Blocks of replicates run in this process, or on the Dask ``cluster`` when one is given (the
    residuals are scattered to every worker once); the replicates are identical either way.
    """
    tasks = [
        (k, mu, sd, first, size)
        for k, (mu, sd) in enumerate(centres)
        for first, size in replicate_blocks(mu.size, n_boot)
    ]
    if cluster is None:
        blocks = [replicate_block(residuals, mu, sd, seed, k, first, size) for k, mu, sd, first, size in tasks]
    else:
        shared = cluster.scatter(residuals, broadcast=True)
        futures = [
            cluster.submit(replicate_block, shared, mu, sd, seed, k, first, size, pure=False)
            for k, mu, sd, first, size in tasks
        ]
        blocks = list(cluster.gather(futures))
    stats: list[list[FloatArray]] = [[] for _ in centres]
    for (k, *_), block in zip(tasks, blocks, strict=True):
        stats[k].append(block)
    return [np.concatenate(parts) for parts in stats]


def benchmark_centres(
    time: ArrayLike,
    event: ArrayLike,
    centre: ArrayLike,
    covariates: Mapping[str, ArrayLike] | None = None,
    *,
    tau: float = 365.0,
    level: float = 0.95,
    n_bootstrap: int = 2000,
    seed: int = 20081,
    completeness_threshold: float = 0.90,
    cluster: BootstrapCluster | None = None,
) -> BenchmarkResult:
    """Benchmark each centre's survival at ``tau`` against its risk-adjusted prediction.

    ``time``/``event`` are overall survival (days; event 1 = death). ``covariates`` maps a name to
    one value per patient (numeric with NaN for missing, or labels with blanks for missing).
    ``cluster``: a ``dask.distributed.Client`` to run the bootstrap on; for a fixed ``seed`` the
    result is the same with or without it (each block of replicates has its own seeded stream).
    """
    t = as_times(time, "time")
    e = as_codes(event, "event", (0, 1), t.size)
    codes, levels = as_labels(np.asarray(centre).astype(np.str_), "centre", t.size)
    alpha = 1.0 - check_probability(level, "level")
    if n_bootstrap < 100:
        raise OutcomeInputError(f"n_bootstrap: got {n_bootstrap}; expected at least 100 replicates")
    if not 0.0 <= completeness_threshold < 1.0:
        raise OutcomeInputError(f"completeness_threshold: got {completeness_threshold!r}; expected 0 <= x < 1")
    pv = km_pseudo_values(t, e, tau)
    design = build_design(covariates or {}, t.size)
    model = fit_pseudo_logit(pv, design.matrix, design.names)
    mu = model.fitted
    bounded = np.clip(mu, *SCALE_BOUNDS)
    sd = np.sqrt(bounded * (1.0 - bounded))
    residuals = (pv - mu) / sd
    complete = complete_follow_up(t, e, tau)
    selections = [codes == k for k in range(len(levels))]
    replicates = bootstrap_statistics(residuals, [(mu[sel], sd[sel]) for sel in selections], n_bootstrap, seed, cluster)
    out: list[CentreBenchmark] = []
    for label, sel, stats in zip(levels, selections, replicates, strict=True):
        n_c = int(sel.sum())
        n_complete = int(complete[sel].sum())
        share = n_complete / n_c
        low, high = np.quantile(stats, [alpha / 2.0, 1.0 - alpha / 2.0])
        lower, upper = float(low), float(high)
        observed = float(pv[sel].mean())
        km = kaplan_meier(t[sel], e[sel]).survival_at([tau])
        flag: Flag
        if share <= completeness_threshold:
            flag = "not rated"
        elif observed < lower:
            flag = "below"
        elif observed > upper:
            flag = "above"
        else:
            flag = "as expected"
        out.append(
            CentreBenchmark(
                centre=str(label),
                n=n_c,
                n_complete=n_complete,
                completeness=share,
                observed=observed,
                expected=float(mu[sel].mean()),
                lower=lower,
                upper=upper,
                km_survival=float(km.survival[0]),
                km_lower=float(km.lower[0]),
                km_upper=float(km.upper[0]),
                flag=flag,
            )
        )
    return BenchmarkResult(
        tau=float(tau),
        level=1.0 - alpha,
        n_bootstrap=n_bootstrap,
        seed=seed,
        completeness_threshold=completeness_threshold,
        model=model,
        dropped_covariates=design.dropped,
        centres=tuple(out),
        n_obs=int(t.size),
    )


def benchmark_figure(result: BenchmarkResult, *, title: str | None = None) -> Figure:
    """Per centre: the prediction interval (bar), expected (tick) and observed (dot, coloured by flag)."""
    colours = {"below": "#c0392b", "as expected": "#2c3e50", "above": "#27ae60", "not rated": "#95a5a6"}
    rows = result.centres
    fig = Figure(figsize=(7.0, 1.2 + 0.4 * len(rows)))
    ax = fig.add_axes((0.22, 0.12, 0.74, 0.78))
    y = np.arange(len(rows))[::-1]
    for yy, c in zip(y, rows, strict=True):
        ax.plot([c.lower, c.upper], [yy, yy], color="#bdc3c7", linewidth=6, solid_capstyle="butt")
        ax.plot([c.expected], [yy], marker="|", markersize=14, color="#7f8c8d")
        ax.plot([c.observed], [yy], marker="o", color=colours[c.flag], label=c.flag)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="lower left", frameon=False, fontsize=8)
    ax.set_yticks(y, [f"{c.centre} (n={c.n})" for c in rows])
    ax.set_xlabel(BENCHMARK_AXIS(tau=f"{result.tau:g}", level=f"{result.level:.0%}"))
    ax.set_xlim(0.0, 1.0)
    ax.set_title(title or "Risk-adjusted centre survival")
    return fig
