"""The hook "an episode's monitored facts changed": how an edit of an episode, or of its patient's birth date, reaches
the monitoring.

The monitoring judges an episode's results by facts of the episode (:class:`~engraft.monitoring.EpisodeContext`): its
day 0, graft source and cell therapy (a possible-CRS rule watches immune effector cell episodes only; the
graft-failure rules transplants only), and its patient's age at day 0, from the patient's birth date (paediatric and
adult rules and thresholds, ICANS not graded under 12). When :meth:`RegistryService.update_episode
<engraft.registry.service.RegistryService.update_episode>` changes one of :data:`MONITORED_FIELDS` and its
transaction has committed, it tells the listeners here with one :class:`EpisodeChanged`; when
:meth:`RegistryService.update_patient <engraft.registry.service.RegistryService.update_patient>` changes one of
:data:`PATIENT_MONITORED_FIELDS` (the birth date), with one :class:`EpisodeChanged` per episode of the patient,
naming the patient's field; when :meth:`RegistryService.create_event
<engraft.registry.service.RegistryService.create_event>` records a neutrophil or platelet engraftment of an episode
(or :meth:`~engraft.registry.service.RegistryService.update_event` changes its date), not one the monitoring derived,
with one naming :data:`RECORDED_ENGRAFTMENT` (the rules waiting for engraftment by a deadline day read what the
registry records: results may be missing); an import's events are in its batch, announced by none of these, and
the import judges the episodes itself (:mod:`engraft.registry.monitoring_catch_up`). A process that runs the
monitoring worker connects it with :func:`evaluate_on_change`:
the episode is queued for an evaluation of every rule (:data:`~engraft.registry.monitoring_scope.EVERYTHING`), as
if all its results had arrived again, so alerts the change makes due are raised and alerts of rules that no longer
apply are handled as the evaluation handles them.

A listener runs in the writing thread, after the commit; it must be quick and must not raise (an exception is
logged and the other listeners still run: the change is committed either way). A change made inside an outer
transaction (``RegistryService.batch()``) is not announced: it is not committed when the call returns, and the
caller of a batch evaluates what it imported itself. A rolled-back change is never announced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from engraft.registry.hooks import CommitHooks
from engraft.vocabulary import EventSource, EventType

if TYPE_CHECKING:
    from engraft.registry.monitoring_scope import EvaluationScope

MONITORED_FIELDS: Final = frozenset({"day0", "graft_source", "cell_therapy"})
"""Episode fields the monitoring reads (through the episode's context): changing one re-evaluates the episode."""

RECORDED_ENGRAFTMENT: Final = "recorded engraftment"
"""What an :class:`EpisodeChanged` names when a neutrophil or platelet engraftment of the episode is recorded, or its
date changed, by a person or an import (not one the monitoring derived): the rules waiting for engraftment by a
deadline day read it (:attr:`engraft.monitoring.EpisodeContext.recorded_neutrophil_engraftment_day`)."""

ENGRAFTMENT_EVENTS: Final = frozenset({EventType.NEUTROPHIL_ENGRAFTMENT, EventType.PLATELET_ENGRAFTMENT})

PATIENT_MONITORED_FIELDS: Final = frozenset({"birth_date"})
"""Patient fields the monitoring reads (the birth date gives the age at day 0): changing one re-evaluates every
episode of the patient."""


@dataclass(frozen=True, slots=True)
class EpisodeChanged:
    """An episode whose monitored facts changed in a committed transaction, and which of them."""

    patient_id: int
    episode_id: int
    fields: frozenset[str]
    """Of :data:`MONITORED_FIELDS` (the episode was edited), :data:`PATIENT_MONITORED_FIELDS` (its patient was), or
    :data:`RECORDED_ENGRAFTMENT`."""


EpisodeListener = Callable[[EpisodeChanged], None]


class EvaluationQueue(Protocol):
    """What queues episodes for evaluation (:class:`engraft.registry.monitoring_worker.MonitoringWorker`)."""

    def enqueue(self, episode_id: int, scope: EvaluationScope) -> None: ...


class EpisodeChangeHooks(CommitHooks[EpisodeChanged]):
    """The listeners called after an episode's monitored facts changed; thread-safe to register from anywhere."""

    def __init__(self) -> None:
        super().__init__("episode-change")

    def notify(self, change: EpisodeChanged) -> None:
        """Hand ``change`` to every listener (called by the registry after the commit)."""
        self.notify_one(change)

    def notify_patient(self, patient_id: int, episode_ids: Iterable[int], fields: frozenset[str]) -> None:
        """Hand one change per episode of a patient whose monitored facts (``fields``) changed to every listener."""
        for episode_id in episode_ids:
            self.notify_one(EpisodeChanged(patient_id, episode_id, fields))


def engraftment_recorded(
    patient_id: int, episode_id: int | None, event_type: EventType, source: EventSource
) -> EpisodeChanged | None:
    """The change to announce for an engraftment event recorded (or re-dated) for an episode by a person or an
    import; ``None`` for another event, one of no episode, or one the monitoring derived."""
    if episode_id is None or event_type not in ENGRAFTMENT_EVENTS or source is EventSource.DERIVED:
        return None
    return EpisodeChanged(patient_id, episode_id, frozenset({RECORDED_ENGRAFTMENT}))


EPISODE_CHANGES: Final = EpisodeChangeHooks()
"""The process's hooks: what :meth:`RegistryService.update_episode`, :meth:`RegistryService.update_patient`,
:meth:`RegistryService.create_event` and :meth:`RegistryService.update_event` notify."""


def evaluate_on_change(worker: EvaluationQueue, hooks: EpisodeChangeHooks = EPISODE_CHANGES) -> Callable[[], None]:
    """Queue every episode whose monitored facts change on ``worker`` (all its rules); returns the unregistering
    function."""
    from engraft.registry.monitoring_scope import EVERYTHING  # the monitoring loads only where a worker runs

    return hooks.register(lambda change: worker.enqueue(change.episode_id, EVERYTHING))
