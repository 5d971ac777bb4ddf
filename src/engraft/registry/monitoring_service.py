"""Running the monitoring rules on a stored episode, and the rule-file versions they were judged by.

:func:`evaluate_episode` reads the episode (its row locked), the rule-file versions on record, its alerts and
the results the evaluation needs (:mod:`engraft.registry.monitoring_reads`), runs
:func:`engraft.monitoring.evaluate_columns` once, on the rules of its scope together (so work they share, such as an
episode's daily counts, is done once), with every rule-file version on record (each result is judged by the version
in force when it was recorded), and writes the alert changes and detected events in one
transaction with one audit entry (entity ``monitoring evaluation``, the episode's id: the rule file, the
alerts raised, cleared and escalated, the events written with the rule that derived them), announcing the
changed alerts (:mod:`engraft.registry.alert_notices`). An evaluation that changes nothing writes nothing.
A rule-file version is recorded once (content hash, when, by whom) the first time it is used, in the audit
entry of the evaluation that first used it.

An evaluation has a scope (:class:`~engraft.registry.monitoring_scope.EvaluationScope`): the codes of the
results that arrived (the monitoring worker's), or everything (the API's and the default). It runs the rules
those results can change, each over the episode's whole series of the codes it reads, so a late or
out-of-order result is judged with everything around it; alerts of other rules are left as they are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engraft.monitoring import (
    AlertState,
    Detection,
    EpisodeContext,
    PriorAlert,
    Transition,
    TransitionKind,
    evaluate_columns,
)
from engraft.registry.alert_notices import AlertNotice, announce
from engraft.registry.audit import AuditAction
from engraft.registry.models import ClinicalEvent, MonitoringAlert
from engraft.registry.models.base import utc_now
from engraft.registry.monitoring_reads import AlertOnFile, lock_context, read_alerts, read_series
from engraft.registry.monitoring_rule_files import RuleHistory, read_history, record_rule_file
from engraft.registry.monitoring_scope import EVERYTHING, EvaluationScope
from engraft.registry.schemas.alerts import AlertOut, EpisodeEvaluationOut, RuleFileOut
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType

ALERT_ENTITY = "monitoring alert"
EVALUATION_ENTITY = "monitoring evaluation"


def evaluate_episode(
    service: RegistryService,
    episode_id: int,
    *,
    centre_rules: str | None = None,
    as_of: dt.datetime | None = None,
    scope: EvaluationScope = EVERYTHING,
) -> EpisodeEvaluationOut:
    """Evaluate ``episode_id`` with the shipped rules and ``centre_rules`` (TOML text) and store the changes.

    ``scope``: the rules to run (those the new results of its codes can change; default: every rule). One
    transaction: the rule-file version (if new), new alerts, cleared and escalated ones, and derived events,
    with one audit entry; the changed alerts are announced when it commits.
    """
    now = as_of or utc_now()
    with service.transaction() as session:
        locked = lock_context(session, episode_id)
        context = locked.context
        history = read_history(session, locked.rule_files)
        current, new_file, history = record_rule_file(session, centre_rules, history, service.actor.name)
        alerts = read_alerts(session, episode_id)
        plan = _Plan(history, scope, alerts)
        series = read_series(session, context.patient_id, episode_id, plan.codes)
        transitions: list[Transition] = []
        if plan.rule_ids:  # the rules run together over one series: work they share (daily counts) is done once
            prior = [_prior(a) for rule_id in plan.rule_ids for a in plan.alerts_of.get(rule_id, ())]
            evaluation = evaluate_columns(history.only(plan.rule_ids), context, series.columns(), now, prior)
            transitions += evaluation.transitions
        if plan.orphans:  # alerts of a rule in no recorded version: no longer supported by any rule
            evaluation = evaluate_columns(
                history.only(()), context, series.columns(), now, [_prior(a) for a in plan.orphans]
            )
            transitions += evaluation.transitions
        writer = _AlertWriter(service, session, context, history.ids, now)
        writer.apply_all(sorted(transitions, key=_engine_order), plan.on_file)
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
            rule_file=RuleFileOut.model_validate(current, from_attributes=True),
            observations=len(series),
            raised=writer.raised,
            cleared=writer.cleared,
            escalated=writer.escalated,
            updated=writer.updated,
            ongoing=writer.ongoing,
            events_written=writer.events,
        )


class _Plan:
    """Which rules an evaluation runs, the codes each reads, and the alerts on file of each."""

    def __init__(self, history: RuleHistory, scope: EvaluationScope, alerts: list[AlertOnFile]) -> None:
        self.alerts_of: dict[str, list[AlertOnFile]] = defaultdict(list)
        for alert in alerts:
            self.alerts_of[alert.rule_id].append(alert)
        self.on_file = {a.dedup_key: a for a in alerts}
        unresolved = {a.rule_id for a in alerts if a.state is not AlertState.RESOLVED}
        known = history.rule_ids
        self.rule_ids: list[str] = []
        self.rule_codes: dict[str, frozenset[str] | None] = {}
        for rule_id in known:
            reach = history.reach(rule_id)
            if scope.runs(reach, rule_id in unresolved):
                self.rule_ids.append(rule_id)
                self.rule_codes[rule_id] = reach.codes
        self.orphans = [a for a in alerts if a.rule_id not in known and a.state is not AlertState.RESOLVED]
        self.codes: frozenset[str] | None = None
        """The codes to read: ``None`` (all) for a full evaluation or when a rule's codes are unknown."""
        if scope.codes is not None and None not in self.rule_codes.values():
            self.codes = frozenset().union(*(c for c in self.rule_codes.values() if c is not None))


def _engine_order(transition: Transition) -> tuple[int, dt.datetime, str]:
    """The order one evaluation of every rule gives: transitions of detections by detection time and key, then
    the alerts no longer supported, by key."""
    if transition.detection is not None:
        return 0, transition.detection.detected_at, transition.dedup_key
    return 1, dt.datetime.min.replace(tzinfo=dt.UTC), transition.dedup_key


def _prior(alert: AlertOnFile) -> PriorAlert:
    return PriorAlert.model_construct(dedup_key=alert.dedup_key, state=alert.state, severity=alert.severity)


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
        self.updated: list[int] = []
        self.ongoing = 0
        self.notices: list[AlertNotice] = []
        self.changes: list[dict[str, object]] = []
        """What the evaluation's audit entry lists, one item per alert or event written."""

    def apply_all(self, transitions: Iterable[Transition], on_file: dict[str, AlertOnFile]) -> None:
        """Apply ``transitions``; an alert on file (``on_file``, by dedup key) is loaded only to change it.

        An ongoing condition changes nothing (its explanation, which may name the latest result, is not
        rewritten at every result), unless a graded condition (CRS, ICANS) has reached another grade at the same
        severity (ICANS grade 3 becoming 4 where both are critical): see :meth:`_regrade`.
        """
        for transition in transitions:
            stored = on_file.get(transition.dedup_key)
            if transition.kind is TransitionKind.ONGOING:
                found = transition.detection
                if stored is not None and found is not None and found.rule_version != stored.rule_version:
                    self._taken_over(self.session.get_one(MonitoringAlert, stored.id), found)
                    continue
                if stored is None or found is None or found.grade is None or found.grade == stored.grade:
                    self.ongoing += 1
                    continue
                self._regrade(self.session.get_one(MonitoringAlert, stored.id), found)
                continue
            self.apply(transition, None if stored is None else self.session.get(MonitoringAlert, stored.id))

    def _taken_over(self, alert: MonitoringAlert, found: Detection) -> None:
        """An ongoing condition now judged by another version of its rule (a later rule file took it over: a
        result continuing it arrived under that file): the alert's rule version, explanation and triggering
        results rewritten (``updated``), so that it names the rule keeping it open."""
        changed: dict[str, object] = {
            "rule_version": found.rule_version,
            "previous_rule_version": alert.rule_version,
            "explanation": found.explanation,
            "triggering_observation_ids": list(found.triggering),
        }
        alert.rule_version = found.rule_version
        alert.explanation = found.explanation
        alert.triggering_observation_ids = list(found.triggering)
        self._changed(alert, "updated", changed)
        self.updated.append(alert.id)

    def _regrade(self, alert: MonitoringAlert, found: Detection) -> None:
        """A graded condition at another grade, same severity: the alert's explanation, triggering results and
        grade rewritten (``updated``). A higher grade than an acknowledgement saw opens the alert again, as an
        escalation does: nobody has seen the worse condition."""
        changed: dict[str, object] = {
            "grade": found.grade,
            "explanation": found.explanation,
            "triggering_observation_ids": list(found.triggering),
        }
        previous = alert.details.get("grade")  # None: stored before grades were (rewritten once, not reopened)
        if alert.state is AlertState.ACKNOWLEDGED and previous is not None and (found.grade or 0) > int(previous):
            changed |= _reopen(alert, "a higher grade was found after the acknowledgement")
        alert.explanation = found.explanation
        alert.triggering_observation_ids = list(found.triggering)
        alert.details = {**alert.details, "grade": found.grade}
        self._changed(alert, "updated", changed)
        self.updated.append(alert.id)

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
            changed: dict[str, object] = {"severity": transition.severity.value}
            if alert.state is AlertState.ACKNOWLEDGED:  # a worse finding nobody has seen: open again
                changed |= _reopen(alert, "a new finding raised the severity after the acknowledgement")
            found = transition.detection
            if found is not None and found.rule_version != alert.rule_version:  # a later rule file took it over
                changed |= {"rule_version": found.rule_version, "previous_rule_version": alert.rule_version}
                alert.rule_version = found.rule_version
            if found is not None and found.explanation != alert.explanation:  # escalated by a new finding (CRS)
                alert.explanation = found.explanation
                alert.triggering_observation_ids = list(found.triggering)
                changed |= {"explanation": found.explanation, "triggering_observation_ids": list(found.triggering)}
            if found is not None and found.grade is not None and alert.details.get("grade") != found.grade:
                alert.details = {**alert.details, "grade": found.grade}
                changed["grade"] = found.grade
            self._changed(alert, "escalated", changed)
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
        self.notices.append(AlertNotice.carrying(AlertOut.model_validate(alert), "raised"))
        self.raised.append(alert.id)

    def _event(self, detection: Detection) -> int | None:
        """The registry event of the detection: the one recorded for the episode, else a new derived one; none
        when the episode has a graft failure recorded by a person (the counts then recover after a rescue), or the
        patient's death is recorded on or before its date (a graft-failure day limit passing after death).

        A graft failure the engine derived (a met criterion, to confirm) stops no later derived engraftment: the
        counts may yet show a late recovery. Of graft failures, a derived one is reused for the same kind only
        (primary, secondary); one recorded by a person is reused whatever its kind."""
        assert detection.event is not None
        kind = dict(detection.event.details).get("kind")
        recorded = self.session.scalars(
            select(ClinicalEvent)
            .where(
                ClinicalEvent.episode_id == self.context.episode_id,
                ClinicalEvent.event_type == detection.event.event_type,
            )
            .order_by(ClinicalEvent.id)
        ).all()
        existing = next(
            (e for e in recorded if e.source is not EventSource.DERIVED or (e.details or {}).get("kind") == kind),
            None,
        )
        if existing is not None:
            return existing.id
        failed = select(ClinicalEvent.id).where(
            ClinicalEvent.episode_id == self.context.episode_id,
            ClinicalEvent.event_type == EventType.GRAFT_FAILURE,
            ClinicalEvent.source != EventSource.DERIVED,
        )
        if self.session.scalars(failed).first() is not None:
            return None  # recovery after a recorded graft failure follows a rescue: not this graft's engraftment
        died = select(ClinicalEvent.id).where(
            ClinicalEvent.patient_id == self.context.patient_id,
            ClinicalEvent.event_type == EventType.DEATH,
            ClinicalEvent.event_date <= detection.event.date,
        )
        if self.session.scalars(died).first() is not None:
            return None  # a day limit passing after a recorded death is no finding about the graft
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
        self.notices.append(AlertNotice.carrying(AlertOut.model_validate(alert), change))


def _reopen(alert: MonitoringAlert, reason: str) -> dict[str, object]:
    """Open an acknowledged alert again (a worse condition nobody has seen); returns what the audit entry lists,
    the acknowledgement included."""
    changed: dict[str, object] = {
        "state": AlertState.OPEN.value,
        "reopened": reason,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": None if alert.acknowledged_at is None else alert.acknowledged_at.isoformat(),
    }
    alert.state = AlertState.OPEN
    alert.acknowledged_by = None
    alert.acknowledged_at = None
    return changed


def _details(detection: Detection) -> dict[str, object]:
    details: dict[str, object] = {
        "rule_title": detection.rule_title,
        "reference": detection.reference,
        "verification": detection.verification.value,
        "citations": [c.text() for c in detection.citations],
        "cleared_at": None if detection.cleared_at is None else detection.cleared_at.isoformat(),
    }
    if detection.grade is not None:
        details["grade"] = detection.grade
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

    Each episode once (in id order), every rule, each in its own transaction, after the results' own transaction
    committed; a result arriving late or out of order is judged with the whole series.
    """
    return [evaluate_episode(service, episode_id, centre_rules=centre_rules) for episode_id in sorted(set(episode_ids))]
