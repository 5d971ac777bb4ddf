"""Set-based extraction of one typed row per transplant episode for outcome analysis.

:func:`load_outcome_table` reads the registry with a handful of SQL statements (episodes with their
patient, centre, diagnosis and first donor; the outcome events; the latest contact date of each
patient; conditioning agents; stored HCT-CI and performance assessments) — never one query per
episode — and returns an :class:`OutcomeTable` of numpy arrays. Times are days from day 0 of the
episode (NaN when the event was not recorded). It is the one read of episodes behind every outcome
question (:mod:`engraft.registry.outcome_service`): endpoints are derived from it by the pure
functions of :mod:`engraft.outcomes.registry_endpoints`, and the activity report counts its
columns (centre, year, transplant type, donor relation, graft source, ICD-10, sequence number).

Attribution rules (documented here because they change published figures):

* **Death** is patient-level: its day is counted from each episode's day 0.
* **Relapse/progression**: the first relapse or progression event of the patient dated on or after
  the episode's day 0 (whatever episode it is linked to), so a relapse leading to a second
  transplant counts against the first.
* **GVHD and engraftment** concern the infused graft: only events linked to the episode count.
  Acute GVHD grade II-IV (III-IV) is the first acute GVHD event of grade >= 2 (>= 3).
  Chronic GVHD requiring systemic treatment is the first chronic GVHD event whose details say
  ``systemic_treatment: true``.
* **Last contact** is the latest date known for the patient: follow-up visit, clinical event,
  observation, or day 0 itself (CIBMTR: vital status as of the last contact date).
* ``next_transplant_day`` is day 0 of the patient's next episode (NaN if none), so that graft
  endpoints can be censored at a subsequent transplant.
* **Conditioning intensity** (allogeneic only) is graded by the ``conditioning-intensity``
  instrument of :mod:`engraft.scores` with its ``cibmtr-operational`` rule set (MAC / RIC / NMA;
  thresholds marked unverified there). Autologous episodes get ``"autologous"``; episodes whose
  regimen is missing or cannot be graded (e.g. busulfan without a route, an agent the instrument
  does not know) get ``""`` (missing).
* **HCT-CI and performance score** come from stored assessments linked to the episode
  (instruments ``hct-ci``, ``karnofsky``, ``lansky``; the latest one wins); NaN when none is
  stored. Follow-up visit scores are not used: they are measured after day 0.
* **Donor relation** is that of the episode's first donor (position order); autologous episodes
  without a donor record get ``"autologous"``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select

from engraft.outcomes.outcome_table import OutcomeTable
from engraft.registry.models import (
    Assessment,
    Centre,
    ClinicalEvent,
    ConditioningAgent,
    Diagnosis,
    Donor,
    EpisodeDonor,
    FollowUpVisit,
    Observation,
    Patient,
    TransplantEpisode,
)
from engraft.registry.score_inputs import ConditioningRow, NotApplicable, conditioning_input
from engraft.scores.conditioning import ConditioningVariant, conditioning_intensity
from engraft.vocabulary import CellTherapy, ConditioningIntensity, EventType
from engraft.vocabulary.time import DAYS_PER_YEAR

_DISEASE_EVENTS = (EventType.RELAPSE, EventType.PROGRESSION)
_GRAFT_EVENTS = (
    EventType.ACUTE_GVHD,
    EventType.CHRONIC_GVHD,
    EventType.NEUTROPHIL_ENGRAFTMENT,
    EventType.PLATELET_ENGRAFTMENT,
)
_ASSESSMENTS = {"hct-ci": "hctci", "karnofsky": "performance", "lansky": "performance"}


def empty_outcome_table() -> OutcomeTable:
    """A table without rows (an empty registry)."""
    return _build([], {}, _Events({}, {}, {}), {}, {}, {})


def load_outcome_table(engine: Engine, *, centre: str | None = None) -> OutcomeTable:
    """Read every transplant episode (optionally of one centre) as an :class:`OutcomeTable`; immune effector cell
    (CAR-T) episodes are left out.

    All queries read one snapshot (REPEATABLE READ on PostgreSQL; SQLite reads in one transaction).
    """
    ep = TransplantEpisode
    episodes_stmt = (
        select(
            ep.id,
            ep.patient_id,
            Centre.code,
            ep.sequence_number,
            ep.transplant_type,
            ep.graft_source,
            ep.day0,
            ep.tbi_dose_gy,
            ep.tbi_fractions,
            Patient.birth_date,
            Patient.cmv_serostatus,
            Diagnosis.icd10,
            Diagnosis.status_at_transplant,
        )
        .join(Centre, Centre.id == ep.centre_id)
        .join(Patient, Patient.id == ep.patient_id)
        .outerjoin(Diagnosis, Diagnosis.id == ep.diagnosis_id)
        .where(ep.cell_therapy == CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT)  # CAR-T infusions are no transplants
        .order_by(ep.id)
    )
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for all queries
        episodes = [tuple(r) for r in conn.execute(episodes_stmt)]
        donors = conn.execute(
            select(EpisodeDonor.episode_id, EpisodeDonor.position, Donor.relation)
            .join(Donor, Donor.id == EpisodeDonor.donor_id)
            .order_by(EpisodeDonor.episode_id, EpisodeDonor.position)
        ).all()
        events = conn.execute(
            select(
                ClinicalEvent.patient_id,
                ClinicalEvent.episode_id,
                ClinicalEvent.event_type,
                ClinicalEvent.event_date,
                ClinicalEvent.details,
            ).where(ClinicalEvent.event_type.in_((*_DISEASE_EVENTS, *_GRAFT_EVENTS, EventType.DEATH)))
        ).all()
        # the latest follow-up visit, event and observation of each patient: one statement of correlated
        # max() subqueries, each an index seek (ix_observation_patient_time) instead of a scan of every
        # observation; three columns, not a UNION, which would coerce the timestamps to dates on SQLite
        contacts = [
            (patient_id, when)
            for patient_id, *latest in conn.execute(
                select(
                    Patient.id,
                    _latest(FollowUpVisit.visit_date, FollowUpVisit.patient_id),
                    _latest(ClinicalEvent.event_date, ClinicalEvent.patient_id),
                    _latest(Observation.observed_at, Observation.patient_id),
                )
            )
            for when in latest
        ]
        agents = conn.execute(
            select(
                ConditioningAgent.episode_id,
                ConditioningAgent.drug,
                ConditioningAgent.total_dose,
                ConditioningAgent.unit,
                ConditioningAgent.route,
            )
        ).all()
        assessments = conn.execute(
            select(Assessment.episode_id, Assessment.instrument, Assessment.assessed_at, Assessment.value)
            .where(Assessment.episode_id.is_not(None), Assessment.instrument.in_(tuple(_ASSESSMENTS)))
            .order_by(Assessment.assessed_at)
        ).all()

    relation: dict[int, str] = {}
    for episode_id, _position, rel in donors:
        relation.setdefault(int(episode_id), str(rel))
    last_contact: dict[int, dt.date] = {}
    for pid, when in contacts:
        if when is None:
            continue
        day = _as_date(when)
        if pid not in last_contact or day > last_contact[pid]:
            last_contact[int(pid)] = day
    regimen: dict[int, list[ConditioningRow]] = defaultdict(list)
    for episode_id, drug, dose, unit, route in agents:
        regimen[int(episode_id)].append(ConditioningRow(drug, float(dose), unit, route))
    scores: dict[tuple[int, str], float] = {}
    for episode_id, instrument, _at, value in assessments:
        if value is not None:
            scores[(int(episode_id), _ASSESSMENTS[str(instrument)])] = float(value)  # latest wins (ordered)
    table = _build(episodes, relation, _index_events(events), last_contact, regimen, scores)
    # filtered after building, so a later transplant at another centre still censors graft endpoints
    return table if centre is None else table.select(table.centre == centre)


def _latest(column: Any, patient_column: Any) -> Any:
    """The patient's latest value of ``column`` (NULL if none), as a scalar subquery of the patient row."""
    return select(func.max(column)).where(patient_column == Patient.id).scalar_subquery()


@dataclass(slots=True)
class _Events:
    death: dict[int, dt.date]
    disease: dict[int, list[dt.date]]  # patient -> sorted relapse/progression dates
    graft: dict[int, dict[str, dt.date]]  # episode -> first date of each graft endpoint


def _index_events(rows: Sequence[Any]) -> _Events:
    death: dict[int, dt.date] = {}
    disease: dict[int, list[dt.date]] = defaultdict(list)
    graft: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for patient_id, episode_id, event_type, event_date, details in rows:
        kind = EventType(event_type)
        when = _as_date(event_date)
        info: dict[str, Any] = details or {}
        if kind is EventType.DEATH:
            death[int(patient_id)] = min(when, death.get(int(patient_id), when))
            continue
        if kind in _DISEASE_EVENTS:
            disease[int(patient_id)].append(when)
            continue
        if episode_id is None:
            continue
        keys: list[str] = []
        if kind is EventType.ACUTE_GVHD:
            grade = int(info.get("grade", 0) or 0)
            keys = [k for k, cut in (("agvhd_2_4_day", 2), ("agvhd_3_4_day", 3)) if grade >= cut]
        elif kind is EventType.CHRONIC_GVHD:
            keys = ["cgvhd_day"] + (["cgvhd_systemic_day"] if info.get("systemic_treatment") is True else [])
        elif kind is EventType.NEUTROPHIL_ENGRAFTMENT:
            keys = ["neutrophil_day"]
        elif kind is EventType.PLATELET_ENGRAFTMENT:
            keys = ["platelet_day"]
        slot = graft[int(episode_id)]
        for key in keys:
            slot[key] = min(when, slot.get(key, when))
    for dates in disease.values():
        dates.sort()
    return _Events(death, dict(disease), dict(graft))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text[:10])


INTENSITY_CODES: dict[ConditioningIntensity, str] = {
    ConditioningIntensity.MAC: "MAC",
    ConditioningIntensity.RIC: "RIC",
    ConditioningIntensity.NMA: "NMA",
}
"""The outcome table's code of every conditioning intensity (the test suite checks it covers the enum)."""


def _intensity(tbi_gy: float | None, fractions: int | None, agents: list[ConditioningRow]) -> str:
    """MAC / RIC / NMA by the conditioning-intensity instrument (CIBMTR operational rule); "" if not gradable.

    "Not gradable" means the registry lacks what the rule needs (no regimen, a busulfan route or the TBI
    fractions not recorded); every graded regimen has a code.
    """
    regimen = conditioning_input(agents, tbi_gy, fractions, ConditioningVariant.CIBMTR_OPERATIONAL)
    if isinstance(regimen, NotApplicable):
        return ""
    return INTENSITY_CODES[conditioning_intensity(regimen).value]


def _build(
    episodes: Sequence[tuple[Any, ...]],
    relation: dict[int, str],
    ev: _Events,
    last_contact: dict[int, dt.date],
    regimen: dict[int, list[ConditioningRow]],
    scores: dict[tuple[int, str], float],
) -> OutcomeTable:
    n = len(episodes)
    nan = float("nan")
    cols: dict[str, list[Any]] = defaultdict(list)
    day0_by_patient: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for row in episodes:
        day0_by_patient[int(row[1])].append((int(row[3]), _as_date(row[6])))
    for seq in day0_by_patient.values():
        seq.sort()
    for eid, pid, centre, seq, ttype, source, day0_raw, tbi, fractions, birth, cmv, icd10, status in episodes:
        eid, pid = int(eid), int(pid)
        day0 = _as_date(day0_raw)
        born = _as_date(birth)

        def days(when: dt.date | None, day0: dt.date = day0) -> float:
            return nan if when is None else float((when - day0).days)

        cols["episode_id"].append(eid)
        cols["patient_id"].append(pid)
        cols["centre"].append(str(centre))
        cols["sequence_number"].append(int(seq))
        cols["transplant_type"].append(str(ttype))
        cols["donor_relation"].append(relation.get(eid, "autologous" if str(ttype) == "autologous" else ""))
        cols["graft_source"].append(str(source))
        cols["icd10"].append("" if icd10 is None else str(icd10))
        cols["disease_status"].append("" if status is None else str(status))
        cols["recipient_cmv"].append("" if cmv is None or str(cmv) == "unknown" else str(cmv))
        agents = regimen.get(eid, [])
        if str(ttype) == "autologous":
            intensity = "autologous"
        else:
            intensity = _intensity(tbi, fractions, agents)
        cols["conditioning_intensity"].append(intensity)
        cols["year"].append(day0.year)
        cols["day0"].append(np.datetime64(day0, "D"))
        cols["age_years"].append((day0 - born).days / DAYS_PER_YEAR)
        cols["hctci"].append(scores.get((eid, "hctci"), nan))
        cols["performance_score"].append(scores.get((eid, "performance"), nan))
        death = ev.death.get(pid)
        death_day = days(death)
        if death is not None and death_day < 0:
            death_day = 0.0  # a death dated before day 0 is a data error: counted at day 0, not dropped
        contact = max(d for d in (last_contact.get(pid), death, day0) if d is not None)
        cols["last_contact_day"].append(max(0.0, days(contact)))
        cols["death_day"].append(death_day)
        disease = ev.disease.get(pid, [])
        k = bisect_left(disease, day0)
        cols["relapse_day"].append(days(disease[k]) if k < len(disease) else nan)
        graft = ev.graft.get(eid, {})
        for key in (
            "agvhd_2_4_day",
            "agvhd_3_4_day",
            "cgvhd_day",
            "cgvhd_systemic_day",
            "neutrophil_day",
            "platelet_day",
        ):
            cols[key].append(days(graft.get(key)))
        later = [d for s, d in day0_by_patient[pid] if s > int(seq)]
        cols["next_transplant_day"].append(days(min(later)) if later else nan)

    def arr(name: str, dtype: Any) -> NDArray[Any]:
        return np.asarray(cols[name], dtype=dtype) if n else np.empty(0, dtype=dtype)

    return OutcomeTable(
        episode_id=arr("episode_id", np.int64),
        patient_id=arr("patient_id", np.int64),
        centre=arr("centre", np.str_),
        sequence_number=arr("sequence_number", np.int64),
        transplant_type=arr("transplant_type", np.str_),
        donor_relation=arr("donor_relation", np.str_),
        graft_source=arr("graft_source", np.str_),
        icd10=arr("icd10", np.str_),
        disease_status=arr("disease_status", np.str_),
        recipient_cmv=arr("recipient_cmv", np.str_),
        conditioning_intensity=arr("conditioning_intensity", np.str_),
        year=arr("year", np.int64),
        day0=arr("day0", "datetime64[D]"),
        age_years=arr("age_years", np.float64),
        hctci=arr("hctci", np.float64),
        performance_score=arr("performance_score", np.float64),
        last_contact_day=arr("last_contact_day", np.float64),
        death_day=arr("death_day", np.float64),
        relapse_day=arr("relapse_day", np.float64),
        agvhd_2_4_day=arr("agvhd_2_4_day", np.float64),
        agvhd_3_4_day=arr("agvhd_3_4_day", np.float64),
        cgvhd_day=arr("cgvhd_day", np.float64),
        cgvhd_systemic_day=arr("cgvhd_systemic_day", np.float64),
        neutrophil_day=arr("neutrophil_day", np.float64),
        platelet_day=arr("platelet_day", np.float64),
        next_transplant_day=arr("next_transplant_day", np.float64),
    )
