"""Summaries of one endpoint: per-group estimates at landmarks, medians, tests, curves, figures (pure).

:func:`analyse_endpoint` turns an :class:`~engraft.outcomes.endpoints.Endpoint` (from the registry's
outcome table or from a CSV) and optional group labels into an :class:`EndpointAnalysis`: the typed
summary (:class:`~engraft.outcomes.results.SurvivalSummary` for an endpoint with one cause,
:class:`~engraft.outcomes.results.IncidenceSummary` for a competing-risks one), the step curves and
the figure, all from the same fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from engraft.outcomes._validation import (
    FloatArray,
    IntArray,
    NothingToAnalyse,
    OutcomeInputError,
    OutcomeQueryError,
)
from engraft.outcomes.cumulative_incidence import CumulativeIncidenceResult, cumulative_incidence
from engraft.outcomes.endpoints import Endpoint, convert_time
from engraft.outcomes.gray_test import gray_test
from engraft.outcomes.kaplan_meier import KaplanMeierResult, kaplan_meier
from engraft.outcomes.logrank import logrank_test
from engraft.outcomes.plots import plot_cumulative_incidence, plot_survival
from engraft.outcomes.registry_endpoints import ENDPOINTS
from engraft.outcomes.results import (
    CurvePoint,
    GroupComparison,
    GroupTest,
    IncidenceAtLandmark,
    IncidenceGroup,
    IncidenceSummary,
    MedianEstimate,
    Provenance,
    SurvivalAtLandmark,
    SurvivalGroup,
    SurvivalSummary,
)
from engraft.vocabulary.phrases import Phrase
from engraft.vocabulary.time import DAYS_PER_YEAR

SINGLE_GROUP: Final = Phrase(
    "{field}: got a single group {groups} among {count} transplant(s); expected at least 2 groups to compare"
)
"""Why groups cannot be compared (English; the pages translate it)."""

CONF_LEVEL = 0.95
S = TypeVar("S", SurvivalSummary, IncidenceSummary)


def _num(value: float) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


def _split(endpoint: Endpoint, groups: NDArray[Any] | None) -> dict[str, tuple[FloatArray, IntArray]]:
    if groups is None:
        return {"all": (endpoint.time, endpoint.status)}
    labels = np.asarray(groups).astype(np.str_)
    if labels.size != endpoint.time.size:
        raise OutcomeInputError(f"groups: got {labels.size} labels; expected {endpoint.time.size}")
    return {str(g): (endpoint.time[labels == g], endpoint.status[labels == g]) for g in np.unique(labels)}


def km_fits(endpoint: Endpoint, groups: NDArray[Any] | None = None) -> dict[str, KaplanMeierResult]:
    """One Kaplan-Meier fit per group (any event versus censored)."""
    return {
        g: kaplan_meier(t, (s != endpoint.censor_code).astype(np.int64), time_unit=endpoint.time_unit)
        for g, (t, s) in _split(endpoint, groups).items()
    }


def cif_fits(endpoint: Endpoint, groups: NDArray[Any] | None = None) -> dict[str, CumulativeIncidenceResult]:
    """One Aalen-Johansen fit per group with the endpoint's causes."""
    return {
        g: cumulative_incidence(t, s, causes=endpoint.causes, time_unit=endpoint.time_unit)
        for g, (t, s) in _split(endpoint, groups).items()
    }


def is_competing(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` is analysed as a cumulative incidence (more than one cause)."""
    return len(endpoint.causes) > 1


def _label(endpoint: Endpoint) -> str:
    spec = ENDPOINTS.get(endpoint.name)
    return spec.label if spec else endpoint.name


def _check_not_empty(endpoint: Endpoint) -> None:
    if endpoint.time.size == 0:
        raise NothingToAnalyse(f"endpoint {endpoint.name}: got no transplants to analyse; expected at least one")


def default_landmarks(endpoint: Endpoint) -> list[float]:
    """1 and 2 years (plus day 100 for cumulative incidences) in the endpoint's time unit.

    One year is 365 days when counting in days (the CIBMTR 1-year rule), else 365.25 days (12
    months, 1 year).
    """
    one_year = 365.0 if endpoint.time_unit == "days" else DAYS_PER_YEAR
    marks = [one_year, 2 * one_year]
    if is_competing(endpoint):
        marks = [100.0, *marks]
    out: list[float] = convert_time(np.asarray(marks), "days", endpoint.time_unit).tolist()
    return out


def survival_summary(
    endpoint: Endpoint,
    groups: NDArray[Any] | None = None,
    *,
    landmarks: Sequence[float] | None = None,
    provenance: Provenance,
) -> SurvivalSummary:
    """Per group: n, events, median with limits, survival at ``landmarks`` (log-log 95% CI); log-rank."""
    _check_not_empty(endpoint)
    fits = km_fits(endpoint, groups)
    at = np.asarray(default_landmarks(endpoint) if landmarks is None else landmarks, dtype=np.float64)
    out_groups = []
    for label, fit in fits.items():
        med = fit.median()
        lm = fit.at(at)
        out_groups.append(
            SurvivalGroup(
                group=label,
                n=fit.n_obs,
                events=int(fit.n_event.sum()),
                median=MedianEstimate(estimate=_num(med.estimate), lower=_num(med.lower), upper=_num(med.upper)),
                landmarks=tuple(
                    SurvivalAtLandmark(
                        time=float(t), survival=_num(s), lower=_num(lo), upper=_num(hi), std_error=_num(se)
                    )
                    for t, s, lo, hi, se in zip(at, lm.survival, lm.lower, lm.upper, lm.std_error, strict=True)
                ),
            )
        )
    test = None
    if groups is not None and len(fits) > 1:
        lr = logrank_test(endpoint.time, endpoint.event, np.asarray(groups).astype(np.str_))
        test = GroupTest(
            name="log-rank",
            statistic=_num(lr.statistic),
            df=lr.df,
            p_value=_num(lr.p_value),
            groups=tuple(str(g) for g in lr.groups),
            observed=tuple(float(v) for v in lr.observed.tolist()),
            expected=tuple(float(v) for v in lr.expected.tolist()),
        )
    return SurvivalSummary(
        endpoint=endpoint.name,
        label=_label(endpoint),
        time_unit=endpoint.time_unit,
        conf_level=CONF_LEVEL,
        groups=tuple(out_groups),
        test=test,
        provenance=provenance,
    )


def cif_summary(
    endpoint: Endpoint,
    groups: NDArray[Any] | None = None,
    *,
    landmarks: Sequence[float] | None = None,
    cause: int = 1,
    provenance: Provenance,
) -> IncidenceSummary:
    """Per group: n, events of ``cause``, CIF at ``landmarks`` with 95% limits; Gray's test."""
    _check_not_empty(endpoint)
    if cause not in endpoint.causes:
        raise OutcomeInputError(f"cause: got {cause}; expected one of {list(endpoint.causes)}")
    fits = cif_fits(endpoint, groups)
    at = np.asarray(default_landmarks(endpoint) if landmarks is None else landmarks, dtype=np.float64)
    out_groups = []
    for label, fit in fits.items():
        lm_cif = fit.at(at, cause)
        of_cause = int(fit.n_event[:, fit.column(cause)].sum())
        out_groups.append(
            IncidenceGroup(
                group=label,
                n=fit.n_obs,
                events=of_cause,
                competing_events=int(fit.n_event.sum()) - of_cause,
                landmarks=tuple(
                    IncidenceAtLandmark(
                        time=float(t), incidence=_num(e), lower=_num(a), upper=_num(b), variance=_num(v)
                    )
                    for t, e, a, b, v in zip(
                        at, lm_cif.incidence, lm_cif.lower, lm_cif.upper, lm_cif.variance, strict=True
                    )
                ),
            )
        )
    test = None
    if groups is not None and len(fits) > 1:
        gt = gray_test(endpoint.time, endpoint.status, np.asarray(groups).astype(np.str_), causes=endpoint.causes)
        result = gt.for_cause(cause)
        test = GroupTest(
            name="Gray",
            statistic=_num(result.statistic),
            df=result.df,
            p_value=_num(result.p_value),
            groups=tuple(str(g) for g in gt.groups),
        )
    spec = ENDPOINTS.get(endpoint.name)
    return IncidenceSummary(
        endpoint=endpoint.name,
        label=_label(endpoint),
        cause=cause,
        cause_label=spec.cause_labels[cause - 1] if spec and cause - 1 < len(spec.cause_labels) else str(cause),
        time_unit=endpoint.time_unit,
        conf_level=CONF_LEVEL,
        groups=tuple(out_groups),
        test=test,
        provenance=provenance,
    )


def curve_points(endpoint: Endpoint, groups: NDArray[Any] | None = None, cause: int = 1) -> tuple[CurvePoint, ...]:
    """The step curve of each group: time, n at risk, events, estimate and limits."""
    points: list[CurvePoint] = []
    if is_competing(endpoint):
        for label, cfit in cif_fits(endpoint, groups).items():
            j = cfit.column(cause)
            points.extend(
                CurvePoint(
                    group=label,
                    time=float(cfit.time[k]),
                    n_risk=int(cfit.n_risk[k]),
                    n_event=int(cfit.n_event[k, j]),
                    estimate=_num(cfit.cif[k, j]),
                    lower=_num(cfit.lower[k, j]),
                    upper=_num(cfit.upper[k, j]),
                )
                for k in range(cfit.time.size)
            )
        return tuple(points)
    for label, fit in km_fits(endpoint, groups).items():
        points.extend(
            CurvePoint(
                group=label,
                time=float(fit.time[k]),
                n_risk=int(fit.n_risk[k]),
                n_event=int(fit.n_event[k]),
                estimate=_num(fit.survival[k]),
                lower=_num(fit.lower[k]),
                upper=_num(fit.upper[k]),
            )
            for k in range(fit.time.size)
        )
    return tuple(points)


def endpoint_figure(
    endpoint: Endpoint,
    groups: NDArray[Any] | None = None,
    *,
    cause: int = 1,
    title: str | None = None,
    test: GroupTest | None = None,
    time_unit: str | None = None,
    size_in: tuple[float, float] | None = None,
) -> Figure:
    """Kaplan-Meier (survival endpoints) or cumulative incidence (competing endpoints) figure.

    ``test`` (the log-rank or Gray's test across ``groups``) is printed with its p-value; ``time_unit``
    is the time axis's unit (default: the endpoint's); ``size_in`` the figure's (width, height) in inches.
    """
    heading = title or _label(endpoint)
    if is_competing(endpoint):
        return plot_cumulative_incidence(
            cif_fits(endpoint, groups), cause, title=heading, test=test, time_unit=time_unit, size_in=size_in
        )
    return plot_survival(km_fits(endpoint, groups), title=heading, test=test, time_unit=time_unit, size_in=size_in)


@dataclass(frozen=True, slots=True, eq=False)
class EndpointAnalysis(Generic[S]):
    """The answer about one endpoint: its typed summary, and the data to draw its curves."""

    summary: S
    endpoint: Endpoint = field(repr=False)
    groups: NDArray[np.str_] | None = field(repr=False)
    cause: int = 1

    def curve(self) -> tuple[CurvePoint, ...]:
        """Every step of every group's curve."""
        return curve_points(self.endpoint, self.groups, self.cause)

    def figure(self, *, time_unit: str | None = None, size_in: tuple[float, float] | None = None) -> Figure:
        """Kaplan-Meier or cumulative incidence figure with bands, numbers at risk and the test's p-value.

        ``time_unit`` is the time axis's unit (default: the summary's); ``size_in`` the figure's
        (width, height) in inches (default: 7 inches wide, as tall as its legend and table need).
        """
        return endpoint_figure(
            self.endpoint,
            self.groups,
            cause=self.cause,
            test=self.summary.test,
            time_unit=time_unit,
            size_in=size_in,
        )


def _labels(groups: NDArray[Any] | None) -> NDArray[np.str_] | None:
    return None if groups is None else np.asarray(groups).astype(np.str_)


def survival_analysis_of(
    endpoint: Endpoint,
    groups: NDArray[Any] | None,
    *,
    landmarks: Sequence[float] | None,
    provenance: Provenance,
) -> EndpointAnalysis[SurvivalSummary]:
    """Kaplan-Meier analysis of ``endpoint`` (any cause counts as the event)."""
    summary = survival_summary(endpoint, groups, landmarks=landmarks, provenance=provenance)
    return EndpointAnalysis(summary=summary, endpoint=endpoint, groups=_labels(groups))


def incidence_analysis_of(
    endpoint: Endpoint,
    groups: NDArray[Any] | None,
    *,
    landmarks: Sequence[float] | None,
    cause: int,
    provenance: Provenance,
) -> EndpointAnalysis[IncidenceSummary]:
    """Cumulative incidence of ``cause`` of ``endpoint`` with its competing causes."""
    summary = cif_summary(endpoint, groups, landmarks=landmarks, cause=cause, provenance=provenance)
    return EndpointAnalysis(summary=summary, endpoint=endpoint, groups=_labels(groups), cause=cause)


def compare_groups(
    endpoint: Endpoint, groups: NDArray[Any], *, cause: int = 1, provenance: Provenance, field_name: str = "group_by"
) -> GroupComparison:
    """Log-rank test (one cause) or Gray's test (competing causes) across ``groups``.

    Raises :class:`NothingToAnalyse` when the transplants analysed fall into a single group.
    """
    if not is_competing(endpoint) and cause != 1:
        expected = f"1 ({endpoint.name!r} is analysed as survival: it has one cause)"
        raise OutcomeQueryError("cause", cause, expected, rule=True)
    labels = np.asarray(groups).astype(np.str_)
    present = np.unique(labels).tolist()
    if len(present) < 2:
        raise NothingToAnalyse(SINGLE_GROUP(field=field_name, groups=str(present), count=labels.size))
    summary: SurvivalSummary | IncidenceSummary
    if is_competing(endpoint):
        summary = cif_summary(endpoint, labels, cause=cause, provenance=provenance)
    else:
        summary = survival_summary(endpoint, labels, provenance=provenance)
    assert summary.test is not None  # two groups or more always give a test
    return GroupComparison(
        endpoint=endpoint.name,
        kind="cumulative incidence" if is_competing(endpoint) else "survival",
        cause=cause,
        time_unit=endpoint.time_unit,
        test=summary.test,
        groups=summary.groups,
        provenance=provenance,
    )
