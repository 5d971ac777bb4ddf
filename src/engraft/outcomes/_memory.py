"""numpy's huge-page advice, switched off while a large estimate fills its result arrays.

numpy advises the kernel to back every array of 4 MiB or more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``). Where the kernel's ``transparent_hugepage/defrag`` setting is
``madvise`` (a common default) and physical memory is fragmented - a long-running process that keeps
earlier results, a machine shared with other work - each page fault in such an array may stall in
direct memory compaction. Measured on a 2-vCPU Linux 6.18 machine: a Kaplan-Meier fit on 1 M
continuous times, whose eight result arrays are 64 MB of fresh memory, spent 94-110 ms of system
time with the advice and 30 ms without it (about 50 ms of computation either way).

:func:`no_hugepage_advice` switches the advice off (numpy's ``_set_madvise_hugepage``, the switch
behind its ``NUMPY_MADVISE_HUGEPAGE`` environment variable) for the duration of one large fit and
puts the previous setting back afterwards. The setting is process-wide, so nested and concurrent
fits share one switch under a lock and the first to start saves the setting, the last to finish
restores it. Arrays allocated meanwhile by other threads get ordinary pages (a question of speed
only, never of values). Results are the same with or without the advice; on a numpy without the
switch nothing is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Fits of at least this many rows switch the advice off (smaller ones allocate less than 4 MiB per array).
LARGE_FIT_ROWS = 1 << 19

_lock = threading.Lock()
_active = 0
_previous = True


def _switch() -> Callable[[bool], bool] | None:
    import importlib

    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy >= 2, then numpy 1.26
        try:
            switch = getattr(importlib.import_module(name), "_set_madvise_hugepage", None)
        except ImportError:  # pragma: no cover - depends on the numpy version
            continue
        return switch if callable(switch) else None
    return None  # pragma: no cover


_SET_ADVICE = _switch()


@contextmanager
def no_hugepage_advice(rows: int) -> Iterator[None]:
    """Within the block, numpy gives no huge-page advice if ``rows`` reaches :data:`LARGE_FIT_ROWS`."""
    global _active, _previous
    if _SET_ADVICE is None or rows < LARGE_FIT_ROWS:
        yield
        return
    with _lock:
        if _active == 0:
            _previous = bool(_SET_ADVICE(False))
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _SET_ADVICE(_previous)
