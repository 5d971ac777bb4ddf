"""The evaluator: an episode's full series and the alerts on file in, detections and alert transitions out.

Two entry points, one result: :func:`evaluate` takes typed :class:`MonitoredObservation` objects;
:func:`evaluate_columns` takes the episode's results as :class:`ObservationColumns` (build them from database
rows with :meth:`ObservationColumns.from_rows`, no typed model per row). Both read the series through one
:class:`EpisodeSeries` (sorted and cut at ``as_of`` once; each rule kind selects and compares with NumPy).

It is a pure function of its inputs: the observations are put in one order (observed time, then id)
whatever order they arrived in, every rule reads the whole series up to ``as_of``, and each occurrence of
a condition has a key of its own (rule id and occurrence), so evaluating again after a late or corrected
result gives the right state, and evaluating twice raises nothing twice. Each detection is judged by the
rule set that was in force when its result became known (``recorded_at``); a condition that began under an
earlier set and that a result arriving under a later set continues is judged by the later set, and a later set's
detection replaces the earlier sets' detections resting on any of the same results, under the same alert (a
tightened threshold alerts on the first result arriving under it and keeps open what the older threshold would
clear; a set never judges results that arrived before it alone).
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
from engraft.monitoring.columns import ObservationColumns, microseconds
from engraft.monitoring.episode_series import EpisodeSeries
from engraft.monitoring.findings import Finding
from engraft.monitoring.kinds import adapter_of
from engraft.monitoring.model import MonitoringRule, RuleSet, RuleSetInForce
from engraft.monitoring.series import EpisodeContext, MonitoredObservation

_NEVER = -(2**63)
"""Arrival time (epoch microseconds) of a result not in the series: before every rule set."""

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
    _check_as_of(as_of)
    return evaluate_columns(rule_sets, context, ObservationColumns.from_observations(observations), as_of, prior)


def evaluate_columns(
    rule_sets: RuleSet | Sequence[RuleSetInForce],
    context: EpisodeContext,
    columns: ObservationColumns,
    as_of: dt.datetime,
    prior: Iterable[PriorAlert] = (),
) -> Evaluation:
    """:func:`evaluate` for results given as columns: the same detections and transitions, bit for bit.

    ``columns`` holds the episode's results in any order (:meth:`ObservationColumns.from_rows` builds them from
    ``(id, observed_at, recorded_at, loinc, value, unit)`` rows, e.g. straight from SQL, checking them once per
    column instead of validating a :class:`MonitoredObservation` per row). Results observed after ``as_of`` are
    ignored. The triggering observations of each detection are the columns' ids; when the columns were not
    built from typed observations, times in explanations are UTC.
    """
    _check_as_of(as_of)
    history = _history(rule_sets)
    series = EpisodeSeries(context, columns, as_of)
    detections = _detections(history, context, series, as_of)
    return Evaluation(detections=detections, transitions=_transitions(detections, prior, as_of))


def _check_as_of(as_of: dt.datetime) -> None:
    if as_of.tzinfo is None:
        raise ValueError(f"as_of={as_of.isoformat()} has no time zone; expected an aware datetime")


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
    series: EpisodeSeries,
    as_of: dt.datetime,
) -> tuple[Detection, ...]:
    found: dict[str, Detection] = {}
    earlier: dict[str, Detection] = {}
    """Detections of the rule sets before the one being run (those a later set may take over)."""
    arrivals: dict[int, int] | None = None
    for position, entry in enumerate(history):
        until = history[position + 1].in_force_from if position + 1 < len(history) else None
        earlier = dict(found) if position else earlier
        for rule in entry.rule_set.rules:
            if not rule.applies_to(
                context.age_at_day0, context.graft_source, context.transplant_type, context.cell_therapy
            ):
                continue
            for finding in adapter_of(rule.kind).evaluate(rule, context, series, as_of):
                owner = _in_force(history, finding.result_time)
                if owner is not entry:
                    if owner.in_force_from >= entry.in_force_from:
                        continue
                    if arrivals is None:
                        arrivals = dict(zip(series.id.tolist(), series.recorded_us.tolist(), strict=True))
                    if not _arrived_under(finding, arrivals, entry.in_force_from, until):
                        continue
                detection = _detection(rule, entry.rule_set.content_hash, finding)
                if position:
                    _take_over(found, earlier, detection)
                else:
                    found.setdefault(detection.dedup_key, detection)
    return tuple(sorted(found.values(), key=lambda d: (d.detected_at, d.dedup_key)))


def _arrived_under(finding: Finding, arrivals: dict[int, int], since: dt.datetime, until: dt.datetime | None) -> bool:
    """Whether a result the finding rests on arrived while the rule set in force from ``since`` (to ``until``,
    the next set's start) was: a condition whose first result came under an earlier set and which a result
    arriving under this set continues is this set's to judge (e.g. a tightened threshold)."""
    low = microseconds(since, "in_force_from")
    high = microseconds(until, "in_force_from") if until is not None else None
    return any(
        arrivals.get(i, _NEVER) >= low and (high is None or arrivals.get(i, _NEVER) < high) for i in finding.triggering
    )


def _take_over(found: dict[str, Detection], earlier: dict[str, Detection], detection: Detection) -> None:
    """Put a later rule set's detection: it replaces the earlier sets' detections of the same rule resting on any
    of the same results (a result is judged by the set in force when it arrived: a tightened threshold keeps open
    what the older one would clear, a relaxed one's own finding replaces the older one's), under the key of the
    earliest of them, so that the alert on file continues rather than a second one opening; with none, it is new
    (an earlier set's detection of the same key stands)."""
    shared = set(detection.triggering)
    overlapping = [
        key
        for key, d in earlier.items()
        if found.get(key) is d and d.rule_id == detection.rule_id and not shared.isdisjoint(d.triggering)
    ]
    if not overlapping:
        found.setdefault(detection.dedup_key, detection)
        return
    first = min(overlapping, key=lambda key: (earlier[key].detected_at, key))
    for key in overlapping:
        del found[key]
    found[first] = detection.model_copy(update={"dedup_key": first})


def _detection(rule: MonitoringRule, rule_set_hash: str, finding: Finding) -> Detection:
    return Detection(
        rule_id=rule.id,
        rule_version=rule.version,
        rule_title=rule.title,
        rule_set_hash=rule_set_hash,
        kind=rule.kind,
        severity=finding.severity or rule.severity,
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
            # an open alert escalates by time (unacknowledged); an acknowledged one only when a new finding is worse
            # than what was acknowledged (the finding's own severity, e.g. CRS hypotension after the fever): the
            # registry then opens it again, since nobody has seen the worse condition
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
