"""The hook "results committed for patient P, episode E": where the monitoring engine plugs into ingest.

Every feed that stores results through :func:`engraft.registry.ingest.store_results` (HL7 v2 over MLLP, FHIR
over the API), and every bulk load through :func:`engraft.registry.observations.add_observations` (the API's
``POST /api/observations/bulk``), calls the listeners registered here once the transaction holding the results
has committed, never before and never for a message or a batch that was refused or was a re-send already stored.
Each listener gets one :class:`CommittedResults` per patient and episode the message touched, with the ids of
the rows that message newly stored and their LOINC codes (a bulk load: the codes of its results only; its binary
``COPY`` returns no ids). A listener runs in the storing thread, after the commit; it must be quick
(hand work to a queue) and must not raise: an exception is logged and the other listeners still run, because the results
are committed either way and the sender has been (or is about to be) told so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engraft.registry.hooks import CommitHooks
from engraft.vocabulary import InboundProtocol


@dataclass(frozen=True, slots=True)
class CommittedResults:
    """Results one message newly stored for one patient and episode (``None``: no episode named)."""

    patient_id: int
    episode_id: int | None
    observation_ids: tuple[int, ...]
    """The ids of the observations newly stored (empty for a bulk load, which does not read them back)."""
    transfusion_ids: tuple[int, ...]
    protocol: InboundProtocol | None
    """The feed's protocol; ``None`` for a bulk load (not a feed message)."""
    loinc_codes: frozenset[str] | None = None
    """The LOINC codes of the new observations (what the monitoring re-evaluates); ``None``: not stated."""


ResultsListener = Callable[[CommittedResults], None]


class ResultHooks(CommitHooks[CommittedResults]):
    """The listeners called after results are committed; thread-safe to register from anywhere."""

    def __init__(self) -> None:
        super().__init__("results")

    def notify(self, committed: Iterable[CommittedResults]) -> None:
        """Hand each committed group to every listener (called by the registry after the commit)."""
        for results in committed:
            self.notify_one(results)


RESULT_HOOKS = ResultHooks()
"""The process's hooks: what :func:`~engraft.registry.ingest.store_results` notifies unless given others."""
