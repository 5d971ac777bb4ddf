"""Running the monitoring rules on a stored episode, and the rule-file versions they were judged by.

:func:`evaluate_episode` reads the episode, its observations and its alerts, runs
:func:`engraft.monitoring.evaluate` with every rule-file version on record (each result is judged by the
version in force when it was recorded), and writes the alert changes and detected events in one
transaction with one audit entry (entity ``monitoring evaluation``, the episode's id: the rule file, the
alerts raised, cleared and escalated, the events written with the rule that derived them), announcing the
changed alerts (:mod:`engraft.registry.alert_notices`). An evaluation that changes nothing writes nothing.
A rule-file version is recorded once (content hash, when, by whom) the first time it is used
(:func:`record_rule_file`), in the audit entry of the evaluation that first used it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engraft.monitoring import (
    AlertState,
    Detection,
    EpisodeContext,
    MonitoredObservation,
    PriorAlert,
    RuleSet,
    RuleSetInForce,
    Transition,
    TransitionKind,
    age_in_years,
    default_rule_text,
    evaluate,
    load_rule_set,
)
from engraft.registry.alert_notices import AlertNotice, announce
from engraft.registry.audit import AuditAction
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import (
    ClinicalEvent,
    MonitoringAlert,
    MonitoringRuleFile,
    Observation,
    Patient,
    Transfusion,
    TransplantEpisode,
)
from engraft.registry.models.base import utc_now
from engraft.registry.schemas.alerts import EpisodeEvaluationOut, RuleFileOut
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType, TransfusionProduct

ALERT_ENTITY = "monitoring alert"
EVALUATION_ENTITY = "monitoring evaluation"


@lru_cache(maxsize=32)
def _parsed(default_text: str, centre_text: str | None) -> RuleSet:
    return load_rule_set(centre_text, default_text=default_text)


def record_rule_file(
    service: RegistryService, session: Session, centre_text: str | None
) -> tuple[MonitoringRuleFile, bool]:
    """The stored version of the shipped rules with ``centre_text`` over them, and whether it was new."""
    default_text = default_rule_text()
    rule_set = _parsed(default_text, centre_text)
    row = session.scalars(
        select(MonitoringRuleFile).where(MonitoringRuleFile.content_hash == rule_set.content_hash)
    ).first()
    if row is not None:
        return row, False
    row = MonitoringRuleFile(
        content_hash=rule_set.content_hash,
        name=rule_set.name,
        version=rule_set.version,
        default_text=default_text,
        centre_text=centre_text,
        loaded_by=service.actor.name,
    )
    session.add(row)
    session.flush()
    return row, True


def _history(session: Session) -> tuple[list[RuleSetInForce], dict[str, int]]:
    rows = session.scalars(select(MonitoringRuleFile).order_by(MonitoringRuleFile.loaded_at, MonitoringRuleFile.id))
    history, ids = [], {}
    for row in rows:
        rule_set = _parsed(row.default_text, row.centre_text)
        history.append(RuleSetInForce(in_force_from=row.loaded_at, rule_set=rule_set))
        ids[row.content_hash] = row.id
    return history, ids


def _context(session: Session, episode_id: int) -> EpisodeContext:
    """The episode's facts, its row locked until the evaluation commits (one evaluation of an episode at a time)."""
    episode = session.execute(
        select(
            TransplantEpisode.id,
            TransplantEpisode.patient_id,
            TransplantEpisode.day0,
            TransplantEpisode.graft_source,
            TransplantEpisode.transplant_type,
        )
        .where(TransplantEpisode.id == episode_id)
        .with_for_update()
    ).first()
    if episode is None:
        raise RecordNotFound("transplant episode", episode_id)
    birth_date = session.scalar(select(Patient.birth_date).where(Patient.id == episode.patient_id))
    return EpisodeContext(
        patient_id=episode.patient_id,
        episode_id=episode.id,
        day0=episode.day0,
        age_at_day0=None if birth_date is None else age_in_years(birth_date, episode.day0),
        graft_source=episode.graft_source,
        transplant_type=episode.transplant_type,
        platelet_transfusion_days=_platelet_days(session, episode.patient_id, episode.id, episode.day0),
        red_cell_transfusion_days=_transfusion_days(
            session, episode.patient_id, episode.id, episode.day0, TransfusionProduct.RED_CELLS
        ),
    )


def _platelet_days(session: Session, patient_id: int, episode_id: int, day0: dt.date) -> tuple[int, ...] | None:
    """Days from day 0 with a platelet transfusion recorded for the episode (or the patient, no episode named);
    ``None`` when none is recorded: the registry cannot tell "none given" from "not fed", so platelet
    engraftment is then not asserted."""
    days = _transfusion_days(session, patient_id, episode_id, day0, TransfusionProduct.PLATELETS)
    return days if days else None


def _transfusion_days(
    session: Session, patient_id: int, episode_id: int, day0: dt.date, product: TransfusionProduct
) -> tuple[int, ...]:
    """Days from day 0 with a transfusion of ``product`` recorded for the episode (or the patient, no episode)."""
    stmt = select(Transfusion.administered_at).where(
        Transfusion.patient_id == patient_id,
        Transfusion.product == product,
        or_(Transfusion.episode_id == episode_id, Transfusion.episode_id.is_(None)),
    )
    return tuple(sorted({(moment.astimezone(dt.UTC).date() - day0).days for moment in session.scalars(stmt)}))


def _observations(session: Session, episode_id: int) -> list[MonitoredObservation]:
    rows = session.execute(
        select(
            Observation.id,
            Observation.observed_at,
            Observation.recorded_at,
            Observation.loinc,
            Observation.value,
            Observation.unit,
        ).where(Observation.episode_id == episode_id)
    )
    return [
        MonitoredObservation(
            id=r.id, observed_at=r.observed_at, recorded_at=r.recorded_at, loinc=r.loinc, value=r.value, unit=r.unit
        )
        for r in rows
    ]


def evaluate_episode(
    service: RegistryService, episode_id: int, *, centre_rules: str | None = None, as_of: dt.datetime | None = None
) -> EpisodeEvaluationOut:
    """Evaluate ``episode_id`` with the shipped rules and ``centre_rules`` (TOML text) and store the changes.

    One transaction: the rule-file version (if new), new alerts, cleared and escalated ones, and derived
    events, each with its audit entry; the changed alerts are announced when it commits.
    """
    now = as_of or utc_now()
    with service.transaction() as session:
        context = _context(session, episode_id)
        current, new_file = record_rule_file(service, session, centre_rules)
        history, file_ids = _history(session)
        observations = _observations(session, episode_id)
        alerts = {
            a.dedup_key: a
            for a in session.scalars(select(MonitoringAlert).where(MonitoringAlert.episode_id == episode_id))
        }
        prior = [PriorAlert(dedup_key=k, state=a.state, severity=a.severity) for k, a in alerts.items()]
        result = evaluate(history, context, observations, now, prior)
        writer = _AlertWriter(service, session, context, file_ids, now)
        for transition in result.transitions:
            writer.apply(transition, alerts.get(transition.dedup_key))
        if new_file or writer.changes:
            rule_file = {
                "id": current.id,
                "content_hash": current.content_hash,
                "version": current.version,
                "recorded_now": new_file,
            }
            entry = {"rule_file": rule_file, "as_of": now.isoformat(), "changes": writer.changes}
            service.audit(session, AuditAction.UPDATE, EVALUATION_ENTITY, episode_id, entry)
        announce(session, writer.notices)
        return EpisodeEvaluationOut(
            episode_id=episode_id,
            rule_file=RuleFileOut.model_validate(current),
            observations=len(observations),
            raised=writer.raised,
            cleared=writer.cleared,
            escalated=writer.escalated,
            ongoing=writer.ongoing,
            events_written=writer.events,
        )


class _AlertWriter:
    """Applies transitions to the alert rows of one episode inside the evaluation's transaction."""

    def __init__(
        self,
        service: RegistryService,
        session: Session,
        context: EpisodeContext,
        file_ids: dict[str, int],
        now: dt.datetime,
    ) -> None:
        self.service, self.session, self.context, self.file_ids, self.now = service, session, context, file_ids, now
        self.raised: list[int] = []
        self.cleared: list[int] = []
        self.escalated: list[int] = []
        self.events: list[int] = []
        self.ongoing = 0
        self.notices: list[AlertNotice] = []
        self.changes: list[dict[str, object]] = []
        """What the evaluation's audit entry lists, one item per alert or event written."""

    def apply(self, transition: Transition, alert: MonitoringAlert | None) -> None:
        kind = transition.kind
        if kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED):
            assert transition.detection is not None
            self._raise(transition, transition.detection)
        elif alert is None:
            return
        elif kind is TransitionKind.CLEARED:
            alert.state = AlertState.RESOLVED
            alert.resolved_at = transition.at
            alert.resolved_by = None
            alert.resolution = f"resolved automatically: {transition.reason}"
            self._changed(alert, "cleared", {"state": "resolved", "resolution": alert.resolution})
            self.cleared.append(alert.id)
        elif kind is TransitionKind.ESCALATED:
            alert.severity = transition.severity
            self._changed(alert, "escalated", {"severity": transition.severity.value})
            self.escalated.append(alert.id)
        else:
            self.ongoing += 1

    def _raise(self, transition: Transition, detection: Detection) -> None:
        resolved = transition.kind is TransitionKind.RAISED_CLEARED
        alert = MonitoringAlert(
            patient_id=self.context.patient_id,
            episode_id=self.context.episode_id,
            rule_id=detection.rule_id,
            rule_version=detection.rule_version,
            rule_file_id=self.file_ids[detection.rule_set_hash],
            kind=detection.kind,
            severity=transition.severity,
            dedup_key=detection.dedup_key,
            triggering_observation_ids=list(detection.triggering),
            detected_at=detection.detected_at,
            explanation=detection.explanation,
            details=_details(detection),
            state=AlertState.RESOLVED if resolved else AlertState.OPEN,
            resolved_at=transition.at if resolved else None,
            resolution="resolved automatically: the condition had ended when it was evaluated" if resolved else None,
        )
        if detection.event is not None:
            alert.event_id = self._event(detection)
        self.session.add(alert)
        self.session.flush()
        logged = {
            "rule": f"{detection.rule_id}@{detection.rule_version}",
            "dedup_key": detection.dedup_key,
            "severity": transition.severity.value,
            "state": alert.state.value,
            "triggering_observation_ids": list(detection.triggering),
        }
        self.changes.append({"alert": alert.id, "change": "raised", **logged})
        self.notices.append(AlertNotice(alert.id, alert.episode_id, "raised"))
        self.raised.append(alert.id)

    def _event(self, detection: Detection) -> int | None:
        """The registry event of the detection: the one recorded for the episode, else a new derived one; none
        when the episode has a recorded graft failure (the counts then recover after a rescue)."""
        assert detection.event is not None
        existing = self.session.scalars(
            select(ClinicalEvent).where(
                ClinicalEvent.episode_id == self.context.episode_id,
                ClinicalEvent.event_type == detection.event.event_type,
            )
        ).first()
        if existing is not None:
            return existing.id
        failed = select(ClinicalEvent.id).where(
            ClinicalEvent.episode_id == self.context.episode_id,
            ClinicalEvent.event_type == EventType.GRAFT_FAILURE,
        )
        if self.session.scalars(failed).first() is not None:
            return None  # recovery after a recorded graft failure follows a rescue: not this graft's engraftment
        event = ClinicalEvent(
            patient_id=self.context.patient_id,
            episode_id=self.context.episode_id,
            event_type=detection.event.event_type,
            event_date=detection.event.date,
            source=EventSource.DERIVED,
            details=dict(detection.event.details),
        )
        self.session.add(event)
        self.session.flush()
        provenance = {
            "event_type": detection.event.event_type.value,
            "event_date": detection.event.date.isoformat(),
            "details": dict(detection.event.details),
            "source": EventSource.DERIVED.value,
            "derived_by": f"{detection.rule_id}@{detection.rule_version}",
            "rule_set_hash": detection.rule_set_hash,
            "triggering_observation_ids": list(detection.triggering),
        }
        self.changes.append({"clinical_event": event.id, "change": "created", **provenance})
        self.events.append(event.id)
        return event.id

    def _changed(self, alert: MonitoringAlert, change: str, changes: dict[str, object]) -> None:
        self.session.flush()
        self.changes.append({"alert": alert.id, "change": change, **changes})
        self.notices.append(AlertNotice(alert.id, alert.episode_id, change))


def _details(detection: Detection) -> dict[str, object]:
    details: dict[str, object] = {
        "rule_title": detection.rule_title,
        "reference": detection.reference,
        "verification": detection.verification.value,
        "citations": [c.text() for c in detection.citations],
        "cleared_at": None if detection.cleared_at is None else detection.cleared_at.isoformat(),
    }
    if detection.event is not None:
        details["event"] = {
            "event_type": detection.event.event_type.value,
            "day": detection.event.day,
            "date": detection.event.date.isoformat(),
            "details": dict(detection.event.details),
        }
    return details


def evaluate_committed(
    service: RegistryService, episode_ids: Iterable[int], *, centre_rules: str | None = None
) -> list[EpisodeEvaluationOut]:
    """Evaluate each episode whose observations were just committed: the plug for an ingest's post-commit hook.

    Each episode once (in id order), each in its own transaction, after the results' own transaction committed;
    a result arriving late or out of order is handled by the full-series evaluation.
    """
    return [evaluate_episode(service, episode_id, centre_rules=centre_rules) for episode_id in sorted(set(episode_ids))]
