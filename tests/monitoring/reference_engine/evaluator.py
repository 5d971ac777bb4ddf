"""The evaluator: an episode's full series and the alerts on file in, detections and alert transitions out.

It is a pure function of its inputs: the observations are put in one order (observed time, then id)
whatever order they arrived in, every rule reads the whole series up to ``as_of``, and each occurrence of
a condition has a key of its own (rule id and occurrence), so evaluating again after a late or corrected
result gives the right state, and evaluating twice raises nothing twice. Each detection is judged by the
rule set that was in force when its result became known (``recorded_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from engraft.monitoring.alerts import (
    AlertState,
    Detection,
    Evaluation,
    PriorAlert,
    Transition,
    TransitionKind,
)
from engraft.monitoring.findings import Finding
from engraft.monitoring.model import MonitoringRule, RuleSet, RuleSetInForce
from engraft.monitoring.series import EpisodeContext, MonitoredObservation, time_order
from tests.monitoring.reference_engine.kinds import adapter_of

NO_LONGER_SUPPORTED = (
    "the condition is no longer found in the episode's results or record (a late or corrected result, or an "
    "engraftment recorded in the registry)"
)


def evaluate(
    rule_sets: RuleSet | Sequence[RuleSetInForce],
    context: EpisodeContext,
    observations: Iterable[MonitoredObservation],
    as_of: dt.datetime,
    prior: Iterable[PriorAlert] = (),
) -> Evaluation:
    """Detections in ``observations`` (those observed after ``as_of`` are ignored) and the transitions of
    the alerts on file (``prior``) they cause."""
    if as_of.tzinfo is None:
        raise ValueError(f"as_of={as_of.isoformat()} has no time zone; expected an aware datetime")
    history = _history(rule_sets)
    series = tuple(o for o in time_order(observations) if o.observed_at <= as_of)
    detections = _detections(history, context, series, as_of)
    return Evaluation(detections=detections, transitions=_transitions(detections, prior, as_of))


def _history(rule_sets: RuleSet | Sequence[RuleSetInForce]) -> tuple[RuleSetInForce, ...]:
    if isinstance(rule_sets, RuleSet):
        return (RuleSetInForce(in_force_from=dt.datetime.min.replace(tzinfo=dt.UTC), rule_set=rule_sets),)
    if not rule_sets:
        raise ValueError("rule_sets is empty; expected at least one rule set in force")
    return tuple(sorted(rule_sets, key=lambda r: r.in_force_from))


def _in_force(history: tuple[RuleSetInForce, ...], moment: dt.datetime) -> RuleSetInForce:
    """The rule set in force at ``moment`` (the first one for results older than every rule set)."""
    chosen = history[0]
    for entry in history:
        if entry.in_force_from <= moment:
            chosen = entry
    return chosen


def _detections(
    history: tuple[RuleSetInForce, ...],
    context: EpisodeContext,
    series: tuple[MonitoredObservation, ...],
    as_of: dt.datetime,
) -> tuple[Detection, ...]:
    found: dict[str, Detection] = {}
    before: dict[str, Detection] = {}  # what the sets before the one being run detected
    arrived = {o.id: o.recorded_at for o in series}
    for index, entry in enumerate(history):
        ends = history[index + 1].in_force_from if index + 1 < len(history) else None
        if index:
            before = dict(found)
        for rule in entry.rule_set.rules:
            if not rule.applies_to(
                context.age_at_day0, context.graft_source, context.transplant_type, context.cell_therapy
            ):
                continue
            for finding in adapter_of(rule.kind).evaluate(rule, context, series, as_of):
                owner = _in_force(history, finding.result_time)
                if owner is not entry:
                    # a condition begun under an earlier set that a result arriving under this set continues
                    times = [arrived.get(i) for i in finding.triggering]
                    if owner.in_force_from >= entry.in_force_from or not any(
                        t is not None and t >= entry.in_force_from and (ends is None or t < ends) for t in times
                    ):
                        continue
                detection = _detection(rule, entry.rule_set.content_hash, finding)
                if index == 0:
                    found.setdefault(detection.dedup_key, detection)
                    continue
                # a later set's detection takes over the earlier sets' detections of the rule on the same results
                taken = [
                    k
                    for k, d in before.items()
                    if found.get(k) is d and d.rule_id == rule.id and set(d.triggering) & set(finding.triggering)
                ]
                if not taken:
                    found.setdefault(detection.dedup_key, detection)
                    continue
                first = sorted(taken, key=lambda k: (before[k].detected_at, k))[0]
                for k in taken:
                    found.pop(k)
                found[first] = detection.model_copy(update={"dedup_key": first})
    return tuple(sorted(found.values(), key=lambda d: (d.detected_at, d.dedup_key)))


def _detection(rule: MonitoringRule, rule_set_hash: str, finding: Finding) -> Detection:
    return Detection(
        rule_id=rule.id,
        rule_version=rule.version,
        rule_title=rule.title,
        rule_set_hash=rule_set_hash,
        kind=rule.kind,
        severity=finding.severity if finding.severity is not None else rule.severity,  # a kind that grades (CRS, ICANS)
        escalation=rule.escalation,
        dedup_key=f"{rule.id}/{finding.key}",
        triggering=finding.triggering,
        detected_at=finding.detected_at,
        cleared_at=finding.cleared_at,
        explanation=finding.explanation,
        reference=rule.source.reference,
        verification=rule.source.verification,
        citations=rule.source.citations,
        event=finding.event,
        grade=finding.grade,
    )


def _transitions(
    detections: tuple[Detection, ...], prior: Iterable[PriorAlert], as_of: dt.datetime
) -> tuple[Transition, ...]:
    on_file = {alert.dedup_key: alert for alert in prior}
    transitions: list[Transition] = []
    for d in detections:
        alert = on_file.get(d.dedup_key)
        if alert is None:
            kind = TransitionKind.RAISED if d.cleared_at is None else TransitionKind.RAISED_CLEARED
            at = d.detected_at if d.cleared_at is None else d.cleared_at
            transitions.append(
                Transition(kind=kind, dedup_key=d.dedup_key, at=at, severity=d.severity_at(as_of), detection=d)
            )
        elif alert.state is AlertState.RESOLVED:
            continue
        elif d.cleared_at is not None:
            transitions.append(
                Transition(
                    kind=TransitionKind.CLEARED,
                    dedup_key=d.dedup_key,
                    at=d.cleared_at,
                    severity=alert.severity,
                    detection=d,
                    reason="the condition ended",
                )
            )
        else:
            # open: time escalation too; acknowledged: only a finding worse than what was acknowledged (main at 1b14ef8)
            target = d.severity_at(as_of) if alert.state is AlertState.OPEN else d.severity
            escalate = target.rank > alert.severity.rank
            transitions.append(
                Transition(
                    kind=TransitionKind.ESCALATED if escalate else TransitionKind.ONGOING,
                    dedup_key=d.dedup_key,
                    at=as_of,
                    severity=target if escalate else alert.severity,
                    detection=d,
                )
            )
    found = {d.dedup_key for d in detections}
    for key, alert in sorted(on_file.items()):
        if key not in found and alert.state is not AlertState.RESOLVED:
            transitions.append(
                Transition(
                    kind=TransitionKind.CLEARED,
                    dedup_key=key,
                    at=as_of,
                    severity=alert.severity,
                    detection=None,
                    reason=NO_LONGER_SUPPORTED,
                )
            )
    return tuple(transitions)
