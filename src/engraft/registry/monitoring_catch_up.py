"""Evaluating the episodes whose results were stored outside a running monitoring engine: an import.

A feed message or a bulk upload tells the result hooks once it has committed, and the process's monitoring worker
evaluates its episodes. A registry import (``engraft import``) stores its results inside one outer transaction, in
a command-line process that runs no worker, so nothing is told (see :mod:`engraft.registry.episode_changes`: the
caller of a batch evaluates what it imported itself). :func:`evaluate_stored_results` is that evaluation: after the
import has committed, each episode that received results is evaluated once, with the codes of those results as its
scope (:class:`~engraft.registry.monitoring_scope.EvaluationScope`), as the worker evaluates a feed's results; an
episode given a recorded engraftment is evaluated with the codes of its new results, if any: the rules that read a
recorded engraftment (no engraftment by day X, primary graft failure) are time-driven, run at every evaluation.

Results of the past are judged as the engine judges a late result: a condition the series shows began and ended is
stored already resolved (it does not stand open on the ward board), a condition still present is an open alert,
and detected events (engraftment day, graft failure) are written with their provenance unless the registry
already records one. An episode whose evaluation fails is reported and the rest go on; a full evaluation of it
(``POST /api/episodes/{id}/monitoring/evaluate``) judges its results later (an evaluation scoped to other codes
would not run the rules that read them).

The rules applied are the process's (the shipped rules and ``ENGRAFT_MONITORING_RULES``): a version not yet on
record is recorded by the first evaluation and is then in force for every process (each result is judged by the
version in force when it was recorded). :func:`rules_not_in_force` tells the caller, before anything is written,
when the process's rules are no version on record.

An import of a registry's history holds episodes whose monitoring is long over: :func:`current_episodes` tells
them apart (day 0 more than the longest rule window, the rules' largest ``day_to``, before today), so that the
caller may judge only the episodes still monitored. A rule that waits for a deadline (no engraftment by day +28)
finds its condition still present in an old episode whose results never show engraftment: judged, such an episode
would stand open on the ward board.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engraft.monitoring import AlertState, load_rule_set
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import MonitoringAlert, TransplantEpisode
from engraft.registry.monitoring_rule_files import read_history
from engraft.registry.monitoring_scope import EvaluationScope
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.service import RegistryService

logger = logging.getLogger(__name__)

_ID_CHUNK = 5_000
"""Alert ids per query when counting the raised alerts still open (well below every driver's parameter limit)."""


@dataclass(slots=True)
class CatchUpSummary:
    """What evaluating the stored results did."""

    episodes: int = 0
    """Episodes that received results or a recorded engraftment (those evaluated, historical, gone or failed)."""
    evaluated: int = 0
    raised: int = 0
    """Alerts raised: conditions found in the results (open, or stored already resolved)."""
    still_open: int = 0
    """Of the raised alerts, those whose condition is still present (open on the ward board)."""
    cleared: int = 0
    """Alerts on file resolved by the new results."""
    escalated: int = 0
    events_written: int = 0
    """Derived registry events (engraftment day, graft failure, aGVHD grade) written."""
    historical: int = 0
    """Episodes left out as past their monitoring window (:func:`current_episodes`)."""
    gone: int = 0
    """Episodes deleted since their results were stored (nothing to evaluate)."""
    failed: dict[int, str] = field(default_factory=dict)
    """Episode id -> why its evaluation failed (its results are judged at its next evaluation)."""


def rules_not_in_force(service: RegistryService, centre_rules: str | None) -> str | None:
    """Why evaluating with the shipped rules and ``centre_rules`` here would change the rules in force: they are no
    version on record, so the first evaluation would record them, in force for every process from then on; ``None``
    when they are on record (each result is judged by the version in force when it was recorded, whatever the
    process's own rules) or nothing is on record yet."""
    with service.reading() as session:
        headers = read_history(session).headers
    here = load_rule_set(centre_rules)
    if not headers or any(h.content_hash == here.content_hash for h in headers):
        return None
    latest = max(headers, key=lambda h: (h.loaded_at, h.id))
    return (
        f"the monitoring rules here ({here.name} {here.version}, content hash {here.content_hash[:12]}) are not the "
        f"rules in force ({latest.name} {latest.version}, content hash {latest.content_hash[:12]}, recorded "
        f"{latest.loaded_at:%Y-%m-%d %H:%M} UTC by {latest.loaded_by}); judging with them would put them in force for "
        "every process"
    )


def monitoring_window_days(centre_rules: str | None) -> int:
    """The longest rule window of the rules in force (the shipped rules with ``centre_rules``): the largest
    ``day_to``; 0 when every rule is disabled)."""
    return max((rule.applies.day_to for rule in load_rule_set(centre_rules).rules), default=0)


def current_episodes(
    service: RegistryService, episode_ids: Collection[int], window_days: int, today: dt.date
) -> set[int]:
    """Those of ``episode_ids`` still inside the monitoring window: day 0 on or after ``today - window_days``
    (an episode no longer on record is kept: its evaluation reports it gone)."""
    ids = sorted(episode_ids)
    earliest = today - dt.timedelta(days=window_days)
    old: set[int] = set()
    with service.reading() as session:
        for lo in range(0, len(ids), _ID_CHUNK):
            old.update(
                session.scalars(
                    select(TransplantEpisode.id).where(
                        TransplantEpisode.id.in_(ids[lo : lo + _ID_CHUNK]), TransplantEpisode.day0 < earliest
                    )
                )
            )
    return set(ids) - old


def evaluate_stored_results(
    service: RegistryService,
    results: Mapping[int, Collection[str]],
    *,
    centre_rules: str | None,
    only: Collection[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CatchUpSummary:
    """Evaluate each episode of ``results`` (episode id -> LOINC codes of the results stored for it; none for an
    episode given only a recorded engraftment, which the time-driven deadline rules read), in id order,
    with the shipped rules and ``centre_rules`` (TOML text); only those in ``only`` when given (the others counted
    as historical); ``progress(done, total)`` after each episode evaluated.

    Each evaluation is its own transaction (as the worker's are): one that fails is rolled back alone.
    """
    chosen = sorted(results) if only is None else sorted(set(results) & set(only))
    summary = CatchUpSummary(episodes=len(results), historical=len(results) - len(chosen))
    raised: list[int] = []
    for done, episode_id in enumerate(chosen, start=1):
        scope = EvaluationScope(frozenset(results[episode_id]))
        try:
            outcome = evaluate_episode(service, episode_id, centre_rules=centre_rules, scope=scope)
        except RecordNotFound:
            summary.gone += 1
        except Exception as exc:  # one episode's failure must not stop the others: reported, never lost silently
            logger.exception("monitoring evaluation of imported results of episode %s failed", episode_id)
            summary.failed[episode_id] = f"{type(exc).__name__}: {exc}"
        else:
            summary.evaluated += 1
            raised += outcome.raised
            summary.cleared += len(outcome.cleared)
            summary.escalated += len(outcome.escalated)
            summary.events_written += len(outcome.events_written)
        if progress is not None:
            progress(done, len(chosen))
    summary.raised = len(raised)
    summary.still_open = _unresolved(service, raised)
    return summary


def _unresolved(service: RegistryService, alert_ids: list[int]) -> int:
    """How many of ``alert_ids`` are not resolved."""
    count = 0
    with service.reading() as session:
        for lo in range(0, len(alert_ids), _ID_CHUNK):
            count += (
                session.scalar(
                    select(func.count())
                    .select_from(MonitoringAlert)
                    .where(
                        MonitoringAlert.id.in_(alert_ids[lo : lo + _ID_CHUNK]),
                        MonitoringAlert.state != AlertState.RESOLVED,
                    )
                )
                or 0
            )
    return count
