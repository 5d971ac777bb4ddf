"""The registry service's transplants: transplant episodes and what is recorded of their course (clinical
events, follow-up visits), with the reads of the assessments and observations written elsewhere."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from engraft.registry import checks
from engraft.registry.episode_changes import EPISODE_CHANGES, MONITORED_FIELDS, EpisodeChanged, engraftment_recorded
from engraft.registry.errors import DuplicateRecord, InvalidRecord
from engraft.registry.models import (
    Assessment,
    Centre,
    ClinicalEvent,
    ConditioningAgent,
    Donor,
    EpisodeDonor,
    FollowUpVisit,
    Observation,
    TransplantEpisode,
)
from engraft.registry.schemas.clinical import (
    AssessmentOut,
    EventIn,
    EventOut,
    EventUpdate,
    FollowUpIn,
    FollowUpOut,
    FollowUpUpdate,
    ObservationOut,
    validate_event_details,
)
from engraft.registry.schemas.common import Page
from engraft.registry.schemas.episode import EpisodeIn, EpisodeOut, EpisodeUpdate
from engraft.registry.service_core import RegistryCore

_EPISODE_LOAD_ONE: tuple[ORMOption, ...] = (
    joinedload(TransplantEpisode.conditioning),
    joinedload(TransplantEpisode.donor_links),
)
"""One episode in one query (a few conditioning agents times at most four donors: a small product)."""
_EPISODE_LOAD_PAGE: tuple[ORMOption, ...] = (
    selectinload(TransplantEpisode.conditioning),
    selectinload(TransplantEpisode.donor_links),
)
"""A page of episodes: one query per collection for the whole page, not one per episode."""


class TransplantsMixin(RegistryCore):
    """Record and read transplant episodes, clinical events and follow-up visits; read assessments and observations."""

    # ---- transplant episodes -------------------------------------------------------------
    def create_episode(self, data: EpisodeIn) -> EpisodeOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            centre = checks.fetch_centre(session, data.centre)
            donors = [self._donor_for_episode(session, i) for i in data.donor_ids]
            sequence = data.sequence_number or 1 + (
                session.scalar(
                    select(func.max(TransplantEpisode.sequence_number)).where(
                        TransplantEpisode.patient_id == patient.id
                    )
                )
                or 0
            )
            fields = data.model_dump(exclude={"centre", "donor_ids", "conditioning", "sequence_number"})
            episode = TransplantEpisode(centre=centre, sequence_number=sequence, **fields)
            episode.conditioning = [
                ConditioningAgent(position=i, **a.model_dump()) for i, a in enumerate(data.conditioning)
            ]
            episode.donor_links = [EpisodeDonor(donor_id=d.id, position=i) for i, d in enumerate(donors)]
            checks.check_episode(session, episode, patient, donors)
            taken = select(TransplantEpisode.id).where(
                TransplantEpisode.patient_id == patient.id, TransplantEpisode.sequence_number == sequence
            )
            if session.scalars(taken).first() is not None:
                raise DuplicateRecord("transplant episode", "sequence_number", sequence)
            self._create(session, episode, "transplant episode", data)
            return EpisodeOut.model_validate(episode)

    def _donor_for_episode(self, session: Session, donor_id: int) -> Donor:
        donor = session.get(Donor, donor_id)
        if donor is None:
            raise InvalidRecord.single("donor_ids", donor_id, "the id of a registered donor")
        return donor

    def get_episode(self, episode_id: int) -> EpisodeOut:
        with self._reading() as session:
            episode = self._get(session, TransplantEpisode, episode_id, "transplant episode", _EPISODE_LOAD_ONE)
            return EpisodeOut.model_validate(episode)

    def list_episodes(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, centre: str | None = None
    ) -> Page[EpisodeOut]:
        stmt = select(TransplantEpisode).options(*_EPISODE_LOAD_PAGE).order_by(TransplantEpisode.id)
        if patient_id is not None:
            stmt = stmt.where(TransplantEpisode.patient_id == patient_id)
        if centre is not None:
            stmt = stmt.join(Centre).where(Centre.code == centre)
        with self._reading() as session:
            return self._page(session, stmt, EpisodeOut, limit, offset)

    def update_episode(self, episode_id: int, patch: EpisodeUpdate) -> EpisodeOut:
        """Change the episode (audited); a change of what the monitoring reads (day 0, graft source, cell therapy)
        is announced once committed, so a running monitoring worker re-evaluates the episode
        (:mod:`engraft.registry.episode_changes`)."""
        with self.transaction() as session:
            episode = self._get(session, TransplantEpisode, episode_id, "transplant episode")
            patient = checks.fetch_patient(session, episode.patient_id)
            donors = [self._donor_for_episode(session, i) for i in episode.donor_ids]
            before = {field: getattr(episode, field) for field in MONITORED_FIELDS}
            self._update(
                session,
                episode,
                "transplant episode",
                patch,
                lambda: checks.check_episode(session, episode, patient, donors),
            )
            changed = frozenset(f for f in MONITORED_FIELDS if getattr(episode, f) != before[f])
            out = EpisodeOut.model_validate(episode)
        if changed and self._bound is None:  # committed (in a batch the caller evaluates what it imported)
            EPISODE_CHANGES.notify(EpisodeChanged(out.patient_id, out.id, changed))
        return out

    # ---- clinical events -----------------------------------------------------------------
    def create_event(self, data: EventIn) -> EventOut:
        """Record the event (audited); a recorded neutrophil or platelet engraftment of an episode is announced once
        committed, so a running monitoring worker re-evaluates the episode (:mod:`engraft.registry.episode_changes`)."""
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            details = validate_event_details(data.event_type, data.details)
            event = ClinicalEvent(**data.model_dump(exclude={"details"}), details=details)
            checks.check_event(session, event, patient)
            self._create(session, event, "clinical event", data)
            out = EventOut.model_validate(event)
        self._announce_engraftment(out)
        return out

    def _announce_engraftment(self, event: EventOut) -> None:
        change = engraftment_recorded(event.patient_id, event.episode_id, event.event_type, event.source)
        if change is not None and self._bound is None:  # committed (in a batch the caller evaluates what it imported)
            EPISODE_CHANGES.notify(change)

    def get_event(self, event_id: int) -> EventOut:
        with self._reading() as session:
            return EventOut.model_validate(self._get(session, ClinicalEvent, event_id, "clinical event"))

    def list_events(
        self,
        limit: int = 50,
        offset: int = 0,
        patient_id: int | None = None,
        episode_id: int | None = None,
        event_type: str | None = None,
    ) -> Page[EventOut]:
        stmt = select(ClinicalEvent).order_by(ClinicalEvent.id)
        if patient_id is not None:
            stmt = stmt.where(ClinicalEvent.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(ClinicalEvent.episode_id == episode_id)
        if event_type is not None:
            stmt = stmt.where(ClinicalEvent.event_type == event_type)
        with self._reading() as session:
            return self._page(session, stmt, EventOut, limit, offset)

    def update_event(self, event_id: int, patch: EventUpdate) -> EventOut:
        if patch.details is not None:
            with self._reading() as session:
                event_type = self._get(session, ClinicalEvent, event_id, "clinical event").event_type
            patch = patch.model_copy(update={"details": validate_event_details(event_type, patch.details)})
        with self.transaction() as session:
            event = self._get(session, ClinicalEvent, event_id, "clinical event")
            patient = checks.fetch_patient(session, event.patient_id)
            dated = event.event_date
            self._update(session, event, "clinical event", patch, lambda: checks.check_event(session, event, patient))
            out = EventOut.model_validate(event)
        if out.event_date != dated:
            self._announce_engraftment(out)
        return out

    # ---- follow-up visits ----------------------------------------------------------------
    def create_follow_up(self, data: FollowUpIn) -> FollowUpOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            visit = FollowUpVisit(**data.model_dump())
            checks.check_follow_up(session, visit, patient)
            self._create(session, visit, "follow-up visit", data)
            return FollowUpOut.model_validate(visit)

    def get_follow_up(self, visit_id: int) -> FollowUpOut:
        with self._reading() as session:
            return FollowUpOut.model_validate(self._get(session, FollowUpVisit, visit_id, "follow-up visit"))

    def list_follow_ups(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, episode_id: int | None = None
    ) -> Page[FollowUpOut]:
        stmt = select(FollowUpVisit).order_by(FollowUpVisit.id)
        if patient_id is not None:
            stmt = stmt.where(FollowUpVisit.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(FollowUpVisit.episode_id == episode_id)
        with self._reading() as session:
            return self._page(session, stmt, FollowUpOut, limit, offset)

    def update_follow_up(self, visit_id: int, patch: FollowUpUpdate) -> FollowUpOut:
        with self.transaction() as session:
            visit = self._get(session, FollowUpVisit, visit_id, "follow-up visit")
            patient = checks.fetch_patient(session, visit.patient_id)
            self._update(
                session, visit, "follow-up visit", patch, lambda: checks.check_follow_up(session, visit, patient)
            )
            return FollowUpOut.model_validate(visit)

    # ---- assessments (written by engraft.registry.risk_profile) ------------------------
    def list_assessments(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, episode_id: int | None = None
    ) -> Page[AssessmentOut]:
        stmt = select(Assessment).order_by(Assessment.id)
        if patient_id is not None:
            stmt = stmt.where(Assessment.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(Assessment.episode_id == episode_id)
        with self._reading() as session:
            return self._page(session, stmt, AssessmentOut, limit, offset)

    # ---- observations (reads; bulk writes are in engraft.registry.observations) ---------
    def list_observations(
        self,
        limit: int = 100,
        offset: int = 0,
        patient_id: int | None = None,
        episode_id: int | None = None,
        loinc: str | None = None,
    ) -> Page[ObservationOut]:
        stmt = select(Observation).order_by(Observation.patient_id, Observation.observed_at, Observation.id)
        if patient_id is not None:
            stmt = stmt.where(Observation.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(Observation.episode_id == episode_id)
        if loinc is not None:
            stmt = stmt.where(Observation.loinc == loinc)
        with self._reading() as session:
            return self._page(session, stmt, ObservationOut, limit, offset)
