"""Batch search of a waiting list over one donor store with Dask.

Why Dask rather than a process pool: the same code runs on a laptop (``LocalCluster``) and on a
cluster, and the scheduler handles retries and back-pressure. The store is memory-mapped, so every
worker process shares the OS page cache instead of holding its own copy (30 M donors ~0.9 GB once, not
per worker); each worker builds its :class:`DonorSearch` once (nomenclature, dictionary indexes,
haplotype frequencies) from a small picklable :class:`SearchEngineSource` and keeps it in a
process-level cache keyed by :meth:`SearchEngineSource.engine_key` (which changes when the store
does), so only patient typings and criteria travel over the wire. Patients are sent in partitions to
keep per-task overhead small. The source that opens the engine from files (store, release, HF set and
MAC list paths) is :class:`engraft.io.donor_search_files.DonorSearchFiles`.

Errors are per patient: an invalid patient typing yields a :class:`BatchOutcome` with ``error`` set
(an operator sees which patient failed and why) rather than failing the whole waiting list.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engraft.hla.nomenclature.errors import HlaError
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.search_models import SearchCriteria, SearchResult

_CACHE: dict[Hashable, DonorSearch] = {}
_LOCK = threading.Lock()


class SearchEngineSource(Protocol):
    """How a worker process opens the search engine (picklable: it travels to the workers)."""

    def engine_key(self) -> Hashable:
        """Equal keys mean the engine already opened in this process can be reused."""
        ...

    def open_engine(self) -> DonorSearch:
        """Open the store, the nomenclature and the optional HF set and MAC list."""
        ...


@dataclass(frozen=True, slots=True)
class WaitingListEntry:
    """One patient: an id for the report, a GL String typing and the search criteria."""

    patient_id: str
    gl: str
    criteria: SearchCriteria


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    patient_id: str
    result: SearchResult | None
    error: str | None = None


def _engine(source: SearchEngineSource) -> DonorSearch:
    key = source.engine_key()
    with _LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            engine = source.open_engine()
            _CACHE.clear()  # one store generation per worker process is enough
            _CACHE[key] = engine
    return engine


def search_partition(source: SearchEngineSource, entries: Sequence[WaitingListEntry]) -> list[BatchOutcome]:
    """Search a partition of the waiting list in this process (the Dask task body; also usable alone)."""
    engine = _engine(source)
    out: list[BatchOutcome] = []
    for entry in entries:
        try:
            patient = patient_typing(engine.nom, entry.gl, mac=engine.mac)
            out.append(BatchOutcome(entry.patient_id, engine.search(patient, entry.criteria)))
        except (HlaError, ValueError) as exc:
            out.append(BatchOutcome(entry.patient_id, None, f"{type(exc).__name__}: {exc}"))
    return out


def search_waiting_list(
    client: Any,
    source: SearchEngineSource,
    entries: Sequence[WaitingListEntry],
    *,
    partition_size: int = 8,
) -> list[BatchOutcome]:
    """Search every patient on a ``dask.distributed.Client``; outcomes come back in input order."""
    if partition_size < 1:
        raise ValueError("partition_size must be >= 1")
    parts = [list(entries[i : i + partition_size]) for i in range(0, len(entries), partition_size)]
    futures = [client.submit(search_partition, source, part, pure=False) for part in parts]
    results: list[list[BatchOutcome]] = client.gather(futures)
    return [outcome for part in results for outcome in part]
