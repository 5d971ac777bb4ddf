"""Rules that span records: dates against birth and day 0, donors against transplant type, death.

Field-level rules live in the schemas; these need the database (the patient's birth date, the
episode's day 0, a recorded death) and run inside the service's transaction before anything is
flushed, so a failing rule leaves nothing written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engraft.registry.errors import InvalidRecord, Problem, RecordNotFound
from engraft.registry.models import (
    Centre,
    ClinicalEvent,
    Diagnosis,
    Donor,
    FollowUpVisit,
    Observation,
    Patient,
    TransplantEpisode,
)
from engraft.vocabulary import (
    POST_INFUSION_EVENTS,
    CellTherapy,
    DonorRelation,
    EventSource,
    EventType,
    GraftSource,
    TransplantType,
    VitalStatus,
)


def fetch_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise RecordNotFound("patient", patient_id)
    return patient


def fetch_centre(session: Session, code: str) -> Centre:
    centre = session.scalars(select(Centre).where(Centre.code == code)).one_or_none()
    if centre is None:
        raise InvalidRecord.single("centre", code, "the code of a registered centre (POST /api/centres)")
    return centre


TRANSPLANT_EPISODE_EXPECTED = "a haematopoietic cell transplant episode"
"""What the transplant-only parts (pre-transplant risk profile, risk explanation, its consent records) expect."""


def require_transplant(cell_therapy: CellTherapy) -> None:
    """Refuse an immune effector cell (CAR-T) episode where only a haematopoietic cell transplant applies.

    The pre-transplant risk instruments (HCT-CI, EBMT risk score, disease risk index...), the patient's risk
    explanation built on them and the consent records naming that document are for transplants:
    :class:`InvalidRecord` on ``cell_therapy`` (the API's 422) otherwise.
    """
    if cell_therapy is not CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT:
        raise InvalidRecord.single("cell_therapy", cell_therapy.value, TRANSPLANT_EPISODE_EXPECTED)


def fetch_transplant(session: Session, episode_id: int) -> TransplantEpisode:
    """Episode ``episode_id`` when it is a haematopoietic cell transplant (:func:`require_transplant`)."""
    episode = session.get(TransplantEpisode, episode_id)
    if episode is None:
        raise RecordNotFound("transplant episode", episode_id)
    require_transplant(episode.cell_therapy)
    return episode


def fetch_episode_of(session: Session, episode_id: int | None, patient: Patient) -> TransplantEpisode | None:
    if episode_id is None:
        return None
    episode = session.get(TransplantEpisode, episode_id)
    if episode is None or episode.patient_id != patient.id:
        raise InvalidRecord.single("episode_id", episode_id, f"a transplant episode of patient {patient.id}")
    return episode


def not_before_birth(field: str, when: dt.date, patient: Patient) -> Problem | None:
    if when < patient.birth_date:
        return Problem(field, when.isoformat(), f"a date on or after the birth date {patient.birth_date.isoformat()}")
    return None


def raise_if(problems: list[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise InvalidRecord(found)


def check_diagnosis(diagnosis: Diagnosis, patient: Patient) -> None:
    raise_if([not_before_birth("diagnosis_date", diagnosis.diagnosis_date, patient)])


def check_episode(session: Session, episode: TransplantEpisode, patient: Patient, donors: list[Donor]) -> None:
    problems: list[Problem | None] = [not_before_birth("day0", episode.day0, patient)]
    if episode.tbi_fractions is not None and not episode.tbi_dose_gy:
        problems.append(Problem("tbi_fractions", episode.tbi_fractions, "a TBI dose in Gy (tbi_dose_gy) with it"))
    if (episode.tnc_per_kg is None) != (episode.tnc_unit is None):
        problems.append(Problem("tnc_unit", episode.tnc_unit, "tnc_per_kg and tnc_unit together, or neither"))
    if episode.id is not None:
        problems.extend(_episode_dependents(session, episode))
    if episode.diagnosis_id is not None:
        diagnosis = session.get(Diagnosis, episode.diagnosis_id)
        if diagnosis is None or diagnosis.patient_id != patient.id:
            problems.append(Problem("diagnosis_id", episode.diagnosis_id, f"a diagnosis of patient {patient.id}"))
        elif diagnosis.diagnosis_date > episode.day0:
            problems.append(
                Problem("day0", episode.day0.isoformat(), f"on or after the diagnosis date {diagnosis.diagnosis_date}")
            )
    relations = [d.relation for d in donors]
    if episode.transplant_type is TransplantType.AUTOLOGOUS:
        if any(r is not DonorRelation.AUTOLOGOUS for r in relations):
            problems.append(
                Problem("donor_ids", [d.id for d in donors], "only autologous donors for an autologous HCT")
            )
        if episode.graft_source is GraftSource.CORD_BLOOD:
            problems.append(Problem("graft_source", episode.graft_source.value, "bone marrow or peripheral blood"))
    else:
        if not donors:
            problems.append(Problem("donor_ids", [], "at least one donor for an allogeneic HCT"))
        if any(r is DonorRelation.AUTOLOGOUS for r in relations):
            problems.append(Problem("donor_ids", [d.id for d in donors], "no autologous donor in an allogeneic HCT"))
        is_cord = episode.graft_source is GraftSource.CORD_BLOOD
        if donors and any((r is DonorRelation.CORD_BLOOD_UNIT) != is_cord for r in relations):
            expected = "cord blood units only" if is_cord else "no cord blood unit unless graft_source is cord blood"
            problems.append(Problem("donor_ids", [d.id for d in donors], expected))
    raise_if(problems)


def _death_of(session: Session, patient_id: int, excluding: int | None = None) -> ClinicalEvent | None:
    stmt = select(ClinicalEvent).where(
        ClinicalEvent.patient_id == patient_id, ClinicalEvent.event_type == EventType.DEATH
    )
    if excluding is not None:
        stmt = stmt.where(ClinicalEvent.id != excluding)
    return session.scalars(stmt).first()


def check_event(session: Session, event: ClinicalEvent, patient: Patient) -> None:
    episode = fetch_episode_of(session, event.episode_id, patient)
    problems: list[Problem | None] = [not_before_birth("event_date", event.event_date, patient)]
    if event.event_type in POST_INFUSION_EVENTS:
        if episode is None:
            problems.append(Problem("episode_id", None, f"the transplant episode a {event.event_type} belongs to"))
        elif event.event_date < episode.day0:
            problems.append(
                Problem(
                    "event_date",
                    event.event_date.isoformat(),
                    f"on or after day 0 ({episode.day0.isoformat()}): {event.event_type} cannot precede the infusion",
                )
            )
    if event.event_type is EventType.DEATH:
        problems.extend(_after_death(session, patient.id, event))
    death = _death_of(session, patient.id, excluding=event.id)
    if death is not None:
        if event.event_type is EventType.DEATH:
            problems.append(Problem("event_type", "death", f"one death per patient (recorded on {death.event_date})"))
        elif event.event_date > death.event_date and event.source is not EventSource.DERIVED:
            # the monitoring's reading (a graft-failure day limit passed with no recovery) yields to a recorded death
            problems.append(
                Problem("event_date", event.event_date.isoformat(), f"on or before the death date {death.event_date}")
            )
    raise_if(problems)


def check_follow_up(session: Session, visit: FollowUpVisit, patient: Patient) -> None:
    episode = fetch_episode_of(session, visit.episode_id, patient)
    problems: list[Problem | None] = [not_before_birth("visit_date", visit.visit_date, patient)]
    if (visit.performance_score is None) != (visit.performance_scale is None):
        problems.append(
            Problem("performance_scale", visit.performance_scale, "performance_score and performance_scale together")
        )
    if episode is not None and visit.visit_date < episode.day0:
        problems.append(
            Problem("visit_date", visit.visit_date.isoformat(), f"on or after day 0 ({episode.day0.isoformat()})")
        )
    death = _death_of(session, patient.id)
    if death is not None and visit.vital_status is VitalStatus.ALIVE and visit.visit_date >= death.event_date:
        problems.append(Problem("vital_status", "alive", f"dead: a death is recorded on {death.event_date}"))
    raise_if(problems)


def _after_death(session: Session, patient_id: int, death: ClinicalEvent) -> list[Problem | None]:
    """A death cannot be dated before events or 'alive' visits already recorded for the patient (events the
    monitoring derived do not count: a graft-failure criterion met at a day limit is no sign of life)."""
    later_event = session.scalar(
        select(func.max(ClinicalEvent.event_date)).where(
            ClinicalEvent.patient_id == patient_id,
            ClinicalEvent.event_type != EventType.DEATH,
            ClinicalEvent.source != EventSource.DERIVED,
        )
    )
    alive_visit = session.scalar(
        select(func.max(FollowUpVisit.visit_date)).where(
            FollowUpVisit.patient_id == patient_id, FollowUpVisit.vital_status == VitalStatus.ALIVE
        )
    )
    problems: list[Problem | None] = []
    if later_event is not None and later_event > death.event_date:
        problems.append(
            Problem("event_date", death.event_date.isoformat(), f"on or after the last event ({later_event})")
        )
    if alive_visit is not None and alive_visit >= death.event_date:
        problems.append(
            Problem("event_date", death.event_date.isoformat(), f"after the last visit seen alive ({alive_visit})")
        )
    return problems


def check_patient_dependents(session: Session, patient: Patient) -> None:
    """After a birth-date change, nothing already recorded may precede the new birth date."""
    earliest = [
        (
            "diagnosis",
            session.scalar(select(func.min(Diagnosis.diagnosis_date)).where(Diagnosis.patient_id == patient.id)),
        ),
        (
            "transplant day 0",
            session.scalar(select(func.min(TransplantEpisode.day0)).where(TransplantEpisode.patient_id == patient.id)),
        ),
        (
            "event",
            session.scalar(select(func.min(ClinicalEvent.event_date)).where(ClinicalEvent.patient_id == patient.id)),
        ),
        (
            "follow-up visit",
            session.scalar(select(func.min(FollowUpVisit.visit_date)).where(FollowUpVisit.patient_id == patient.id)),
        ),
        (
            "observation",
            session.scalar(select(func.min(Observation.observed_at)).where(Observation.patient_id == patient.id)),
        ),
    ]
    problems: list[Problem | None] = []
    for what, when in earliest:
        day = when.date() if isinstance(when, dt.datetime) else when
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        if day is not None and day < patient.birth_date:
            problems.append(
                Problem(
                    "birth_date", patient.birth_date.isoformat(), f"a date on or before the earliest {what} ({day})"
                )
            )
    raise_if(problems)


def _episode_dependents(session: Session, episode: TransplantEpisode) -> list[Problem | None]:
    """After a day-0 change, post-infusion events and visits of the episode may not precede it."""
    first_event = session.scalar(
        select(func.min(ClinicalEvent.event_date)).where(
            ClinicalEvent.episode_id == episode.id, ClinicalEvent.event_type.in_(list(POST_INFUSION_EVENTS))
        )
    )
    first_visit = session.scalar(
        select(func.min(FollowUpVisit.visit_date)).where(FollowUpVisit.episode_id == episode.id)
    )
    problems: list[Problem | None] = []
    if first_event is not None and first_event < episode.day0:
        problems.append(
            Problem("day0", episode.day0.isoformat(), f"on or before the first post-infusion event ({first_event})")
        )
    if first_visit is not None and first_visit < episode.day0:
        problems.append(
            Problem("day0", episode.day0.isoformat(), f"on or before the first follow-up visit ({first_visit})")
        )
    return problems
