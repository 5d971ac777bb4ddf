"""The hook "results committed for patient P, episode E": where the monitoring engine plugs into ingest.

Every feed that stores results through :func:`engraft.registry.ingest.store_results` (HL7 v2 over MLLP, FHIR
over the API) calls the listeners registered here once the transaction holding the results has committed,
never before and never for a message that was refused or was a re-send already stored. Each listener gets one
:class:`CommittedResults` per patient and episode the message touched, with the ids of the rows that message
newly stored and their LOINC codes. A listener runs in the storing thread, after the commit; it must be quick
(hand work to a queue) and must not raise: an exception is logged and the other listeners still run, because the results
are committed either way and the sender has been (or is about to be) told so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engraft.vocabulary import InboundProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommittedResults:
    """Results one message newly stored for one patient and episode (``None``: no episode named)."""

    patient_id: int
    episode_id: int | None
    observation_ids: tuple[int, ...]
    transfusion_ids: tuple[int, ...]
    protocol: InboundProtocol
    loinc_codes: frozenset[str] | None = None
    """The LOINC codes of the new observations (what the monitoring re-evaluates); ``None``: not stated."""


ResultsListener = Callable[[CommittedResults], None]


class ResultHooks:
    """The listeners called after results are committed; thread-safe to register from anywhere."""

    def __init__(self) -> None:
        self._listeners: list[ResultsListener] = []
        self._lock = threading.Lock()

    def register(self, listener: ResultsListener) -> Callable[[], None]:
        """Call ``listener`` for every commit from now on; returns the function that unregisters it."""
        with self._lock:
            self._listeners.append(listener)

        def unregister() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unregister

    def notify(self, committed: Iterable[CommittedResults]) -> None:
        """Hand each committed group to every listener (called by the registry after the commit)."""
        with self._lock:
            listeners = tuple(self._listeners)
        for results in committed:
            for listener in listeners:
                try:
                    listener(results)
                except Exception:
                    logger.exception(
                        "results listener %r failed for patient %s (the results stay committed)",
                        listener,
                        results.patient_id,
                    )


RESULT_HOOKS = ResultHooks()
"""The process's hooks: what :func:`~engraft.registry.ingest.store_results` notifies unless given others."""
