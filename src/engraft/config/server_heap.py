"""The heap of a long-running server process: what it loaded at start-up kept out of the cyclic collector's way.

CPython's cyclic garbage collector, in a full (oldest-generation) collection, walks every container object the
process holds. A server process of Engraft holds about 351,000 of them once its modules, routes and models are
loaded, and a full collection of that heap takes about 140 ms (measured 2026-12-05 on the 2-vCPU development
machine), during which the process runs nothing else: a result arriving then waits, and the ingest-to-alert
latency's tail is those pauses. What is loaded at start-up lives as long as the process, so
:func:`settle_start_up_heap` moves it into the collector's permanent generation (:func:`gc.freeze`): later
collections walk only what the process made since (a full collection of the frozen heap: a few microseconds).

Only long-running servers call it, once they have started (``engraft serve``'s worker processes, ``engraft monitor
listen``): garbage cycles made before the call are never collected, which a test process creating many
applications must not accumulate.
"""

from __future__ import annotations

import gc


def settle_start_up_heap() -> int:
    """Collect what start-up left as garbage, then freeze what remains; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
