"""Time-to-event endpoints of HSCT derived from the registry's per-episode outcome table (pure).

Definitions (times in days from day 0; censoring at the last contact, alive):

* ``os`` overall survival: death from any cause.
* ``dfs`` disease-free / progression-free survival (alias ``pfs``): relapse or progression, or death.
* ``relapse`` / ``nrm``: relapse (or progression) and non-relapse mortality as competing risks
  (``relapse``: 1 = relapse, 2 = death without prior relapse; ``nrm`` swaps the two codes). A
  relapse and a death on the same day count as relapse.
* ``agvhd_2_4``, ``agvhd_3_4``, ``cgvhd``: acute GVHD grade II-IV / III-IV and chronic GVHD,
  cumulative incidences with death without the event as the competing risk (allogeneic only).
* ``neutrophil_engraftment``, ``platelet_engraftment``: engraftment with death as the competing risk.
* ``grfs``: GVHD-free, relapse-free survival (Holtan et al., Blood 2015;125:1333): grade III-IV
  acute GVHD, chronic GVHD requiring systemic treatment, relapse or death (allogeneic only).

Graft endpoints (GVHD, engraftment) are censored at a subsequent transplant (a new graft). The
analysis population is first transplants by default (:meth:`OutcomeTable.first_transplants`);
passing the whole table analyses every episode, each from its own day 0, which counts patients with
several transplants more than once (subjects are then not independent: report it as such).

The module also builds the JSON-ready summaries (landmark estimates with confidence limits,
medians, log-rank or Gray tests) shared by the command line and the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError, check_time_unit
from engraft.outcomes.activity import disease_group
from engraft.outcomes.cumulative_incidence import CumulativeIncidenceResult, cumulative_incidence
from engraft.outcomes.endpoints import Endpoint, convert_time
from engraft.outcomes.gray_test import gray_test
from engraft.outcomes.kaplan_meier import KaplanMeierResult, kaplan_meier
from engraft.outcomes.logrank import logrank_test
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.plots import plot_cumulative_incidence, plot_survival

Kind = Literal["survival", "competing"]


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """What an endpoint is: a survival endpoint or a cumulative incidence with a competing event."""

    name: str
    label: str
    kind: Kind
    allogeneic_only: bool
    cause_labels: tuple[str, ...]
    censor_at_next_transplant: bool


ENDPOINTS: dict[str, EndpointSpec] = {
    s.name: s
    for s in (
        EndpointSpec("os", "Overall survival", "survival", False, ("death",), False),
        EndpointSpec("dfs", "Disease-free survival", "survival", False, ("relapse/progression or death",), False),
        EndpointSpec("pfs", "Progression-free survival", "survival", False, ("relapse/progression or death",), False),
        EndpointSpec("grfs", "GVHD-free, relapse-free survival", "survival", True, ("GRFS event",), False),
        EndpointSpec("relapse", "Relapse/progression", "competing", False, ("relapse", "non-relapse death"), False),
        EndpointSpec("nrm", "Non-relapse mortality", "competing", False, ("non-relapse death", "relapse"), False),
        EndpointSpec("agvhd_2_4", "Acute GVHD grade II-IV", "competing", True, ("aGVHD II-IV", "death"), True),
        EndpointSpec("agvhd_3_4", "Acute GVHD grade III-IV", "competing", True, ("aGVHD III-IV", "death"), True),
        EndpointSpec("cgvhd", "Chronic GVHD", "competing", True, ("chronic GVHD", "death"), True),
        EndpointSpec(
            "neutrophil_engraftment", "Neutrophil engraftment", "competing", False, ("engraftment", "death"), True
        ),
        EndpointSpec(
            "platelet_engraftment", "Platelet engraftment", "competing", False, ("engraftment", "death"), True
        ),
    )
}

GROUP_FIELDS: tuple[str, ...] = (
    "transplant_type",
    "donor_relation",
    "graft_source",
    "centre",
    "disease_group",
    "disease_status",
    "conditioning_intensity",
    "recipient_cmv",
    "year",
)
MISSING_LABEL = "missing"


def endpoint_spec(name: str) -> EndpointSpec:
    """The specification of ``name``, refusing unknown endpoints with the list of known ones."""
    spec = ENDPOINTS.get(name)
    if spec is None:
        raise OutcomeInputError(f"endpoint: got {name!r}; expected one of {', '.join(ENDPOINTS)}")
    return spec


def analysis_rows(table: OutcomeTable, name: str) -> OutcomeTable:
    """The rows an endpoint applies to (allogeneic episodes for GVHD and GRFS, else all)."""
    if endpoint_spec(name).allogeneic_only:
        return table.select(table.transplant_type == "allogeneic")
    return table


def _first(*days: FloatArray) -> FloatArray:
    out: FloatArray = np.fmin.reduce(np.vstack(days), axis=0) if days else np.empty(0)
    return out


def _survival(event_day: FloatArray, end: FloatArray) -> tuple[FloatArray, IntArray]:
    observed = ~np.isnan(event_day)
    time = np.where(observed, event_day, end)
    return time.astype(np.float64), observed.astype(np.int64)


def _competing(event_day: FloatArray, death_day: FloatArray, end: FloatArray) -> tuple[FloatArray, IntArray]:
    has_event = ~np.isnan(event_day) & (np.isnan(death_day) | (event_day <= death_day))
    has_death = ~has_event & ~np.isnan(death_day)
    time = np.where(has_event, event_day, np.where(has_death, death_day, end))
    status = np.where(has_event, 1, np.where(has_death, 2, 0))
    return time.astype(np.float64), status.astype(np.int64)


def derive_endpoint(table: OutcomeTable, name: str, *, time_unit: str = "days") -> Endpoint:
    """The (time, status) arrays of endpoint ``name`` for every row of ``table``.

    Survival endpoints have status 0 (censored) / 1 (event); competing endpoints 0 / 1 (event of
    interest) / 2 (competing event). Use :func:`analysis_rows` first to restrict GVHD and GRFS to
    allogeneic episodes.
    """
    spec = endpoint_spec(name)
    unit = check_time_unit(time_unit)
    end, death = table.last_contact_day, table.death_day
    if name == "os":
        time, status = _survival(death, end)
    elif name in ("dfs", "pfs"):
        time, status = _survival(_first(table.relapse_day, death), end)
    elif name == "grfs":
        time, status = _survival(
            _first(table.agvhd_3_4_day, table.cgvhd_systemic_day, table.relapse_day, death),
            end,
        )
    elif name in ("relapse", "nrm"):
        time, status = _competing(table.relapse_day, death, end)
        if name == "nrm":
            status = np.where(status == 0, 0, 3 - status).astype(np.int64)
    else:
        column = {
            "agvhd_2_4": table.agvhd_2_4_day,
            "agvhd_3_4": table.agvhd_3_4_day,
            "cgvhd": table.cgvhd_day,
            "neutrophil_engraftment": table.neutrophil_day,
            "platelet_engraftment": table.platelet_day,
        }[name]
        time, status = _competing(column, death, end)
    if spec.censor_at_next_transplant:
        cut = table.next_transplant_day
        beyond = ~np.isnan(cut) & (time > cut)
        time = np.where(beyond, cut, time)
        status = np.where(beyond, 0, status).astype(np.int64)
    causes = (1,) if spec.kind == "survival" else (1, 2)
    return Endpoint(
        name=name,
        ids=tuple(str(i) for i in table.episode_id.tolist()),
        time=convert_time(time, "days", unit),
        status=status,
        time_unit=unit,
        censor_code=0,
        causes=causes,
    )


def derive_endpoints(table: OutcomeTable, names: Sequence[str] | None = None) -> dict[str, Endpoint]:
    """Every endpoint (or those named), each on its own analysis rows, in days."""
    return {n: derive_endpoint(analysis_rows(table, n), n) for n in (names or tuple(ENDPOINTS))}


def group_labels(table: OutcomeTable, group_by: str) -> NDArray[np.str_]:
    """Group labels of each row for ``group_by`` (one of :data:`GROUP_FIELDS`); blanks become 'missing'."""
    if group_by not in GROUP_FIELDS:
        raise OutcomeInputError(f"group_by: got {group_by!r}; expected one of {', '.join(GROUP_FIELDS)}")
    if group_by == "disease_group":
        raw = np.asarray([disease_group(c) for c in table.icd10.tolist()], dtype=np.str_)
    else:
        raw = np.asarray(table.column(group_by)).astype(np.str_)
    out: NDArray[np.str_] = np.where(raw == "", MISSING_LABEL, raw).astype(np.str_)
    return out


# ---- summaries shared by the CLI and the API ---------------------------------------------------


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


def survival_summary(
    endpoint: Endpoint, groups: NDArray[Any] | None = None, *, landmarks: Sequence[float] = (365.0,)
) -> dict[str, Any]:
    """Per group: n, events, median with limits, survival at ``landmarks`` (log-log 95% CI); log-rank."""
    if endpoint.time.size == 0:
        raise OutcomeInputError(f"endpoint {endpoint.name}: got no transplants to analyse")
    fits = km_fits(endpoint, groups)
    at = np.asarray(landmarks, dtype=np.float64)
    out_groups = []
    for label, fit in fits.items():
        med = fit.median()
        lm = fit.survival_at(at)
        out_groups.append(
            {
                "group": label,
                "n": fit.n_obs,
                "events": int(fit.n_event.sum()),
                "median": {"estimate": _num(med.estimate), "lower": _num(med.lower), "upper": _num(med.upper)},
                "landmarks": [
                    {
                        "time": float(t),
                        "survival": _num(s),
                        "lower": _num(lo),
                        "upper": _num(hi),
                        "std_error": _num(se),
                    }
                    for t, s, lo, hi, se in zip(at, lm.survival, lm.lower, lm.upper, lm.std_error, strict=True)
                ],
            }
        )
    result: dict[str, Any] = {
        "endpoint": endpoint.name,
        "label": ENDPOINTS[endpoint.name].label if endpoint.name in ENDPOINTS else endpoint.name,
        "time_unit": endpoint.time_unit,
        "conf_level": 0.95,
        "groups": out_groups,
        "test": None,
    }
    if groups is not None and len(fits) > 1:
        lr = logrank_test(endpoint.time, endpoint.event, np.asarray(groups).astype(np.str_))
        result["test"] = {
            "name": "log-rank",
            "statistic": _num(lr.statistic),
            "df": lr.df,
            "p_value": _num(lr.p_value),
            "observed": lr.observed.tolist(),
            "expected": lr.expected.tolist(),
            "groups": [str(g) for g in lr.groups],
        }
    return result


def cif_summary(
    endpoint: Endpoint,
    groups: NDArray[Any] | None = None,
    *,
    landmarks: Sequence[float] = (100.0, 365.0),
    cause: int = 1,
) -> dict[str, Any]:
    """Per group: n, events of ``cause``, CIF at ``landmarks`` with 95% limits; Gray's test."""
    if endpoint.time.size == 0:
        raise OutcomeInputError(f"endpoint {endpoint.name}: got no transplants to analyse")
    if cause not in endpoint.causes:
        raise OutcomeInputError(f"cause: got {cause}; expected one of {list(endpoint.causes)}")
    fits = cif_fits(endpoint, groups)
    at = np.asarray(landmarks, dtype=np.float64)
    out_groups = []
    for label, fit in fits.items():
        est, var, lo, hi = fit.at(at, cause)
        out_groups.append(
            {
                "group": label,
                "n": fit.n_obs,
                "events": int(fit.n_event[:, fit.column(cause)].sum()),
                "competing_events": int(fit.n_event.sum() - fit.n_event[:, fit.column(cause)].sum()),
                "landmarks": [
                    {"time": float(t), "incidence": _num(e), "lower": _num(a), "upper": _num(b), "variance": _num(v)}
                    for t, e, a, b, v in zip(at, est, lo, hi, var, strict=True)
                ],
            }
        )
    spec = ENDPOINTS.get(endpoint.name)
    result: dict[str, Any] = {
        "endpoint": endpoint.name,
        "label": spec.label if spec else endpoint.name,
        "cause": cause,
        "cause_label": spec.cause_labels[cause - 1] if spec and cause - 1 < len(spec.cause_labels) else str(cause),
        "time_unit": endpoint.time_unit,
        "conf_level": 0.95,
        "groups": out_groups,
        "test": None,
    }
    if groups is not None and len(fits) > 1:
        gt = gray_test(endpoint.time, endpoint.status, np.asarray(groups).astype(np.str_), causes=endpoint.causes)
        test = gt.for_cause(cause)
        result["test"] = {
            "name": "Gray",
            "statistic": _num(test.statistic),
            "df": test.df,
            "p_value": _num(test.p_value),
            "groups": [str(g) for g in gt.groups],
        }
    return result


def curve_rows(endpoint: Endpoint, groups: NDArray[Any] | None = None, cause: int = 1) -> list[dict[str, Any]]:
    """The step curve of each group as flat rows (for CSV): time, n at risk, estimate and limits."""
    rows: list[dict[str, Any]] = []
    if is_competing(endpoint):
        for label, cfit in cif_fits(endpoint, groups).items():
            j = cfit.column(cause)
            for k in range(cfit.time.size):
                rows.append(
                    {
                        "group": label,
                        "time": float(cfit.time[k]),
                        "n_risk": int(cfit.n_risk[k]),
                        "n_event": int(cfit.n_event[k, j]),
                        "estimate": _num(cfit.cif[k, j]),
                        "lower": _num(cfit.lower[k, j]),
                        "upper": _num(cfit.upper[k, j]),
                    }
                )
        return rows
    for label, fit in km_fits(endpoint, groups).items():
        for k in range(fit.time.size):
            rows.append(
                {
                    "group": label,
                    "time": float(fit.time[k]),
                    "n_risk": int(fit.n_risk[k]),
                    "n_event": int(fit.n_event[k]),
                    "estimate": _num(fit.survival[k]),
                    "lower": _num(fit.lower[k]),
                    "upper": _num(fit.upper[k]),
                }
            )
    return rows


def endpoint_figure(
    endpoint: Endpoint, groups: NDArray[Any] | None = None, *, cause: int = 1, title: str | None = None
) -> Figure:
    """Kaplan-Meier (survival endpoints) or cumulative incidence (competing endpoints) figure."""
    spec = ENDPOINTS.get(endpoint.name)
    heading = title or (spec.label if spec else endpoint.name)
    if is_competing(endpoint):
        return plot_cumulative_incidence(cif_fits(endpoint, groups), cause, title=heading)
    return plot_survival(km_fits(endpoint, groups), title=heading)


def analyse(
    endpoint: Endpoint,
    groups: NDArray[Any] | None = None,
    *,
    landmarks: Sequence[float] | None = None,
    cause: int = 1,
) -> dict[str, Any]:
    """Survival summary for survival endpoints, cumulative incidence summary for competing ones.

    An endpoint with one cause is a survival endpoint, with several a competing one (registry
    endpoints follow :data:`ENDPOINTS`; CSV endpoints the command that read them). Default
    landmarks: 1 and 2 years (plus day 100 for cumulative incidences), in the endpoint's time unit.
    """
    competing = is_competing(endpoint)
    # one and two years: 365/730 days (as the CIBMTR 1-year rule), 12/24 months, 1/2 years
    one_year = 365.0 if endpoint.time_unit == "days" else 365.25
    year = convert_time(np.asarray([one_year, 2 * one_year]), "days", endpoint.time_unit).tolist()
    if competing:
        marks = (
            landmarks
            if landmarks is not None
            else [*convert_time(np.asarray([100.0]), "days", endpoint.time_unit).tolist(), *year]
        )
        return cif_summary(endpoint, groups, landmarks=marks, cause=cause)
    return survival_summary(endpoint, groups, landmarks=landmarks if landmarks is not None else year)


def is_competing(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` is analysed as a cumulative incidence (more than one cause)."""
    return len(endpoint.causes) > 1


def compare_groups(endpoint: Endpoint, groups: NDArray[Any], *, cause: int = 1) -> dict[str, Any]:
    """Log-rank test (survival endpoints) or Gray's test (competing endpoints) across ``groups``."""
    labels = np.asarray(groups).astype(np.str_)
    if np.unique(labels).size < 2:
        raise OutcomeInputError("group_by: got a single group; expected at least 2 groups to compare")
    summary = analyse(endpoint, labels, cause=cause)
    return {
        "endpoint": endpoint.name,
        "time_unit": endpoint.time_unit,
        "test": summary["test"],
        "groups": summary["groups"],
    }


BENCHMARK_COVARIATES: tuple[str, ...] = (
    "age_years",
    "disease_group",
    "disease_status",
    "performance_score",
    "hctci",
    "donor_relation",
    "graft_source",
    "conditioning_intensity",
    "recipient_cmv",
    "year",
)


@dataclass(frozen=True, slots=True, eq=False)
class BenchmarkCohort:
    """The benchmarking population and its overall-survival data and covariates."""

    table: OutcomeTable
    time: FloatArray
    event: IntArray
    centre: NDArray[np.str_]
    covariates: dict[str, NDArray[Any]]
    as_of: str


def benchmark_cohort(
    table: OutcomeTable,
    *,
    as_of: dt.date | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    tau: float = 365.0,
) -> BenchmarkCohort:
    """First allogeneic transplants with day 0 more than ``tau`` days before the data cut-off.

    ``as_of`` (the data cut-off) defaults to the latest date known in the table (day 0 plus last
    contact). ``first_year``/``last_year`` restrict the transplant years (the CSA uses 3 years).
    Covariates are those of :data:`BENCHMARK_COVARIATES` (numeric: age, performance score, HCT-CI,
    year; the others categorical); the benchmarking module handles missing values.
    """
    cutoff: np.datetime64[Any]
    if as_of is not None:
        cutoff = np.datetime64(as_of, "D")
    elif len(table):
        cutoff = (table.day0 + table.last_contact_day.astype("timedelta64[D]")).max()
    else:
        cutoff = np.datetime64("1900-01-01", "D")
    # more than tau days of potential follow-up (days since 1970)
    latest_day0 = int(np.asarray(cutoff, dtype="datetime64[D]").astype(np.int64)) - int(tau) - 1
    eligible = (
        (table.transplant_type == "allogeneic")
        & (table.sequence_number == 1)
        & (table.day0.astype(np.int64) <= latest_day0)
    )
    if first_year is not None:
        eligible &= table.year >= first_year
    if last_year is not None:
        eligible &= table.year <= last_year
    cohort = table.select(eligible)
    if len(cohort) < 2:
        raise OutcomeInputError(
            f"benchmark: got {len(cohort)} first allogeneic transplant(s) with more than {int(tau)} days of"
            " potential follow-up; expected at least 2"
        )
    os_ = derive_endpoint(cohort, "os")
    covariates: dict[str, NDArray[Any]] = {}
    for name in BENCHMARK_COVARIATES:
        if name == "disease_group":
            covariates[name] = np.asarray([disease_group(c) for c in cohort.icd10.tolist()], dtype=object)
        elif name == "year":
            covariates[name] = cohort.year.astype(np.float64)
        else:
            col = cohort.column(name)
            covariates[name] = col.astype(object) if col.dtype.kind == "U" else col
    return BenchmarkCohort(
        table=cohort,
        time=os_.time,
        event=os_.event,
        centre=cohort.centre,
        covariates=covariates,
        as_of=str(cutoff),
    )
