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

Summaries of an endpoint (landmark estimates, medians, tests) are built by
:mod:`engraft.outcomes.summaries`; the questions asked of the registry are answered by
:mod:`engraft.outcomes.answers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeQueryError, check_time_unit
from engraft.outcomes.activity import disease_group
from engraft.outcomes.endpoints import Endpoint, convert_time
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.queries import EndpointName, GroupField

Kind = Literal["survival", "competing"]


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """What an endpoint is: a survival endpoint or a cumulative incidence with a competing event."""

    name: EndpointName
    label: str
    kind: Kind
    allogeneic_only: bool
    cause_labels: tuple[str, ...]
    censor_at_next_transplant: bool


ENDPOINTS: dict[str, EndpointSpec] = {
    s.name: s
    for s in (
        EndpointSpec(EndpointName.OS, "Overall survival", "survival", False, ("death",), False),
        EndpointSpec(
            EndpointName.DFS, "Disease-free survival", "survival", False, ("relapse/progression or death",), False
        ),
        EndpointSpec(
            EndpointName.PFS, "Progression-free survival", "survival", False, ("relapse/progression or death",), False
        ),
        EndpointSpec(EndpointName.GRFS, "GVHD-free, relapse-free survival", "survival", True, ("GRFS event",), False),
        EndpointSpec(
            EndpointName.RELAPSE, "Relapse/progression", "competing", False, ("relapse", "non-relapse death"), False
        ),
        EndpointSpec(
            EndpointName.NRM, "Non-relapse mortality", "competing", False, ("non-relapse death", "relapse"), False
        ),
        EndpointSpec(
            EndpointName.AGVHD_2_4, "Acute GVHD grade II-IV", "competing", True, ("aGVHD II-IV", "death"), True
        ),
        EndpointSpec(
            EndpointName.AGVHD_3_4, "Acute GVHD grade III-IV", "competing", True, ("aGVHD III-IV", "death"), True
        ),
        EndpointSpec(EndpointName.CGVHD, "Chronic GVHD", "competing", True, ("chronic GVHD", "death"), True),
        EndpointSpec(
            EndpointName.NEUTROPHIL_ENGRAFTMENT,
            "Neutrophil engraftment",
            "competing",
            False,
            ("engraftment", "death"),
            True,
        ),
        EndpointSpec(
            EndpointName.PLATELET_ENGRAFTMENT,
            "Platelet engraftment",
            "competing",
            False,
            ("engraftment", "death"),
            True,
        ),
    )
}

GROUP_FIELDS: tuple[str, ...] = tuple(GroupField)
MISSING_LABEL = "missing"


def endpoint_spec(name: str) -> EndpointSpec:
    """The specification of ``name``, refusing unknown endpoints with the list of known ones."""
    spec = ENDPOINTS.get(name)
    if spec is None:
        raise OutcomeQueryError("endpoint", name, f"one of {', '.join(ENDPOINTS)}")
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
        name=spec.name.value,
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
        raise OutcomeQueryError("group_by", group_by, f"one of {', '.join(GROUP_FIELDS)}")
    if group_by == "disease_group":
        raw = np.asarray([disease_group(c) for c in table.icd10.tolist()], dtype=np.str_)
    else:
        raw = np.asarray(table.column(group_by)).astype(np.str_)
    out: NDArray[np.str_] = np.where(raw == "", MISSING_LABEL, raw).astype(np.str_)
    return out
